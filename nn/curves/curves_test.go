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

// TestSaveExtremeValues draws histories whose values gonum's axes cannot
// take as they are: a spread that overflows float64 (its tick search ran
// for minutes) is an error naming the values, and a constant too large for
// gonum's padding of ±1 (it panicked) is drawn; each in bounded time.
func TestSaveExtremeValues(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name   string
		epochs []int
		losses []float64
		err    string
	}{
		{"spread overflows", []int{1, 2}, []float64{1e308, -1e308}, "curves: loss from -1e+308 to 1e+308: the axis's span overflows float64"},
		{"largest floats", []int{1, 2}, []float64{math.MaxFloat64, -math.MaxFloat64}, "curves: loss from -1.7976931348623157e+308 to 1.7976931348623157e+308"},
		{"wide but finite", []int{1, 2}, []float64{8e307, -8e307}, ""},
		{"large constant", []int{1, 2}, []float64{1e16, 1e16}, ""},
		{"largest constant", []int{1, 2}, []float64{math.MaxFloat64, math.MaxFloat64}, ""},
		{"one late epoch", []int{1 << 60}, []float64{0.5}, ""},
		{"epochs far apart", []int{math.MinInt, math.MaxInt}, []float64{1, 2}, ""},
	} {
		var h []nn.Epoch
		for i, e := range c.epochs {
			h = append(h, nn.Epoch{Epoch: e, Loss: c.losses[i], Accuracy: math.NaN()})
		}
		done := make(chan error, 1)
		go func() { done <- Save(filepath.Join(dir, "extreme.png"), h) }()
		select {
		case err := <-done:
			if c.err == "" {
				assert.NoError(t, err, c.name)
			} else {
				assert.ErrorContains(t, err, c.err, c.name)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Save still runs after 10 s", c.name)
		}
	}
}
