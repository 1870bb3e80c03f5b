package match

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// vector is one conformance vector of testdata/conformance/{match,event}.json.
type vector struct {
	ID          string `json:"id"`
	Description string `json:"description"`
	Pattern     any    `json:"pattern"`
	Input       any    `json:"input"`
	Body        string `json:"body"`
	Expected    any    `json:"expected"` // true, false or "invalid"
}

func loadVectors(t testing.TB, name string) []vector {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "conformance", name))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(file.Vectors) == 0 {
		t.Fatalf("%s: no vectors", name)
	}
	return file.Vectors
}

// mustJSON encodes a decoded JSON value back to text; json.Number keeps
// its exact digits.
func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkInvalid(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("pattern accepted; want it rejected as invalid")
	}
	if !errors.Is(err, ErrInvalidPattern) {
		t.Fatalf("error %v does not match ErrInvalidPattern", err)
	}
	var pe *PatternError
	if !errors.As(err, &pe) || pe.Reason == "" {
		t.Fatalf("error %v is not a *PatternError with a reason", err)
	}
}

func TestMatchVectors(t *testing.T) {
	var pass int
	vs := loadVectors(t, "match.json")
	for _, v := range vs {
		t.Run(v.ID, func(t *testing.T) {
			src := mustJSON(t, v.Pattern)
			p, err := Parse(src)
			if v.Expected == "invalid" {
				checkInvalid(t, err)
				pass++
				return
			}
			if err != nil {
				t.Fatalf("Parse(%s): %v", src, err)
			}
			m, err := Compile(p)
			if err != nil {
				t.Fatalf("Compile(%s): %v", src, err)
			}
			want := v.Expected.(bool)
			if got := m.Match(v.Input); got != want {
				t.Fatalf("%s\npattern %s\ninput   %s\ngot %v, want %v", v.Description, src, mustJSON(t, v.Input), got, want)
			}
			if _, ok := v.Input.(map[string]any); ok {
				// A document input is a data payload: the Dispatcher decides
				// on its JSON body alike.
				checkDispatchVector(t, &Dispatcher{Data: setOf(m)}, string(mustJSON(t, v.Input)), protocol.KindData, want)
			}
			// The JSON form round-trips to a pattern with the same result
			// and the same JSON form.
			js, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := Parse(js)
			if err != nil {
				t.Fatalf("Parse(marshalled %s): %v", js, err)
			}
			m2, err := Compile(p2)
			if err != nil {
				t.Fatal(err)
			}
			if got := m2.Match(v.Input); got != want {
				t.Fatalf("after round trip through %s: got %v, want %v", js, got, want)
			}
			if m2.String() != string(js) {
				t.Fatalf("JSON form not stable: %s then %s", js, m2)
			}
			pass++
		})
	}
	t.Logf("match.json: %d of %d vectors pass", pass, len(vs))
}

func TestEventVectors(t *testing.T) {
	var pass int
	vs := loadVectors(t, "event.json")
	for _, v := range vs {
		t.Run(v.ID, func(t *testing.T) {
			src := mustJSON(t, v.Pattern)
			e, err := ParseEvent(src)
			if v.Expected == "invalid" {
				checkInvalid(t, err)
				pass++
				return
			}
			if err != nil {
				t.Fatalf("ParseEvent(%s): %v", src, err)
			}
			m, err := Compile(e)
			if err != nil {
				t.Fatal(err)
			}
			doc := normalizeEventBody(t, v.Body)
			want := v.Expected.(bool)
			if got := m.Match(doc); got != want {
				t.Fatalf("%s\npattern %s\nbody    %s\ngot %v, want %v", v.Description, src, v.Body, got, want)
			}
			checkDispatchVector(t, &Dispatcher{Events: setOf(m)}, v.Body, protocol.KindMega, want)
			js, _ := json.Marshal(m)
			e2, err := ParseEvent(js)
			if err != nil {
				t.Fatalf("ParseEvent(marshalled %s): %v", js, err)
			}
			if got := MustCompile(e2).Match(doc); got != want {
				t.Fatalf("after round trip through %s: got %v, want %v", js, got, want)
			}
			pass++
		})
	}
	t.Logf("event.json: %d of %d vectors pass", pass, len(vs))
}

