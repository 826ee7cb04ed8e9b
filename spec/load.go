package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Load reads and validates the model file at path. Errors are *Error,
// except when the file cannot be read at all.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Read one byte past the limit so an oversized file is recognized
	// without reading all of it.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes and validates a model from the bytes of a spec file; file
// names it in errors.
func Parse(file string, data []byte) (*Model, error) {
	d := decoder{file: file}
	if len(data) > MaxFileSize {
		return nil, d.errAt(1, 1, "spec is larger than %d bytes", MaxFileSize)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 || !utf8.Valid(data) {
		line, col := lineCol(data, max(i, firstInvalidUTF8(data)))
		return nil, d.errAt(line, col, "spec is not UTF-8 text")
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, d.yamlError(err)
	}
	docs := f.Docs
	if len(docs) > 1 {
		if st := docs[1].Start; st != nil && st.Position != nil {
			return nil, d.errAt(st.Position.Line, st.Position.Column, "spec has more than one YAML document")
		}
		return nil, d.errNode(docs[1].Body, "spec has more than one YAML document")
	}
	if len(docs) == 0 || docs[0].Body == nil {
		return nil, d.errAt(1, 1, "spec is empty")
	}
	m, err := d.model(docs[0].Body)
	if err != nil {
		return nil, err
	}
	return m, nil
}

type decoder struct{ file string }

func (d *decoder) errAt(line, col int, format string, args ...any) *Error {
	return &Error{File: d.file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) errNode(n ast.Node, format string, args ...any) *Error {
	line, col := 1, 1
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		line, col = tk.Position.Line, tk.Position.Column
	}
	return d.errAt(line, col, format, args...)
}

// yamlError turns a parser error into an *Error at the token it names.
func (d *decoder) yamlError(err error) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return d.errAt(tk.Position.Line, tk.Position.Column, "YAML syntax: %s", ye.GetMessage())
		}
		return d.errAt(1, 1, "YAML syntax: %s", ye.GetMessage())
	}
	return d.errAt(1, 1, "YAML syntax: %v", err)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func lineCol(data []byte, off int) (line, col int) {
	if off < 0 || off > len(data) {
		return 1, 1
	}
	line = 1 + bytes.Count(data[:off], []byte("\n"))
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

func firstInvalidUTF8(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// plain rejects the YAML features a model has no use for: anchors and
// aliases (which can blow up a document exponentially), tags and merge keys.
func (d *decoder) plain(n ast.Node) error {
	switch n.(type) {
	case *ast.AnchorNode, *ast.AliasNode:
		return d.errNode(n, "anchors and aliases are not allowed in a spec")
	case *ast.TagNode:
		return d.errNode(n, "YAML tags are not allowed in a spec")
	case *ast.MergeKeyNode:
		return d.errNode(n, "merge keys are not allowed in a spec")
	}
	return nil
}

// field is one key: value pair of a mapping, checked for shape.
type field struct {
	key   string
	keyN  ast.Node
	value ast.Node
}

// mapping returns the pairs of a mapping node in order, rejecting
// non-string keys, duplicate keys and keys outside known.
func (d *decoder) mapping(n ast.Node, what string, known []string) ([]field, error) {
	if err := d.plain(n); err != nil {
		return nil, err
	}
	var values []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		values = m.Values
	case *ast.MappingValueNode:
		values = []*ast.MappingValueNode{m}
	default:
		return nil, d.errNode(n, "%s must be a mapping, got %s", what, describe(n))
	}
	var fields []field
	seen := map[string]bool{}
	for _, mv := range values {
		if err := d.plain(mv.Key); err != nil {
			return nil, err
		}
		k, ok := mv.Key.(*ast.StringNode)
		if !ok {
			return nil, d.errNode(mv.Key, "%s key must be a name, got %s", what, describe(mv.Key))
		}
		if seen[k.Value] {
			return nil, d.errNode(k, "duplicate key %q in %s", k.Value, what)
		}
		seen[k.Value] = true
		if !slices.Contains(known, k.Value) {
			return nil, d.errNode(k, "unknown key %q in %s (known keys: %s)", k.Value, what, strings.Join(known, ", "))
		}
		if mv.Value == nil {
			return nil, d.errNode(k, "key %q has no value", k.Value)
		}
		if err := d.plain(mv.Value); err != nil {
			return nil, err
		}
		fields = append(fields, field{key: k.Value, keyN: k, value: mv.Value})
	}
	return fields, nil
}

// mappingStart is the node where a block mapping begins: its first key.
func mappingStart(n ast.Node) ast.Node {
	switch m := n.(type) {
	case *ast.MappingNode:
		if !m.IsFlowStyle && len(m.Values) > 0 {
			return m.Values[0].Key
		}
	case *ast.MappingValueNode:
		return m.Key
	}
	return n
}

func describe(n ast.Node) string {
	switch v := n.(type) {
	case *ast.StringNode:
		return fmt.Sprintf("string %q", v.Value)
	case *ast.IntegerNode:
		return fmt.Sprintf("integer %v", v.Value)
	case *ast.FloatNode:
		return fmt.Sprintf("number %v", v.Value)
	case *ast.BoolNode:
		return fmt.Sprintf("boolean %v", v.Value)
	case *ast.NullNode:
		return "null"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.InfinityNode, *ast.NanNode:
		return "number " + n.String()
	}
	return n.Type().String()
}

func (d *decoder) str(n ast.Node, key string) (string, error) {
	s, ok := n.(*ast.StringNode)
	if !ok {
		return "", d.errNode(n, "%s must be a string, got %s", key, describe(n))
	}
	return s.Value, nil
}

// size decodes an integer in [1, limit].
func (d *decoder) size(n ast.Node, key string, limit int) (int, error) {
	tooBig := func() error { return d.errNode(n, "%s must be at most %d, got %s", key, limit, n.GetToken().Value) }
	in, ok := n.(*ast.IntegerNode)
	if !ok {
		if s, isStr := n.(*ast.StringNode); isStr && allDigits(s.Value) {
			return 0, tooBig() // an integer beyond 64 bits
		}
		return 0, d.errNode(n, "%s must be a whole number, got %s", key, describe(n))
	}
	var v int64
	switch x := in.Value.(type) {
	case int64:
		v = x
	case uint64: // positive literals; beyond int64 is beyond every limit
		if x > uint64(limit) {
			return 0, tooBig()
		}
		v = int64(x)
	default:
		return 0, d.errNode(n, "%s must be a whole number, got %s", key, describe(n))
	}
	if v < 1 {
		return 0, d.errNode(n, "%s must be at least 1, got %d", key, v)
	}
	if v > int64(limit) {
		return 0, tooBig()
	}
	return int(v), nil
}

func (d *decoder) model(body ast.Node) (*Model, error) {
	if _, ok := body.(*ast.NullNode); ok {
		return nil, d.errAt(1, 1, "spec is empty")
	}
	fields, err := d.mapping(body, "model", []string{"name", "batch", "input", "layers", "loss"})
	if err != nil {
		return nil, err
	}
	m := &Model{}
	var layersN, lossN ast.Node
	have := map[string]bool{}
	for _, f := range fields {
		have[f.key] = true
		switch f.key {
		case "name":
			if m.Name, err = d.str(f.value, "name"); err != nil {
				return nil, err
			}
			if msg := checkName(m.Name); msg != "" {
				return nil, d.errNode(f.value, "%s", msg)
			}
		case "batch":
			m.Batch, err = d.size(f.value, "batch", MaxBatch)
		case "input":
			m.Input, err = d.size(f.value, "input", MaxWidth)
		case "layers":
			layersN = f.value
		case "loss":
			lossN = f.value
			var s string
			if s, err = d.str(f.value, "loss"); err == nil {
				m.Loss = Loss(s)
				if !isLoss(m.Loss) {
					err = d.errNode(f.value, "unknown loss %q (want one of: %s)", s, quoteAll(Losses))
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	for _, k := range []string{"name", "batch", "input", "layers", "loss"} {
		if !have[k] {
			return nil, d.errNode(mappingStart(body), "model is missing key %q", k)
		}
	}
	if m.Layers, err = d.layers(layersN, m); err != nil {
		return nil, err
	}
	return m, d.checkLoss(m, lossN)
}

func checkName(name string) string {
	bad := fmt.Sprintf("name must be an exported Go identifier (a capital letter, then letters and digits), got %q", name)
	if name == "" || len(name) > MaxName {
		if len(name) > MaxName {
			return fmt.Sprintf("name must be at most %d characters", MaxName)
		}
		return bad
	}
	if name[0] < 'A' || name[0] > 'Z' {
		return bad
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return bad
		}
	}
	return ""
}

func (d *decoder) layers(n ast.Node, m *Model) ([]Layer, error) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return nil, d.errNode(n, "layers must be a list, got %s", describe(n))
	}
	if len(seq.Values) == 0 {
		return nil, d.errNode(n, "layers must list at least one layer")
	}
	if len(seq.Values) > MaxLayers {
		return nil, d.errNode(seq.Values[MaxLayers], "a model has at most %d layers", MaxLayers)
	}
	in := m.Input
	if m.Batch*in > MaxElements {
		return nil, d.errAt(1, 1, "input is %d×%d = %d floats per batch; at most %d", m.Batch, in, m.Batch*in, MaxElements)
	}
	layers := make([]Layer, len(seq.Values))
	for i, ln := range seq.Values {
		what := fmt.Sprintf("layer %d", i+1)
		fields, err := d.mapping(ln, what, []string{"dense", "activation"})
		if err != nil {
			return nil, err
		}
		l := Layer{In: in, Activation: Identity}
		var haveDense bool
		for _, f := range fields {
			switch f.key {
			case "dense":
				if l.Out, err = d.size(f.value, "dense", MaxWidth); err != nil {
					return nil, err
				}
				haveDense = true
			case "activation":
				s, err := d.str(f.value, "activation")
				if err != nil {
					return nil, err
				}
				l.Activation = Activation(s)
				if !isActivation(l.Activation) {
					return nil, d.errNode(f.value, "unknown activation %q (want one of: %s)", s, quoteAll(Activations))
				}
				if l.Activation == Softmax && i != len(seq.Values)-1 {
					return nil, d.errNode(f.value, "softmax is allowed on the last layer only")
				}
			}
		}
		if !haveDense {
			return nil, d.errNode(mappingStart(ln), "%s is missing key \"dense\" (its number of outputs)", what)
		}
		if l.In*l.Out > MaxElements {
			return nil, d.errNode(ln, "%s has %d×%d = %d weights; at most %d", what, l.In, l.Out, l.In*l.Out, MaxElements)
		}
		if m.Batch*l.Out > MaxElements {
			return nil, d.errNode(ln, "%s has %d×%d = %d outputs per batch; at most %d", what, m.Batch, l.Out, m.Batch*l.Out, MaxElements)
		}
		layers[i] = l
		in = l.Out
	}
	return layers, nil
}

func (d *decoder) checkLoss(m *Model, lossN ast.Node) error {
	last := m.Layers[len(m.Layers)-1].Activation
	switch {
	case m.Loss == CrossEntropy && last != Softmax:
		return d.errNode(lossN, "cross_entropy needs a softmax last layer, not %s", last)
	case m.Loss == BinaryCrossEntropy && last != Sigmoid:
		return d.errNode(lossN, "binary_cross_entropy needs a sigmoid last layer, not %s", last)
	case m.Loss == MSE && last == Softmax:
		return d.errNode(lossN, "a softmax last layer needs the cross_entropy loss, not mse")
	}
	return nil
}
