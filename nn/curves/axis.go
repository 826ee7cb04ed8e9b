package curves

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
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
