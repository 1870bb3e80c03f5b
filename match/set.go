package match

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Set finds every pattern, among many, that matches a document.
//
// Each compiled pattern is added under an integer id chosen by the caller.
// [Set.Matches] does not try the patterns in turn: it indexes each pattern
// on one string field it requires (exact values, such as event names, or
// prefixes, such as those of a $prefix or of a regular expression like
// "user:.*"), looks the document's values up in those indexes, and
// evaluates only what the index leaves open of the patterns found, plus
// the patterns that have no such field. Looking a value up hashes it once
// and tests a small filter for the value and for each distinct length of
// the indexed prefixes it could start with; it reads a slot only when the
// filter admits the hash, about once per pattern found. So with patterns
// that name their events, the cost of matching an event depends little on
// the number of patterns: it grows through memory caches, not work.
//
// A Set holds event and data patterns alike and applies each to the
// document it is given as is; keep event patterns and data patterns in
// separate sets.
//
// The zero Set is empty and ready to use. A Set is safe for concurrent
// use: readers work on an immutable snapshot, which writers replace under
// a mutex, so matching never waits for [Set.Add] or [Set.Remove].
type Set struct {
	mu   sync.Mutex // serializes writers
	snap atomic.Pointer[setSnapshot]
	regs map[int]*registration // guarded by mu
	// shared holds the paths of the entries' checks by pathKey, so that
	// entries checking the same path share one slice. Guarded by mu.
	shared map[string]*sharedPath
}

type sharedPath struct {
	path []string
	refs int // registrations using path
}

// setEntry is a pattern as the Set holds it: its id and what remains to
// verify once the index found it. The usual check is one test at one
// path, whose slice is shared by every entry testing that path; entries
// are values, the first of each key inside its slot, so that finding and
// checking an entry touches little memory.
type setEntry struct {
	id   int
	path *[]string // where test applies; nil: the whole document
	test node      // nil when nothing remains to verify
}

func (e *setEntry) matches(doc *target) bool {
	if e.test == nil {
		return true
	}
	if doc.src != nil {
		if e.path == nil {
			return matchSource(doc, nil, e.test)
		}
		return matchSource(doc, *e.path, e.test)
	}
	if e.path == nil {
		return e.test.match(doc.doc, true)
	}
	v, ok := lookup(doc.doc, *e.path)
	return e.test.match(v, ok)
}

// fieldTest is a test at a path of a document.
type fieldTest struct {
	path *[]string
	n    node
}

// fieldTests applies tests at paths of a document, in order: an entry's
// check when more than one field remains to verify.
type fieldTests []fieldTest

func (ts fieldTests) match(v any, present bool) bool {
	for _, t := range ts {
		x, ok := lookup(v, *t.path)
		if !t.n.match(x, ok) {
			return false
		}
	}
	return true
}

// registration remembers where an entry is indexed, to remove it.
type registration struct {
	e      setEntry
	path   string   // pathKey of the index; "" with always
	keys   []string // exact values, or the one prefix
	prefix bool
	always bool
	shared []string // the keys of the shared paths it uses
}

type setSnapshot struct {
	paths  []*pathIndex // by first use; never mutated once published
	always []setEntry
	size   int
}

type pathIndex struct {
	key  string // pathKey(path)
	path []string
	tab  *strTable
}

// pathKey identifies a path unambiguously, whatever its keys hold.
func pathKey(path []string) string { return fmt.Sprintf("%q", path) }

