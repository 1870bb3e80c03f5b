package mega

import (
	"math"
	"testing"
	"time"
)

func adaptiveWindow(t *testing.T, now time.Time) *window {
	t.Helper()
	cfg := defaults()
	cfg.concurrency = 10
	return newWindow(&cfg, now)
}

// A window that starts small opens within a few round trips while the
// handlers wait for messages: each full receive with no room for another
// batch adds a batch, so the bound about doubles every round trip.
func TestWindowSlowStart(t *testing.T) {
	t0 := time.Unix(0, 0)
	w := adaptiveWindow(t, t0)
	if got := w.size(); got != defaultWindow {
		t.Fatalf("starts at %d, want %d", got, defaultWindow)
	}
	// Room for a batch: the window is not what holds the consumer back.
	w.grow(batchSize)
	if got := w.size(); got != defaultWindow {
		t.Fatalf("grew to %d with room to spare", got)
	}
	rounds := 0
	for w.size() < maxWindow {
		rounds++
		if rounds > 10 {
			t.Fatalf("still %d after %d round trips", w.size(), rounds)
		}
		// Every batch's worth of the window is a receive under way that
		// comes back full with the window full.
		for range w.size() / batchSize {
			for w.room(batchSize) {
				w.acquire(batchSize)
			}
			w.grow(batchSize)
		}
	}
	if rounds > 4 {
		t.Errorf("took %d round trips from %d to %d, want at most 4", rounds, defaultWindow, maxWindow)
	}
	w.grow(batchSize)
	if got := w.size(); got != maxWindow {
		t.Errorf("grew past the ceiling to %d", got)
	}
}

// A sample in which the window grew does not shrink it, however low the
// rate it saw; a later sample without growth does, by at most a quarter.
func TestWindowSampleAfterGrowth(t *testing.T) {
	t0 := time.Unix(0, 0)
	w := adaptiveWindow(t, t0)
	w.acquire(defaultWindow)
	w.grow(batchSize)
	grown := w.size()
	if grown != defaultWindow+batchSize {
		t.Fatalf("grew to %d, want %d", grown, defaultWindow+batchSize)
	}
	w.observe(15*time.Millisecond, t0.Add(windowSample))
	if got := w.size(); got != grown {
		t.Fatalf("the sample after growth moved the bound from %d to %d", grown, got)
	}
	w.observe(15*time.Millisecond, t0.Add(2*windowSample))
	if got, want := w.size(), grown-grown/4; got != want {
		t.Errorf("a quiet sample left %d, want %d (a quarter less)", got, want)
	}
}

// A fixed window never grows.
func TestWindowFixedDoesNotGrow(t *testing.T) {
	cfg := defaults()
	cfg.maxInFlight = 20
	w := newWindow(&cfg, time.Unix(0, 0))
	w.acquire(20)
	w.grow(batchSize)
	if got := w.size(); got != 20 {
		t.Errorf("a fixed window of 20 grew to %d", got)
	}
}

// The receives a consumer keeps under way are unbounded while round trips
// stay near the shortest (no queue in front of them); once they lengthen,
// as when pollers crowd the CPUs, they follow Little's law on the
// shortest recent round trip rather than chase the longer ones; a network
// that slowed for longer than minRTTSpan is believed.
func TestWindowPollers(t *testing.T) {
	t0 := time.Unix(0, 0)
	w := adaptiveWindow(t, t0)
	if got := w.pollers(batchSize); got != math.MaxInt {
		t.Fatalf("before any sample the bound is %d, want none", got)
	}
	// Steady 2 ms round trips at 20,000 messages a second.
	now := t0
	sample := func(n int, every, rtt time.Duration) {
		for range n {
			now = now.Add(every)
			w.settled += int64(20000 * every.Seconds())
			w.observe(rtt, now)
		}
	}
	sample(10, 5*time.Millisecond, 2*time.Millisecond)
	if got := w.pollers(batchSize); got != math.MaxInt {
		t.Fatalf("round trips at their shortest: bound %d, want none", got)
	}
	// Round trips lengthen to 20 ms at the same rate: Little's law on the
	// shortest, 4 × 20,000/s × 2 ms / 10 + 1.
	sample(10, 40*time.Millisecond, 20*time.Millisecond)
	if got, want := w.pollers(batchSize), 17; got != want {
		t.Errorf("round trips of 20 ms within %v of 2 ms ones: %d pollers, want %d", minRTTSpan, got, want)
	}
	// The network stays slow: after minRTTSpan 20 ms is the shortest, and
	// round trips of 40 ms get 4 × 20,000/s × 20 ms / 10 + 1.
	now = now.Add(minRTTSpan)
	w.settled += int64(20000 * minRTTSpan.Seconds())
	w.observe(20*time.Millisecond, now)
	sample(10, 80*time.Millisecond, 40*time.Millisecond)
	if got, want := w.pollers(batchSize), 161; got != want {
		t.Errorf("after %v of longer round trips: %d pollers, want %d", minRTTSpan, got, want)
	}
}
