package match

import (
	"math/bits"
	"math/rand/v2"
	"slices"
)

// strTable is the index of one path of a Set: it maps strings to the
// entries that require the value at the path to equal the string (exact
// keys) or to start with it (prefix keys).
//
// A lookup hashes the value once, in a single pass over its bytes that
// also yields the hash of each of its prefixes whose length some prefix
// key has. For each of these hashes it tests the filter of one shard,
// which rejects most absent keys, and probes the shard's slots only when
// the filter admits the hash: about once per key actually present. So a
// lookup costs the same however many patterns the table holds, but for
// the number of distinct prefix lengths. A slot fills one cache line and
// holds its first entry, so that a hit on a key with one pattern reads the
// slot, then the key and the entry's test, which the processor can fetch
// in parallel.
//
// A strTable is immutable once published. with and without return a copy
// that shares every shard they leave alone, so adding a pattern copies the
// shard pointers and one shard of a few dozen keys.
type strTable struct {
	shards []*strShard // 1<<bits of them, selected by the top bits of a hash
	bits   uint
	keys   int // distinct keys
	// lens has bit n set when some prefix key is n bytes long (0 < n <
	// 64); long holds the lengths of longer prefix keys, ascending.
	lens uint64
	long []int
	// counts is the number of prefix keys of each length, to maintain
	// lens and long as keys go.
	counts []lenCount
	n      int // entries
}

type lenCount struct{ n, count int }

const (
	// keysPerShard is the most keys per shard on average: beyond, the
	// table doubles its shards (up to 1<<maxShardBits), so that a shard
	// holds 16 to 32 keys on average and its filter 16 to 32 bits per key.
	keysPerShard  = 32
	maxShardBits  = 20
	filterWords   = 8 // 512 bits
	minShardSlots = 4
)

// strShard is an open-addressing hash table (linear probing, at most half
// full) of the keys whose hash selects it, behind a blocked Bloom filter
// of their hashes (two bits per key, in one word) that admits about 1% of
// absent keys. The filter comes first and fills the first cache line of
// the shard, so that testing it reads one line.
type strShard struct {
	filter [filterWords]uint64
	mask   uint64                // len(slots) - 1
	slots  []strSlot             // a power of two in length
	n      int                   // used slots
	_      [64 - 8 - 24 - 8]byte // pads the shard to two cache lines
}

// strSlot holds the entries under one key, exact or prefix: a prefix key
// hashes differently from the same string as an exact key. A slot whose
// hash is zero is free.
type strSlot struct {
	hash  uint64
	key   string
	first setEntry
	more  *[]setEntry // the other entries, if any
}

// prefixSalt distinguishes the hash of a prefix key from that of the same
// string as an exact key.
const prefixSalt = 0x2d358dccaa6c78a5

// eval appends to dst the ids of the entries of t that the string s
// selects and that match doc: those of the exact key s, and those of the
// prefix keys s and each prefix of s.
func (t *strTable) eval(s string, doc *target, dst []int) []int {
	st, i := hashSeed, 0 // the hash state after s[:i]
	lens := t.lens
	if len(s) < 64 {
		lens &= 1<<(len(s)+1) - 1
	}
	for lens != 0 {
		n := bits.TrailingZeros64(lens)
		lens &= lens - 1
		for ; i+8 <= n; i += 8 {
			st = hashStep(st, load64(s, i))
		}
		var w uint64 // tailWord(s, i, n), inlined
		if i+8 <= len(s) {
			w = load64(s, i) & (1<<(8*(n-i)) - 1)
		} else {
			w = tailWordAtEnd(s, i, n)
		}
		h := hashEnd(st^prefixSalt, w, n)
		if sh := t.shard(h); sh != nil {
			dst = sh.eval(h, s[:n], doc, dst)
		}
	}
	for _, n := range t.long {
		if n > len(s) {
			break
		}
		for ; i+8 <= n; i += 8 {
			st = hashStep(st, load64(s, i))
		}
		h := hashEnd(st^prefixSalt, tailWord(s, i, n), n)
		if sh := t.shard(h); sh != nil {
			dst = sh.eval(h, s[:n], doc, dst)
		}
	}
	for ; i+8 <= len(s); i += 8 {
		st = hashStep(st, load64(s, i))
	}
	var w uint64 // tailWord(s, i, len(s)), inlined
	if len(s) >= 8 {
		w = load64(s, len(s)-8) >> (8 * (i + 8 - len(s))) // 0 when i == len(s)
	} else {
		w = tailWordAtEnd(s, i, len(s))
	}
	h := hashEnd(st, w, len(s))
	if sh := t.shard(h); sh != nil {
		dst = sh.eval(h, s, doc, dst)
	}
	return dst
}

