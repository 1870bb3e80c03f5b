package match

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func BenchmarkSeedMatch(b *testing.B) {
	m := MustCompile(seedEvent)
	doc := normalizeEventBody(b, seedBody)
	if !m.Match(doc) {
		b.Fatal("no match")
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Match(doc)
	}
}

func BenchmarkCompileSeed(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(seedEvent); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValueMatch(b *testing.B) {
	tests := []struct {
		name    string
		pattern any
		value   any
	}{
		{"number/json.Number", Eq(Number("19.99")), json.Number("19.990")},
		{"number/numeric-string", Lte(19.99), "19.99"},
		{"datetime/string", Gt(DateTime("2020-01-01")), "2020-05-04T15:53:27.823+02:00"},
		{"datetime/time.Time", Gt(DateTime("2020-01-01")), time.Date(2020, 5, 4, 15, 53, 27, 0, time.UTC)},
		{"regex", Regex(`\d+-[a-z]+`), "12345-abc"},
		{"regex/literal-prefix", Regex(`user:(.*)`), "user:updated"},
		{"in/strings", OneOf("a", "b", "c", "d", "e"), "e"},
		{"array/set-equality", []any{"a", "b", "c"}, []any{"c", "b", "a", "a"}},
	}
	for _, tt := range tests {
		m := MustCompile(tt.pattern)
		if !m.Match(tt.value) {
			b.Fatalf("%s: no match", tt.name)
		}
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Match(tt.value)
			}
		})
	}
}

var benchVerbs = []string{"created", "updated", "deleted", "archived"}

// benchPattern returns the i-th of a family of realistic subscriber
// patterns: most name their events (exactly, by a list, a prefix or a
// regular expression), some add anything-but and exists tests on
// attributes, and one in ten selects by domain and subject instead.
func benchPattern(i int) Event {
	svc, ent, verb := i%200, (i/200)%50, benchVerbs[i%4]
	name := fmt.Sprintf("svc%d.entity%d.%s", svc, ent, verb)
	switch i % 10 {
	case 0, 1, 2:
		return Event{"name": name}
	case 3:
		return Event{"name": name, "username": Not(OneOf("test", "synthetic"))}
	case 4:
		return Event{"name": name, "email": Exists(true), "version": OneOf(1, 2)}
	case 5, 6:
		other := fmt.Sprintf("svc%d.entity%d.%s", svc, ent, benchVerbs[(i+1)%4])
		return Event{"name": OneOf(name, other), "timestamp": Gt(DateTime("2020-01-01"))}
	case 7:
		return Event{"name": Prefix(fmt.Sprintf("svc%d.entity%d.", svc, ent))}
	case 8:
		return Event{"name": Regex(fmt.Sprintf(`svc%d\.entity%d\.(.*)`, svc, ent)), "email": Not(Empty())}
	}
	return Event{"domain": fmt.Sprintf("svc%d", svc), "subject": Regex(`\d+`), "username": Not("test")}
}

func benchEvents(n int) []map[string]any {
	r := rand.New(rand.NewPCG(1, 1))
	docs := make([]map[string]any, n)
	for i := range docs {
		svc, ent := r.IntN(200), r.IntN(50)
		docs[i] = map[string]any{
			"protocol": "mega",
			"version":  json.Number("1"),
			"event": map[string]any{
				"name":      fmt.Sprintf("svc%d.entity%d.%s", svc, ent, benchVerbs[r.IntN(4)]),
				"timestamp": time.Date(2020, 5, 4, 15, 53, 27, 0, time.UTC),
				"version":   json.Number("1"),
				"domain":    fmt.Sprintf("svc%d", svc),
				"subject":   fmt.Sprint(r.IntN(1000000)),
				"attributes": map[string]any{
					"email":    "john@example.com",
					"username": []string{"john", "test"}[r.IntN(2)],
				},
			},
			"extra": map[string]any{},
		}
	}
	return docs
}

func BenchmarkSet(b *testing.B) {
	docs := benchEvents(1024)
	for _, n := range []int{1, 100, 10_000} {
		var s Set
		for i := range n {
			s.Add(i, MustCompile(benchPattern(i)))
		}
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) {
			var dst []int
			matched := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				dst = s.Matches(docs[i%len(docs)], dst[:0])
				matched += len(dst)
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(matched)/float64(i), "matches/event")
		})
	}
}

// BenchmarkSetNamed isolates what the Set's size costs: every pattern
// names its events (exactly, by a list, a prefix or a regular expression,
// some with anything-but and exists tests), and every event is one some
// pattern in the set subscribes to, so that each event matches about one
// pattern whatever the size of the set.
func BenchmarkSetNamed(b *testing.B) {
	named := func(i int) Event {
		for j := i; ; j++ {
			if j%10 != 9 { // skip the domain-wide patterns
				return benchPattern(j)
			}
		}
	}
	for _, n := range []int{1, 100, 10_000} {
		var s Set
		for i := range n {
			s.Add(i, MustCompile(named(i)))
		}
		docs := benchEvents(1024)
		r := rand.New(rand.NewPCG(2, 2))
		for _, d := range docs {
			i := r.IntN(n)
			ev := d["event"].(map[string]any)
			ev["name"] = fmt.Sprintf("svc%d.entity%d.%s", i%200, (i/200)%50, benchVerbs[i%4])
			ev["attributes"].(map[string]any)["username"] = "john"
		}
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) {
			var dst []int
			matched := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				dst = s.Matches(docs[i%len(docs)], dst[:0])
				matched += len(dst)
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(matched)/float64(i), "matches/event")
		})
	}
}

// BenchmarkNaive is what Set avoids: trying every pattern in turn.
func BenchmarkNaive(b *testing.B) {
	docs := benchEvents(1024)
	for _, n := range []int{100, 10_000} {
		ms := make([]*Matcher, n)
		for i := range ms {
			ms[i] = MustCompile(benchPattern(i))
		}
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				doc := docs[i%len(docs)]
				for _, m := range ms {
					m.Match(doc)
				}
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func BenchmarkSetAdd(b *testing.B) {
	ms := make([]*Matcher, 10_000)
	for i := range ms {
		ms[i] = MustCompile(benchPattern(i))
	}
	b.ReportAllocs()
	for b.Loop() {
		var s Set
		for i, m := range ms {
			s.Add(i, m)
		}
	}
}
