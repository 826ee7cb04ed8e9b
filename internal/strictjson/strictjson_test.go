package strictjson

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type inner struct {
	Rate float64 `json:"rate"`
}

type record struct {
	Mean  []float32         `json:"mean"`
	Inner *inner            `json:"inner,omitempty"`
	List  []inner           `json:"list"`
	Meta  map[string]string `json:"meta"`
	Any   any               `json:"any"`
	Plain int
	skip  int
}

func TestUnmarshal(t *testing.T) {
	var r record
	require.NoError(t, Unmarshal([]byte(`{"mean":[1,2],"inner":{"rate":0.5},"list":[{"rate":1}],"meta":{"a":"b"},"any":[{"x":{"y":1}},2],"Plain":3}`), &r))
	assert.Equal(t, record{Mean: []float32{1, 2}, Inner: &inner{0.5}, List: []inner{{1}}, Meta: map[string]string{"a": "b"},
		Any: []any{map[string]any{"x": map[string]any{"y": 1.0}}, 2.0}, Plain: 3}, r)
	require.NoError(t, Unmarshal([]byte(`{"inner":null,"list":null,"meta":null}`), &r))
	for in, msg := range map[string]string{
		`{"mean":[0],"MEAN":[100]}`:         `unknown key "MEAN"; the keys are "mean", "inner", "list", "meta", "any", "Plain"`,
		`{"Mean":[0]}`:                      `unknown key "Mean"`,
		`{"plain":1}`:                       `unknown key "plain"`,
		`{"skip":1}`:                        `unknown key "skip"`,
		`{"mean":[0],"mean":[1]}`:           `"mean" appears twice`,
		`{"inner":{"rate":1,"Rate":2}}`:     `unknown key "inner.Rate"`,
		`{"list":[{},{"rate":1,"rate":2}]}`: `"list[1].rate" appears twice`,
		`{"meta":{"a":"1","a":"2"}}`:        `"meta.a" appears twice`,
		`{"any":{"k":{"a":1,"a":2}}}`:       `"any.k.a" appears twice`,
		`{"mean":"x"}`:                      "cannot unmarshal string",
		`{"mean":[1]} {}`:                   "invalid character",
	} {
		assert.ErrorContains(t, Unmarshal([]byte(in), &record{}), msg, in)
	}
	var m map[string]string
	assert.EqualError(t, Unmarshal([]byte(`{"k":"v","k":"w"}`), &m), `"k" appears twice`)
}