// shard returns the shard for hash h if its filter admits h, or nil.
// Most lookups end here.
func (t *strTable) shard(h uint64) *strShard {
	if len(t.shards) == 0 {
		return nil
	}
	sh := t.shards[t.shardOf(h)]
	if sh == nil {
		return nil
	}
	w, mask := filterBits(h)
	if sh.filter[w]&mask != mask {
		return nil
	}
	return sh
}

// eval appends the ids of the entries under key, whose hash is h, that
// match doc.
func (sh *strShard) eval(h uint64, key string, doc *target, dst []int) []int {
	sl := sh.probe(h, key)
	switch {
	case sl == nil:
		return dst
	case sl.more == nil && sl.first.test == nil:
		return append(dst, sl.first.id) // the index decides the pattern
	}
	return sl.eval(doc, dst)
}

// probe returns the slot of key, whose hash is h, or nil.
func (sh *strShard) probe(h uint64, key string) *strSlot {
	for j := h & sh.mask; ; j = (j + 1) & sh.mask {
		sl := &sh.slots[j]
		if sl.hash == h && sl.key == key {
			return sl
		}
		if sl.hash == 0 {
			return nil
		}
	}
}

// eval appends the ids of the entries of sl that match doc.
func (sl *strSlot) eval(doc *target, dst []int) []int {
	if sl.first.matches(doc) {
		dst = append(dst, sl.first.id)
	}
	if sl.more != nil {
		for i := range *sl.more {
			if e := &(*sl.more)[i]; e.matches(doc) {
				dst = append(dst, e.id)
			}
		}
	}
	return dst
}

// filterBits returns the word of a shard's filter, and the bits in it,
// that stand for hash h. They use bits of h that neither the shard (the
// top ones) nor, in practice, the slot (the lowest) depend on.
func filterBits(h uint64) (int, uint64) {
	return int(h>>24) & (filterWords - 1), 1<<(h>>30&63) | 1<<(h>>36&63)
}

// load returns how many entries sit under keys, exact or prefix keys.
func (t *strTable) load(keys []string, prefix bool) int {
	n := 0
	for _, k := range keys {
		h := keyHash(k, prefix)
		if sh := t.shard(h); sh != nil {
			if sl := sh.probe(h, k); sl != nil {
				n++
				if sl.more != nil {
					n += len(*sl.more)
				}
			}
		}
	}
	return n
}

// keyHash returns the hash of an exact or prefix key.
func keyHash(key string, prefix bool) uint64 {
	h, i := hashSeed, 0
	for ; i+8 <= len(key); i += 8 {
		h = hashStep(h, load64(key, i))
	}
	if prefix {
		h ^= prefixSalt
	}
	return hashEnd(h, tailWord(key, i, len(key)), len(key))
}

// with returns a copy of t with e added under each of keys, as exact or
// prefix keys.
func (t *strTable) with(keys []string, prefix bool, e setEntry) *strTable {
	c := *t
	c.shards = slices.Clone(t.shards)
	if len(c.shards) == 0 {
		c.shards = make([]*strShard, 1)
	}
	for _, k := range keys {
		h := keyHash(k, prefix)
		i := c.shardOf(h)
		var added bool
		c.shards[i], added = c.shards[i].with(h, k, e)
		if added {
			c.keys++
			if prefix {
				c.countLen(len(k), +1)
			}
		}
	}
	if c.keys > keysPerShard<<c.bits && c.bits < maxShardBits {
		c.split()
	}
	c.n++
	return &c
}

// without returns a copy of t without the entry id under each of keys.
func (t *strTable) without(keys []string, prefix bool, id int) *strTable {
	c := *t
	c.shards = slices.Clone(t.shards)
	for _, k := range keys {
		h := keyHash(k, prefix)
		i := c.shardOf(h)
		var removed bool
		c.shards[i], removed = c.shards[i].without(h, k, id)
		if removed {
			c.keys--
			if prefix {
				c.countLen(len(k), -1)
			}
		}
	}
	c.n--
	return &c
}

