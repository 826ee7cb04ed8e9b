package nn

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/vecgen/vecgen/compiled"
	"github.com/vecgen/vecgen/internal/bounded"
)

// A weights file or checkpoint of another model fails to load for a
// reason that is a consequence (a tensor's shape, the file's size); the
// metadata Save writes names the model, so the error can name both.

// layers describes the network's layers as the metadata records them:
// "784-256 relu, 256-128 relu, 128-10 softmax".
func (n *Network) layers() string { return layersOf(&n.desc) }

// layersOf is Network.layers of the network d describes.
func layersOf(d *compiled.Network) string {
	var layers []string
	for _, l := range d.Layers {
		layers = append(layers, fmt.Sprintf("%d-%d %s", l.In, l.Out, l.Activation))
	}
	return strings.Join(layers, ", ")
}

// otherModel returns an error saying that where holds another model's
// weights when its metadata meta names layers other than the network's;
// nil when it names none (a file from PyTorch) or the same.
func (n *Network) otherModel(where string, meta map[string]string) error {
	return otherModelOf(&n.desc, where, meta)
}

// otherModelOf is Network.otherModel of the network d describes.
func otherModelOf(d *compiled.Network, where string, meta map[string]string) error {
	layers := meta["vecgen.layers"]
	if layers == "" || layers == layersOf(d) {
		return nil
	}
	return fmt.Errorf("%s holds model %s (%s); this network is %s (%s)", where, meta["vecgen.model"], layers, d.Name, layersOf(d))
}

// otherModelAt is otherModel for the file at path, whose header it
// reads alone: the file may be too large to load.
func (n *Network) otherModelAt(path string) error {
	head, err := bounded.ReadHead(path, 8+maxHeader)
	if err != nil {
		return nil
	}
	return n.otherModel(path, headerMetadata(head))
}

// headerMetadata returns the __metadata__ of the safetensors header at
// the start of head, or nil when there is none to read: it serves
// messages only, and checks nothing else.
func headerMetadata(head []byte) map[string]string {
	if len(head) < 8 {
		return nil
	}
	size := binary.LittleEndian.Uint64(head)
	if size > maxHeader || size > uint64(len(head)-8) {
		return nil
	}
	var header struct {
		Meta map[string]string `json:"__metadata__"`
	}
	json.Unmarshal(head[8:8+size], &header)
	return header.Meta
}
