package match

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"sync"
	"testing"
)

// bruteForce is what Set.Matches must return: every id whose pattern
// matches, in increasing order.
func bruteForce(ms map[int]*Matcher, doc any) []int {
	var ids []int
	for id, m := range ms {
		if m.Match(doc) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestSetMatchesEveryMatchingPattern(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 8))
	var s Set
	ms := map[int]*Matcher{}
	for id := range 600 {
		m := MustCompile(genEventPattern(r))
		s.Add(id, m)
		ms[id] = m
	}
	check := func(phase string) {
		t.Helper()
		if s.Len() != len(ms) {
			t.Fatalf("%s: Len() = %d, want %d", phase, s.Len(), len(ms))
		}
		var dst []int
		matched := 0
		for range 400 {
			doc, err := normalizeEventDoc(genBody(r))
			if err != nil {
				t.Fatal(err)
			}
			dst = s.Matches(doc, dst[:0])
			want := bruteForce(ms, doc)
			if !slices.Equal(dst, want) {
				t.Fatalf("%s: Matches = %v, want %v", phase, dst, want)
			}
			matched += len(want)
		}
		if matched == 0 {
			t.Fatalf("%s: no document matched any pattern: the test checks nothing", phase)
		}
	}
	check("after adding")
	// Replace some patterns, remove others.
	for id := 0; id < 600; id += 3 {
		m := MustCompile(genEventPattern(r))
		s.Add(id, m)
		ms[id] = m
	}
	for id := 1; id < 600; id += 4 {
		if !s.Remove(id) {
			t.Fatalf("Remove(%d) found nothing", id)
		}
		delete(ms, id)
	}
	if s.Remove(1) {
		t.Fatal("Remove of a removed id reported true")
	}
	check("after replacing and removing")
}

func TestSetAppendsToDst(t *testing.T) {
	var s Set
	s.Add(2, MustCompile(Data{"k": "v"}))
	s.Add(1, MustCompile(Data{"k": Prefix("v")}))
	s.Add(3, MustCompile(Data{}))
	got := s.Matches(map[string]any{"k": "v"}, []int{99})
	if want := []int{99, 1, 2, 3}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := new(Set).Matches(map[string]any{}, nil); len(got) != 0 {
		t.Fatalf("an empty set matched %v", got)
	}
}

// Patterns that name their events are indexed, not tried one by one.
func TestSetIndexesNamedPatterns(t *testing.T) {
	var s Set
	for i, p := range []Event{
		{"name": "a"},
		{"name": OneOf("b", "c"), "email": Not(Empty())},
		{"name": Regex("user:.*")},
		{"domain": Prefix("x"), "username": Not("test")},
		{"current": Data{"id": "7"}},
		{"email": Exists(true)},
	} {
		s.Add(i, MustCompile(p))
	}
	snap := s.load()
	if len(snap.always) != 1 {
		t.Fatalf("%d patterns evaluated for every event, want 1 (the one naming no string field)", len(snap.always))
	}
}

func TestSetConcurrentUse(t *testing.T) {
	var s Set
	r := rand.New(rand.NewPCG(9, 9))
	docs := make([]map[string]any, 50)
	for i := range docs {
		docs[i], _ = normalizeEventDoc(genBody(r))
	}
	patterns := make([]*Matcher, 200)
	for i := range patterns {
		patterns[i] = MustCompile(genEventPattern(r))
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var dst []int
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				dst = s.Matches(docs[(i+w)%len(docs)], dst[:0])
				if !slices.IsSorted(dst) {
					panic(fmt.Sprint("unsorted ids ", dst))
				}
			}
		}()
	}
	for i, m := range patterns {
		s.Add(i%50, m)
		if i%7 == 0 {
			s.Remove(i % 13)
		}
	}
	close(stop)
	wg.Wait()
}

