package codec

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"
)

// refDoc is Doc as it was written before AppendJSON: every key and value
// through its own encoding/json Encoder.
type refDoc []Field

func (d refDoc) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range d {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := refEncode(f.Key)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		v, err := refEncode(f.Value)
		if err != nil {
			return nil, err
		}
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// asRef replaces every Doc in v by a refDoc.
func asRef(v any) any {
	switch x := v.(type) {
	case Doc:
		r := make(refDoc, len(x))
		for i, f := range x {
			r[i] = Field{f.Key, asRef(f.Value)}
		}
		return r
	case []any:
		if x == nil {
			return x
		}
		r := make([]any, len(x))
		for i, e := range x {
			r[i] = asRef(e)
		}
		return r
	case map[string]any:
		if x == nil {
			return x
		}
		r := make(map[string]any, len(x))
		for k, e := range x {
			r[k] = asRef(e)
		}
		return r
	}
	return v
}

// refEncode is EncodeJSON as encoding/json writes it.
func refEncode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(asRef(v)); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return b[:len(b)-1], nil
}

func checkEncode(t *testing.T, v any) {
	t.Helper()
	want, werr := refEncode(v)
	got, err := EncodeJSON(v)
	if (err != nil) != (werr != nil) || err == nil && !bytes.Equal(got, want) {
		t.Fatalf("EncodeJSON(%#v) = %s, %v; encoding/json writes %s, %v", v, got, err, want, werr)
	}
}

var encodeSeeds = []any{
	nil, true, false, "", "a\"b\\c\x00\x1f\b\f\n\r\t<>&\u2028\u2029\x7f", "\xff\xfe ok \xe2\x82", "é€😀",
	json.Number("1.50"), json.Number(""), json.Number("1e400"), json.Number("01"), json.Number("x"),
	0, -1, int8(-8), int16(16), int32(-32), int64(math.MinInt64), uint(7), uint8(8), uint16(16), uint32(32), uint64(math.MaxUint64),
	0.0, math.Copysign(0, -1), 1.5, 1e20, 1e21, 1e-6, 1e-7, 123456789e-30, math.MaxFloat64, math.SmallestNonzeroFloat64, math.NaN(), math.Inf(-1),
	float32(1e-7), float32(3.4e38), float32(0.1),
	[]any(nil), []any{}, map[string]any(nil), map[string]any{}, Doc(nil), Doc{}, []byte(nil), []byte{}, []byte("hi\x00"),
	map[string]string{"b": "1", "a": "<2>"}, time.Date(2021, 1, 2, 3, 4, 5, 6, time.FixedZone("", 3600)), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	map[string]any{"z": 1, "a": []any{Doc{{"k", "v"}, {"a", map[string]any{"x": nil}}}, json.Number("2")}, "é": "<&>"},
	Doc{{"b", 1}, {"a", Doc{{"c", []any{1.5, "x", nil, true}}}}, {"b", 2}},
	[]Doc{{{"x", 1}}}, struct{ A int }{1}, &struct{ B string }{"<b>"}, map[string]Doc{"a": {{"k", 1}}},
	Doc{{"bad", math.NaN()}},
}

func TestAppendJSONAgreesWithEncodingJSON(t *testing.T) {
	for _, v := range encodeSeeds {
		checkEncode(t, v)
	}
}

// FuzzAppendJSON checks AppendJSON against encoding/json on any JSON
// document in the value model, on any string and on any float.
func FuzzAppendJSON(f *testing.F) {
	f.Add(`{"a":[1,"x",{"b":null}],"c":1.5e3}`, "s\u2028", 1.5)
	f.Add(`[]`, "\xff", math.Inf(1))
	f.Fuzz(func(t *testing.T, doc, s string, x float64) {
		if v, err := DecodeJSON([]byte(doc)); err == nil {
			checkEncode(t, v)
			if m, ok := v.(map[string]any); ok {
				d := Doc{{s, m}, {"s", s}}
				for k, e := range m {
					d = append(d, Field{k, e})
				}
				checkEncode(t, d)
			}
		}
		checkEncode(t, s)
		checkEncode(t, x)
		checkEncode(t, float32(x))
		checkEncode(t, map[string]any{s: []any{s, x}})
	})
}

func BenchmarkEncodeJSON(b *testing.B) {
	v, err := DecodeJSON([]byte(`{"protocol":"mega","version":1,"event":{"name":"shopping_cart.item.added","timestamp":"2021-03-04T05:06:07.123456+00:00","version":1,"domain":"shopping_cart","attributes":{"item_id":"61fcc874-624e-40f8-8fd7-0e663c7837e8","quantity":5,"price":19.99}},"extra":{"channel":"web/desktop","note":"a \"quoted\" note"}}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeJSON(v); err != nil {
			b.Fatal(err)
		}
	}
}
