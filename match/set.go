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
	// check is what remains to verify once the index found the entry:
	// the whole pattern, or the pattern without the indexed field when
	// the index alone decides that field; nil when nothing remains.
	check node
}

func (e *setEntry) matches(doc any) bool { return e.check == nil || e.check.match(doc, true) }

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
	r := &registration{e: &setEntry{id: id, m: m, check: m.root}}
	if c, ok := bestIndex(m); ok {
		if c.whole {
			r.e.check = residual(m, c)
		}
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
		dst = pi.exact.eval(str, hashKey(str), doc, dst)
		for _, g := range pi.prefixes {
			if len(str) < g.n {
				break
			}
			dst = g.idx.eval(str[:g.n], hashKey(str[:g.n]), doc, dst)
		}
	}
	for _, e := range snap.always {
		if e.matches(doc) {
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
// and without copy only what they change, so adding a pattern costs little
// even with many thousands in the set. Keys are hashed once per lookup: a
// small bit filter rejects most absent keys without touching the maps,
// and the maps are keyed by the same 64-bit hash.
type strIndex struct {
	filter *[filterWords]uint64
	shards [nShards]map[uint64]*bucket
	len    int
}

// bucket holds the entries under one key; buckets whose keys share a
// hash are chained. Buckets are immutable once published.
type bucket struct {
	key     string
	entries []*setEntry
	next    *bucket
}

const (
	nShards     = 64
	filterWords = 512 // 32768 bits
)

var (
	hashSeed    = maphash.MakeSeed()
	emptyFilter = new([filterWords]uint64)
)

func hashKey(s string) uint64 { return maphash.String(hashSeed, s) }

func filterBit(h uint64) (word int, bit uint64) {
	b := (h >> 32) % (filterWords * 64)
	return int(b / 64), 1 << (b % 64)
}

// eval appends the ids of the entries under key (whose hash is h) that
// match doc.
func (x *strIndex) eval(key string, h uint64, doc any, dst []int) []int {
	w, bit := filterBit(h)
	if x.filter == nil || x.filter[w]&bit == 0 {
		return dst
	}
	for b := x.shards[h%nShards][h]; b != nil; b = b.next {
		if b.key != key {
			continue
		}
		for _, e := range b.entries {
			if e.matches(doc) {
				dst = append(dst, e.id)
			}
		}
	}
	return dst
}

func (x *strIndex) with(keys []string, e *setEntry) *strIndex {
	c := *x
	f := *emptyFilter
	if x.filter != nil {
		f = *x.filter
	}
	c.filter = &f
	copied := map[uint64]bool{}
	for _, k := range keys {
		h := hashKey(k)
		w, bit := filterBit(h)
		c.filter[w] |= bit
		i := h % nShards
		if !copied[i] {
			c.shards[i] = cloneShard(c.shards[i])
			copied[i] = true
		}
		c.shards[i][h] = withEntry(c.shards[i][h], k, e)
	}
	c.len++
	return &c
}

// without removes e; the filter keeps its bits, which only costs a map
// probe for a key no longer present.
func (x *strIndex) without(keys []string, e *setEntry) *strIndex {
	c := *x
	copied := map[uint64]bool{}
	for _, k := range keys {
		h := hashKey(k)
		i := h % nShards
		if !copied[i] {
			c.shards[i] = cloneShard(c.shards[i])
			copied[i] = true
		}
		if b := withoutEntry(c.shards[i][h], k, e); b == nil {
			delete(c.shards[i], h)
		} else {
			c.shards[i][h] = b
		}
	}
	c.len--
	return &c
}

// withEntry returns a copy of the chain with e added under key.
func withEntry(b *bucket, key string, e *setEntry) *bucket {
	if b == nil {
		return &bucket{key: key, entries: []*setEntry{e}}
	}
	c := *b
	if b.key == key {
		c.entries = append(slices.Clip(b.entries), e)
	} else {
		c.next = withEntry(b.next, key, e)
	}
	return &c
}

// withoutEntry returns a copy of the chain without e under key.
func withoutEntry(b *bucket, key string, e *setEntry) *bucket {
	if b == nil {
		return nil
	}
	c := *b
	if b.key == key {
		c.entries = slices.DeleteFunc(slices.Clone(b.entries), func(x *setEntry) bool { return x == e })
		if len(c.entries) == 0 {
			return b.next
		}
		return &c
	}
	c.next = withoutEntry(b.next, key, e)
	return &c
}

func cloneShard(m map[uint64]*bucket) map[uint64]*bucket {
	c := make(map[uint64]*bucket, len(m)+1)
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
	// whole: the index decides the test at path entirely, which is field
	// (an event pattern's field index, or a data pattern's top-level key).
	whole bool
	field int
	key   string
}

// bestIndex picks the most selective required string field of m: an exact
// value beats a set of values, which beats a prefix; a longer prefix beats
// a shorter one.
func bestIndex(m *Matcher) (indexCandidate, bool) {
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
	best := cands[0]
	for _, c := range cands[1:] {
		if score(c) < score(best) {
			best = c
		}
	}
	return best, true
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

// residual is what remains of m to verify when the index decides the
// whole field c.
func residual(m *Matcher, c indexCandidate) node {
	if m.event {
		tree := &pathTree{}
		for i, f := range m.fields {
			if i != c.field {
				tree.add(f.path, f.node)
			}
		}
		if len(tree.keys) == 0 {
			return nil
		}
		tree.sort()
		return tree
	}
	mn := m.root.(*mapNode)
	rest := &mapNode{}
	for i, k := range mn.keys {
		if k != c.key {
			rest.keys = append(rest.keys, k)
			rest.nodes = append(rest.nodes, mn.nodes[i])
		}
	}
	if len(rest.keys) == 0 {
		return nil // the index found a string in the document: it is an object
	}
	return rest
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
