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
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
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
	// A byte-order mark is not part of the text; YAML's line breaks are
	// LF, CRLF and CR, which the lexer counts as LF only.
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	if bytes.IndexByte(data, '\r') >= 0 {
		data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
	}
	data, err := d.directives(data)
	if err != nil {
		return nil, err
	}
	// The lexer takes time and memory linear in the input; the parser does
	// not (deep nesting and long mappings cost quadratic time and memory),
	// so the tokens are bounded before it runs.
	tokens := lexer.Tokenize(string(data))
	if err := d.scan(tokens); err != nil {
		return nil, err
	}
	f, err := parser.Parse(tokens, 0)
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

// directives checks the directives before the first document (%YAML 1.x,
// %TAG) and blanks them, keeping every line where it was: the parser
// cannot take both kinds together, and a spec has no use for either
// (tags are refused where they are used).
func (d *decoder) directives(data []byte) ([]byte, error) {
	var out []byte
	for off, line := 0, 1; off < len(data); line++ {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data) - off
		}
		text := data[off : off+end]
		switch {
		case bytes.HasPrefix(text, []byte("%")):
			if f := strings.Fields(string(text)); f[0] == "%YAML" && (len(f) < 2 || !strings.HasPrefix(f[1], "1.")) {
				return nil, d.errAt(line, 1, "spec needs YAML 1.x, not %s", strings.Join(f[1:], " "))
			}
			if out == nil {
				out = slices.Clone(data)
			}
			for i := off; i < off+end; i++ {
				out[i] = ' '
			}
		case bytes.HasPrefix(text, []byte("---")):
			if out == nil {
				return data, nil
			}
			return out, nil
		case len(bytes.TrimSpace(text)) > 0 && text[0] != '#':
			if out != nil {
				return nil, d.errAt(line, 1, "YAML directives must be followed by a --- line")
			}
			return data, nil
		}
		off += end + 1
	}
	if out != nil {
		return nil, d.errAt(1, 1, "YAML directives must be followed by a --- line")
	}
	return data, nil
}

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
		var key ast.Node = mv.Key
		if e, ok := key.(*ast.MappingKeyNode); ok && e.Value != nil { // an explicit key, "? name"
			key = e.Value
		}
		if err := d.plain(key); err != nil {
			return nil, err
		}
		k, ok := key.(*ast.StringNode)
		if !ok {
			return nil, d.errNode(key, "%s key must be a name, got %s", what, describe(key))
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
	if l, ok := n.(*ast.LiteralNode); ok && l.Value != nil { // a block scalar, | or >
		return l.Value.Value, nil
	}
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
		if s, isStr := n.(*ast.StringNode); isStr {
			if tk := s.GetToken(); tk != nil && (tk.Type == token.DoubleQuoteType || tk.Type == token.SingleQuoteType) {
				return 0, d.errNode(n, "%s must be a number, not the quoted string %q", key, s.Value)
			}
			if allDigits(s.Value) {
				return 0, tooBig() // an integer beyond 64 bits
			}
		}
		return 0, d.errNode(n, "%s must be a whole number, got %s", key, describe(n))
	}
	// YAML 1.1 and 1.2 disagree on 010 (8 or 10), and 0x10, 0o10, 0b10
	// and 1_000 are each only one version's: a size is plain decimal.
	if lit := strings.TrimPrefix(in.GetToken().Value, "-"); !allDigits(lit) || len(lit) > 1 && lit[0] == '0' {
		return 0, d.errNode(n, "%s must be written in decimal digits without a leading zero, got %s", key, in.GetToken().Value)
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
	fields, err := d.mapping(body, "model", modelKeys)
	if err != nil {
		return nil, err
	}
	// A wrong value does not stop the decoding: every one is reported, in
	// file order.
	var errs []*Error
	note := func(err error) {
		if se, ok := err.(*Error); ok {
			errs = append(errs, se)
		}
	}
	m := &Model{Subnormals: Keep}
	var inputN, layersN, lossN, serveN ast.Node
	have := map[string]bool{}
	for _, f := range fields {
		have[f.key] = true
		err = nil
		switch f.key {
		case "name":
			if m.Name, err = d.str(f.value, "name"); err == nil {
				if msg := checkName(m.Name); msg != "" {
					err = d.errNode(f.value, "%s", msg)
				}
			}
		case "batch":
			m.Batch, err = d.size(f.value, "batch", MaxBatch)
		case "input":
			inputN = f.value
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
			if err != nil {
				lossN = nil
			}
		case "serve":
			serveN = f.value
		case "subnormals":
			var s string
			if s, err = d.str(f.value, "subnormals"); err == nil {
				m.Subnormals = Subnormals(s)
				if !isSubnormals(m.Subnormals) {
					err = d.errNode(f.value, "unknown subnormals %q (want one of: %s)", s, quoteAll(SubnormalModes))
				}
			}
		}
		if err != nil {
			if _, ok := err.(*Error); !ok {
				return nil, err
			}
			note(err)
		}
	}
	if len(errs) == 0 {
		for _, k := range requiredKeys {
			if !have[k] {
				return nil, d.errNode(mappingStart(body), "model is missing key %q", k)
			}
		}
		if m.Batch*m.Input > MaxElements {
			return nil, d.errNode(inputN, "input is %d×%d = %d floats per batch; at most %d", m.Batch, m.Input, m.Batch*m.Input, MaxElements)
		}
		if serveN != nil {
			if m.Serve, err = d.serve(serveN, m.Batch); err != nil {
				note(err)
			}
		}
	}
	if layersN != nil {
		layers, layerErrs, err := d.layers(layersN, m)
		if err != nil {
			return nil, err
		}
		m.Layers = layers
		errs = append(errs, layerErrs...)
		if len(errs) == 0 && lossN != nil {
			note(d.checkLoss(m, lossN))
		}
	}
	switch len(errs) {
	case 0:
		return m, nil
	case 1:
		return nil, errs[0]
	}
	slices.SortStableFunc(errs, func(a, b *Error) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Col - b.Col
	})
	return nil, Errors(errs)
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

