package nn

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vecgen/vecgen/compiled"
)

// The weights file is safetensors (https://huggingface.co/docs/safetensors):
// an 8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and byte range, then the raw little-endian data. Tensors are
// named and laid out as PyTorch's state_dict of an nn.Sequential whose
// module 2i is layer i's nn.Linear (module 2i+1 being its activation):
// "0.weight" is layer 1's w transposed, Out×In, and "0.bias" its b, then
// "2.weight", "2.bias", and so on. So torch's load_state_dict takes a file
// saved here, and Load takes one saved from such a model.

// maxHeader bounds the JSON header Load will read: far above what any
// network's names and shapes need.
const maxHeader = 1 << 20

// tensorInfo is one header entry.
type tensorInfo struct {
	DType       string  `json:"dtype"`
	Shape       []int64 `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// tensorNames returns layer i's tensor names.
func tensorNames(i int) (weight, bias string) {
	m := strconv.Itoa(2 * i)
	return m + ".weight", m + ".bias"
}

// Save writes the parameters to path as safetensors. It writes a temporary
// file in the same directory and renames it over path, so path holds either
// its old contents or the complete new file, never a part.
func (n *Network) Save(path string) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return fmt.Errorf("nn: saving weights: %w", err)
	}
	tmp := f.Name()
	err = n.Encode(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("nn: saving weights: %w", err)
	}
	return nil
}

// Encode writes the parameters to w as safetensors.
func (n *Network) Encode(w io.Writer) error {
	header := map[string]any{"__metadata__": n.metadata()}
	var data []byte
	for i, l := range n.desc.Layers {
		wn, bn := tensorNames(i)
		begin := len(data)
		for j := range l.Out { // PyTorch's weight is Out×In: row j is output j
			for k := range l.In {
				data = binary.LittleEndian.AppendUint32(data, math.Float32bits(n.w[i][k*l.Out+j]))
			}
		}
		header[wn] = tensorInfo{"F32", []int64{int64(l.Out), int64(l.In)}, []int64{int64(begin), int64(len(data))}}
		begin = len(data)
		for _, v := range n.b[i] {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
		header[bn] = tensorInfo{"F32", []int64{int64(l.Out)}, []int64{int64(begin), int64(len(data))}}
	}
	js, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(js)%8 != 0 { // the data starts 8-byte aligned, as safetensors pads it
		js = append(js, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	out = append(append(out, js...), data...)
	_, err = w.Write(out)
	return err
}

// metadata records the network's shapes in the file's string metadata.
func (n *Network) metadata() map[string]string {
	var layers []string
	for _, l := range n.desc.Layers {
		layers = append(layers, fmt.Sprintf("%d-%d %s", l.In, l.Out, l.Activation))
	}
	return map[string]string{
		"format":        "pt",
		"vecgen.model":  n.desc.Name,
		"vecgen.layers": strings.Join(layers, ", "),
		"vecgen.loss":   string(n.desc.Loss),
	}
}

// Load replaces the parameters with those in the safetensors file at path.
// Every tensor's name, dtype and shape must match the network; on any error
// the network keeps its parameters.
func (n *Network) Load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("nn: loading weights: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("nn: loading weights: %w", err)
	}
	if limit := int64(8 + maxHeader + 4*n.desc.Params); st.Size() > limit {
		return fmt.Errorf("nn: loading weights: %s is %d bytes, more than this network's weights can take (%d)", path, st.Size(), limit)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return fmt.Errorf("nn: loading weights: %w", err)
	}
	if err := n.Decode(data); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Decode replaces the parameters with those in the safetensors bytes in
// file. On any error the network keeps its parameters.
func (n *Network) Decode(file []byte) error {
	params, err := decodeSafetensors(file, &n.desc)
	if err != nil {
		return err
	}
	copy(n.params, params)
	return nil
}

// Tensor is one float32 tensor of a safetensors file.
type Tensor struct {
	Shape []int
	Data  []float32 // row-major, len = product of Shape
}

// DecodeTensors parses a safetensors file of float32 tensors, checking the
// header, every dtype and every byte range. Other dtypes are errors.
func DecodeTensors(file []byte) (map[string]Tensor, error) {
	if len(file) < 8 {
		return nil, fmt.Errorf("not a safetensors file: %d bytes, shorter than its header length", len(file))
	}
	size := binary.LittleEndian.Uint64(file)
	if size > maxHeader || size > uint64(len(file)-8) {
		return nil, fmt.Errorf("not a safetensors file: header of %d bytes in a file of %d", size, len(file))
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(file[8:8+size], &header); err != nil {
		return nil, fmt.Errorf("safetensors header: %w", err)
	}
	data := file[8+size:]
	out := map[string]Tensor{}
	for name, raw := range header {
		if name == "__metadata__" {
			continue
		}
		var t tensorInfo
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		if t.DType != "F32" {
			return nil, fmt.Errorf("tensor %q has dtype %q, want F32", name, t.DType)
		}
		if len(t.DataOffsets) != 2 {
			return nil, fmt.Errorf("tensor %q: data_offsets has %d entries, want 2", name, len(t.DataOffsets))
		}
		begin, end := t.DataOffsets[0], t.DataOffsets[1]
		if begin < 0 || end < begin || end > int64(len(data)) {
			return nil, fmt.Errorf("tensor %q: bytes %d..%d lie outside the %d bytes of data", name, begin, end, len(data))
		}
		elems := int64(1)
		shape := make([]int, len(t.Shape))
		for i, d := range t.Shape {
			if d < 0 || d > int64(len(data)) {
				return nil, fmt.Errorf("tensor %q has shape %v", name, t.Shape)
			}
			shape[i] = int(d)
			elems *= d
			if elems > int64(len(data)) {
				return nil, fmt.Errorf("tensor %q: shape %v needs more than the %d bytes of data", name, t.Shape, len(data))
			}
		}
		if end-begin != 4*elems {
			return nil, fmt.Errorf("tensor %q: %d bytes for %d float32 values", name, end-begin, elems)
		}
		values := make([]float32, elems)
		for i := range values {
			values[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[begin+int64(4*i):]))
		}
		out[name] = Tensor{Shape: shape, Data: values}
	}
	return out, nil
}

// decodeSafetensors returns the parameter vector stored in file for the
// network d: every tensor of d must be there with its shape, and no other.
func decodeSafetensors(file []byte, d *compiled.Network) ([]float32, error) {
	tensors, err := DecodeTensors(file)
	if err != nil {
		return nil, err
	}
	get := func(name string, shape ...int) ([]float32, error) {
		t, ok := tensors[name]
		if !ok {
			return nil, fmt.Errorf("tensor %q is missing", name)
		}
		if !slices.Equal(t.Shape, shape) {
			return nil, fmt.Errorf("tensor %q has shape %v, the network needs %v", name, t.Shape, shape)
		}
		delete(tensors, name)
		return t.Data, nil
	}
	params := make([]float32, d.Params)
	off := 0
	for i, l := range d.Layers {
		wn, bn := tensorNames(i)
		w, err := get(wn, l.Out, l.In)
		if err != nil {
			return nil, err
		}
		for j := range l.Out {
			for k := range l.In {
				params[off+k*l.Out+j] = w[j*l.In+k]
			}
		}
		off += l.In * l.Out
		b, err := get(bn, l.Out)
		if err != nil {
			return nil, err
		}
		off += copy(params[off:], b)
	}
	if len(tensors) > 0 {
		extra := slices.Sorted(maps.Keys(tensors))
		return nil, fmt.Errorf("tensor %q is not part of this network (%d layers)", extra[0], len(d.Layers))
	}
	return params, nil
}
