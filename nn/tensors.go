package nn

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
)

// EncodeTensors writes float32 tensors to w as a safetensors file, their
// data in the order of their names, with metadata as its __metadata__
// (omitted when empty). It is DecodeTensors' inverse: a network's weights
// written this way under the names Encode uses (see tensorNames) load
// with Load.
func EncodeTensors(w io.Writer, tensors map[string]Tensor, metadata map[string]string) error {
	header := map[string]any{}
	if len(metadata) > 0 {
		header["__metadata__"] = metadata
	}
	var data []byte
	for _, name := range slices.Sorted(maps.Keys(tensors)) {
		if name == "__metadata__" {
			return fmt.Errorf("nn: a tensor cannot be called %q", name)
		}
		t := tensors[name]
		elems := 1
		shape := make([]int64, len(t.Shape))
		for i, d := range t.Shape {
			elems *= d
			shape[i] = int64(d)
		}
		if elems != len(t.Data) {
			return fmt.Errorf("nn: tensor %q has shape %v but %d values", name, t.Shape, len(t.Data))
		}
		begin := len(data)
		for _, v := range t.Data {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(v))
		}
		header[name] = tensorInfo{"F32", shape, []int64{int64(begin), int64(len(data))}}
	}
	return writeSafetensors(w, header, data)
}

// writeSafetensors writes a safetensors file: the header's length, the
// header as JSON padded with spaces so that the data starts 8-byte
// aligned, as safetensors pads it, then the data.
func writeSafetensors(w io.Writer, header map[string]any, data []byte) error {
	js, err := json.Marshal(header)
	if err != nil {
		return err
	}
	for len(js)%8 != 0 {
		js = append(js, ' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	_, err = w.Write(append(append(out, js...), data...))
	return err
}
