package memory

import (
	"container/heap"
	"context"
	"sync"
	"time"
)

// Clock is the time source of a [Broker]: visibility timeouts, delays,
// long-poll waits, deduplication windows and timestamps all follow it.
// The default is the system clock; tests that must not wait use a
// [ManualClock]. Implementations must be safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc arranges for f to be called once d has passed and
	// returns a function that cancels the call, reporting whether it
	// did. f must not be called while the caller of AfterFunc holds
	// locks it might need: the system clock calls it in its own
	// goroutine.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// systemClock is the Clock of the time package.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// ManualClock is a [Clock] that moves only when told to, so that tests of
// visibility timeouts, delays and retries run instantly and exactly:
//
//	clock := memory.NewManualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
//	broker := memory.New(memory.WithClock(clock))
//	...
//	clock.Advance(30 * time.Second) // the visibility timeout ends
//
// A long poll on a broker with a ManualClock waits until the clock is
// advanced past its WaitTime, a message arrives or its context ends.
// ManualClock is safe for concurrent use.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers timerHeap
	seq    uint64
	// changed is closed, and cleared, when the set of timers changes.
	changed chan struct{}
}

// NewManualClock returns a ManualClock that reads start until advanced.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start}
}

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc arranges for f to be called when the clock is advanced d or
// more past now. f runs in the goroutine that advances the clock, after
// the clock has moved. A d of zero or less calls f at the next Advance,
// even of zero.
func (c *ManualClock) AfterFunc(d time.Duration, f func()) func() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &manualTimer{when: c.now.Add(d), seq: c.seq, f: f, index: -1}
	heap.Push(&c.timers, t)
	c.signalLocked()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if t.index < 0 {
			return false
		}
		heap.Remove(&c.timers, t.index)
		c.signalLocked()
		return true
	}
}

func (c *ManualClock) signalLocked() {
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// Pending returns the number of functions waiting for the clock: on a
// broker, one per long poll in progress.
func (c *ManualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// BlockUntil waits until at least n functions wait for the clock, or ctx
// ends. A test calls it to know that the receivers it started are
// polling before it advances the clock.
func (c *ManualClock) BlockUntil(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		if len(c.timers) >= n {
			c.mu.Unlock()
			return nil
		}
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		}
	}
}

// Advance moves the clock forward by d and calls, in time order, every
// function registered with AfterFunc that has become due. A negative d
// panics: clocks do not run backwards.
func (c *ManualClock) Advance(d time.Duration) {
	if d < 0 {
		panic("memory: ManualClock.Advance with a negative duration")
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []*manualTimer
	for len(c.timers) > 0 && !c.timers[0].when.After(c.now) {
		due = append(due, heap.Pop(&c.timers).(*manualTimer))
	}
	if len(due) > 0 {
		c.signalLocked()
	}
	c.mu.Unlock()
	for _, t := range due {
		t.f()
	}
}

// manualTimer is a function waiting for a ManualClock.
type manualTimer struct {
	when  time.Time
	seq   uint64
	f     func()
	index int
}

// timerHeap orders manual timers by due time, then registration.
type timerHeap []*manualTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*manualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}
