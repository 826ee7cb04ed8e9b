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

// value is one field's value as the wire holds it.
type value struct {
	wire int
	u    uint64 // a varint's, fixed32's or fixed64's value
	b    []byte // a length-delimited field's bytes, within the input
	at   int    // b's offset in the whole input (in its message, as next returns it)
}

// next reads a field: its number and its value.
func (r *reader) next() (int, value, error) {
	tag, err := r.varint()
	if err != nil {
		return 0, value{}, err
	}
	num, v := tag>>3, value{wire: int(tag & 7)}
	if num == 0 || num > 1<<29-1 {
		return 0, value{}, fmt.Errorf("invalid field number %d", num)
	}
	switch v.wire {
	case wireVarint:
		v.u, err = r.varint()
	case wireFixed64:
		if len(r.b)-r.off < 8 {
			return 0, value{}, errTruncated
		}
		v.u = binary.LittleEndian.Uint64(r.b[r.off:])
		r.off += 8
	case wireFixed32:
		if len(r.b)-r.off < 4 {
			return 0, value{}, errTruncated
		}
		v.u = uint64(binary.LittleEndian.Uint32(r.b[r.off:]))
		r.off += 4
	case wireBytes:
		var n uint64
		if n, err = r.varint(); err == nil && n > uint64(len(r.b)-r.off) {
			err = fmt.Errorf("length %d runs past the %d bytes left: %w", n, len(r.b)-r.off, errTruncated)
		}
		if err == nil {
			v.b, v.at = r.b[r.off:r.off+int(n):r.off+int(n)], r.off
			r.off += int(n)
		}
	default:
		err = fmt.Errorf("unsupported wire type %d", v.wire)
	}
	return int(num), v, err
}

// decodeMessage reads the fields of a message, whose bytes b begin at
// offset base of the whole input, and hands each to field. An error
// names the message (w) and the offset of the field it is about; an
// error from a message nested in it is returned as it is.
func decodeMessage(b []byte, base int, w where, field func(num int, v value) error) error {
	r := reader{b: b}
	for !r.done() {
		start := r.off
		num, v, err := r.next()
		if err == nil {
			v.at += base
			err = field(num, v)
		}
		if err != nil {
			var fe *fieldError
			if errors.As(err, &fe) {
				return err
			}
			return &fieldError{w, base + start, err}
		}
	}
	return nil
}

// tally counts the elements of a message's repeated fields, by field
// number, before the message is decoded, so that each slice is allocated
// once at its final size: growing one by append allocates up to five
// times that along the way. packed, when not nil, counts the elements a
// length-delimited field holds (a packed repeated number); otherwise each
// field counts one. A malformed message is counted as far as it can be
// read: decoding stops at the same byte with an error.
func tally(b []byte, packed func(num int, data []byte) int) (counts [16]int) {
	r := reader{b: b}
	for !r.done() {
		num, v, err := r.next()
		if err != nil {
			return counts
		}
		if num >= len(counts) {
			continue
		}
		if v.wire == wireBytes && packed != nil {
			counts[num] += packed(num, v.b)
		} else {
			counts[num]++
		}
	}
	return counts
}

// sized is an empty slice with room for n elements, or nil for none.
func sized[T any](n int) []T {
	if n == 0 {
		return nil
	}
	return make([]T, 0, n)
}

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
func QuoteName(s string) string { return strconv.Quote(CutName(s)) }

// CutName cuts a name read from a file (a node's, an operator's) to 64
// bytes for a message, marking the cut with "...": a message's size
// stays bounded whatever the file holds.
func CutName(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
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
