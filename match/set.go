package match

import (
	"fmt"
	"hash/maphash"
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
// "user:.*"), looks the document's values up in those indexes, and fully
// evaluates only the few patterns found, plus the patterns that have no
// such field. With patterns that name their events, matching costs about
// the same for ten thousand patterns as for one.
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
}

type setEntry struct {
	id int
	m  *Matcher
}

// registration remembers where an entry is indexed, to remove it.
type registration struct {
	e      *setEntry
	path   string   // pathKey of the index; "" with always
	keys   []string // exact values, or the one prefix
	prefix bool
	always bool
}

type setSnapshot struct {
	paths  []*pathIndex // by first use; never mutated once published
	always []*setEntry
	size   int
}

type pathIndex struct {
	key      string // pathKey(path)
	path     []string
	exact    *strIndex
	prefixes []prefixGroup // by length, ascending
	n        int           // entries indexed here
}

type prefixGroup struct {
	n   int
	idx *strIndex
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
	}
	if old, ok := s.regs[id]; ok {
		snap.remove(old)
	}
	r := &registration{e: &setEntry{id: id, m: m}}
	if c, ok := bestIndex(m); ok {
		r.path = pathKey(c.path)
		r.keys = c.keys
		r.prefix = c.prefix
		snap.insert(r, c.path)
	} else {
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
	snap.remove(r)
	delete(s.regs, id)
	s.snap.Store(snap)
	return true
}

// Len returns the number of patterns in the set.
func (s *Set) Len() int { return s.load().size }

// Matches appends to dst the ids of all patterns that match doc, in
// increasing order, and returns the extended slice. Reusing dst across
// calls avoids allocating.
func (s *Set) Matches(doc any, dst []int) []int {
	snap := s.load()
	start := len(dst)
	for _, pi := range snap.paths {
		v, ok := lookup(doc, pi.path)
		if !ok {
			continue
		}
		str, ok := v.(string)
		if !ok {
			continue
		}
		dst = pi.exact.eval(str, doc, dst)
		for _, g := range pi.prefixes {
			if len(str) < g.n {
				break
			}
			dst = g.idx.eval(str[:g.n], doc, dst)
		}
	}
	for _, e := range snap.always {
		if e.m.Match(doc) {
			dst = append(dst, e.id)
		}
	}
	slices.Sort(dst[start:])
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
		pi = pathIndex{key: r.path, path: slices.Clone(path), exact: &strIndex{}}
	}
	if r.prefix {
		pi.prefixes = slices.Clone(pi.prefixes)
		n := len(r.keys[0])
		j, found := slices.BinarySearchFunc(pi.prefixes, n, func(g prefixGroup, n int) int { return g.n - n })
		if !found {
			pi.prefixes = slices.Insert(pi.prefixes, j, prefixGroup{n: n, idx: &strIndex{}})
		}
		pi.prefixes[j].idx = pi.prefixes[j].idx.with(r.keys, r.e)
	} else {
		pi.exact = pi.exact.with(r.keys, r.e)
	}
	pi.n++
	if ok {
		sn.paths[i] = &pi
	} else {
		sn.paths = append(sn.paths, &pi)
	}
}

func (sn *setSnapshot) remove(r *registration) {
	sn.size--
	if r.always {
		sn.always = slices.DeleteFunc(slices.Clone(sn.always), func(e *setEntry) bool { return e == r.e })
		return
	}
	i, ok := sn.pathAt(r.path)
	if !ok {
		return
	}
	pi := *sn.paths[i]
	if r.prefix {
		pi.prefixes = slices.Clone(pi.prefixes)
		n := len(r.keys[0])
		if j, found := slices.BinarySearchFunc(pi.prefixes, n, func(g prefixGroup, n int) int { return g.n - n }); found {
			pi.prefixes[j].idx = pi.prefixes[j].idx.without(r.keys, r.e)
			if pi.prefixes[j].idx.len == 0 {
				pi.prefixes = slices.Delete(pi.prefixes, j, j+1)
			}
		}
	} else {
		pi.exact = pi.exact.without(r.keys, r.e)
	}
	pi.n--
	if pi.n == 0 {
		sn.paths = slices.Delete(sn.paths, i, i+1)
		return
	}
	sn.paths[i] = &pi
}

