package match

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
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
func benchPattern(i int) Event { return benchPatternOf(i%10, i%200, (i/200)%50, i%4) }

// benchPatternOf returns a pattern of the given kind (0 to 9, see
// benchPattern) on the events of service svc and entity ent; verb indexes
// benchVerbs.
func benchPatternOf(kind, svc, ent, verb int) Event {
	name := benchName(svc, ent, verb)
	switch kind {
	case 0, 1, 2:
		return Event{"name": name}
	case 3:
		return Event{"name": name, "username": Not(OneOf("test", "synthetic"))}
	case 4:
		return Event{"name": name, "email": Exists(true), "version": OneOf(1, 2)}
	case 5, 6:
		other := benchName(svc, ent, (verb+1)%4)
		return Event{"name": OneOf(name, other), "timestamp": Gt(DateTime("2020-01-01"))}
	case 7:
		return Event{"name": Prefix(fmt.Sprintf("svc%d.entity%d.", svc, ent))}
	case 8:
		return Event{"name": Regex(fmt.Sprintf(`svc%d\.entity%d\.(.*)`, svc, ent)), "email": Not(Empty())}
	}
	return Event{"domain": fmt.Sprintf("svc%d", svc), "subject": Regex(`\d+`), "username": Not("test")}
}

func benchName(svc, ent, verb int) string {
	return fmt.Sprintf("svc%d.entity%d.%s", svc, ent, benchVerbs[verb])
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

// The patterns of BenchmarkSetNamed: the kinds of benchPattern that name
// their events (all but the domain-wide kind 9), in the same proportions.
// Pattern i subscribes to the events of its own service and entity, which
// no other pattern of the family names, so that an event built for it
// matches it and nothing else.
const benchNamedKinds = 9

func benchNamedPattern(i int) Event {
	return benchPatternOf(i%benchNamedKinds, i%200, i/200, (i/benchNamedKinds)%4)
}

// benchNamedEvent returns an event that pattern i of benchNamedPattern,
// and only it, matches: its name, and attributes that pass every
// anything-but and exists test of the family.
func benchNamedEvent(i int) map[string]any {
	return map[string]any{
		"protocol": "mega",
		"version":  json.Number("1"),
		"event": map[string]any{
			"name":      benchName(i%200, i/200, (i/benchNamedKinds)%4),
			"timestamp": time.Date(2020, 5, 4, 15, 53, 27, 0, time.UTC),
			"version":   json.Number("1"),
			"domain":    fmt.Sprintf("svc%d", i%200),
			"subject":   "123456",
			"attributes": map[string]any{
				"email":    "john@example.com",
				"username": "john",
			},
		},
		"extra": map[string]any{},
	}
}

// benchNamedWork is one event of BenchmarkSetNamed and the set it is
// matched against.
type benchNamedWork struct {
	s   *Set
	doc map[string]any
}

// benchNamedWorkload returns a stream of 4096 events for sets of n
// patterns of benchNamedPattern, every event matching exactly one pattern
// of its set (which it checks). Patterns 0 to max(n, benchNamedKinds)-1
// are split into sets of n, so that with n = 1 there is a one-pattern set
// of each kind; each event is built for a pattern drawn uniformly among
// them and is matched against that pattern's set. Only the kinds listed
// (all if none) are drawn.
func benchNamedWorkload(tb testing.TB, n int, kinds ...int) []benchNamedWork {
	total := max(n, benchNamedKinds)
	sets := make([]*Set, (total+n-1)/n)
	for i := range total {
		if sets[i/n] == nil {
			sets[i/n] = new(Set)
		}
		sets[i/n].Add(i, MustCompile(benchNamedPattern(i)))
	}
	r := rand.New(rand.NewPCG(2, 2))
	work := make([]benchNamedWork, 4096)
	var got []int
	for j := range work {
		i := r.IntN(total)
		for len(kinds) > 0 && !slices.Contains(kinds, i%benchNamedKinds) {
			i = r.IntN(total)
		}
		w := benchNamedWork{sets[i/n], benchNamedEvent(i)}
		if got = w.s.Matches(w.doc, got[:0]); !slices.Equal(got, []int{i}) {
			tb.Fatalf("the event for pattern %d matches %v", i, got)
		}
		work[j] = w
	}
	runtime.GC() // collect the setup's garbage now rather than in the loop
	return work
}

// indexProbes counts the work of the Set's indexes for doc, as
// strTable.eval does it: the filter tests (one for the value, one for
// each length of prefix key it could start with) and the slot probes,
// when a filter admits the hash.
func indexProbes(s *Set, doc any) (tests, probes int) {
	for _, pi := range s.load().paths {
		v, _ := lookup(doc, pi.path)
		str, ok := v.(string)
		if !ok {
			continue
		}
		t := pi.tab
		count := func(h uint64) {
			tests++
			if t.shard(h) != nil {
				probes++
			}
		}
		for n := 1; n <= len(str); n++ {
			if n < 64 && t.lens&(1<<n) != 0 || slices.Contains(t.long, n) {
				count(keyHash(str[:n], true))
			}
		}
		count(keyHash(str, false))
	}
	return tests, probes
}

// runNamedWorkload matches the events of work in turn; building work
// before the loop is not timed. Besides time, it reports the index's
// filter tests and slot probes per event, which do not depend on the
// machine's load.
func runNamedWorkload(b *testing.B, work []benchNamedWork) {
	tests, probes := 0, 0
	for _, w := range work {
		t, p := indexProbes(w.s, w.doc)
		tests += t
		probes += p
	}
	var dst []int
	matched := 0
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		w := work[i%len(work)]
		dst = w.s.Matches(w.doc, dst[:0])
		matched += len(dst)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(matched)/float64(i), "matches/event")
	b.ReportMetric(float64(tests)/float64(len(work)), "filter-tests/event")
	b.ReportMetric(float64(probes)/float64(len(work)), "slot-probes/event")
}