// shardOf returns the index of the shard for hash h: its top t.bits bits.
// (Two shifts, each by less than 64, are cheaper than one that may be 64.)
func (t *strTable) shardOf(h uint64) uint64 { return h >> 1 >> ((63 - t.bits) & 63) }

// split doubles the shards of t, which owns its shard slice.
func (t *strTable) split() {
	old := t.shards
	t.bits++
	t.shards = make([]*strShard, 1<<t.bits)
	for i, sh := range old {
		if sh == nil {
			continue
		}
		var halves [2][]strSlot
		for _, sl := range sh.slotsOf() {
			half := t.shardOf(sl.hash) & 1
			halves[half] = append(halves[half], sl)
		}
		for half, slots := range halves {
			if len(slots) > 0 {
				t.shards[2*i+half] = newShard(slots)
			}
		}
	}
}

// countLen adds d to the number of prefix keys n bytes long.
func (t *strTable) countLen(n, d int) {
	t.counts = slices.Clone(t.counts)
	j, found := slices.BinarySearchFunc(t.counts, n, func(lc lenCount, n int) int { return lc.n - n })
	if !found {
		t.counts = slices.Insert(t.counts, j, lenCount{n: n})
	}
	t.counts[j].count += d
	if t.counts[j].count == 0 {
		t.counts = slices.Delete(t.counts, j, j+1)
	}
	t.lens, t.long = 0, nil
	for _, lc := range t.counts {
		if lc.n < 64 {
			t.lens |= 1 << lc.n
		} else {
			t.long = append(t.long, lc.n)
		}
	}
}

// slotsOf returns the used slots of sh.
func (sh *strShard) slotsOf() []strSlot {
	out := make([]strSlot, 0, sh.n)
	for _, sl := range sh.slots {
		if sl.hash != 0 {
			out = append(out, sl)
		}
	}
	return out
}

// clone returns a copy of sh.
func (sh *strShard) clone() *strShard {
	c := *sh
	c.slots = slices.Clone(sh.slots)
	return &c
}

// slotOf returns the index of the slot of key, whose hash is h, or -1.
func (sh *strShard) slotOf(h uint64, key string) int {
	for j := h & sh.mask; sh.slots[j].hash != 0; j = (j + 1) & sh.mask {
		if sh.slots[j].hash == h && sh.slots[j].key == key {
			return int(j)
		}
	}
	return -1
}

// with returns a copy of sh (which may be nil) with e added under key,
// whose hash is h, and whether key is new.
func (sh *strShard) with(h uint64, key string, e setEntry) (*strShard, bool) {
	if sh == nil {
		return newShard([]strSlot{{hash: h, key: key, first: e}}), true
	}
	if j := sh.slotOf(h, key); j >= 0 {
		c := sh.clone()
		var more []setEntry
		if c.slots[j].more != nil {
			more = slices.Clone(*c.slots[j].more)
		}
		more = append(more, e)
		c.slots[j].more = &more
		return c, false
	}
	sl := strSlot{hash: h, key: key, first: e}
	if 2*(sh.n+1) > len(sh.slots) {
		return newShard(append(sh.slotsOf(), sl)), true
	}
	c := sh.clone()
	c.insert(sl)
	return c, true
}

// without returns a copy of sh without the entry id under key, whose hash
// is h (nil if no key remains), and whether key went.
func (sh *strShard) without(h uint64, key string, id int) (*strShard, bool) {
	j := -1
	if sh != nil {
		j = sh.slotOf(h, key)
	}
	if j < 0 {
		return sh, false
	}
	var es []setEntry
	if sh.slots[j].more != nil {
		es = *sh.slots[j].more
	}
	es = slices.DeleteFunc(append([]setEntry{sh.slots[j].first}, es...), func(e setEntry) bool { return e.id == id })
	if len(es) > 0 {
		c := sh.clone()
		c.slots[j].first, c.slots[j].more = es[0], nil
		if len(es) > 1 {
			more := slices.Clone(es[1:])
			c.slots[j].more = &more
		}
		return c, false
	}
	if sh.n == 1 {
		return nil, true
	}
	if 8*(sh.n-1) < len(sh.slots) && len(sh.slots) > minShardSlots {
		slots := sh.slotsOf()
		i := slices.IndexFunc(slots, func(sl strSlot) bool { return sl.hash == h && sl.key == key })
		return newShard(slices.Delete(slots, i, i+1)), true
	}
	c := sh.clone()
	c.delete(j)
	// Rebuild the filter, so that removed keys do not linger in it.
	c.filter = [filterWords]uint64{}
	for _, sl := range c.slots {
		if sl.hash != 0 {
			w, mask := filterBits(sl.hash)
			c.filter[w] |= mask
		}
	}
	return c, true
}

