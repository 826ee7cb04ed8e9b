// Package strictjson decodes JSON that other programs read too, so that
// every reader sees the same values: encoding/json matches an object's keys
// to struct fields case-insensitively, ignores unknown keys and keeps the
// last of a key given twice, where Python's json reads "MEAN" as another
// key than "mean" and Rust's serde refuses what it does not know.
package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// Unmarshal decodes data into v, a pointer, as json.Unmarshal does, and
// refuses an object that gives a key twice, and a key of an object
// decoded into a struct that is not one of its fields' names exactly as
// their json tags spell them (structs with embedded fields, whose keys
// encoding/json flattens, are not supported). On an error *v is
// unchanged. The check allocates next to nothing.
func Unmarshal(data []byte, v any) error {
	ptr := reflect.ValueOf(v)
	if ptr.Kind() != reflect.Pointer || ptr.IsNil() {
		return fmt.Errorf("strictjson: Unmarshal needs a non-nil pointer, not %T", v)
	}
	fresh := reflect.New(ptr.Type().Elem()) // so a map's length counts this data's keys alone
	if err := json.Unmarshal(data, fresh.Interface()); err != nil {
		return err
	}
	s := scanner{data: data}
	if err := s.value(fresh.Elem()); err != nil {
		return err
	}
	ptr.Elem().Set(fresh.Elem())
	return nil
}

// scanner walks JSON that json.Unmarshal has accepted, so it need not
// check the syntax, beside the value json.Unmarshal made of it.
type scanner struct {
	data []byte
	pos  int
	path []segment // of the value at pos, for errors
}

// segment is an object's key as written (quotes included) or an array's
// index.
type segment struct {
	key   []byte
	index int
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) && strings.IndexByte(" \t\r\n", s.data[s.pos]) >= 0 {
		s.pos++
	}
}

// value checks the JSON value at pos, which json.Unmarshal decoded into v
// (invalid when it has none, as a key it ignored), and moves past it.
func (s *scanner) value(v reflect.Value) error {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		v = v.Elem()
	}
	s.skipSpace()
	switch s.data[s.pos] {
	case '{':
		return s.object(v)
	case '[':
		s.pos++
		for i := 0; ; i++ {
			s.skipSpace()
			if s.data[s.pos] == ']' {
				s.pos++
				return nil
			}
			var e reflect.Value
			if v.IsValid() && (v.Kind() == reflect.Slice || v.Kind() == reflect.Array) && i < v.Len() {
				e = v.Index(i)
			}
			s.path = append(s.path, segment{index: i})
			if err := s.value(e); err != nil {
				return err
			}
			s.path = s.path[:len(s.path)-1]
			s.next()
		}
	case '"':
		s.str()
	default: // a number, true, false or null
		for s.pos < len(s.data) && strings.IndexByte(",]} \t\r\n", s.data[s.pos]) < 0 {
			s.pos++
		}
	}
	return nil
}

// object checks the object at pos, decoded into v: a struct's keys must
// be its fields' names, each once; a map must have as many entries as
// the object has keys, or one came twice.
func (s *scanner) object(v reflect.Value) error {
	var fields []field
	var seen uint64 // of fields, by index: no struct here has 64 fields
	isStruct := v.IsValid() && v.Kind() == reflect.Struct
	if isStruct {
		fields = fieldsOf(v.Type())
	}
	start, keys := s.pos, 0
	s.pos++
	for {
		s.skipSpace()
		if s.data[s.pos] == '}' {
			s.pos++
			break
		}
		key := s.str()
		keys++
		s.path = append(s.path, segment{key: key})
		var member reflect.Value
		switch {
		case isStruct:
			i := indexOf(fields, key)
			switch {
			case i < 0:
				return fmt.Errorf("unknown key %s; the keys are %s", s.where(), list(fields))
			case i < 64 && seen&(1<<i) != 0:
				return fmt.Errorf("%s appears twice", s.where())
			}
			seen |= 1 << i
			member = v.Field(fields[i].index)
		case v.IsValid() && v.Kind() == reflect.Map && hasObjects(v.Type().Elem()):
			member = v.MapIndex(reflect.ValueOf(decodeKey(key)).Convert(v.Type().Key()))
		}
		s.skipSpace()
		s.pos++ // the colon
		if err := s.value(member); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		s.next()
	}
	if v.IsValid() && v.Kind() == reflect.Map && v.Len() < keys {
		return s.repeatedKey(start)
	}
	return nil
}

// repeatedKey names the first key the object at start gives twice.
func (s *scanner) repeatedKey(start int) error {
	s.pos = start + 1
	seen := map[string]bool{}
	for {
		s.skipSpace()
		key := s.str()
		if k := decodeKey(key); seen[k] {
			s.path = append(s.path, segment{key: key})
			return fmt.Errorf("%s appears twice", s.where())
		} else {
			seen[k] = true
		}
		s.skipSpace()
		s.pos++
		s.value(reflect.Value{})
		s.next()
	}
}

// hasObjects reports whether a value of type t can hold a JSON object.
func hasObjects(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return hasObjects(t.Elem())
	}
	return false
}

// next moves past the comma after a member or an element, if any.
func (s *scanner) next() {
	s.skipSpace()
	if s.data[s.pos] == ',' {
		s.pos++
	}
}

// str moves past the string at pos and returns it as written, quotes
// included.
func (s *scanner) str() []byte {
	start := s.pos
	for s.pos++; s.data[s.pos] != '"'; s.pos++ {
		if s.data[s.pos] == '\\' {
			s.pos++
		}
	}
	s.pos++
	return s.data[start:s.pos]
}

// where names the value at the path: "a.b[2]", quoted.
func (s *scanner) where() string {
	var b strings.Builder
	for i, seg := range s.path {
		if seg.key == nil {
			fmt.Fprintf(&b, "[%d]", seg.index)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(decodeKey(seg.key))
	}
	return strconv.Quote(b.String())
}

// decodeKey returns a string as written in JSON decoded.
func decodeKey(raw []byte) string {
	var k string
	json.Unmarshal(raw, &k) // valid: json.Unmarshal read it before
	return k
}

// field is a struct field's JSON name and its index.
type field struct {
	name  string
	index int
}

var fieldCache sync.Map // reflect.Type → []field

// fieldsOf returns the JSON names of struct t's exported fields.
func fieldsOf(t reflect.Type) []field {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]field)
	}
	out := []field{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, field{name, i})
	}
	fieldCache.Store(t, out)
	return out
}

// indexOf returns the index of the field named by the JSON string raw,
// or -1.
func indexOf(fields []field, raw []byte) int {
	name := raw[1 : len(raw)-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		name = []byte(decodeKey(raw))
	}
	for i, f := range fields {
		if string(name) == f.name {
			return i
		}
	}
	return -1
}

func list(fields []field) string {
	var names []string
	for _, f := range fields {
		names = append(names, strconv.Quote(f.name))
	}
	return strings.Join(names, ", ")
}