// layers decodes the layer list. Wrong values are returned in errs and
// do not stop the decoding; a list or layer of the wrong shape is err.
func (d *decoder) layers(n ast.Node, m *Model) (layers []Layer, errs []*Error, err error) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return nil, nil, d.errNode(n, "layers must be a list, got %s", describe(n))
	}
	if len(seq.Values) == 0 {
		return nil, nil, d.errNode(n, "layers must list at least one layer")
	}
	if len(seq.Values) > MaxLayers {
		return nil, nil, d.errNode(seq.Values[MaxLayers], "a model has at most %d layers", MaxLayers)
	}
	note := func(err error) bool {
		if se, ok := err.(*Error); ok {
			errs = append(errs, se)
			return true
		}
		return false
	}
	in := m.Input
	layers = make([]Layer, len(seq.Values))
	for i, ln := range seq.Values {
		what := fmt.Sprintf("layer %d", i+1)
		fields, err := d.mapping(ln, what, layerKeys)
		if err != nil {
			return nil, nil, err
		}
		l := Layer{In: in, Activation: Identity}
		var haveDense, badDense bool
		for _, f := range fields {
			switch f.key {
			case "dense":
				var err error
				if l.Out, err = d.size(f.value, "dense", MaxWidth); err != nil {
					if !note(err) {
						return nil, nil, err
					}
					badDense = true
				}
				haveDense = true
			case "activation":
				s, err := d.str(f.value, "activation")
				if err != nil {
					if !note(err) {
						return nil, nil, err
					}
					continue
				}
				l.Activation = Activation(s)
				if !isActivation(l.Activation) {
					note(d.errNode(f.value, "unknown activation %q (want one of: %s)", s, quoteAll(Activations)))
				} else if l.Activation == Softmax && i != len(seq.Values)-1 {
					note(d.errNode(f.value, "softmax is allowed on the last layer only"))
				}
			}
		}
		if !haveDense {
			note(d.errNode(mappingStart(ln), "%s is missing key \"dense\" (its number of outputs)", what))
			badDense = true
		}
		if !badDense {
			if l.In*l.Out > MaxElements {
				note(d.errNode(ln, "%s has %d×%d = %d weights; at most %d", what, l.In, l.Out, l.In*l.Out, MaxElements))
			}
			if m.Batch*l.Out > MaxElements {
				note(d.errNode(ln, "%s has %d×%d = %d outputs per batch; at most %d", what, m.Batch, l.Out, m.Batch*l.Out, MaxElements))
			}
		}
		layers[i] = l
		if !badDense {
			in = l.Out
		}
	}
	return layers, errs, nil
}

