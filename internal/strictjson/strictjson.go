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
	"slices"
	"strings"
)

// Unmarshal decodes data into v as json.Unmarshal does, and refuses an
// object that gives a key twice, and a key of an object decoded into a
// struct that is not one of its fields' names exactly as their json tags
// spell them.
func Unmarshal(data []byte, v any) error {
	if err := json.Unmarshal(data, v); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	return check(dec, reflect.TypeOf(v), "")
}

// check reads the next value from dec, which json.Unmarshal has already
// decoded into a value of type t (so every object and array is where t
// has one), and checks its objects' keys; path names the value in errors.
func check(dec *json.Decoder, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if !hasObjects(t) {
		var skip json.RawMessage
		return dec.Decode(&skip)
	}
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := check(dec, elem(t), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case json.Delim('{'):
		if err := checkObject(dec, t, path); err != nil {
			return err
		}
	default:
		return nil // null, or a scalar in an interface
	}
	_, err = dec.Token() // the closing delimiter
	return err
}

// checkObject reads an object's members up to its closing brace.
func checkObject(dec *json.Decoder, t reflect.Type, path string) error {
	fields := fieldNames(t)
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key := tok.(string) // object keys are strings
		where := strings.TrimPrefix(path+"."+key, ".")
		if seen[key] {
			return fmt.Errorf("%q appears twice", where)
		}
		seen[key] = true
		var value reflect.Type
		if t.Kind() == reflect.Struct {
			i := slices.IndexFunc(fields, func(f field) bool { return f.name == key })
			if i < 0 {
				return fmt.Errorf("unknown key %q; the keys are %s", where, list(fields))
			}
			value = t.Field(fields[i].index).Type
		} else {
			value = elem(t)
		}
		if err := check(dec, value, where); err != nil {
			return err
		}
	}
	return nil
}

// elem is the type of t's elements: a slice's, an array's or a map's, or
// any for an interface.
func elem(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Interface {
		return t
	}
	return t.Elem()
}

// hasObjects reports whether a JSON value decoded into t can hold an
// object.
func hasObjects(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Struct, reflect.Map, reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return hasObjects(t.Elem())
	}
	return false
}

// field is a struct field's JSON name and its index.
type field struct {
	name  string
	index int
}

// fieldNames returns the JSON names of struct t's exported fields.
func fieldNames(t reflect.Type) []field {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []field
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
	return out
}

func list(fields []field) string {
	var names []string
	for _, f := range fields {
		names = append(names, fmt.Sprintf("%q", f.name))
	}
	return strings.Join(names, ", ")
}
