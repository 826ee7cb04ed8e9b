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

// Save draws the loss per epoch (training and, when there is one,
// validation) and, beside it, the accuracy when the loss has one, and
// writes the picture to path: SVG when path ends in .svg, PNG otherwise.
func Save(path string, history []nn.Epoch) error {
	if len(history) == 0 {
		return fmt.Errorf("curves: no epochs to plot")
	}
	plots, err := build(history)
	if err != nil {
		return err
	}
	width, height := vg.Length(len(plots))*4*vg.Inch, 3*vg.Inch
	var c vg.CanvasWriterTo
	svg := strings.EqualFold(filepath.Ext(path), ".svg")
	if svg {
		c = vgsvg.New(width, height)
	} else {
		c = vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(96))}
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4}
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
func build(history []nn.Epoch) ([]*plot.Plot, error) {
	series := func(get func(nn.Epoch) float64) plotter.XYs {
		var xy plotter.XYs
		for _, e := range history {
			if v := get(e); !math.IsNaN(v) && !math.IsInf(v, 0) {
				xy = append(xy, plotter.XY{X: float64(e.Epoch), Y: v})
			}
		}
		return xy
	}
	hasVal := history[0].HasVal
	one := func(title, ylabel string, train, val func(nn.Epoch) float64) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "epoch"
		p.Y.Label.Text = ylabel
		p.Add(plotter.NewGrid())
		lines := []plotter.XYs{series(train)}
		args := []any{"training", lines[0]}
		if hasVal {
			lines = append(lines, series(val))
			args = append(args, "validation", lines[1])
		}
		if err := plotutil.AddLinePoints(p, args...); err != nil {
			return nil, fmt.Errorf("curves: %w", err)
		}
		if err := fitAxes(p, ylabel, lines...); err != nil {
			return nil, err
		}
		p.Legend.Top = true
		return p, nil
	}
	loss, err := one("loss", "loss", func(e nn.Epoch) float64 { return e.Loss }, func(e nn.Epoch) float64 { return e.Val.Loss })
	if err != nil {
		return nil, err
	}
	plots := []*plot.Plot{loss}
	if !math.IsNaN(history[0].Accuracy) {
		acc, err := one("accuracy", "accuracy", func(e nn.Epoch) float64 { return e.Accuracy }, func(e nn.Epoch) float64 { return e.Val.Accuracy })
		if err != nil {
			return nil, err
		}
		plots = append(plots, acc)
	}
	return plots, nil
}
