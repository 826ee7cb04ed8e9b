package nn

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/internal/bounded"
	"github.com/vecgen/vecgen/internal/strictjson"
	"github.com/vecgen/vecgen/internal/vec"
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

// Save writes the parameters and metadata to path as safetensors, readable
// by everyone (mode 0644, as a file written by most tools). It writes a
// temporary file in the same directory and renames it over path, so path
// holds either its old contents or the complete new file, never a part.
func (n *Network) Save(path string) error {
	return writeAtomic(path, func(w io.Writer) error { return n.encode(w, nil, nil) })
}

// writeAtomic writes path through a temporary file in its directory.
func writeAtomic(path string, encode func(io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("nn: saving %s: directory %s does not exist", path, filepath.Dir(path))
		}
		return fmt.Errorf("nn: saving %s: %w", path, err)
	}
	tmp := f.Name()
	err = encode(f)
	if err == nil {
		err = f.Chmod(0o644)
	}
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
		return fmt.Errorf("nn: saving %s: %w", path, err)
	}
	return nil
}

// Encode writes the parameters and metadata to w as safetensors.
func (n *Network) Encode(w io.Writer) error {
	if err := n.encode(w, nil, nil); err != nil {
		return fmt.Errorf("nn: %w", err)
	}
	return nil
}

// checkSavable refuses to write a file Load would refuse: a parameter or
// an extra tensor that is not finite (a caller may have written one
// through Params), named as the file would name it.
func (n *Network) checkSavable(extra map[string][]float32) error {
	if i := vec.FirstNonFinite(n.params); i >= 0 {
		name, at := n.tensorIndex(i)
		return fmt.Errorf("tensor %q: value %d is %v; weights must be finite, and Load would refuse them: not saved", name, at, n.params[i])
	}
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		if err := checkFinite(name, extra[name], "saved state"); err != nil {
			return fmt.Errorf("%w: not saved", err)
		}
	}
	return nil
}

// tensorIndex names parameter i as the weights file does: its tensor and
// its index there (w is stored Out×In, PyTorch's Linear.weight).
func (n *Network) tensorIndex(i int) (string, int) {
	for l, layer := range n.desc.Layers {
		wn, bn := tensorNames(l)
		size := layer.In * layer.Out
		switch {
		case i < size:
			k, j := i/layer.Out, i%layer.Out
			return wn, j*layer.In + k
		case i < size+layer.Out:
			return bn, i - size
		}
		i -= size + layer.Out
	}
	return "", i
}