// BenchmarkSetNamed measures what the Set's size costs: how the cost of
// matching an event grows from 1 to 10,000 patterns when the work per
// event is otherwise the same. Every pattern names its events (exactly, by
// a list, a prefix or a regular expression, some with anything-but, exists
// and comparison tests left to evaluate), and every event matches exactly
// one pattern of its set, whatever the size.
//
// The kinds of pattern cost differently to match even alone (the index
// decides an exact name by itself; an anything-but, exists or date-time
// test left over is evaluated), so patterns=1 is not one pattern of the
// cheapest kind: it rotates over one-pattern sets of every kind, in the
// proportions of the larger sets (exact names 3/9, exact names with an
// anything-but test 1/9, with exists and list tests 1/9, lists of names
// with a date-time test 2/9, prefixes 1/9, regular expressions with a
// not-empty test 1/9), and reports the mean cost of that mix (see
// benchNamedWorkload). The growth is the ratio of patterns=10000 to
// patterns=1. BenchmarkSetNamedKind breaks the cost down by kind; its
// kind=exact/patterns=1 is the cheapest one-pattern case.
func BenchmarkSetNamed(b *testing.B) {
	for _, n := range []int{1, 100, 10_000} {
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) { runNamedWorkload(b, benchNamedWorkload(b, n)) })
	}
}

// BenchmarkSetNamedKind is BenchmarkSetNamed for events that match a
// pattern of one kind only, alone in its set or among 10,000 patterns of
// every kind.
func BenchmarkSetNamedKind(b *testing.B) {
	kinds := []struct {
		name string
		kind int
	}{
		{"exact", 0},
		{"exact+anything-but", 3},
		{"exact+exists+list", 4},
		{"list+datetime", 5},
		{"prefix", 7},
		{"regex+not-empty", 8},
	}
	for _, k := range kinds {
		for _, n := range []int{1, 10_000} {
			b.Run(fmt.Sprintf("kind=%s/patterns=%d", k.name, n), func(b *testing.B) {
				runNamedWorkload(b, benchNamedWorkload(b, n, k.kind))
			})
		}
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

// BenchmarkSetSharedField has patterns that each require a common field
// (one of five domains) and a rare one (a customer id): the Set must index
// them on the rare one, or every event checks a fifth of the patterns.
func BenchmarkSetSharedField(b *testing.B) {
	domains := []string{"orders", "payments", "users", "carts", "shipping"}
	for _, n := range []int{100, 10_000} {
		var s Set
		for i := range n {
			s.Add(i, MustCompile(Event{
				"domain":     domains[i%len(domains)],
				"attributes": map[string]any{"customer_id": fmt.Sprintf("c-%05d", i)},
			}))
		}
		docs := make([]map[string]any, 1024)
		for i := range docs {
			c := i * 7 % n
			docs[i] = map[string]any{"event": map[string]any{
				"name": "x", "domain": domains[c%len(domains)],
				"attributes": map[string]any{"customer_id": fmt.Sprintf("c-%05d", c)},
			}}
		}
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) {
			var dst []int
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				dst = s.Matches(docs[i%len(docs)], dst[:0])
				if len(dst) != 1 {
					b.Fatalf("%d matches, want 1", len(dst))
				}
				i++
			}
			b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
