package nn

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/internal/bounded"
	"github.com/vecgen/vecgen/scalar"
)

// The int8 network's file is safetensors with the float file's names
// (module 2i is layer i's nn.Linear): "2i.weight" holds the int8 weights,
// dtype I8, Out×In as PyTorch's Linear.weight; "2i.weight_scale" their
// scales, F32, one per output; "2i.bias" the bias, F32. The metadata is
// the float file's, with "vecgen.dtype" set to "int8". The float tensors
// come first in the data, so each is aligned to its 4-byte values.

// scaleName is the name of layer i's weight scales.
func scaleName(i int) string {
	weight, _ := tensorNames(i)
	return weight + "_scale"
}

// int8Bytes bounds the size of d's int8 file: header, weights, scales
// and bias.
func int8Bytes(d *compiled.Network) int64 {
	size := int64(8 + maxHeader)
	for _, l := range d.Layers {
		size += int64(l.In*l.Out) + 8*int64(l.Out)
	}
	return size
}

// Save writes the int8 network to path as safetensors (see the layout
// above), atomically as Network.Save does. LoadQuantized reads it.
func (q *Quantized) Save(path string) error {
	return writeAtomic(path, q.encode)
}

// Encode writes the int8 network to w as safetensors.
func (q *Quantized) Encode(w io.Writer) error {
	if err := q.encode(w); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	return nil
}

func (q *Quantized) encode(w io.Writer) error {
	meta := map[string]string{
		"format":        "pt",
		"vecgen.model":  q.desc.Name,
		"vecgen.layers": layersOf(&q.desc),
		"vecgen.loss":   string(q.desc.Loss),
	}
	maps.Copy(meta, q.meta)
	return encodeInt8(w, q.layers, meta)
}

// encodeInt8 writes layers as the int8 network's file, with meta and
// "vecgen.dtype" in its metadata.
func encodeInt8(w io.Writer, layers []int8Layer, meta map[string]string) error {
	meta = maps.Clone(meta)
	if meta == nil { // a file from PyTorch has none
		meta = map[string]string{}
	}
	meta["vecgen.dtype"] = "int8"
	header := map[string]any{"__metadata__": meta}
	var data []byte
	add := func(name, dtype string, shape []int64, bytes func([]byte) []byte) {
		begin := len(data)
		data = bytes(data)
		header[name] = tensorInfo{dtype, shape, []int64{int64(begin), int64(len(data))}}
	}
	floats := func(v []float32) func([]byte) []byte {
		return func(data []byte) []byte {
			for _, x := range v {
				data = binary.LittleEndian.AppendUint32(data, math.Float32bits(x))
			}
			return data
		}
	}
	for i, l := range layers { // the float tensors first: 4-byte aligned
		_, bn := tensorNames(i)
		add(scaleName(i), "F32", []int64{int64(l.out)}, floats(l.scale))
		add(bn, "F32", []int64{int64(l.out)}, floats(l.b))
	}
	for i, l := range layers {
		wn, _ := tensorNames(i)
		add(wn, "I8", []int64{int64(l.out), int64(l.in)}, func(data []byte) []byte {
			for j := range l.out { // row j is output j's weights
				for k := range l.in {
					data = append(data, byte(l.packed[scalar.Int8PackedIndex(k, j, l.out)]))
				}
			}
			return data
		})
	}
	return writeSafetensors(w, header, data)
}

// QuantizeFile returns the int8 network's file of a float network's
// weights file (Network.Save's, or PyTorch's state_dict of the same
// nn.Sequential): each layer's weights quantized as Quantize does, the
// metadata kept. It needs no generated package: the layers are the
// file's, "0.weight" and "0.bias", "2.weight" and so on, until a layer
// is missing; any other tensor is an error, and so is a weight that is
// not finite.
func QuantizeFile(float []byte) ([]byte, error) {
	tensors, meta, err := decodeTensors(float)
	if err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	var layers []int8Layer
	for i := 0; ; i++ {
		wn, bn := tensorNames(i)
		w, ok := tensors[wn]
		if !ok {
			break
		}
		if len(w.Shape) != 2 || w.Shape[1] > scalar.MaxInt8Depth {
			return nil, fmt.Errorf("nn: tensor %q has shape %v; a layer's weight is Out×In, In at most %d", wn, w.Shape, scalar.MaxInt8Depth)
		}
		out, in := w.Shape[0], w.Shape[1]
		b, ok := tensors[bn]
		if !ok || !slices.Equal(b.Shape, []int{out}) {
			return nil, fmt.Errorf("nn: tensor %q is missing or not of shape [%d]", bn, out)
		}
		if err := cmp.Or(checkFinite(wn, w.Data, "weights"), checkFinite(bn, b.Data, "weights")); err != nil {
			return nil, fmt.Errorf("nn: %w", err)
		}
		plain := make([]float32, in*out) // In×Out, as Quantize takes it
		for j := range out {
			for k := range in {
				plain[k*out+j] = w.Data[j*in+k]
			}
		}
		qw, scale := make([]int8, in*out), make([]float32, out)
		scalar.QuantizeWeights(plain, in, out, qw, scale, make([]int32, out))
		layers = append(layers, newInt8Layer(compiled.Layer{In: in, Out: out}, qw, scale, b.Data))
		delete(tensors, wn)
		delete(tensors, bn)
	}
	if len(layers) == 0 {
		return nil, fmt.Errorf("nn: the file has no tensor \"0.weight\": not a network's weights")
	}
	if len(tensors) > 0 {
		return nil, fmt.Errorf("nn: tensor %q is not part of a chain of %d layers", slices.Sorted(maps.Keys(tensors))[0], len(layers))
	}
	var out bytes.Buffer
	if err := encodeInt8(&out, layers, meta); err != nil {
		return nil, fmt.Errorf("nn: %w", err)
	}
	return out.Bytes(), nil
}