// strIndex maps strings to entries. It is immutable once published; with
// and without copy only the shards they change, so adding a pattern costs
// little even with many thousands in the set.
type strIndex struct {
	shards [nShards]map[string][]*setEntry
	len    int
}

const nShards = 64

var shardSeed = maphash.MakeSeed()

func shardOf(s string) int { return int(maphash.String(shardSeed, s) % nShards) }

func (x *strIndex) eval(key string, doc any, dst []int) []int {
	m := x.shards[shardOf(key)]
	if m == nil {
		return dst
	}
	for _, e := range m[key] {
		if e.m.Match(doc) {
			dst = append(dst, e.id)
		}
	}
	return dst
}

func (x *strIndex) with(keys []string, e *setEntry) *strIndex {
	c := *x
	copied := map[int]bool{}
	for _, k := range keys {
		i := shardOf(k)
		if !copied[i] {
			c.shards[i] = cloneShard(c.shards[i], 1)
			copied[i] = true
		}
		c.shards[i][k] = append(slices.Clip(c.shards[i][k]), e)
	}
	c.len++
	return &c
}

func (x *strIndex) without(keys []string, e *setEntry) *strIndex {
	c := *x
	copied := map[int]bool{}
	for _, k := range keys {
		i := shardOf(k)
		if !copied[i] {
			c.shards[i] = cloneShard(c.shards[i], 0)
			copied[i] = true
		}
		es := slices.DeleteFunc(slices.Clone(c.shards[i][k]), func(x *setEntry) bool { return x == e })
		if len(es) == 0 {
			delete(c.shards[i], k)
		} else {
			c.shards[i][k] = es
		}
	}
	c.len--
	return &c
}

func cloneShard(m map[string][]*setEntry, extra int) map[string][]*setEntry {
	c := make(map[string][]*setEntry, len(m)+extra)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// indexCandidate is a string field that a pattern requires: the value at
// path must be one of keys (exact) or start with keys[0] (prefix).
type indexCandidate struct {
	path   []string
	keys   []string
	prefix bool
}

// bestIndex picks the most selective required string field of m: an exact
// value beats a set of values, which beats a prefix; a longer prefix beats
// a shorter one.
func bestIndex(m *Matcher) (indexCandidate, bool) {
	var cands []indexCandidate
	if m.event {
		for _, f := range m.fields {
			cands = requiredStrings(f.path, f.node, cands)
		}
	} else {
		cands = requiredStrings(nil, m.root, cands)
	}
	if len(cands) == 0 {
		return indexCandidate{}, false
	}
	score := func(c indexCandidate) int {
		if c.prefix {
			return 1<<20 - len(c.keys[0])
		}
		return len(c.keys)
	}
	best := cands[0]
	for _, c := range cands[1:] {
		if score(c) < score(best) {
			best = c
		}
	}
	return best, true
}

// requiredStrings appends the string fields that n, applied at path,
// requires.
func requiredStrings(path []string, n node, out []indexCandidate) []indexCandidate {
	switch x := n.(type) {
	case *eqString:
		return append(out, indexCandidate{path: path, keys: []string{x.s}})
	case *inNode:
		if keys, ok := allStrings(x.items); ok && len(keys) > 0 {
			return append(out, indexCandidate{path: path, keys: keys})
		}
	case *orNode:
		if keys, ok := allStrings(x.ps); ok {
			return append(out, indexCandidate{path: path, keys: keys})
		}
	case *prefixNode:
		if x.s != "" {
			return append(out, indexCandidate{path: path, keys: []string{x.s}, prefix: true})
		}
	case *regexNode:
		if x.prefix != "" {
			return append(out, indexCandidate{path: path, keys: []string{x.prefix}, prefix: true})
		}
	case *andNode:
		for _, p := range x.ps {
			out = requiredStrings(path, p, out)
		}
	case *mapNode:
		for i, k := range x.keys {
			sub := append(slices.Clip(path), k)
			out = requiredStrings(sub, x.nodes[i], out)
		}
	}
	return out
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
