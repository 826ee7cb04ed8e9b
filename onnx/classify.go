package onnx

import (
	"fmt"
	"math"

	"github.com/vecgen/vecgen/internal/onnxpb"
	"github.com/vecgen/vecgen/spec"
)

// classify evaluates the pattern's nodes at sample points and names the
// activation they compute: gelu (the tanh form), gelu_erf, silu, or ""
// for none of these.
func (im *importer) classify(nodes []int) (spec.Activation, error) {
	scalars := map[string]float64{}
	for _, j := range nodes {
		for _, in := range im.g.Nodes[j].Inputs {
			t, ok := im.consts[in]
			if !ok {
				continue
			}
			if n, err := t.Elements(1); err != nil || n != 1 {
				return "", im.nodeErr(j, "constant %s has dims %s; an activation pattern takes scalars", onnxpb.QuoteName(in), onnxpb.FormatDims(t.Dims))
			}
			v, err := t.Floats()
			if err != nil {
				return "", im.nodeErr(j, "constant %s: %v", onnxpb.QuoteName(in), err)
			}
			scalars[in] = float64(v[0])
		}
	}
	candidates := []struct {
		act spec.Activation
		f   func(float64) float64
	}{
		{spec.GELU, func(z float64) float64 {
			return 0.5 * z * (1 + math.Tanh(math.Sqrt(2/math.Pi)*(z+0.044715*z*z*z)))
		}},
		{spec.SiLU, func(z float64) float64 { return z / (1 + math.Exp(-z)) }},
		{spec.GELUErf, func(z float64) float64 { return 0.5 * z * (1 + math.Erf(z/math.Sqrt2)) }},
	}
	points := []float64{-9, -4.5, -2.25, -1.1, -0.6, -0.2, -0.03, 0, 0.01, 0.3, 0.75, 1.4, 2.6, 5.2, 11}
	values := make([]float64, len(points))
	for p, z := range points {
		env := map[string]float64{im.cur: z}
		for _, j := range nodes {
			n := &im.g.Nodes[j]
			args := make([]float64, len(n.Inputs))
			for k, in := range n.Inputs {
				if v, ok := env[in]; ok {
					args[k] = v
				} else {
					args[k] = scalars[in]
				}
			}
			v, err := eval(n.OpType, args)
			if err != nil {
				return "", im.nodeErr(j, "%v", err)
			}
			env[n.Outputs[0]] = v
			values[p] = v
		}
	}
	for _, c := range candidates {
		match := true
		for p, z := range points {
			want := c.f(z)
			match = match && math.Abs(values[p]-want) <= 1e-6*max(1, math.Abs(want))
		}
		if match {
			return c.act, nil
		}
	}
	return "", nil
}

// eval applies an elementwise op to scalars.
func eval(op string, a []float64) (float64, error) {
	arity := 2
	switch op {
	case "Neg", "Tanh", "Sigmoid", "Erf", "Exp", "Sqrt", "Reciprocal":
		arity = 1
	}
	if len(a) != arity {
		return 0, fmt.Errorf("%s with %d inputs, want %d", op, len(a), arity)
	}
	switch op {
	case "Add":
		return a[0] + a[1], nil
	case "Sub":
		return a[0] - a[1], nil
	case "Mul":
		return a[0] * a[1], nil
	case "Div":
		return a[0] / a[1], nil
	case "Pow":
		return math.Pow(a[0], a[1]), nil
	case "Neg":
		return -a[0], nil
	case "Tanh":
		return math.Tanh(a[0]), nil
	case "Sigmoid":
		return 1 / (1 + math.Exp(-a[0])), nil
	case "Erf":
		return math.Erf(a[0]), nil
	case "Exp":
		return math.Exp(a[0]), nil
	case "Sqrt":
		return math.Sqrt(a[0]), nil
	case "Reciprocal":
		return 1 / a[0], nil
	}
	return 0, fmt.Errorf("op %s is not elementwise", op)
}