// encode writes the parameters, the metadata with extraMeta added, and
// the extra tensors (1-D, in the order of their sorted names).
func (n *Network) encode(w io.Writer, extraMeta map[string]string, extra map[string][]float32) error {
	if err := n.checkSavable(extra); err != nil {
		return err
	}
	meta := n.metadata()
	maps.Copy(meta, extraMeta)
	header := map[string]any{"__metadata__": meta}
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
	for _, name := range slices.Sorted(maps.Keys(extra)) {
		begin := len(data)
		for _, v := range extra[name] {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
		header[name] = tensorInfo{"F32", []int64{int64(len(extra[name]))}, []int64{int64(begin), int64(len(data))}}
	}
	return writeSafetensors(w, header, data)
}

// metadata records the network's shapes in the file's string metadata.
func (n *Network) metadata() map[string]string {
	meta := map[string]string{
		"format":        "pt",
		"vecgen.model":  n.desc.Name,
		"vecgen.layers": n.layers(),
		"vecgen.loss":   string(n.desc.Loss),
	}
	n.metaMu.RLock()
	defer n.metaMu.RUnlock()
	maps.Copy(meta, n.meta)
	return meta
}

// reservedKey reports whether a metadata key is the file's own: "format"
// and those starting "vecgen.".
func reservedKey(key string) bool { return key == "format" || strings.HasPrefix(key, "vecgen.") }

// SetMetadata stores a string under key in the weights file's
// __metadata__ (Save and Encode write it, Load and Decode restore it): a
// standardizer's statistics, say, so a served model needs one file. An
// empty value removes the key. Keys "format" and "vecgen.*" are the
// file's own. It may run while other goroutines save or predict.
func (n *Network) SetMetadata(key, value string) error {
	if key == "" || reservedKey(key) {
		return fmt.Errorf("nn: metadata key %q is reserved", key)
	}
	n.metaMu.Lock()
	defer n.metaMu.Unlock()
	if value == "" {
		delete(n.meta, key)
		return nil
	}
	if n.meta == nil {
		n.meta = map[string]string{}
	}
	n.meta[key] = value
	return nil
}

// Metadata returns a copy of the metadata set by SetMetadata or restored
// by the last Load or Decode.
func (n *Network) Metadata() map[string]string {
	n.metaMu.RLock()
	defer n.metaMu.RUnlock()
	return maps.Clone(n.meta)
}

// Load replaces the parameters with those in the safetensors file at path.
// Every tensor's name, dtype and shape must match the network and every
// value must be finite; on any error the network keeps its parameters.
// path must be a regular file no larger than the network's weights need.
// The error for a file of another model names both models.
func (n *Network) Load(path string) error {
	data, err := bounded.ReadFile(path, int64(8+maxHeader+4*n.desc.Params))
	if err != nil {
		if other := n.otherModelAt(path); other != nil {
			err = other
		}
		return fmt.Errorf("nn: loading weights: %w", err)
	}
	if meta, err := n.decode(data); err != nil {
		if other := n.otherModel(path, meta); other != nil {
			return fmt.Errorf("nn: loading weights: %w", other)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Decode replaces the parameters with those in the safetensors bytes in
// file, under the same rules as Load. On any error the network keeps its
// parameters.
func (n *Network) Decode(file []byte) error {
	meta, err := n.decode(file)
	if err != nil {
		if other := n.otherModel("the file", meta); other != nil {
			return fmt.Errorf("nn: %w", other)
		}
	}
	return err
}

// decode is Decode without naming another model; it returns the file's
// metadata whenever its header could be read, so that the error can.
func (n *Network) decode(file []byte) (map[string]string, error) {
	params, meta, err := decodeSafetensors(file, &n.desc)
	if err != nil {
		return meta, err
	}
	copy(n.params, params)
	n.setMeta(meta)
	return meta, nil
}

// setMeta keeps the user's entries of a file's metadata.
func (n *Network) setMeta(meta map[string]string) {
	n.metaMu.Lock()
	defer n.metaMu.Unlock()
	n.meta = nil
	for k, v := range meta {
		if !reservedKey(k) {
			if n.meta == nil {
				n.meta = map[string]string{}
			}
			n.meta[k] = v
		}
	}
}

// Tensor is one float32 tensor of a safetensors file.
type Tensor struct {
	Shape []int
	Data  []float32 // row-major, len = product of Shape
}

// entry is a header entry with its name, checked but not yet decoded.
type entry struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64
}

// dtypeBytes is the size of a value of each dtype the files here hold:
// F32 for every float tensor, I8 for an int8 network's weights.
var dtypeBytes = map[string]int64{"F32": 4, "I8": 1}

// floatOnly are the dtypes of a float network's files and checkpoints.
var floatOnly = []string{"F32"}

// DecodeTensors parses a safetensors file of float32 tensors. It checks
// the whole header before decoding any data: the JSON (no name twice,
// __metadata__ a map of strings with no key twice, each entry's keys
// spelled exactly as other readers need them), every dtype (other dtypes
// are errors),
// shape and byte range. The ranges must lie in the data, be aligned to 4
// bytes, and tile the data exactly, with no overlap and no gap, so the
// tensors it returns take no more memory than the file.
func DecodeTensors(file []byte) (map[string]Tensor, error) {
	t, _, err := decodeTensors(file)
	return t, err
}

// decodeTensors is DecodeTensors that also returns the __metadata__.
func decodeTensors(file []byte) (map[string]Tensor, map[string]string, error) {
	entries, meta, data, err := parseHeader(file, floatOnly)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string]Tensor, len(entries))
	for _, e := range entries {
		values := make([]float32, (e.end-e.begin)/4)
		for i := range values {
			values[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[e.begin+int64(4*i):]))
		}
		out[e.name] = Tensor{Shape: e.shape, Data: values}
	}
	return out, meta, nil
}

