// Package curves turns nn.Fit's history into a CSV log and a plot of the
// loss and accuracy per epoch (PNG or SVG, drawn with gonum's plot).
package curves

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/vecgen/vecgen/nn"
)

// Header is the CSV log's first row.
var Header = []string{"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "samples", "seconds"}

// WriteCSV writes a header row and one row per epoch. A value the epoch
// does not have (accuracy for mse, validation without validation samples)
// is an empty field.
func WriteCSV(w io.Writer, history []nn.Epoch) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	for _, e := range history {
		val, valAcc := math.NaN(), math.NaN()
		if e.HasVal {
			val, valAcc = e.Val.Loss, e.Val.Accuracy
		}
		row := []string{strconv.Itoa(e.Epoch), num(e.Loss), num(e.Accuracy), num(val), num(valAcc),
			num(float64(e.LR)), strconv.Itoa(e.Samples), num(e.Duration.Seconds())}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func num(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Options say how Save draws.
type Options struct {
	// Width and Height are the picture's size in pixels (at 96 per inch
	// for SVG); zero means 1200 by 450 with an accuracy panel, 640 by 450
	// without.
	Width, Height int
	// LogLoss says when the loss axis is logarithmic: LogAuto (the
	// default) when every loss is positive and they span more than a
	// factor of 10, so that an mse curve stays readable after its first
	// epochs.
	LogLoss LogMode
	// Markers says when each epoch gets a marker: MarkersAuto (the
	// default) up to MaxMarkedEpochs epochs, where markers still read as
	// points rather than a thick line.
	Markers MarkerMode
}

// LogMode says when the loss axis is logarithmic.
type LogMode int

const (
	LogAuto   LogMode = iota // when the positive losses span more than a decade
	LogAlways                // always; an error when a loss is not positive
	LogNever
)

// MarkerMode says when each epoch gets a marker.
type MarkerMode int

const (
	MarkersAuto   MarkerMode = iota // up to MaxMarkedEpochs epochs
	MarkersAlways                   // on every epoch
	MarkersNever
)

// MaxMarkedEpochs is the most epochs MarkersAuto marks.
const MaxMarkedEpochs = 30

// marks reports whether a run of n epochs gets a marker per epoch.
func (m MarkerMode) marks(n int) bool {
	return m == MarkersAlways || m == MarkersAuto && n <= MaxMarkedEpochs
}

// maxPixels bounds Options.Width and Height.
const maxPixels = 16384

// Save draws the loss per epoch (training and, when there is one,
// validation) and, beside it, the accuracy when the loss has one, and
// writes the picture to path: SVG when path ends in .svg, PNG otherwise.
func Save(path string, history []nn.Epoch) error { return SaveWith(path, history, Options{}) }

// SaveWith is Save drawn as opts says.
func SaveWith(path string, history []nn.Epoch, opts Options) error {
	if len(history) == 0 {
		return fmt.Errorf("curves: no epochs to plot")
	}
	if opts.Width < 0 || opts.Height < 0 || opts.Width > maxPixels || opts.Height > maxPixels {
		return fmt.Errorf("curves: a picture of %d by %d pixels; each side must be from 1 to %d (0 for the default)", opts.Width, opts.Height, maxPixels)
	}
	plots, err := build(history, opts)
	if err != nil {
		return err
	}
	w, h := opts.Width, opts.Height
	if w == 0 {
		w = 640 * len(plots)
		if len(plots) > 1 {
			w = 1200
		}
	}
	if h == 0 {
		h = 450
	}
	const dpi = 96
	width, height := vg.Length(w)*vg.Inch/dpi, vg.Length(h)*vg.Inch/dpi
	var c vg.CanvasWriterTo
	svg := strings.EqualFold(filepath.Ext(path), ".svg")
	if svg {
		c = vgsvg.New(width, height)
	} else {
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(dpi))}
	}
	dc := draw.Crop(draw.New(c), vg.Millimeter*2, -vg.Millimeter*2, vg.Millimeter*2, -vg.Millimeter*2)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 8}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("curves: %w", err)
	}
	if _, err := c.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("curves: %w", err)
	}
	return f.Close()
}

// build makes the loss plot and, when the epochs have an accuracy, the
// accuracy plot.
func build(history []nn.Epoch, opts Options) ([]*plot.Plot, error) {
	series := func(get func(nn.Epoch) float64) plotter.XYs {
		var xy plotter.XYs
		for _, e := range history {
			if v := get(e); !math.IsNaN(v) && !math.IsInf(v, 0) {
				xy = append(xy, plotter.XY{X: float64(e.Epoch), Y: v})
			}
		}
		return xy
	}
	marked := opts.Markers.marks(len(history))
	hasVal := slices.ContainsFunc(history, func(e nn.Epoch) bool { return e.HasVal }) // a resumed run's first epochs may have none
	one := func(title string, train, val func(nn.Epoch) float64, logMode LogMode) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = title
		p.Add(plotter.NewGrid())
		lines := []plotter.XYs{series(train)}
		names := []string{"training"}
		if hasVal {
			lines = append(lines, series(val))
			names = append(names, "validation")
		}
		logScale, err := useLog(title, logMode, lines)
		if err != nil {
			return nil, err
		}
		for i, xy := range lines {
			if err := addSeries(p, names[i], xy, i, marked); err != nil {
				return nil, err
			}
		}
		if err := fitAxes(p, title, lines...); err != nil {
			return nil, err
		}
		if logScale {
			logAxis(p, lines)
		}
		placeLegend(p, lines, logScale)
		return p, nil
	}
	loss, err := one("loss", func(e nn.Epoch) float64 { return e.Loss }, valOf(func(m nn.Metrics) float64 { return m.Loss }), opts.LogLoss)
	if err != nil {
		return nil, err
	}
	plots := []*plot.Plot{loss}
	if slices.ContainsFunc(history, func(e nn.Epoch) bool { return !math.IsNaN(e.Accuracy) }) {
		acc, err := one("accuracy", func(e nn.Epoch) float64 { return e.Accuracy }, valOf(func(m nn.Metrics) float64 { return m.Accuracy }), LogNever)
		if err != nil {
			return nil, err
		}
		plots = append(plots, acc)
	}
	return plots, nil
}

// valOf reads a validation metric of an epoch, NaN (no point) for an
// epoch without validation.
func valOf(get func(nn.Metrics) float64) func(nn.Epoch) float64 {
	return func(e nn.Epoch) float64 {
		if !e.HasVal {
			return math.NaN()
		}
		return get(e.Val)
	}
}

// addSeries adds the i-th series of a panel as a line in the i-th of
// plotutil's colors and dashes, with a marker per epoch when marked.
func addSeries(p *plot.Plot, name string, xy plotter.XYs, i int, marked bool) error {
	if len(xy) == 0 {
		return nil
	}
	line, err := plotter.NewLine(xy)
	if err != nil {
		return fmt.Errorf("curves: %w", err)
	}
	line.Color = plotutil.Color(i)
	line.Dashes = plotutil.Dashes(i)
	line.Width = vg.Points(1.5)
	p.Add(line)
	if !marked {
		p.Legend.Add(name, line)
		return nil
	}
	points, err := plotter.NewScatter(xy)
	if err != nil {
		return fmt.Errorf("curves: %w", err)
	}
	points.Color = plotutil.Color(i)
	points.Shape = plotutil.Shape(i)
	p.Add(points)
	p.Legend.Add(name, line, points)
	return nil
}
