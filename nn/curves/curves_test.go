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
	"gonum.org/v1/plot"

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
	assert.Equal(t, 1200, img.Bounds().Dx(), "two panels, loss and accuracy")
	assert.Equal(t, 450, img.Bounds().Dy())

	require.NoError(t, SaveWith(pngPath, history(true), Options{Width: 800, Height: 300}))
	f2, err := os.Open(pngPath)
	require.NoError(t, err)
	defer f2.Close()
	cfg, err := png.DecodeConfig(f2)
	require.NoError(t, err)
	assert.Equal(t, [2]int{800, 300}, [2]int{cfg.Width, cfg.Height}, "Options' size")
	assert.ErrorContains(t, SaveWith(pngPath, history(true), Options{Width: -1}), "each side must be from 1 to 16384")
	assert.ErrorContains(t, SaveWith(pngPath, history(true), Options{Height: 1 << 20}), "each side must be from 1 to 16384")

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

// curve is a history of n epochs whose loss falls from 50 to 0.05 (mse's
// first epochs) and whose accuracy rises, or is NaN without one.
func curve(n int, accuracy bool) []nn.Epoch {
	var h []nn.Epoch
	for e := 1; e <= n; e++ {
		ep := nn.Epoch{Epoch: e, Loss: 50*math.Exp(-float64(e)) + 0.05, Accuracy: math.NaN()}
		if accuracy {
			ep.Accuracy = 0.9 - 0.4*math.Exp(-float64(e)/4)
		}
		h = append(h, ep)
	}
	return h
}

// The loss axis turns logarithmic when the losses span more than a
// decade; markers go on short runs only; the legend takes the corner the
// curves leave empty.
func TestSaveReadability(t *testing.T) {
	isLog := func(h []nn.Epoch, opts Options) bool {
		plots, err := build(h, opts)
		require.NoError(t, err)
		_, ok := plots[0].Y.Scale.(plot.LogScale)
		return ok
	}
	assert.True(t, isLog(curve(200, false), Options{}), "50 to 0.05")
	assert.False(t, isLog(history(false), Options{}), "1 to 0.25")
	assert.False(t, isLog(curve(200, false), Options{LogLoss: LogNever}))
	assert.True(t, isLog(history(false), Options{LogLoss: LogAlways}))
	zero := curve(5, false)
	zero[4].Loss = 0
	assert.False(t, isLog(zero, Options{}), "a zero loss has no logarithm")
	_, err := build(zero, Options{LogLoss: LogAlways})
	assert.EqualError(t, err, "curves: a logarithmic loss axis cannot show 0")
	constant := curve(3, false)
	for i := range constant {
		constant[i].Loss = 0.5
	}
	plots, err := build(constant, Options{LogLoss: LogAlways})
	require.NoError(t, err)
	assert.Equal(t, [2]float64{0.25, 1}, [2]float64{plots[0].Y.Min, plots[0].Y.Max})

	assert.True(t, MarkersAuto.marks(MaxMarkedEpochs), "a marker per epoch on a short run")
	assert.False(t, MarkersAuto.marks(MaxMarkedEpochs+1))
	assert.True(t, MarkersAlways.marks(200))
	assert.False(t, MarkersNever.marks(5))
	dir := t.TempDir()
	svgSize := func(m MarkerMode) int {
		path := filepath.Join(dir, "m.svg")
		require.NoError(t, SaveWith(path, curve(20, true), Options{Markers: m}))
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		return len(data)
	}
	assert.Greater(t, svgSize(MarkersAlways), svgSize(MarkersNever)+20*4*50, "80 markers drawn, some 50 bytes each at least")

	plots, err = build(curve(40, true), Options{})
	require.NoError(t, err)
	loss, acc := plots[0].Legend, plots[1].Legend
	assert.Equal(t, [2]bool{true, false}, [2]bool{loss.Top, loss.Left}, "a falling loss leaves the top right empty")
	assert.Equal(t, [2]bool{false, false}, [2]bool{acc.Top, acc.Left}, "a rising accuracy leaves the bottom right empty")
	rising := curve(40, false)
	for i := range rising {
		rising[i].Loss = float64(i)
	}
	plots, err = build(rising, Options{})
	require.NoError(t, err)
	assert.Equal(t, [2]bool{true, true}, [2]bool{plots[0].Legend.Top, plots[0].Legend.Left}, "a rising loss leaves the top left empty")
	assert.Negative(t, float64(plots[0].Legend.YOffs), "inside the frame, not touching it")
	assert.Positive(t, float64(plots[0].Legend.XOffs))
}

// A logarithmic loss axis has labels wherever its range lies: 1, 2 and 5
// times the powers of 10 over a few decades, every multiple within one.
func TestLogTicks(t *testing.T) {
	labels := func(lo, hi float64) []string {
		var out []string
		for _, tk := range (logTicks{}).Ticks(lo, hi) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	assert.Equal(t, []string{"0.2", "0.5", "1"}, labels(0.16, 1.84))
	assert.Equal(t, []string{"0.05", "0.1", "0.2", "0.5"}, labels(0.05, 0.84))
	assert.Equal(t, []string{"0.2", "0.3"}, labels(0.2, 0.3))
	assert.Equal(t, []string{"0.001", "0.01", "0.1", "1", "10", "100"}, labels(0.0005, 500))
	many := labels(1e-300, 1e300)
	assert.Less(t, len(many), 20, "a label every few decades")
	assert.Nil(t, labels(0, 1))
}

// A resumed run's history may start without validation (the run before
// had none): the validation curve is drawn from the epochs that have it.
func TestSaveValidationFromLaterEpochs(t *testing.T) {
	h := history(true)
	h[0].HasVal, h[0].Val = false, nn.Metrics{}
	path := filepath.Join(t.TempDir(), "c.svg")
	require.NoError(t, Save(path, h))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), "validation")
}
