package match

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/filterpolicy"
)

func TestSNSFilterExamples(t *testing.T) {
	seed := Event{
		"name":      Regex(`user:(.*)`),
		"version":   OneOf(1, 2, 3),
		"timestamp": Gt(DateTime("2020-01-01")),
		"domain":    "user",
		"subject":   Regex(`\d+`),
		"email":     Not(Empty()),
		"username":  Not(OneOf("synthetic", "test")),
	}
	tests := []struct {
		name    string
		pattern any
		policy  string // "" for no policy
	}{
		{"seed", seed, `{"event":{"domain":["user"],"name":[{"prefix":"user:"}],"subject":[{"prefix":"0"},{"prefix":"1"},{"prefix":"2"},{"prefix":"3"},{"prefix":"4"},{"prefix":"5"},{"prefix":"6"},{"prefix":"7"},{"prefix":"8"},{"prefix":"9"}]}}`},
		{"names", Event{"name": OneOf("a", "b")}, `{"event":{"name":["a","b"]}}`},
		{"anything-but name", Event{"name": Not("a")}, `{"event":{"name":[{"anything-but":["a"]}]}}`},
		{"anything-but optional", Event{"domain": Not(OneOf("a", "b"))},
			`{"event":{"domain":[{"anything-but":["a","b"]},{"exists":false},null,""]}}`},
		{"attribute folded", Event{"channel": "web"},
			`{"$or":[{"event":{"attributes":{"channel":["web"]}}},{"event":{"channel":["web"]}}]}`},
		{"numeric equality", Data{"n": 42},
			`{"n":[{"numeric":["=",42]},{"prefix":"0"},{"prefix":"4"}]}`},
		{"numeric range", Data{"n": And(Gt(1.000001), Lte(10))},
			`{"n":[{"numeric":[">=",1,"<=",10]},{"prefix":"0"},{"prefix":"1"},{"prefix":"2"},{"prefix":"3"},{"prefix":"4"},{"prefix":"5"},{"prefix":"6"},{"prefix":"7"},{"prefix":"8"},{"prefix":"9"}]}`},
		{"open range stays client-side", Data{"n": Gt(5)}, ""},
		{"huge number stays client-side", Data{"n": 2e9}, ""},
		{"anything-but on any value stays client-side", Data{"n": Not("x")}, ""},
		{"exists false", Data{"n": Exists(false)}, `{"n":[{"exists":false}]}`},
		{"exists true on any value stays client-side", Data{"n": Exists(true)}, ""},
		{"nested", Event{"current": Data{"id": "x", "ok": Exists(true)}}, `{"object":{"current":{"id":["x"]}}}`},
		{"timestamp stays client-side", Event{"timestamp": Gt(DateTime("2020-01-01"))}, ""},
		{"regex without literal prefix", Event{"name": Regex(`(?i)user`)}, ""},
		{"attribute named like an event field is not folded", Event{"attributes": Data{"name": "x"}},
			`{"event":{"attributes":{"name":["x"]}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := MustCompile(tt.pattern).SNSFilter()
			if f.Scope != "MessageBody" {
				t.Errorf("scope %q", f.Scope)
			}
			if string(f.Policy) != tt.policy {
				t.Errorf("policy\n got %s\nwant %s\nresidual %v", f.Policy, tt.policy, f.Residual)
			}
			if tt.policy == "" && len(f.Residual) == 0 {
				t.Error("nothing pushed down, yet no residual explains why")
			}
		})
	}
}

func TestSNSFilterLimits(t *testing.T) {
	e := Event{"current": Data{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6"}}
	f := MustCompile(e).SNSFilter()
	if f.Policy != nil {
		t.Fatalf("6 keys pushed: %s", f.Policy)
	}
	e = Event{"name": "x", "domain": OneOf(many("d", 10)...), "subject": OneOf(many("s", 10)...), "publisher": OneOf(many("p", 10)...)}
	f = MustCompile(e).SNSFilter()
	var pol map[string]any
	if err := json.Unmarshal(f.Policy, &pol); err != nil {
		t.Fatal(err)
	}
	combos := 1
	for _, v := range pol["event"].(map[string]any) {
		combos *= len(v.([]any))
	}
	if combos > SNSMaxCombinations {
		t.Fatalf("policy %s has %d combinations", f.Policy, combos)
	}
	if len(f.Residual) == 0 {
		t.Fatalf("policy %s: no key left out", f.Policy)
	}
}

func many(prefix string, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = prefix + string(rune('a'+i))
	}
	return out
}

// TestSNSFilterIsConservative is the property that matters: whenever a
// pattern accepts an event, SNS (as modelled by package filterpolicy, the
// evaluator the memory transport runs) delivers it.
func TestSNSFilterIsConservative(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	var matched, filtered, pushed int
	const patterns, bodies = 1500, 40
	for range patterns {
		p := genEventPattern(r)
		m, err := Compile(p)
		if err != nil {
			t.Fatal(err)
		}
		f := m.SNSFilter()
		if f.Policy == nil {
			continue
		}
		pushed++
		policy, err := filterpolicy.Parse(string(f.Policy), filterpolicy.Scope(f.Scope))
		if err != nil {
			t.Fatalf("the push-down of %s is not a valid policy: %v\n%s", m, err, f.Policy)
		}
		for range bodies {
			body := genBody(r)
			// The body as SNS sees it: JSON text, decoded with exact numbers.
			raw, _ := json.Marshal(body)
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			var wire map[string]any
			if err := dec.Decode(&wire); err != nil {
				t.Fatal(err)
			}
			doc, err := normalizeEventDoc(wire)
			if err != nil {
				t.Fatal(err)
			}
			accepted := policy.Match(string(raw), nil)
			if m.Match(doc) {
				matched++
				if !accepted {
					t.Fatalf("SNS would drop an event the pattern accepts\npattern %s\npolicy  %s\nbody    %s", m, f.Policy, raw)
				}
			} else if !accepted {
				filtered++
			}
		}
	}
	t.Logf("%d of %d patterns pushed down; %d matching events all delivered; %d others filtered by SNS", pushed, patterns, matched, filtered)
	if pushed < patterns/3 || matched < 500 || filtered < 1000 {
		t.Fatalf("the property test exercises too little: %d pushed, %d matched, %d filtered", pushed, matched, filtered)
	}
}
