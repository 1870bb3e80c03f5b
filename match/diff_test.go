package match

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"regexp"
	"strconv"
	"testing"
)

// checkAgainstReference compares the compiled matcher with the reference
// evaluator on one pattern and one value, both as JSON text.
func checkAgainstReference(t testing.TB, patternJSON, valueJSON []byte) {
	t.Helper()
	if hugeExponent(patternJSON) || hugeExponent(valueJSON) || nesting(patternJSON) > 8 || nesting(valueJSON) > 8 {
		// Beyond what the simple reference handles quickly: its big.Rat
		// arithmetic is slow on huge exponents and its set-like array
		// equality is exponential in nesting depth.
		return
	}
	p, ok := decodeJSON(patternJSON)
	if !ok {
		return
	}
	v, ok := decodeJSON(valueJSON)
	if !ok {
		return
	}
	want, refErr := refMatch(p, v, true)
	parsed, err := Parse(patternJSON)
	if (err != nil) != (refErr != nil) {
		t.Fatalf("pattern %s: Parse error %v, reference error %v", patternJSON, err, refErr)
	}
	if err != nil {
		return
	}
	m, err := Compile(parsed)
	if err != nil {
		t.Fatalf("pattern %s parses but does not compile: %v", patternJSON, err)
	}
	if got := m.Match(v); got != want {
		t.Fatalf("pattern %s\nvalue   %s\nmatcher %v, reference %v", patternJSON, valueJSON, got, want)
	}
	// The canonical JSON form means the same thing.
	m2, err := Compile(mustParse(t, []byte(m.String())))
	if err != nil {
		t.Fatalf("canonical form %s: %v", m, err)
	}
	if got := m2.Match(v); got != want {
		t.Fatalf("canonical form %s of %s: %v, want %v", m, patternJSON, got, want)
	}
}

var exponentRe = regexp.MustCompile(`[eE][+-]?([0-9]+)`)

func hugeExponent(b []byte) bool {
	for _, m := range exponentRe.FindAllSubmatch(b, -1) {
		if len(m[1]) > 3 {
			return true
		}
		if e, _ := strconv.Atoi(string(m[1])); e > 400 {
			return true
		}
	}
	return false
}

// nesting returns the deepest bracket nesting of JSON text (counting
// brackets inside strings too, which only makes it skip more).
func nesting(b []byte) int {
	depth, deepest := 0, 0
	for _, c := range b {
		switch c {
		case '[', '{':
			depth++
			deepest = max(deepest, depth)
		case ']', '}':
			depth--
		}
	}
	return deepest
}

func mustParse(t testing.TB, b []byte) any {
	t.Helper()
	p, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse(%s): %v", b, err)
	}
	return p
}

func decodeJSON(b []byte) (any, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	return v, true
}

func TestMatcherAgreesWithReference(t *testing.T) {
	vs := loadVectors(t, "match.json")
	// Every vector pattern against its own input and a sample of the
	// others' inputs.
	var inputs [][]byte
	for i, v := range vs {
		if i%6 == 0 {
			inputs = append(inputs, mustJSON(t, v.Input))
		}
	}
	for _, v := range vs {
		p := mustJSON(t, v.Pattern)
		checkAgainstReference(t, p, mustJSON(t, v.Input))
		for _, in := range inputs {
			checkAgainstReference(t, p, in)
		}
	}
	// Random patterns on random values.
	r := rand.New(rand.NewPCG(3, 5))
	for range 10000 {
		p := mustJSON(t, canonicalJSON(t, genLeaf(r, 2)))
		checkAgainstReference(t, p, mustJSON(t, genValue(r, 2)))
	}
}

// canonicalJSON turns a Go pattern into decoded JSON.
func canonicalJSON(t testing.TB, p any) any {
	b, err := marshalPattern(p)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := decodeJSON(b)
	return v
}

// FuzzMatcherAgainstReference holds the compiled matcher to the reference
// evaluator on arbitrary patterns and values.
func FuzzMatcherAgainstReference(f *testing.F) {
	for _, v := range loadVectors(f, "match.json") {
		f.Add(mustJSON(f, v.Pattern), mustJSON(f, v.Input))
	}
	f.Fuzz(func(t *testing.T, pattern, value []byte) {
		checkAgainstReference(t, pattern, value)
	})
}

// FuzzParse: the parser never panics, and whatever it accepts compiles and
// has a canonical JSON form that parses back to the same form.
func FuzzParse(f *testing.F) {
	for _, v := range loadVectors(f, "match.json") {
		f.Add(mustJSON(f, v.Pattern))
	}
	for _, v := range loadVectors(f, "event.json") {
		f.Add(mustJSON(f, v.Pattern))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			if !isPatternError(err) {
				t.Fatalf("Parse(%q): error %v is not a *PatternError", data, err)
			}
		} else {
			m, err := Compile(p)
			if err != nil {
				t.Fatalf("Parse(%q) accepted a pattern Compile rejects: %v", data, err)
			}
			again, err := Compile(mustParse(t, []byte(m.String())))
			if err != nil || again.String() != m.String() {
				t.Fatalf("canonical form %s does not round-trip: %v %s", m, err, again)
			}
			_ = m.SNSFilter()
		}
		if e, err := ParseEvent(data); err == nil {
			m := MustCompile(e)
			e2, err := ParseEvent([]byte(m.String()))
			if err != nil || MustCompile(e2).String() != m.String() {
				t.Fatalf("event pattern %s does not round-trip: %v", m, err)
			}
			_ = m.SNSFilter()
		} else if !isPatternError(err) {
			t.Fatalf("ParseEvent(%q): error %v is not a *PatternError", data, err)
		}
	})
}
