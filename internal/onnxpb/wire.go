package onnxpb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Protobuf wire types.
const (
	wireVarint  = 0
	wireFixed64 = 1
	wireBytes   = 2
	wireFixed32 = 5
)

var errTruncated = errors.New("truncated")

// reader walks the fields of one message.
type reader struct {
	b   []byte
	off int
	// base is the message's offset in the whole input, for errors.
	base int
}

func (r *reader) done() bool { return r.off >= len(r.b) }

func (r *reader) varint() (uint64, error) {
	var v uint64
	for i := 0; i < 10; i++ {
		if r.off >= len(r.b) {
			return 0, errTruncated
		}
		c := r.b[r.off]
		r.off++
		if i == 9 && c > 1 {
			return 0, errors.New("varint overflows 64 bits")
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, nil
		}
	}
	return 0, errors.New("varint longer than 10 bytes")
}

// field reads a field's tag.
func (r *reader) field() (num int, wire int, err error) {
	tag, err := r.varint()
	if err != nil {
		return 0, 0, err
	}
	num, wire = int(tag>>3), int(tag&7)
	if tag>>3 == 0 || tag>>3 > 1<<29-1 {
		return 0, 0, fmt.Errorf("invalid field number %d", tag>>3)
	}
	return num, wire, nil
}

func (r *reader) bytes() ([]byte, error) {
	n, err := r.varint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(r.b)-r.off) {
		return nil, fmt.Errorf("length %d runs past the %d bytes left: %w", n, len(r.b)-r.off, errTruncated)
	}
	b := r.b[r.off : r.off+int(n) : r.off+int(n)]
	r.off += int(n)
	return b, nil
}

func (r *reader) fixed32() (uint32, error) {
	if len(r.b)-r.off < 4 {
		return 0, errTruncated
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v, nil
}

func (r *reader) skip(wire int) error {
	switch wire {
	case wireVarint:
		_, err := r.varint()
		return err
	case wireFixed64:
		if len(r.b)-r.off < 8 {
			return errTruncated
		}
		r.off += 8
		return nil
	case wireBytes:
		_, err := r.bytes()
		return err
	case wireFixed32:
		_, err := r.fixed32()
		return err
	}
	return fmt.Errorf("unsupported wire type %d", wire)
}

// sub returns a reader for an embedded message's bytes.
func (r *reader) sub(b []byte) *reader { return &reader{b: b, base: r.base + r.off - len(b)} }

// where names a message for errors: a field of the message that holds it,
// with its index when the field repeats, and the name of the node or
// value it belongs to. It is formatted only when an error occurs, so that
// decoding formats no name per element (a 64 KiB node name formatted for
// each of its 20,000 attributes took 23 s and 4.4 GB).
type where struct {
	owner string // "node", "value" or "attribute": what name names; "" for none
	name  string
	field string // e.g. "graph.node" or "attribute"
	index int    // the element's index in a repeated field, or -1
}

func (w where) String() string {
	var b strings.Builder
	if w.owner != "" {
		fmt.Fprintf(&b, "%s %s ", w.owner, QuoteName(w.name))
	}
	b.WriteString(w.field)
	if w.index >= 0 {
		fmt.Fprintf(&b, "[%d]", w.index)
	}
	return b.String()
}

// QuoteName quotes an ONNX name for a message or a comment, cut to 64
// bytes.
func QuoteName(s string) string {
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return strconv.Quote(s)
}

// fieldError is a problem with a field of a message, at a byte offset of
// the whole input.
type fieldError struct {
	in  where
	at  int
	err error
}

func (e *fieldError) Error() string {
	return fmt.Sprintf("onnx: %s: %v (at byte %d)", e.in, e.err, e.at)
}

func (e *fieldError) Unwrap() error { return e.err }

// wrongWire is the error for a known field encoded with the wrong type.
func wrongWire(num, got int, want string) error {
	return fmt.Errorf("field %d has wire type %d, want %s", num, got, want)
}
