package filterpolicy

import (
	"errors"
	"strings"
	"testing"
)

// attributes is a message's attributes by name: data type and value.
type attributes map[string][2]string

func (a attributes) Attribute(name string) (string, string, bool) {
	v, ok := a[name]
	return v[0], v[1], ok
}

// TestOpenReadings pins the readings the package takes where AWS's
// documentation leaves a case open: each is the one under which SNS
// delivers the least, which the push-down of patterns relies on.
func TestOpenReadings(t *testing.T) {
	for _, tc := range []struct {
		name, policy, body string
		want               bool
	}{
		{"anything-but refuses the empty string", `{"a": [{"anything-but": ["x"]}]}`, `{"a": ""}`, false},
		{"anything-but takes another string", `{"a": [{"anything-but": ["x"]}]}`, `{"a": "y"}`, true},
		{"anything-but of strings refuses numbers", `{"a": [{"anything-but": ["x"]}]}`, `{"a": 5}`, false},
		{"anything-but of numbers takes other numbers", `{"a": [{"anything-but": [5]}]}`, `{"a": 6}`, true},
		{"anything-but of numbers refuses its numbers", `{"a": [{"anything-but": [5]}]}`, `{"a": 5.0}`, false},
		{"anything-but of numbers refuses strings", `{"a": [{"anything-but": [5]}]}`, `{"a": "6"}`, false},
		{"anything-but refuses null", `{"a": [{"anything-but": ["x"]}]}`, `{"a": null}`, false},
		{"anything-but prefix refuses the empty string", `{"a": [{"anything-but": {"prefix": "x"}}]}`, `{"a": ""}`, false},
		{"anything-but suffix", `{"a": [{"anything-but": {"suffix": "x"}}]}`, `{"a": "yx"}`, false},
		{"exists true refuses null", `{"a": [{"exists": true}]}`, `{"a": null}`, false},
		{"exists true refuses the empty string", `{"a": [{"exists": true}]}`, `{"a": ""}`, false},
		{"exists true refuses an object", `{"a": [{"exists": true}]}`, `{"a": {"b": 1}}`, false},
		{"exists true takes an array with a value", `{"a": [{"exists": true}]}`, `{"a": [null, 0]}`, true},
		{"exists false refuses an empty array", `{"a": [{"exists": false}]}`, `{"a": []}`, false},
		{"exists false refuses null", `{"a": [{"exists": false}]}`, `{"a": null}`, false},
		{"exists false under a missing parent", `{"a": {"b": [{"exists": false}]}}`, `{"c": 1}`, true},
		{"numeric within 1e9", `{"a": [{"numeric": [">", 0]}]}`, `{"a": 1e9}`, true},
		{"numeric beyond 1e9", `{"a": [{"numeric": [">", 0]}]}`, `{"a": 1000000000.5}`, false},
		{"numeric holds on the rounded value too", `{"a": [{"numeric": ["<", 1.00001]}]}`, `{"a": 1.000009}`, false},
		{"numeric on a numeric string", `{"a": [{"numeric": ["=", 42]}]}`, `{"a": "42"}`, false},
		{"prefix refuses numbers", `{"a": [{"prefix": "4"}]}`, `{"a": 42}`, false},
		{"an object is not a leaf value", `{"a": ["x"]}`, `{"a": {"b": "x"}}`, false},
		{"nested arrays are flattened", `{"a": ["x"]}`, `{"a": [["y", ["x"]]]}`, true},
		{"a body that is not an object", `{"a": [{"exists": false}]}`, `"a"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse(tc.policy, MessageBody)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Match(tc.body, nil); got != tc.want {
				t.Errorf("policy %s on %s = %v, want %v", tc.policy, tc.body, got, tc.want)
			}
		})
	}
}

func TestAttributes(t *testing.T) {
	attrs := attributes{
		"store": {"String", "example_corp"}, "price": {"Number.usd", "210.75"},
		"tags": {"String.Array", `["a", 1, null]`}, "blob": {"Binary", ""},
	}
	for _, tc := range []struct {
		policy string
		want   bool
	}{
		{`{"store": [{"prefix": "example"}]}`, true},
		{`{"price": [{"numeric": [">=", 210.75]}]}`, true},
		{`{"price": [210.75]}`, true},
		{`{"price": ["210.75"]}`, false},
		{`{"tags": [1]}`, true},
		{`{"tags": [null]}`, true},
		{`{"tags": ["b"]}`, false},
		{`{"blob": [{"exists": true}]}`, false},
		{`{"blob": [{"exists": false}]}`, true}, // Binary attributes are ignored: absent
		{`{"none": [{"exists": false}]}`, true},
	} {
		p, err := Parse(tc.policy, "")
		if err != nil {
			t.Fatal(err)
		}
		if p.Scope() != MessageAttributes {
			t.Fatalf("scope %q", p.Scope())
		}
		if got := p.Match("ignored", attrs); got != tc.want {
			t.Errorf("policy %s = %v, want %v", tc.policy, got, tc.want)
		}
		if p.Match("ignored", nil) && !strings.Contains(tc.policy, `"exists": false`) {
			t.Errorf("policy %s passes a message without attributes", tc.policy)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		policy string
		scope  Scope
		want   error
	}{
		{`{"a": ["b"]}`, "Body", ErrInvalid},
		{`{"a": {"b": ["c"]}}`, MessageAttributes, ErrInvalid},
		{`{"a": [{"numeric": [">", 5, "<", 1]}]}`, MessageBody, ErrInvalid},
		{`{"a": ["` + strings.Repeat("x", MaxSize) + `"]}`, MessageBody, ErrLimit},
	} {
		if _, err := Parse(tc.policy, tc.scope); !errors.Is(err, tc.want) {
			t.Errorf("Parse(%.40s, %q) = %v, want %v", tc.policy, tc.scope, err, tc.want)
		}
	}
}

func TestBuild(t *testing.T) {
	num, err := Numeric(">=", "1", "<=", "10.5")
	if err != nil {
		t.Fatal(err)
	}
	got, err := Build(
		[]Leaf{{Path: []string{"event", "name"}, Conditions: []Condition{String("a<b>"), Prefix("c:")}}},
		[][][]Leaf{{
			{{Path: []string{"event", "attributes", "n"}, Conditions: []Condition{num, Null()}}},
			{{Path: []string{"event", "n"}, Conditions: []Condition{AnythingBut("x", "y"), Exists(false)}}},
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"$or":[{"event":{"attributes":{"n":[{"numeric":[">=",1,"<=",10.5]},null]}}},{"event":{"n":[{"anything-but":["x","y"]},{"exists":false}]}}],"event":{"name":["a<b>",{"prefix":"c:"}]}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	p, err := Parse(string(got), MessageBody)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Match(`{"event": {"name": "c:1", "n": "z"}}`, nil) || p.Match(`{"event": {"name": "c:1", "n": "x"}}`, nil) {
		t.Error("the built policy does not mean what it was built from")
	}

	six := make([]Leaf, 6)
	for i := range six {
		six[i] = Leaf{Path: []string{string(rune('a' + i))}, Conditions: []Condition{String("v")}}
	}
	if _, err := Build(six, nil); !errors.Is(err, ErrLimit) {
		t.Errorf("6 keys: %v, want ErrLimit", err)
	}
	many := make([]Condition, 13)
	for i := range many {
		many[i] = String(string(rune('a' + i)))
	}
	if _, err := Build([]Leaf{{Path: []string{"a"}, Conditions: many}, {Path: []string{"b"}, Conditions: many}}, nil); !errors.Is(err, ErrLimit) {
		t.Errorf("169 combinations: %v, want ErrLimit", err)
	}
	if _, err := Build(nil, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("no leaves: %v, want ErrInvalid", err)
	}
	if _, err := Build([]Leaf{{Path: []string{"a"}, Conditions: many[:1]}, {Path: []string{"a", "b"}, Conditions: many[:1]}}, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("a leaf under another: %v, want ErrInvalid", err)
	}
	if _, err := Numeric("=", "NaN"); !errors.Is(err, ErrInvalid) {
		t.Errorf("Numeric(=, NaN): %v, want ErrInvalid", err)
	}
}
