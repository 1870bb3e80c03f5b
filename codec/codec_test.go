package codec_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/codec"
)

func TestDecodeBSONMalformed(t *testing.T) {
	good, err := codec.EncodeBSON(map[string]any{"s": "abc", "b": true, "n": json.Number("5")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := codec.DecodeBSON(good); err != nil {
		t.Fatalf("well-formed document refused: %v", err)
	}
	tests := []struct {
		name string
		doc  []byte
	}{
		{"empty", nil},
		{"short", []byte{5, 0, 0}},
		{"trailing bytes", append(append([]byte{}, good...), 0)},
		{"length prefix too small", append([]byte{byte(len(good) - 1), 0, 0, 0}, good[4:]...)},
		{"no final NUL", []byte{5, 0, 0, 0, 1}},
		{"string without NUL", []byte{0x10, 0, 0, 0, 0x02, 's', 0, 2, 0, 0, 0, 'a', 'b', 0}},
		{"string not UTF-8", []byte{0x0f, 0, 0, 0, 0x02, 'k', 0, 3, 0, 0, 0, 0xff, 'b', 0, 0}},
		{"key not UTF-8", []byte{0x0d, 0, 0, 0, 0x0a, 0xff, 0, 0x0a, 'k', 0, 0, 0, 0}[:0x0d]},
		{"boolean 2", []byte{0x0c, 0, 0, 0, 0x08, 'f', 'l', 'a', 'g', 0, 2, 0}},
		{"unknown type", []byte{0x0c, 0, 0, 0, 0x99, 'x', 0, 1, 0, 0, 0, 0}},
		{"negative length", []byte{0xff, 0xff, 0xff, 0xff, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if doc, err := codec.DecodeBSON(tt.doc); !errors.Is(err, codec.ErrMalformed) {
				t.Fatalf("got %v, %v; want ErrMalformed", doc, err)
			}
		})
	}
}

func TestDecodeBSONDepth(t *testing.T) {
	// {"a": {"a": ... {}}} nested past MaxDepth: each level is a length,
	// an element header (type, "a", NUL), the inner document and a NUL.
	levels := codec.MaxDepth + 1
	var inner []byte
	for i := range levels {
		n := 5 + (levels-i)*8
		inner = append(inner, byte(n), byte(n>>8), byte(n>>16), byte(n>>24), 0x03, 'a', 0)
	}
	inner = append(inner, 5, 0, 0, 0, 0)
	inner = append(inner, make([]byte, levels)...)
	if _, err := codec.DecodeBSON(inner); !errors.Is(err, codec.ErrMalformed) || !strings.Contains(err.Error(), "nesting") {
		t.Fatalf("got %v; want a nesting error", err)
	}
}

func TestBSONRoundTrip(t *testing.T) {
	ts := time.Date(2020, 5, 4, 15, 53, 27, 823_000_000, time.UTC)
	in := map[string]any{
		"int":    json.Number("42"),
		"big":    json.Number("9007199254740993"),
		"float":  json.Number("2.01"),
		"str":    "héllo",
		"null":   nil,
		"bool":   false,
		"when":   ts,
		"bytes":  []byte{0, 1, 2},
		"list":   []any{json.Number("1"), "two", map[string]any{"x": true}},
		"nested": map[string]any{"a": map[string]any{}},
	}
	raw, err := codec.EncodeBSON(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := codec.DecodeBSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(in)
	b, _ := json.Marshal(out)
	if string(a) != string(b) {
		t.Errorf("round trip changed the document:\n in %s\nout %s", a, b)
	}
	if _, err := codec.EncodeBSON(map[string]any{"n": json.Number("99999999999999999999")}); err == nil {
		t.Error("an integer beyond int64 was encoded")
	}
	if _, err := codec.EncodeBSON(map[string]any{"a\x00b": 1}); err == nil {
		t.Error("a key with a NUL byte was encoded")
	}
}

func TestDecodeJSON(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{`{"a": 1}`, true},
		{" \r\n\t[1, 2] \n", true},
		{`{"a": 1} x`, false},
		{`{"a": 1}{}`, false},
		{"\"\xff\"", false},
		{strings.Repeat("[", codec.MaxDepth+1) + strings.Repeat("]", codec.MaxDepth+1), false},
	}
	for _, tt := range tests {
		_, err := codec.DecodeJSON([]byte(tt.in))
		if (err == nil) != tt.ok {
			t.Errorf("DecodeJSON(%.40q) error %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
	v, _ := codec.DecodeJSON([]byte(`{"n": 1.50}`))
	if v.(map[string]any)["n"] != json.Number("1.50") {
		t.Errorf("number text not kept: %#v", v)
	}
}

func TestDocKeepsOrder(t *testing.T) {
	d := codec.Doc{{Key: "z", Value: 1}, {Key: "a", Value: "<&>"}}
	b, err := codec.EncodeJSON(d)
	if err != nil || string(b) != `{"z":1,"a":"<&>"}` {
		t.Errorf("got %s, %v", b, err)
	}
}