// insert adds the new key of sl to sh, which has room for it.
func (sh *strShard) insert(sl strSlot) {
	j := sl.hash & sh.mask
	for sh.slots[j].hash != 0 {
		j = (j + 1) & sh.mask
	}
	sh.slots[j] = sl
	sh.n++
	w, mask := filterBits(sl.hash)
	sh.filter[w] |= mask
}

// delete frees slot j, moving back the slots after it that linear probing
// would no longer find.
func (sh *strShard) delete(j int) {
	i := uint64(j)
	for k := (i + 1) & sh.mask; sh.slots[k].hash != 0; k = (k + 1) & sh.mask {
		// The slot at k stays if its home is cyclically in (i, k].
		home := sh.slots[k].hash & sh.mask
		if (k-home)&sh.mask < (k-i)&sh.mask {
			continue
		}
		sh.slots[i] = sh.slots[k]
		i = k
	}
	sh.slots[i] = strSlot{}
	sh.n--
}

// newShard lays slots out in a new shard.
func newShard(slots []strSlot) *strShard {
	size := minShardSlots
	for size < 2*len(slots) {
		size *= 2
	}
	sh := &strShard{mask: uint64(size - 1), slots: make([]strSlot, size)}
	for _, sl := range slots {
		sh.insert(sl)
	}
	return sh
}

// The hash of the string index: a word-at-a-time folded-multiply hash, in
// the manner of wyhash and foldhash, whose state after the whole 8-byte
// words of a string is shared by its prefixes, so that one pass over a
// value hashes it and all its indexed prefixes. The state starts from a
// random seed and every word is mixed into it before the multiplication,
// so that no chosen word can reset it. Lookups hash untrusted values, but
// a value never enters the table: a collision costs one string comparison.

var hashSeed = rand.Uint64()

const (
	hashK0 = 0xa0761d6478bd642f
	hashK1 = 0xe7037ed1a0b428db
	hashK2 = 0x8ebc6af09c88c6e3
	hashK3 = 0x589965cc75374cc3
)

func hashMix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hashStep absorbs the 8-byte word w into the state h.
func hashStep(h, w uint64) uint64 { return hashMix(h^w^hashK0, hashK1) }

// tailWord returns s[i:n], where n-i < 8, as a little-endian word padded
// with zeros.
func tailWord(s string, i, n int) uint64 {
	if i+8 <= len(s) {
		return load64(s, i) & (1<<(8*(n-i)) - 1)
	}
	return tailWordAtEnd(s, i, n)
}

// tailWordAtEnd is tailWord when s ends before i+8.
func tailWordAtEnd(s string, i, n int) uint64 {
	if len(s) >= 8 {
		// s[i:n] lies within the last 8 bytes of s.
		return load64(s, len(s)-8) >> (8 * (i + 8 - len(s))) & (1<<(8*(n-i)) - 1)
	}
	// s is shorter than a word: read s[i:n] in overlapping halves.
	switch m := n - i; {
	case m >= 4:
		return uint64(load32(s, i)) | uint64(load32(s, n-4))>>(8*(8-m))<<32
	case m > 0:
		return uint64(s[i]) | uint64(s[i+m/2])<<(8*(m/2)) | uint64(s[n-1])<<(8*(m-1))
	}
	return 0
}

// hashEnd returns the hash of a string of n bytes from the state h after
// its whole 8-byte words and the word w of its remaining bytes. A hash is
// never zero, so that zero can mark a free slot.
func hashEnd(h, w uint64, n int) uint64 {
	h = hashMix(h^w^hashK2, uint64(n)^hashK3)
	h ^= h >> 32
	if h *= hashK1; h == 0 {
		return 1
	}
	return h
}

// load32 returns the little-endian 32-bit word at s[i:i+4].
func load32(s string, i int) uint32 {
	b := s[i : i+4]
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// load64 returns the little-endian word at s[i:i+8].
func load64(s string, i int) uint64 {
	b := s[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}
