package mega

import (
	"math"
	"sync"
	"time"
)

// window bounds the messages a Run holds: received and not yet settled,
// plus those asked for by receives under way. Unless the bound is fixed
// (WithMaxInFlight), it follows Little's law: to keep the pipe full, the
// consumer must hold about what it settles during the round trip of a
// receive, so the bound is twice the settle rate times that round trip,
// plus room for the handlers and a batch, within [floor, ceiling].
// Slow handlers thus make it small (what waits stays little, and the
// heartbeat keeps it invisible), a slow network large.
//
// Sampling alone would take several samples to open a window that starts
// small, so the window also grows as TCP's slow start does: a receive
// that comes back full while the window has no room for another batch and
// fewer messages wait than there are handlers adds two batches to it (the
// pipe, not the handlers, holds the consumer back), which about triples it
// every round trip. A sample in which that happened never shrinks it.
type window struct {
	mu      sync.Mutex
	cond    sync.Cond
	used    int
	limit   int
	stopped bool

	fixed          bool
	floor, ceiling int

	// For the adaptation.
	settled   int64 // messages given back since the last sample
	sampledAt time.Time
	shrunkAt  time.Time     // the bound last went down
	rtt       time.Duration // moving average of the receives that came back full
	starved   bool          // the window grew since the last sample
	rate      float64       // messages settled per second in the last sample; 0 before one
	// The shortest round trip of a full receive within minRTTSpan: the
	// round trip of the network and the server, where rtt also has the
	// time requests wait for a CPU when pollers crowd it.
	minRTT   time.Duration
	minRTTAt time.Time
}

const (
	// defaultWindow is where an adaptive window starts.
	defaultWindow = 100
	// maxWindow is the ceiling of an adaptive window: the memory a
	// consumer may use is about this many messages.
	maxWindow = 1000
	// windowSample is the longest time between two samples of the settle
	// rate, and the shortest between two reductions of the bound.
	windowSample = 100 * time.Millisecond
	// minSample is the shortest time between two samples.
	minSample = 2 * time.Millisecond
	// minRTTSpan is how long the shortest round trip stands before a
	// longer one replaces it, so that a network that slowed is believed.
	minRTTSpan = 10 * time.Second
)

func newWindow(cfg *config, now time.Time) *window {
	w := &window{sampledAt: now, shrunkAt: now}
	w.cond.L = &w.mu
	if cfg.maxInFlight > 0 {
		w.fixed, w.limit, w.floor, w.ceiling = true, cfg.maxInFlight, cfg.maxInFlight, cfg.maxInFlight
		return w
	}
	w.floor = cfg.concurrency + batchSize
	w.ceiling = max(maxWindow, w.floor)
	w.limit = max(defaultWindow, w.floor)
	return w
}

const batchSize = 10

// acquire waits until n more messages fit, then takes room for them; it
// reports false when the window was stopped first.
func (w *window) acquire(n int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for !w.stopped && w.used+n > w.limit {
		w.cond.Wait()
	}
	if w.stopped {
		return false
	}
	w.used += n
	return true
}

// room reports whether n more messages fit now.
func (w *window) room(n int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.used+n <= w.limit
}

// release gives back room for n messages; settled says they were handled
// (rather than never received), for the settle rate.
func (w *window) release(n int, settled bool) {
	if n == 0 {
		return
	}
	w.mu.Lock()
	w.used -= n
	if settled {
		w.settled += int64(n)
	}
	w.mu.Unlock()
	w.cond.Broadcast()
}

// stop wakes every waiter, for good.
func (w *window) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	w.cond.Broadcast()
}

// size returns the bound.
func (w *window) size() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.limit
}

// grow adds n to an adaptive bound, up to the ceiling, when there is no
// room for n more: the handlers wait for messages the window holds back.
func (w *window) grow(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fixed || w.used+n <= w.limit || w.limit >= w.ceiling {
		return
	}
	w.limit = min(w.limit+n, w.ceiling)
	w.starved = true
	w.cond.Broadcast()
}

// pollers is how many receives of batch messages at once keep the pipe
// full, by Little's law: the settle rate times the shortest recent round
// trip of a receive, in batches, four times over (so that the rate they
// bring may quadruple from one sample to the next), and one more. The
// shortest round trip, not the average: when client and server share
// the CPUs, each poller more lengthens every round trip, which would call
// for more pollers still. While the average round trip stays within half
// again the shortest (no queue builds up in front of the receives, as
// HyStart reads a round trip in TCP's slow start), before the first
// sample, and for a fixed window, it is unbounded.
func (w *window) pollers(batch int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fixed || w.rate == 0 || w.rtt < w.minRTT*3/2 {
		return math.MaxInt
	}
	return int(math.Ceil(4*w.rate*w.minRTT.Seconds()/float64(batch))) + 1
}

// observe records a receive that came back full after rtt, and now and
// then recomputes the bound.
func (w *window) observe(rtt time.Duration, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fixed {
		return
	}
	if w.rtt == 0 {
		w.rtt = rtt
	} else {
		w.rtt = (4*w.rtt + rtt) / 5
	}
	if w.minRTT == 0 || rtt <= w.minRTT || now.Sub(w.minRTTAt) > minRTTSpan {
		w.minRTT, w.minRTTAt = rtt, now
	}
	// Sample every two round trips, within [minSample, windowSample]:
	// on a short round trip the pollers follow the rate at once.
	elapsed := now.Sub(w.sampledAt)
	if elapsed < min(max(2*w.rtt, minSample), windowSample) {
		return
	}
	rate := float64(w.settled) / elapsed.Seconds()
	w.settled, w.sampledAt, w.rate = 0, now, rate
	want := int(math.Ceil(2*rate*w.rtt.Seconds())) + w.floor
	// Grow at most twofold at a time, shrink at most by a quarter every
	// windowSample: the pipe fills within a few round trips, and one odd
	// sample does not empty it.
	want = min(want, 2*w.limit)
	if now.Sub(w.shrunkAt) < windowSample {
		want = max(want, w.limit)
	} else {
		want = max(want, w.limit-w.limit/4)
	}
	if w.starved {
		want = max(want, w.limit)
		w.starved = false
	}
	limit := min(max(want, w.floor), w.ceiling)
	if limit < w.limit {
		w.shrunkAt = now
	}
	w.limit = limit
	w.cond.Broadcast()
}
