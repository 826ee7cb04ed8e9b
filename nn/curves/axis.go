package curves

import (
	"fmt"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// fitAxes sets p's axes to the range of the points in series, in a form
// gonum draws in bounded time. gonum's tick search runs for minutes when
// an axis's span overflows float64 (values of ±1e308), so that is an
// error; and it pads a constant's range by ±1, which leaves a constant of
// 2⁵³ or more an empty range it panics on, so such a range reaches 0.
func fitAxes(p *plot.Plot, name string, series ...plotter.XYs) error {
	var xs, ys []float64
	for _, s := range series {
		for _, xy := range s {
			xs = append(xs, xy.X)
			ys = append(ys, xy.Y)
		}
	}
	if len(xs) == 0 {
		return nil // nothing to draw: gonum's default axes
	}
	var err error
	if p.X.Min, p.X.Max, err = axisRange("epoch", xs); err != nil {
		return err
	}
	p.Y.Min, p.Y.Max, err = axisRange(name, ys)
	return err
}

// axisRange returns the range an axis needs to show the finite values v.
func axisRange(name string, v []float64) (lo, hi float64, err error) {
	lo, hi = v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	switch {
	case math.IsInf(hi-lo, 0):
		return 0, 0, fmt.Errorf("curves: %s from %g to %g: the axis's span overflows float64, and no plot can show it", name, lo, hi)
	case lo < hi:
		return lo, hi, nil
	case lo-1 < lo && hi+1 > hi:
		return lo - 1, hi + 1, nil // gonum's padding of a constant
	}
	return min(lo, 0), max(hi, 0), nil
}

// useLog reports whether a panel's axis is logarithmic: as mode says, and
// for LogAuto when every value is positive and they span more than a
// factor of 10.
func useLog(name string, mode LogMode, series []plotter.XYs) (bool, error) {
	if mode == LogNever {
		return false, nil
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, xy := range s {
			lo, hi = min(lo, xy.Y), max(hi, xy.Y)
		}
	}
	switch {
	case lo > hi: // no values
		return false, nil
	case mode == LogAlways && !(lo > 0):
		return false, fmt.Errorf("curves: a logarithmic %s axis cannot show %g", name, lo)
	case mode == LogAlways:
		return true, nil
	}
	return lo > 0 && hi > 10*lo, nil
}

// logAxis makes p's y axis logarithmic over the range of the positive
// values of series (useLog allowed no others), a constant's widened to
// a factor of 2 either side.
func logAxis(p *plot.Plot, series []plotter.XYs) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for _, xy := range s {
			lo, hi = min(lo, xy.Y), max(hi, xy.Y)
		}
	}
	if lo == hi {
		if lo/2 > 0 {
			lo /= 2
		}
		if !math.IsInf(hi*2, 0) {
			hi *= 2
		}
	}
	p.Y.Min, p.Y.Max = lo, hi
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = logTicks{}
}

// logTicks marks a logarithmic axis at 1, 2 and 5 times the powers of 10
// (gonum's LogTicks labels the powers only, which left a loss from 1.8 to
// 0.16 one label), the powers alone past 3 decades and every few past 10,
// and every multiple of a power from 1 to 9 when fewer than two labels
// would fall in the range; the other multiples are minor ticks.
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0 && hi >= lo) || math.IsInf(hi, 0) {
		return nil
	}
	first, last := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	every := max(1, (last-first)/10) // past 10 decades, every few powers
	labelled := func(d, m int) bool {
		return m == 1 && d%every == 0 || last-first <= 3 && (m == 2 || m == 5)
	}
	var ticks []plot.Tick
	count := 0
	for pass := 0; pass < 2; pass++ {
		ticks, count = ticks[:0], 0
		for d := first; d <= last; d++ {
			for m := 1; m <= 9; m++ {
				v, _ := strconv.ParseFloat(fmt.Sprintf("%de%d", m, d), 64) // m·10ᵈ rounded once
				if v < lo || v > hi || m > 1 && last-first > 10 {
					continue
				}
				t := plot.Tick{Value: v}
				if pass == 1 || labelled(d, m) {
					t.Label = strconv.FormatFloat(v, 'g', 3, 64)
					count++
				}
				ticks = append(ticks, t)
			}
		}
		if count >= 2 {
			break
		}
	}
	return ticks
}

// placeLegend puts p's legend in the corner of its data area that the
// series cross least (among equals: top right, top left, bottom right,
// bottom left), a little inside the frame.
func placeLegend(p *plot.Plot, series []plotter.XYs, logScale bool) {
	y := func(v float64) float64 { return v }
	if logScale {
		y = math.Log
	}
	x0, x1, y0, y1 := p.X.Min, p.X.Max, y(p.Y.Min), y(p.Y.Max)
	// The legend covers about a third of the width and a quarter of the
	// height of a panel in the corner it takes.
	const wide, tall = 0.35, 0.25
	best, bestCount := 0, math.MaxInt
	for corner := range 4 {
		top, left := corner < 2, corner%2 == 1
		count := 0
		for _, s := range series {
			for _, xy := range s {
				fx := (xy.X - x0) / (x1 - x0)
				fy := (y(xy.Y) - y0) / (y1 - y0)
				if left && fx <= wide || !left && fx >= 1-wide {
					if top && fy >= 1-tall || !top && fy <= tall {
						count++
					}
				}
			}
		}
		if count < bestCount {
			best, bestCount = corner, count
		}
	}
	p.Legend.Top, p.Legend.Left = best < 2, best%2 == 1
	inset := vg.Millimeter * 3
	p.Legend.XOffs, p.Legend.YOffs = -inset, -inset
	if p.Legend.Left {
		p.Legend.XOffs = inset
	}
	if !p.Legend.Top {
		p.Legend.YOffs = inset
	}
}