func setOf(m *Matcher) *Set {
	var s Set
	s.Add(7, m)
	return &s
}

// checkDispatchVector checks that the Dispatcher decides on body as the
// vector says, when the body decodes to kind.
func checkDispatchVector(t *testing.T, d *Dispatcher, body string, kind protocol.Kind, want bool) {
	t.Helper()
	if m, _ := protocol.Decode(body); m.Kind != kind {
		return // a document that carries the MEGA header, say
	}
	var b protocol.Body
	k, ids := d.Dispatch(body, &b, nil)
	if k != kind || (len(ids) == 1) != want {
		t.Fatalf("Dispatch(%s) = %s %v; want %s and a match %v", body, k, ids, kind, want)
	}
}

// normalizeEventBody builds the normalized document of a MEGA event from
// its JSON body, applying the defaults of SPEC.md §1, as the protocol
// package does: event.version 1 (numeric strings become numbers; null and
// 0 mean 1), attributes {} with unknown event keys folded in (attributes
// win), timestamp as a time.Time, object.version 1, extra {}; null fields
// are absent.
func normalizeEventBody(t testing.TB, body string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		t.Fatalf("body: %v", err)
	}
	doc, err := normalizeEventDoc(raw)
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return doc
}

var knownEventKeys = map[string]bool{
	"name": true, "timestamp": true, "version": true, "domain": true,
	"subject": true, "publisher": true, "attributes": true,
}

func normalizeEventDoc(raw map[string]any) (map[string]any, error) {
	ev, ok := raw["event"].(map[string]any)
	if !ok {
		return nil, errors.New("no event object")
	}
	name, _ := ev["name"].(string)
	ts, ok := ev["timestamp"].(string)
	if !ok {
		return nil, errors.New("no timestamp")
	}
	when, err := parseTestTimestamp(ts)
	if err != nil {
		return nil, err
	}
	attrs := map[string]any{}
	for k, v := range ev {
		if !knownEventKeys[k] {
			attrs[k] = v
		}
	}
	if a, ok := ev["attributes"].(map[string]any); ok {
		for k, v := range a {
			attrs[k] = v
		}
	}
	event := map[string]any{
		"name":       name,
		"timestamp":  when,
		"version":    defaultVersion(ev["version"]),
		"attributes": attrs,
	}
	for _, k := range []string{"domain", "subject", "publisher"} {
		if s, ok := ev[k].(string); ok {
			event[k] = s
		}
	}
	doc := map[string]any{
		"protocol": "mega",
		"version":  json.Number("1"),
		"event":    event,
		"extra":    map[string]any{},
	}
	if x, ok := raw["extra"].(map[string]any); ok {
		doc["extra"] = x
	}
	if o, ok := raw["object"].(map[string]any); ok {
		obj := map[string]any{"version": defaultVersion(o["version"])}
		for _, k := range []string{"type", "id"} {
			if s, ok := o[k].(string); ok {
				obj[k] = s
			}
		}
		for _, k := range []string{"current", "previous"} {
			if m, ok := o[k].(map[string]any); ok {
				obj[k] = m
			}
		}
		doc["object"] = obj
	}
	return doc, nil
}

func defaultVersion(v any) json.Number {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = x
	}
	if d, ok := parseNumberText(s); !ok || d.isZero() {
		return json.Number("1")
	}
	return json.Number(s)
}

func parseTestTimestamp(s string) (time.Time, error) {
	layouts := []string{
		"2006-01-02T15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
	}
	var err error
	for _, l := range layouts {
		var t time.Time
		if t, err = time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}
