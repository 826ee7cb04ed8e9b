package onnx

import (
	"fmt"
	"math"
	"slices"

	"github.com/vecgen/vecgen/internal/onnxpb"
)

// batchNorm folds node i, a BatchNormalization of the current layer's
// output before its activation, into the layer: in eval mode it is the
// per-feature affine map y = a·(z − mean) + B with a = scale/√(var + ε),
// so w′ = w·a (column by column) and b′ = a·(b − mean) + B, computed in
// float64 and rounded once.
func (im *importer) batchNorm(i int) error {
	n := &im.g.Nodes[i]
	l := im.last()
	switch {
	case l == nil:
		return im.nodeErr(i, "BatchNormalization before the first dense layer; vecgen folds a BatchNormalization into the Linear before it")
	case l.act != "":
		return im.nodeErr(i, "BatchNormalization after the %s activation; vecgen folds a BatchNormalization into the Linear before it, so it must come between the Linear and its activation (or fold it into the next Linear yourself)", l.act)
	case im.rank != 2:
		return im.nodeErr(i, "BatchNormalization of a value of rank %d; vecgen folds BatchNorm1d of (samples, features)", im.rank)
	case len(n.Inputs) != 5:
		return im.nodeErr(i, "BatchNormalization with %d inputs, want 5 (x, scale, B, mean, var)", len(n.Inputs))
	}
	if a := n.Attr("training_mode"); a != nil && a.I != 0 {
		return im.nodeErr(i, "training_mode = 1; export the model in eval mode (model.eval()), whose BatchNormalization uses the running mean and variance")
	}
	eps := 1e-5
	if a := n.Attr("epsilon"); a != nil {
		eps = float64(a.F)
	}
	var params [4][]float32 // scale, B, mean, var
	for k, role := range []string{"scale", "B", "mean", "var"} {
		t, v, err := im.constant(i, n.Inputs[k+1], role)
		if err != nil {
			return err
		}
		if len(v) != l.out {
			return im.nodeErr(i, "its %s %s has dims %s; the layer before has %d outputs", role, onnxpb.QuoteName(n.Inputs[k+1]), onnxpb.FormatDims(t.Dims), l.out)
		}
		params[k] = v
	}
	scale, shift, mean, variance := params[0], params[1], params[2], params[3]
	// w and b may be a tensor's own values, which another node can share.
	l.w = slices.Clone(l.w)
	if l.b == nil {
		l.b = make([]float32, l.out)
	} else {
		l.b = slices.Clone(l.b)
	}
	for j := range l.out {
		d := float64(variance[j]) + eps
		if !(d > 0) || math.IsInf(d, 0) {
			return im.nodeErr(i, "feature %d: var %v + epsilon %v is not a positive number", j, variance[j], eps)
		}
		a := float64(scale[j]) / math.Sqrt(d)
		for k := range l.in {
			l.w[k*l.out+j] = float32(float64(l.w[k*l.out+j]) * a)
		}
		l.b[j] = float32(a*(float64(l.b[j])-float64(mean[j])) + float64(shift[j]))
	}
	l.matmul, l.folded = "", true
	l.wName, l.bName = "", "" // w and b are no longer the file's
	l.from = append(l.from, fmt.Sprintf("node %d BatchNormalization %s: folded into the weights and bias", i, onnxpb.QuoteName(n.Name)))
	im.notes = append(im.notes, fmt.Sprintf("BatchNormalization node %d (%s) folded into layer %d's weights and bias, with its running mean and variance (eval mode)",
		i, onnxpb.QuoteName(n.Name), len(im.layers)))
	return nil
}

// logSoftmax takes node i, a LogSoftmax, as the layer's softmax: the
// network's outputs are probabilities, LogSoftmax's are their logs (the
// predicted class is the same), which a note says.
func (im *importer) logSoftmax(i int) error {
	if err := im.softmax(i); err != nil {
		return err
	}
	im.notes = append(im.notes, fmt.Sprintf("LogSoftmax node %d (%s) imported as softmax: the network's outputs are probabilities, whose logs are LogSoftmax's outputs (the predicted class is the same)",
		i, onnxpb.QuoteName(im.g.Nodes[i].Name)))
	return nil
}
