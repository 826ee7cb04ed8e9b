package curves

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/vecgen/vecgen/nn"
)

func history(val bool) []nn.Epoch {
	var h []nn.Epoch
	for e := 1; e <= 4; e++ {
		ep := nn.Epoch{Epoch: e, Loss: 1 / float64(e), Accuracy: 0.5 + 0.1*float64(e), LR: 0.01, Samples: 100, Duration: 250 * time.Millisecond}
		if val {
			ep.HasVal, ep.Val = true, nn.Metrics{Loss: 1.2 / float64(e), Accuracy: 0.45 + 0.1*float64(e)}
		}
		h = append(h, ep)
	}
	return h
}

func TestWriteCSV(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteCSV(&b, history(true)[:2]))
	assert.Equal(t, "epoch,loss,accuracy,val_loss,val_accuracy,lr,samples,seconds\n"+
		"1,1,0.6,1.2,0.55,0.009999999776482582,100,0.25\n"+
		"2,0.5,0.7,0.6,0.65,0.009999999776482582,100,0.25\n", b.String())
	h := history(false)[:1]
	h[0].Accuracy = math.NaN() // mse
	b.Reset()
	require.NoError(t, WriteCSV(&b, h))
	assert.True(t, strings.HasSuffix(b.String(), "\n1,1,,,,0.009999999776482582,100,0.25\n"), b.String())
}

func TestSavePNGAndSVG(t *testing.T) {
	dir := t.TempDir()
	pngPath := filepath.Join(dir, "curves.png")
	require.NoError(t, Save(pngPath, history(true)))
	f, err := os.Open(pngPath)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, 2*4*96, img.Bounds().Dx(), "two panels, loss and accuracy")
	assert.Equal(t, 3*96, img.Bounds().Dy())

	svgPath := filepath.Join(dir, "curves.svg")
	h := history(false)
	for i := range h {
		h[i].Accuracy = math.NaN()
	}
	require.NoError(t, Save(svgPath, h))
	data, err := os.ReadFile(svgPath)
	require.NoError(t, err)
	assert.Contains(t, string(data), "<svg")
	assert.Contains(t, string(data), "loss")
	assert.NotContains(t, string(data), "accuracy", "no accuracy panel for mse")
	assert.NotContains(t, string(data), "validation")

	assert.Error(t, Save(filepath.Join(dir, "none.png"), nil))
}