// LoadQuantized reads the int8 network of desc's model that Save wrote to
// path. Every tensor must be there with its dtype and shape, and no other:
// a float network's file is refused, naming its first weight tensor (load
// it into a Network, then Quantize). Scales must be finite and positive,
// biases finite, and weights in −127..127. path must be a regular file no
// larger than the network needs. The error for a file of another model
// names both models.
func LoadQuantized(desc compiled.Network, path string) (*Quantized, error) {
	if err := checkInt8(&desc); err != nil {
		return nil, err
	}
	data, err := bounded.ReadFile(path, int8Bytes(&desc))
	if err != nil {
		return nil, fmt.Errorf("nn: loading int8 weights: %w", err)
	}
	q, meta, err := decodeQuantized(desc, data)
	if err != nil {
		if other := otherModelOf(&desc, path, meta); other != nil {
			return nil, fmt.Errorf("nn: loading int8 weights: %w", other)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return q, nil
}

// DecodeQuantized is LoadQuantized of the bytes of a file.
func DecodeQuantized(desc compiled.Network, file []byte) (*Quantized, error) {
	if err := checkInt8(&desc); err != nil {
		return nil, err
	}
	q, meta, err := decodeQuantized(desc, file)
	if err != nil {
		if other := otherModelOf(&desc, "the file", meta); other != nil {
			return nil, fmt.Errorf("nn: %w", other)
		}
		return nil, fmt.Errorf("nn: %w", err)
	}
	return q, nil
}

// checkInt8 rejects a descriptor an int8 network cannot be made of.
func checkInt8(d *compiled.Network) error {
	if err := check(d); err != nil {
		return err
	}
	for i, l := range d.Layers {
		if l.In > scalar.MaxInt8Depth {
			return fmt.Errorf("nn: layer %d has %d inputs; int8 sums are exact up to %d", i+1, l.In, scalar.MaxInt8Depth)
		}
	}
	return nil
}

// decodeQuantized decodes the int8 network of desc from file; it returns
// the file's metadata whenever its header could be read.
func decodeQuantized(desc compiled.Network, file []byte) (*Quantized, map[string]string, error) {
	entries, meta, data, err := parseHeader(file, []string{"F32", "I8"})
	if err != nil {
		return nil, meta, err
	}
	byName := map[string]entry{}
	for _, e := range entries {
		byName[e.name] = e
	}
	get := func(name, dtype string, shape ...int) (entry, error) {
		e, ok := byName[name]
		if !ok {
			return entry{}, fmt.Errorf("tensor %q is missing", name)
		}
		if e.dtype != dtype {
			if e.dtype == "F32" && dtype == "I8" {
				return entry{}, fmt.Errorf("tensor %q has dtype F32, an int8 network's weights are I8: a float network's file (Network.Load reads it, and Quantize makes the int8 network)", name)
			}
			return entry{}, fmt.Errorf("tensor %q has dtype %s, want %s", name, e.dtype, dtype)
		}
		if !slices.Equal(e.shape, shape) {
			return entry{}, fmt.Errorf("tensor %q has shape %v, the network needs %v", name, e.shape, shape)
		}
		delete(byName, name)
		return e, nil
	}
	floats := func(e entry) []float32 {
		v := make([]float32, (e.end-e.begin)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[e.begin+int64(4*i):]))
		}
		return v
	}
	var layers []int8Layer
	for i, l := range desc.Layers {
		wn, bn := tensorNames(i)
		we, err := get(wn, "I8", l.Out, l.In)
		if err != nil {
			return nil, meta, err
		}
		se, err := get(scaleName(i), "F32", l.Out)
		if err != nil {
			return nil, meta, err
		}
		be, err := get(bn, "F32", l.Out)
		if err != nil {
			return nil, meta, err
		}
		qw := make([]int8, l.In*l.Out)
		for j := range l.Out {
			for k := range l.In {
				v := int8(data[we.begin+int64(j*l.In+k)])
				if v == math.MinInt8 {
					return nil, meta, fmt.Errorf("tensor %q: value %d is −128; int8 weights lie in −127..127", wn, j*l.In+k)
				}
				qw[k*l.Out+j] = v
			}
		}
		scale, b := floats(se), floats(be)
		for j, s := range scale {
			if !(s > 0) || math.IsInf(float64(s), 1) {
				return nil, meta, fmt.Errorf("tensor %q: value %d is %v; scales must be finite and positive", scaleName(i), j, s)
			}
		}
		if err := checkFinite(bn, b, "biases"); err != nil {
			return nil, meta, err
		}
		layers = append(layers, newInt8Layer(l, qw, scale, b))
	}
	if len(byName) > 0 {
		extra := slices.Sorted(maps.Keys(byName))
		return nil, meta, fmt.Errorf("tensor %q is not part of this int8 network (%d layers)", extra[0], len(desc.Layers))
	}
	user := map[string]string{}
	for k, v := range meta {
		if !reservedKey(k) {
			user[k] = v
		}
	}
	q, err := newQuantized(desc, layers, user)
	return q, meta, err
}
