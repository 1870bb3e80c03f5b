package memory

import (
	"math/rand/v2"
	"slices"
	"testing"
)

type heapTestItem struct{ key, index int }

func (x *heapTestItem) heapIndex() *int { return &x.index }

// Random pushes, removals, key changes and pops keep the heap's order and
// each item's index, against a sorted slice.
func TestIndexedHeapAgainstSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	h := indexedHeap[*heapTestItem]{less: func(a, b *heapTestItem) bool { return a.key < b.key }}
	var in []*heapTestItem
	for step := range 20000 {
		switch op := r.IntN(10); {
		case op < 4 || len(in) == 0:
			x := &heapTestItem{key: r.IntN(1000)}
			h.push(x)
			in = append(in, x)
		case op < 6:
			i := r.IntN(len(in))
			if got := h.remove(in[i]); got != in[i] || got.index != -1 {
				t.Fatalf("step %d: remove returned %v", step, got)
			}
			in = slices.Delete(in, i, i+1)
		case op < 8:
			x := in[r.IntN(len(in))]
			x.key = r.IntN(1000)
			h.fix(x)
		default:
			least := slices.MinFunc(in, func(a, b *heapTestItem) int { return a.key - b.key })
			got := h.pop()
			if got.key != least.key {
				t.Fatalf("step %d: pop gave key %d, want %d", step, got.key, least.key)
			}
			in = slices.DeleteFunc(in, func(x *heapTestItem) bool { return x == got })
		}
		if h.Len() != len(in) {
			t.Fatalf("step %d: Len %d, want %d", step, h.Len(), len(in))
		}
		for i, x := range h.items {
			if x.index != i {
				t.Fatalf("step %d: item at %d records index %d", step, i, x.index)
			}
		}
	}
	for prev := -1; h.Len() > 0; {
		x := h.pop()
		if x.key < prev {
			t.Fatalf("popped %d after %d", x.key, prev)
		}
		prev = x.key
	}
	if h.peek() != nil || h.pop() != nil {
		t.Fatal("an empty heap gave an item")
	}
}