// serve decodes the serve list: distinct row counts from 1 to batch−1,
// at most MaxServe of them.
func (d *decoder) serve(n ast.Node, batch int) ([]int, error) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		return nil, d.errNode(n, "serve must be a list of row counts, got %s", describe(n))
	}
	if len(seq.Values) > MaxServe {
		return nil, d.errNode(seq.Values[MaxServe], "serve lists at most %d row counts", MaxServe)
	}
	rows := []int{}
	for _, v := range seq.Values {
		r, err := d.size(v, "a serve row count", MaxBatch)
		if err != nil {
			return nil, err
		}
		if r >= batch {
			return nil, d.errNode(v, "a serve row count must be below batch (%d), got %d: a batch is served by the training kernels", batch, r)
		}
		if slices.Contains(rows, r) {
			return nil, d.errNode(v, "serve lists %d twice", r)
		}
		rows = append(rows, r)
	}
	return rows, nil
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

// modelKeys and layerKeys are the keys a model and a layer may have;
// requiredKeys are the model's keys that have no default.
var (
	requiredKeys = []string{"name", "batch", "input", "layers", "loss"}
	modelKeys    = append(slices.Clip(requiredKeys), "subnormals", "serve")
	layerKeys    = []string{"dense", "activation"}
)

// scan checks the tokens in one linear pass before they are parsed: at most
// MaxTokens of them (comments aside) and collections nested at most
// MaxDepth deep. When there are too many, the error names the first key
// that has no place in a model, if there is one.
func (d *decoder) scan(tokens token.Tokens) error {
	type level struct {
		col int
		seq bool
	}
	var block []level // the open block collections, outermost first
	flow, count := 0, 0
	var unknown *Error
	for i, tk := range tokens {
		if tk.Type == token.CommentType {
			continue
		}
		if count++; count > MaxTokens {
			if unknown != nil {
				return unknown
			}
			return d.errAt(tk.Position.Line, tk.Position.Column, "spec has more than %d YAML tokens (keys, values and punctuation); a model needs far fewer", MaxTokens)
		}
		isKey := i+1 < len(tokens) && tokens[i+1].Type == token.MappingValueType &&
			(i == 0 || tokens[i-1].Type != token.MappingKeyType)
		switch tk.Type {
		case token.DocumentHeaderType, token.DocumentEndType:
			block, flow = block[:0], 0
			continue
		case token.SequenceStartType, token.MappingStartType:
			flow++
			if len(block)+flow > MaxDepth {
				return d.errAt(tk.Position.Line, tk.Position.Column, "spec nests lists and mappings more than %d deep", MaxDepth)
			}
			continue
		case token.SequenceEndType, token.MappingEndType:
			flow = max(flow-1, 0)
			continue
		}
		if flow == 0 && (isKey || tk.Type == token.SequenceEntryType || tk.Type == token.MappingKeyType) {
			// A block entry: it continues the collection open at its
			// column, or opens a new one inside the last.
			col, seq := tk.Position.Column, tk.Type == token.SequenceEntryType
			for len(block) > 0 {
				top := block[len(block)-1]
				if top.col < col || top.col == col && (top.seq == seq || seq) {
					break
				}
				block = block[:len(block)-1]
			}
			if n := len(block); n == 0 || block[n-1].col != col || block[n-1].seq != seq {
				block = append(block, level{col, seq})
				if len(block) > MaxDepth {
					return d.errAt(tk.Position.Line, tk.Position.Column, "spec nests lists and mappings more than %d deep", MaxDepth)
				}
			}
		}
		if isKey && unknown == nil {
			known, what := modelKeys, "model"
			if len(block)+flow == 3 {
				known, what = layerKeys, "a layer"
			}
			if depth := len(block) + flow; (depth == 1 || depth == 3) && !slices.Contains(known, tk.Value) {
				unknown = d.errAt(tk.Position.Line, tk.Position.Column, "unknown key %q in %s (known keys: %s)", tk.Value, what, strings.Join(known, ", "))
			}
		}
	}
	return nil
}