// Add adds m under id, replacing any pattern already added under id.
func (s *Set) Add(id int, m *Matcher) {
	if m == nil {
		panic("match: Set.Add with a nil *Matcher")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := s.load().clone()
	if s.regs == nil {
		s.regs = make(map[int]*registration)
		s.shared = make(map[string]*sharedPath)
	}
	if old, ok := s.regs[id]; ok {
		s.unregister(old, snap)
	}
	r := &registration{e: setEntry{id: id}}
	share := func(path []string) *[]string {
		k := pathKey(path)
		sp := s.shared[k]
		if sp == nil {
			sp = &sharedPath{path: slices.Clone(path)}
			s.shared[k] = sp
		}
		sp.refs++
		r.shared = append(r.shared, k)
		return &sp.path
	}
	if c, ok := bestIndex(m, snap); ok {
		r.e.path, r.e.test = setCheck(m, &c, share)
		r.path = pathKey(c.path)
		r.keys = c.keys
		r.prefix = c.prefix
		snap.insert(r, c.path)
	} else {
		r.e.path, r.e.test = setCheck(m, nil, share)
		r.always = true
		snap.always = append(slices.Clip(snap.always), r.e)
	}
	snap.size++
	s.regs[id] = r
	s.snap.Store(snap)
}

// Remove removes the pattern added under id and reports whether there was
// one.
func (s *Set) Remove(id int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.regs[id]
	if !ok {
		return false
	}
	snap := s.load().clone()
	s.unregister(r, snap)
	delete(s.regs, id)
	s.snap.Store(snap)
	return true
}

// unregister removes r from snap and releases its shared paths.
func (s *Set) unregister(r *registration, snap *setSnapshot) {
	snap.remove(r)
	for _, k := range r.shared {
		sp := s.shared[k]
		if sp.refs--; sp.refs == 0 {
			delete(s.shared, k)
		}
	}
}

// Len returns the number of patterns in the set.
func (s *Set) Len() int { return s.load().size }

// Matches appends to dst the ids of all patterns that match doc, in
// increasing order, and returns the extended slice. Reusing dst across
// calls avoids allocating.
func (s *Set) Matches(doc any, dst []int) []int {
	return s.matches(&target{doc: doc}, dst)
}

// MatchSource is [Set.Matches] on the document src reads, which it reads
// only where the patterns look: the fields the set is indexed on first,
// then what the patterns found there still need.
func (s *Set) MatchSource(src Source, dst []int) []int {
	t := newTarget(src)
	return s.matches(&t, dst)
}

func (s *Set) matches(doc *target, dst []int) []int {
	snap := s.load()
	start := len(dst)
	for _, pi := range snap.paths {
		if doc.src != nil {
			if str, ok := doc.lookupString(pi.path); ok {
				dst = pi.tab.eval(str, doc, dst)
			}
			continue
		}
		v, ok := lookup(doc.doc, pi.path)
		if !ok {
			continue
		}
		if str, ok := v.(string); ok {
			dst = pi.tab.eval(str, doc, dst)
		}
	}
	for i := range snap.always {
		if e := &snap.always[i]; e.matches(doc) {
			dst = append(dst, e.id)
		}
	}
	if len(dst)-start > 1 {
		slices.Sort(dst[start:])
	}
	return dst
}

var emptySnapshot = &setSnapshot{}

func (s *Set) load() *setSnapshot {
	if p := s.snap.Load(); p != nil {
		return p
	}
	return emptySnapshot
}

// clone copies the top level; indexes are copied on write by insert and
// remove.
func (sn *setSnapshot) clone() *setSnapshot {
	c := *sn
	c.paths = slices.Clone(sn.paths)
	return &c
}

func (sn *setSnapshot) pathAt(key string) (int, bool) {
	for i, pi := range sn.paths {
		if pi.key == key {
			return i, true
		}
	}
	return -1, false
}

func (sn *setSnapshot) insert(r *registration, path []string) {
	i, ok := sn.pathAt(r.path)
	var pi pathIndex
	if ok {
		pi = *sn.paths[i]
	} else {
		pi = pathIndex{key: r.path, path: slices.Clone(path), tab: &strTable{}}
	}
	pi.tab = pi.tab.with(r.keys, r.prefix, r.e)
	if ok {
		sn.paths[i] = &pi
	} else {
		sn.paths = append(sn.paths, &pi)
	}
}

func (sn *setSnapshot) remove(r *registration) {
	sn.size--
	if r.always {
		sn.always = slices.DeleteFunc(slices.Clone(sn.always), func(e setEntry) bool { return e.id == r.e.id })
		return
	}
	i, ok := sn.pathAt(r.path)
	if !ok {
		return
	}
	pi := *sn.paths[i]
	pi.tab = pi.tab.without(r.keys, r.prefix, r.e.id)
	if pi.tab.n == 0 {
		sn.paths = slices.Delete(sn.paths, i, i+1)
		return
	}
	sn.paths[i] = &pi
}

// indexCandidate is a string field that a pattern requires: the value at
// path must be one of keys (exact) or start with keys[0] (prefix).
type indexCandidate struct {
	path   []string
	keys   []string
	prefix bool
	// whole: the index decides the test at path entirely, which is field
	// (an event pattern's field index, or a data pattern's top-level key).
	whole bool
	field int
	key   string
}

// bestIndex picks the required string field of m to index it on: the
// one whose keys the fewest patterns of sn are already indexed under (per
// key), since a document carrying a key makes every pattern under it be
// checked; between equals, the most selective by its shape: an exact value
// beats a set of values, which beats a prefix, a longer prefix beats a
// shorter one, and a whole field beats one inside a mapping. Indexing
// {domain, customer_id} patterns on a domain of five values would have
// every event check a fifth of them.
func bestIndex(m *Matcher, sn *setSnapshot) (indexCandidate, bool) {
	var cands []indexCandidate
	if m.event {
		for i, f := range m.fields {
			n := len(cands)
			cands = requiredStrings(f.path, f.node, true, cands)
			for j := n; j < len(cands); j++ {
				cands[j].field = i
			}
		}
	} else if mn, ok := m.root.(*mapNode); ok {
		for i, k := range mn.keys {
			n := len(cands)
			cands = requiredStrings([]string{k}, mn.nodes[i], true, cands)
			for j := n; j < len(cands); j++ {
				cands[j].key = k
			}
		}
	} else {
		cands = requiredStrings(nil, m.root, false, cands)
	}
	if len(cands) == 0 {
		return indexCandidate{}, false
	}
	score := func(c indexCandidate) int {
		s := len(c.keys) * 4
		if c.prefix {
			s = 1<<20 - len(c.keys[0])*4
		}
		if !c.whole {
			s += 2
		}
		return s
	}
	type ranked struct {
		load  float64 // patterns already under each key, on average
		score int
	}
	rank := func(c indexCandidate) ranked {
		return ranked{float64(sn.load(c)) / float64(len(c.keys)), score(c)}
	}
	best, br := cands[0], rank(cands[0])
	for _, c := range cands[1:] {
		if r := rank(c); r.load < br.load || r.load == br.load && r.score < br.score {
			best, br = c, r
		}
	}
	return best, true
}

// load is how many patterns are indexed under the keys of c.
func (sn *setSnapshot) load(c indexCandidate) int {
	i, ok := sn.pathAt(pathKey(c.path))
	if !ok {
		return 0
	}
	return sn.paths[i].tab.load(c.keys, c.prefix)
}

// requiredStrings appends the string fields that n, applied at path,
// requires. top says whether n is a whole field of the pattern.
func requiredStrings(path []string, n node, top bool, out []indexCandidate) []indexCandidate {
	switch x := n.(type) {
	case *eqString:
		return append(out, indexCandidate{path: path, keys: []string{x.s}, whole: top})
	case *inNode:
		if keys, ok := allStrings(x.items); ok && len(keys) > 0 {
			return append(out, indexCandidate{path: path, keys: keys, whole: top})
		}
	case *orNode:
		if keys, ok := allStrings(x.ps); ok {
			return append(out, indexCandidate{path: path, keys: keys, whole: top})
		}
	case *prefixNode:
		if x.s != "" {
			return append(out, indexCandidate{path: path, keys: []string{x.s}, prefix: true, whole: top})
		}
	case *regexNode:
		if x.prefix != "" {
			exact := x.exact && x.class == nil
			return append(out, indexCandidate{path: path, keys: []string{x.prefix}, prefix: true, whole: top && exact})
		}
	case *andNode:
		for _, p := range x.ps {
			out = requiredStrings(path, p, false, out)
		}
	case *mapNode:
		for i, k := range x.keys {
			sub := append(slices.Clip(path), k)
			out = requiredStrings(sub, x.nodes[i], false, out)
		}
	}
	return out
}

// setCheck returns what remains to verify on a document once the index
// found m under c: every field of m but the one the index decides
// entirely, as a test at a path (nil: the whole document). With c nil, or
// when the index does not decide its field, that is all of m. Paths go
// through share.
func setCheck(m *Matcher, c *indexCandidate, share func([]string) *[]string) (path *[]string, test node) {
	if c == nil || !c.whole {
		return nil, m.root
	}
	var tests fieldTests
	if m.event {
		// lookup treats a missing or non-object parent as a missing key,
		// as the event pattern's pathTree does.
		for i, f := range m.fields {
			if i != c.field {
				tests = append(tests, fieldTest{share(f.path), f.node})
			}
		}
	} else {
		// The index found a string at [c.key]: the document is an object,
		// and the other keys of the mapping pattern are tests at their
		// own paths.
		mn := m.root.(*mapNode)
		for i, k := range mn.keys {
			if k != c.key {
				tests = append(tests, fieldTest{share([]string{k}), mn.nodes[i]})
			}
		}
	}
	switch len(tests) {
	case 0:
		return nil, nil
	case 1:
		return tests[0].path, tests[0].n
	}
	return nil, slices.Clip(tests)
}

// allStrings returns the distinct values of items if every item is string
// equality.
func allStrings(items []node) ([]string, bool) {
	var keys []string
	for _, it := range items {
		e, ok := it.(*eqString)
		if !ok {
			return nil, false
		}
		if !slices.Contains(keys, e.s) {
			keys = append(keys, e.s)
		}
	}
	return keys, true
}
