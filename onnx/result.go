package onnx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/vecgen/vecgen/internal/onnxpb"
	"github.com/vecgen/vecgen/nn"
	"github.com/vecgen/vecgen/spec"
)

// LossFor is the loss an imported model gets for its last activation.
func LossFor(act spec.Activation) spec.Loss {
	switch act {
	case spec.Softmax:
		return spec.CrossEntropy
	case spec.Sigmoid:
		return spec.BinaryCrossEntropy
	}
	return spec.MSE
}

// NamesKey is the weights' metadata entry that maps each tensor to the
// initializer it came from, as JSON ({"0.weight": "fc1.weight", …}): the
// parameter names of the PyTorch module the model was exported from, so
// that its state_dict can take the weights back (the README shows how). A
// tensor the file holds in another form (a MatMul's transposed weight) or
// that a folded BatchNormalization changed has no entry; the zero bias of
// a layer that has none maps to "". It is a user's entry, which
// nn.Network.Load keeps and Save writes again.
const NamesKey = "onnx_names"

// result writes the spec and the weights.
func (im *importer) result(m *onnxpb.Model, opts Options) (*Result, error) {
	source := opts.Source
	if source == "" {
		source = "an ONNX model"
	}
	weightsName := strings.TrimSuffix(specFileName(opts.Name), ".yaml") + ".safetensors"
	var sb bytes.Buffer
	producer := strings.TrimSpace(m.ProducerName + " " + m.ProducerVersion)
	if producer == "" {
		producer = "unknown"
	}
	fmt.Fprintf(&sb, "%s%s (opset %d, producer %s).\n", SpecHeader, commentSafe(source), im.opset, commentSafe(producer))
	fmt.Fprintf(&sb, "# Weights: %s; layer i's w and b are tensors \"2(i-1).weight\" ([out,in], PyTorch's Linear.weight) and \"2(i-1).bias\".\n", weightsName)
	fmt.Fprintf(&sb, "name: %s\nbatch: %d\ninput: %d\nlayers:\n", opts.Name, opts.Batch, im.layers[0].in)
	tensors := map[string]nn.Tensor{}
	names := map[string]string{} // vecgen's tensor → the file's initializer
	for i, l := range im.layers {
		if l.act == "" {
			l.act = spec.Identity
		}
		if l.b == nil {
			l.b = make([]float32, l.out)
			l.from = append(l.from, "no bias: zeros")
			names[fmt.Sprintf("%d.bias", 2*i)] = "" // the module has none
		}
		entry := fmt.Sprintf("{dense: %d, activation: %s}", l.out, l.act)
		fmt.Fprintf(&sb, "  - %-40s # %s\n", entry, commentSafe(strings.Join(l.from, "; ")))
		wt := make([]float32, len(l.w)) // Out×In, as PyTorch's Linear.weight
		for k := range l.in {
			for j := range l.out {
				wt[j*l.in+k] = l.w[k*l.out+j]
			}
		}
		for _, v := range slices.Concat(l.w, l.b) {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return nil, fmt.Errorf("onnx: layer %d (%s) has a non-finite weight %v; nn loads only finite weights", i+1, l.from[0], v)
			}
		}
		tensors[fmt.Sprintf("%d.weight", 2*i)] = nn.Tensor{Shape: []int{l.out, l.in}, Data: wt}
		tensors[fmt.Sprintf("%d.bias", 2*i)] = nn.Tensor{Shape: []int{l.out}, Data: l.b}
		if l.wName != "" {
			names[fmt.Sprintf("%d.weight", 2*i)] = l.wName
		}
		if l.bName != "" {
			names[fmt.Sprintf("%d.bias", 2*i)] = l.bName
		}
	}
	last := im.layers[len(im.layers)-1].act
	loss := LossFor(last)
	note := fmt.Sprintf("the loss is not in ONNX: %s fits the last layer's %s activation", loss, last)
	fmt.Fprintf(&sb, "# %s; change it to train on another.\nloss: %s\n", note, loss)
	model, err := spec.Parse(specFileName(opts.Name), sb.Bytes())
	if err != nil {
		return nil, fmt.Errorf("onnx: the imported model is not a valid vecgen spec: %w", err)
	}
	var wb bytes.Buffer
	meta := map[string]string{"format": "pt", "vecgen.model": opts.Name, "vecgen.source": source}
	if len(names) > 0 {
		js, err := json.Marshal(names)
		if err != nil {
			return nil, err
		}
		meta[NamesKey] = string(js)
	}
	if err := nn.EncodeTensors(&wb, tensors, meta); err != nil {
		return nil, err
	}
	return &Result{Model: model, Spec: sb.Bytes(), Weights: wb.Bytes(), Opset: im.opset, Notes: append(im.notes, note)}, nil
}
