package memory

import (
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
	timers indexedHeap[*manualTimer]
	seq    uint64
	// changed is closed, and cleared, when the set of timers changes.
	changed chan struct{}
}

// NewManualClock returns a ManualClock that reads start until advanced.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start, timers: indexedHeap[*manualTimer]{less: timerBefore}}
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
	c.timers.push(t)
	c.signalLocked()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		if t.index < 0 {
			return false
		}
		c.timers.remove(t)
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
	return c.timers.Len()
}

// BlockUntil waits until at least n functions wait for the clock, or ctx
// ends. A test calls it to know that the receivers it started are
// polling before it advances the clock.
func (c *ManualClock) BlockUntil(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		if c.timers.Len() >= n {
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
	for t := c.timers.peek(); t != nil && !t.when.After(c.now); t = c.timers.peek() {
		due = append(due, c.timers.pop())
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

func (t *manualTimer) heapIndex() *int { return &t.index }

// timerBefore orders manual timers by due time, then registration.
func timerBefore(a, b *manualTimer) bool {
	if !a.when.Equal(b.when) {
		return a.when.Before(b.when)
	}
	return a.seq < b.seq
}
