package memory

// indexed is what an indexedHeap holds: an item that keeps its position
// in the heap (-1 when out of it).
type indexed interface {
	comparable
	heapIndex() *int
}

// indexedHeap is a binary min-heap that keeps each item's position
// current, so that an item can be removed or moved in O(log n). less
// orders it.
type indexedHeap[T indexed] struct {
	items []T
	less  func(a, b T) bool
}

func (h *indexedHeap[T]) Len() int { return len(h.items) }

func (h *indexedHeap[T]) swap(i, j int) {
	h.items[i], h.items[j] = h.items[j], h.items[i]
	*h.items[i].heapIndex() = i
	*h.items[j].heapIndex() = j
}

func (h *indexedHeap[T]) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h *indexedHeap[T]) down(i int) bool {
	start := i
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.less(h.items[r], h.items[l]) {
			j = r
		}
		if !h.less(h.items[j], h.items[i]) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > start
}

// push adds x.
func (h *indexedHeap[T]) push(x T) {
	i := len(h.items)
	*x.heapIndex() = i
	h.items = append(h.items, x)
	h.up(i)
}

// peek returns the least item, or the zero T.
func (h *indexedHeap[T]) peek() T {
	if len(h.items) == 0 {
		var zero T
		return zero
	}
	return h.items[0]
}

// pop removes and returns the least item, or the zero T.
func (h *indexedHeap[T]) pop() T {
	if len(h.items) == 0 {
		var zero T
		return zero
	}
	return h.remove(h.items[0])
}

// remove removes x, which must be in h.
func (h *indexedHeap[T]) remove(x T) T {
	i := *x.heapIndex()
	n := len(h.items) - 1
	if i != n {
		h.swap(i, n)
	}
	var zero T
	h.items[n] = zero
	h.items = h.items[:n]
	if i != n && !h.down(i) {
		h.up(i)
	}
	*x.heapIndex() = -1
	return x
}

// fix restores the heap order after x's key changed.
func (h *indexedHeap[T]) fix(x T) {
	if i := *x.heapIndex(); !h.down(i) {
		h.up(i)
	}
}

// reset empties the heap.
func (h *indexedHeap[T]) reset() {
	clear(h.items)
	h.items = h.items[:0]
}
