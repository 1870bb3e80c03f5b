package match

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// tableKey is one registration in a strTable: entry id under key, as an
// exact or a prefix key.
type tableKey struct {
	id     int
	key    string
	prefix bool
	// reject makes the entry's check fail on every document but "pass",
	// so that the test sees checks applied.
	reject bool
}

func (k tableKey) entry() setEntry {
	e := setEntry{id: k.id}
	if k.reject {
		e.test = &eqString{"pass"}
	}
	return e
}

// selects is what the table must return for value s and document doc.
func (k tableKey) selects(s string, doc any) bool {
	if k.reject && doc != "pass" {
		return false
	}
	if k.prefix {
		return strings.HasPrefix(s, k.key)
	}
	return s == k.key
}

// randKey returns a string over a small alphabet, so that keys often are
// prefixes of one another and of values, of every length up to about 90
// bytes (past 64, where prefix lengths are kept apart, and across several
// 8-byte words).
func randKey(r *rand.Rand) string {
	n := r.IntN(12)
	switch r.IntN(4) {
	case 0:
		n = r.IntN(90)
	case 1:
		n = 60 + r.IntN(10)
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = "ab."[r.IntN(3)]
	}
	return string(b)
}

// randValue returns a value that often extends or equals some key.
func randValue(r *rand.Rand, keys []tableKey) string {
	if len(keys) == 0 || r.IntN(4) == 0 {
		return randKey(r)
	}
	k := keys[r.IntN(len(keys))].key
	switch r.IntN(3) {
	case 0:
		return k
	case 1:
		return k + randKey(r)
	}
	return k[:r.IntN(len(k)+1)]
}

func checkTable(t *testing.T, tab *strTable, keys []tableKey, s string, doc any) {
	t.Helper()
	got := slices.Sorted(slices.Values(tab.eval(s, &target{doc: doc}, nil)))
	var want []int
	for _, k := range keys {
		if k.selects(s, doc) {
			want = append(want, k.id)
		}
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("eval(%q, %v) = %v, want %v", s, doc, got, want)
	}
}

// The table must return exactly the entries whose key equals the value
// (exact) or starts it (prefix) and whose check passes, as keys come and
// go, so that shards grow, shrink and delete slots.
func TestStrTableAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 14))
	tab := &strTable{}
	var keys []tableKey
	check := func() {
		t.Helper()
		for range 200 {
			doc := "pass"
			if r.IntN(3) == 0 {
				doc = "fail"
			}
			checkTable(t, tab, keys, randValue(r, keys), doc)
		}
		if tab.n != len(keys) {
			t.Fatalf("n = %d, want %d", tab.n, len(keys))
		}
	}
	for id := range 3000 {
		k := tableKey{id: id, key: randKey(r), prefix: r.IntN(2) == 0, reject: r.IntN(5) == 0}
		if r.IntN(4) == 0 && len(keys) > 0 {
			k.key = keys[r.IntN(len(keys))].key // several entries under a key
		}
		tab = tab.with([]string{k.key}, k.prefix, k.entry())
		keys = append(keys, k)
		if id%300 == 0 {
			check()
		}
	}
	check()
	for len(keys) > 0 {
		i := r.IntN(len(keys))
		k := keys[i]
		tab = tab.without([]string{k.key}, k.prefix, k.id)
		keys = slices.Delete(keys, i, i+1)
		if len(keys)%300 == 0 {
			check()
		}
	}
	for i, sh := range tab.shards {
		if sh != nil {
			t.Fatalf("shard %d holds %d keys after every key went", i, sh.n)
		}
	}
	if tab.lens != 0 || len(tab.long) != 0 || len(tab.counts) != 0 {
		t.Fatalf("prefix lengths remain after every key went: %b %v %v", tab.lens, tab.long, tab.counts)
	}
}

// A table is immutable: with and without leave the table they copy as it
// was, which is what readers of an older snapshot of a Set rely on.
func TestStrTableCopiesOnWrite(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	tab := &strTable{}
	var keys []tableKey
	for id := range 500 {
		k := tableKey{id: id, key: randKey(r), prefix: r.IntN(2) == 0}
		tab = tab.with([]string{k.key}, k.prefix, k.entry())
		keys = append(keys, k)
	}
	old, oldKeys := tab, slices.Clone(keys)
	for i := 0; i < len(keys); i += 2 {
		tab = tab.without([]string{keys[i].key}, keys[i].prefix, keys[i].id)
	}
	for id := 500; id < 800; id++ {
		tab = tab.with([]string{randKey(r)}, r.IntN(2) == 0, setEntry{id: id})
	}
	for range 500 {
		checkTable(t, old, oldKeys, randValue(r, oldKeys), "pass")
	}
}

// The hash of a prefix computed on the way through a longer string must
// be the hash of the prefix on its own: tailWord reads the same bytes
// whatever follows them.
func TestTailWord(t *testing.T) {
	s := "0123456789abcdefghijklmnopqrstuvwxyz"
	for end := 0; end <= len(s); end++ {
		for n := 0; n <= end; n++ {
			i := n &^ 7
			var want uint64
			for j := n - 1; j >= i; j-- {
				want = want<<8 | uint64(s[j])
			}
			if got := tailWord(s[:end], i, n); got != want {
				t.Fatalf("tailWord(%q, %d, %d) = %#x, want %#x", s[:end], i, n, got, want)
			}
		}
	}
}

// One lookup probes the slots only for the keys the filters admit: about
// one per key actually present, however many keys the table holds.
func TestStrTableFilterRejectsAbsentKeys(t *testing.T) {
	tab := &strTable{}
	for i := range 10_000 {
		tab = tab.with([]string{fmt.Sprintf("name-%d", i)}, false, setEntry{id: i})
	}
	admitted := 0
	const lookups = 10_000
	for i := range lookups {
		h := keyHash(fmt.Sprintf("absent-%d", i), false)
		if tab.shard(h) != nil {
			admitted++
		}
	}
	// 16 to 32 filter bits per key, two bits per key: about 1%.
	if rate := float64(admitted) / lookups; rate > 0.05 {
		t.Fatalf("the filters admit %.1f%% of absent keys", 100*rate)
	}
}

// A slot fills one cache line and a shard's filter the first line of the
// shard, on 64-bit platforms: lookups read one line for each.
func TestStrTableLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout is tuned for 64-bit platforms")
	}
	if got := unsafe.Sizeof(strSlot{}); got != 64 {
		t.Errorf("a slot takes %d bytes, not 64", got)
	}
	if got := unsafe.Sizeof(strShard{}); got != 128 {
		t.Errorf("a shard takes %d bytes, not 128", got)
	}
	if got := unsafe.Offsetof(strShard{}.filter) + unsafe.Sizeof(strShard{}.filter); got != 64 {
		t.Errorf("a shard's filter ends at byte %d, not 64", got)
	}
}