func TestSetDataPatterns(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	var s Set
	ms := map[int]*Matcher{}
	for id := range 300 {
		d := Data{}
		for range 1 + r.IntN(2) {
			d[pick(r, genAttrKeys)] = genLeaf(r, 1)
		}
		var p any = d
		if id%10 == 0 {
			p = genLeaf(r, 2) // not a mapping: indexed at the root, if at all
		}
		m := MustCompile(p)
		s.Add(id, m)
		ms[id] = m
	}
	matched := 0
	var dst []int
	for range 2000 {
		doc := map[string]any{}
		for range r.IntN(4) {
			doc[pick(r, genAttrKeys)] = genValue(r, 1)
		}
		var v any = doc
		if r.IntN(10) == 0 {
			v = genValue(r, 1)
		}
		dst = s.Matches(v, dst[:0])
		if want := bruteForce(ms, v); !slices.Equal(dst, want) {
			t.Fatalf("Matches(%v) = %v, want %v", v, dst, want)
		}
		matched += len(dst)
	}
	if matched == 0 {
		t.Fatal("no document matched: the test checks nothing")
	}
}

// genIndexedPattern returns an event pattern that the Set indexes on the
// event name or an attribute (exactly, by a list, a prefix or a regular
// expression with a literal start), with names that are often prefixes of
// one another and longer than 64 bytes, and sometimes other tests left to
// evaluate.
func genIndexedPattern(r *rand.Rand) Event {
	key := "name"
	if r.IntN(4) == 0 {
		key = "channel"
	}
	var p any
	switch r.IntN(6) {
	case 0:
		p = randKey(r)
	case 1:
		p = OneOf(randKey(r), randKey(r), randKey(r))
	case 2:
		p = Prefix(randKey(r))
	case 3:
		p = Regex(regexp.QuoteMeta(randKey(r)) + "(.*)")
	case 4:
		p = Regex(regexp.QuoteMeta(randKey(r)) + `[ab]`)
	default:
		p = And(Prefix(randKey(r)), Not(randKey(r)))
	}
	e := Event{key: p}
	for range r.IntN(3) {
		e[pick(r, []string{"email", "username", "domain", "current"})] = genLeaf(r, 1)
	}
	return e
}

// genIndexedEvent returns a normalized event whose name and channel
// attribute are drawn like the keys of genIndexedPattern.
func genIndexedEvent(t *testing.T, r *rand.Rand) map[string]any {
	t.Helper()
	body := genBody(r)
	ev := body["event"].(map[string]any)
	ev["name"] = randKey(r) + randKey(r)
	if r.IntN(2) == 0 {
		ev["channel"] = randKey(r)
	}
	doc, err := normalizeEventDoc(body)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// Set.Matches must equal trying every pattern in turn, as the index
// grows, patterns are replaced and removed, and shards split and shrink.
func TestSetIndexAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	var s Set
	ms := map[int]*Matcher{}
	matched := 0
	check := func(phase string) {
		t.Helper()
		if s.Len() != len(ms) {
			t.Fatalf("%s: Len() = %d, want %d", phase, s.Len(), len(ms))
		}
		var dst []int
		for range 300 {
			doc := genIndexedEvent(t, r)
			dst = s.Matches(doc, dst[:0])
			if want := bruteForce(ms, doc); !slices.Equal(dst, want) {
				t.Fatalf("%s: Matches = %v, want %v", phase, dst, want)
			}
			matched += len(dst)
		}
	}
	for round := range 6 {
		for range 500 {
			id := r.IntN(2000)
			if r.IntN(4) == 0 {
				s.Remove(id)
				delete(ms, id)
				continue
			}
			m := MustCompile(genIndexedPattern(r))
			s.Add(id, m)
			ms[id] = m
		}
		check(fmt.Sprintf("round %d", round))
	}
	if matched == 0 {
		t.Fatal("no document matched any pattern: the test checks nothing")
	}
	for id := range ms {
		s.Remove(id)
	}
	if s.Len() != 0 || len(s.load().paths) != 0 || len(s.shared) != 0 {
		t.Fatalf("an emptied set keeps %d patterns, %d indexes, %d shared paths", s.Len(), len(s.load().paths), len(s.shared))
	}
}