// parseHeader checks a safetensors header, whose tensors may have the
// dtypes listed, and returns its tensors in the order of their data, its
// metadata, and the data.
func parseHeader(file []byte, dtypes []string) ([]entry, map[string]string, []byte, error) {
	if len(file) < 8 {
		return nil, nil, nil, fmt.Errorf("not a safetensors file: %d bytes, shorter than its header length", len(file))
	}
	size := binary.LittleEndian.Uint64(file)
	if size > maxHeader || size > uint64(len(file)-8) {
		return nil, nil, nil, fmt.Errorf("not a safetensors file: header of %d bytes in a file of %d", size, len(file))
	}
	data := file[8+size:]
	dec := json.NewDecoder(bytes.NewReader(file[8 : 8+size]))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, nil, fmt.Errorf("safetensors header: not a JSON object")
	}
	seen := map[string]bool{}
	var meta map[string]string
	var entries []entry
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, nil, fmt.Errorf("safetensors header: %w", err)
		}
		name := tok.(string) // object keys are strings
		if seen[name] {
			return nil, nil, nil, fmt.Errorf("safetensors header: %q appears twice", name)
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, nil, nil, fmt.Errorf("safetensors header: %w", err)
		}
		if name == "__metadata__" {
			if err := strictjson.Unmarshal(raw, &meta); err != nil {
				return nil, nil, nil, fmt.Errorf("safetensors header: __metadata__ is not a map of strings, each key once: %w", err)
			}
			continue
		}
		var t tensorInfo
		if err := strictjson.Unmarshal(raw, &t); err != nil {
			return nil, nil, nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		e, err := checkEntry(name, t, int64(len(data)), dtypes)
		if err != nil {
			return nil, nil, nil, err
		}
		entries = append(entries, e)
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, nil, fmt.Errorf("safetensors header: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, nil, fmt.Errorf("safetensors header: data after the JSON object")
	}
	slices.SortStableFunc(entries, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end))
	})
	at := int64(0)
	for _, e := range entries {
		if e.begin != at {
			if e.begin < at {
				return nil, nil, nil, fmt.Errorf("tensor %q: bytes %d..%d overlap another tensor's", e.name, e.begin, e.end)
			}
			return nil, nil, nil, fmt.Errorf("tensor %q: bytes %d..%d leave bytes %d..%d of the data unused", e.name, e.begin, e.end, at, e.begin)
		}
		at = e.end
	}
	if at != int64(len(data)) {
		return nil, nil, nil, fmt.Errorf("the tensors cover %d of the %d bytes of data", at, len(data))
	}
	return entries, meta, data, nil
}

// checkEntry checks one tensor's dtype (one of dtypes), shape and byte
// range against the size of the data.
func checkEntry(name string, t tensorInfo, size int64, dtypes []string) (entry, error) {
	if !slices.Contains(dtypes, t.DType) {
		hint := ""
		if t.DType == "I8" {
			hint = " (an int8 network's file: nn.LoadQuantized reads it)"
		}
		return entry{}, fmt.Errorf("tensor %q has dtype %q, want %s%s", name, t.DType, strings.Join(dtypes, " or "), hint)
	}
	width := dtypeBytes[t.DType]
	if len(t.DataOffsets) != 2 {
		return entry{}, fmt.Errorf("tensor %q: data_offsets has %d entries, want 2", name, len(t.DataOffsets))
	}
	begin, end := t.DataOffsets[0], t.DataOffsets[1]
	if begin < 0 || end < begin || end > size {
		return entry{}, fmt.Errorf("tensor %q: bytes %d..%d lie outside the %d bytes of data", name, begin, end, size)
	}
	if begin%width != 0 {
		return entry{}, fmt.Errorf("tensor %q: bytes %d..%d are not aligned to its %d-byte values", name, begin, end, width)
	}
	elems := int64(1)
	shape := make([]int, len(t.Shape))
	for i, d := range t.Shape {
		if d < 0 || d > size {
			return entry{}, fmt.Errorf("tensor %q has shape %v", name, t.Shape)
		}
		shape[i] = int(d)
		elems *= d
		if elems > size {
			return entry{}, fmt.Errorf("tensor %q: shape %v needs more than the %d bytes of data", name, t.Shape, size)
		}
	}
	if end-begin != width*elems {
		return entry{}, fmt.Errorf("tensor %q: %d bytes for %d %s values", name, end-begin, elems, t.DType)
	}
	return entry{name, t.DType, shape, begin, end}, nil
}

// decodeSafetensors returns the parameter vector stored in file for the
// network d: every tensor of d must be there with its shape, and no other.
func decodeSafetensors(file []byte, d *compiled.Network) ([]float32, map[string]string, error) {
	tensors, meta, err := decodeTensors(file)
	if err != nil {
		return nil, nil, err
	}
	params, err := paramsFrom(tensors, d)
	return params, meta, err
}

// paramsFrom takes the network's tensors out of tensors, which must hold
// no others, and returns the parameter vector.
func paramsFrom(tensors map[string]Tensor, d *compiled.Network) ([]float32, error) {
	get := func(name string, shape ...int) ([]float32, error) {
		t, ok := tensors[name]
		if !ok {
			return nil, fmt.Errorf("tensor %q is missing", name)
		}
		if !slices.Equal(t.Shape, shape) {
			return nil, fmt.Errorf("tensor %q has shape %v, the network needs %v", name, t.Shape, shape)
		}
		if err := checkFinite(name, t.Data, "weights"); err != nil {
			return nil, err
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
