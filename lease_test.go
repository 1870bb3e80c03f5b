package mega_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// These tests drive the broker and the consumer with one manual clock:
// time moves only when a test says so, and a step is taken only once the
// consumer has done what the last one called for, so they hold on a busy
// machine.

// step advances the clock by d, then waits until at least n functions wait
// for it again (the consumer's heartbeat and its long poll, say).
func (c *fixture) step(d time.Duration, n int) {
	c.t.Helper()
	c.clock.Advance(d)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.clock.BlockUntil(ctx, n); err != nil {
		c.t.Fatalf("fewer than %d timers after a step: %v", n, err)
	}
}

// gate is a handler that blocks until opened, counting its calls.
type gate struct {
	open    chan struct{}
	calls   atomic.Int32
	running atomic.Int32
}

func newGate() *gate { return &gate{open: make(chan struct{})} }

func (g *gate) process(ctx context.Context, m *mega.Message) error {
	g.calls.Add(1)
	g.running.Add(1)
	defer g.running.Add(-1)
	select {
	case <-g.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	return nil
}

func TestHeartbeatKeepsLongHandlersMessagesInvisible(t *testing.T) {
	f := newTimedFixture(t, "slow", memory.QueueConfig{VisibilityTimeout: 8 * time.Second})
	f.publish(seedEvent("1"))
	g := newGate()
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: g.process}}, mega.WithVisibilityTimeout(8*time.Second))
	eventually(t, "the handler runs", func() bool { return g.running.Load() == 1 })
	// The heartbeat beats every second (an eighth of the visibility) and
	// extends what has less than half of it left: at 5 s (to 13 s), at
	// 10 s (to 18 s), …
	for i := 1; i <= 40; i++ {
		f.step(time.Second, 2)
		if i >= 5 && (i-5)%5 == 0 {
			want := int64((i-5)/5 + 1)
			eventually(t, "the visibility is extended", func() bool { return c.Stats().Extended == want })
		}
	}
	if st := f.queue.Stats(); st.InFlight != 1 || st.Visible != 0 {
		t.Errorf("queue %+v after 40 s of an 8 s visibility: the message should still be in flight", st)
	}
	close(g.open)
	eventually(t, "the message is processed", func() bool { return c.Stats().Processed == 1 && f.empty() })
	stop()
	if n := g.calls.Load(); n != 1 {
		t.Errorf("handled %d times; the heartbeat should have kept it invisible", n)
	}
	if s := c.Stats(); s.Received != 1 {
		t.Errorf("received %d times", s.Received)
	}
}

// flaky fails the first calls of an API with a call-level error.
type flaky struct {
	transport.Queue
	deletes, changes atomic.Int32 // failures left
}

var errOutage = transportError("connection refused")

type transportError string

func (e transportError) Error() string { return string(e) }

func (f *flaky) Delete(ctx context.Context, h []string) ([]error, error) {
	if f.deletes.Add(-1) >= 0 {
		return nil, errOutage
	}
	return f.Queue.Delete(ctx, h)
}

func (f *flaky) ChangeVisibility(ctx context.Context, v []transport.VisibilityChange) ([]error, error) {
	if f.changes.Add(-1) >= 0 {
		return nil, errOutage
	}
	return f.Queue.ChangeVisibility(ctx, v)
}

func (f *flaky) CancelSafe() bool { return true }

func TestDeletesAreRetriedWhileTheyMatter(t *testing.T) {
	f := newTimedFixture(t, "outage", memory.QueueConfig{VisibilityTimeout: 30 * time.Second})
	f.publish(seedEvent("1"))
	q := &flaky{Queue: f.queue}
	q.deletes.Store(4) // four failed attempts
	var calls atomic.Int32
	c, stop := f.runOn(q, []mega.Subscriber{{Event: match.Event{}, Process: func(context.Context, *mega.Message) error {
		calls.Add(1)
		return nil
	}}}, mega.WithVisibilityTimeout(8*time.Second))
	// The retries pause 0.2 s, 0.4 s, 0.8 s, 1.6 s on the clock: it moves
	// only while a pause waits for it (beside the heartbeat and the poll).
	eventually(t, "the delete outlasts the outage", func() bool {
		if c.Stats().Deleted == 1 {
			return true
		}
		if f.clock.Pending() >= 3 {
			f.clock.Advance(100 * time.Millisecond)
		}
		return false
	})
	stop()
	if d := f.clock.Now().Sub(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); d > 25*time.Second {
		t.Errorf("the delete took %v of clock time, past the visibility timeout", d)
	}
	if s := c.Stats(); s.DeleteFailures != 0 || calls.Load() != 1 || !f.empty() {
		t.Errorf("stats %+v, %d deliveries: the delete should have outlasted the outage", s, calls.Load())
	}
}

func TestFailedHeartbeatsAreTriedAgain(t *testing.T) {
	f := newTimedFixture(t, "beat", memory.QueueConfig{VisibilityTimeout: 8 * time.Second})
	f.publish(seedEvent("1"))
	q := &flaky{Queue: f.queue}
	q.changes.Store(1) // the first extension fails
	g := newGate()
	c, stop := f.runOn(q, []mega.Subscriber{{Event: match.Event{}, Process: g.process}}, mega.WithVisibilityTimeout(8*time.Second))
	eventually(t, "the handler runs", func() bool { return g.running.Load() == 1 })
	for range 5 {
		f.step(time.Second, 2)
	}
	eventually(t, "the extension due at 5 s fails", func() bool { return q.changes.Load() == 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.clock.BlockUntil(ctx, 3); err != nil { // the heartbeat, the poll and the retry's pause
		t.Fatal(err)
	}
	f.step(time.Second, 2) // 6 s: the retry extends to 14 s
	eventually(t, "the failed extension is tried again", func() bool { return c.Stats().Extended == 1 })
	for i := 7; i <= 30; i++ {
		f.step(time.Second, 2)
		if i >= 11 && (i-11)%5 == 0 {
			want := int64((i-11)/5 + 2)
			eventually(t, "the visibility is extended", func() bool { return c.Stats().Extended == want })
		}
	}
	close(g.open)
	eventually(t, "the message is deleted", func() bool { return c.Stats().Deleted == 1 })
	stop()
	if n := g.calls.Load(); n != 1 || c.Stats().Received != 1 {
		t.Errorf("handled %d times, received %d: a failed heartbeat must be tried again before the message shows", n, c.Stats().Received)
	}
}

// One process never handles two copies of one message: when the queue
// hands out a message the consumer still holds (its heartbeat could not
// reach the queue in time), the copy is not handled, and its newer receipt
// settles the message.
func TestACopyOfAHeldMessageIsNotHandled(t *testing.T) {
	f := newTimedFixture(t, "copies", memory.QueueConfig{VisibilityTimeout: 8 * time.Second})
	f.publish(seedEvent("1"))
	q := &flaky{Queue: f.queue}
	q.changes.Store(1 << 20) // every extension fails: an outage of ChangeMessageVisibility
	g := newGate()
	c, stop := f.runOn(q, []mega.Subscriber{{Event: match.Event{}, Process: g.process}}, mega.WithVisibilityTimeout(8*time.Second))
	eventually(t, "the handler runs", func() bool { return g.running.Load() == 1 })
	// Past the visibility timeout the queue hands the message out again.
	eventually(t, "the copy arrives", func() bool {
		if c.Stats().Duplicates >= 1 {
			return true
		}
		f.clock.Advance(500 * time.Millisecond)
		return false
	})
	q.changes.Store(0)
	close(g.open)
	eventually(t, "the message is deleted with its newest receipt", func() bool { return c.Stats().Deleted == 1 && f.empty() })
	stop()
	if n := g.calls.Load(); n != 1 {
		t.Errorf("handled %d times in one process, want 1", n)
	}
}

// A held message whose receipt expired while it waited for a handler is
// dropped, not handled: the queue may have handed it to someone else. It
// is handled once it comes back.
func TestAHeldMessageWhoseReceiptExpiredIsDropped(t *testing.T) {
	f := newTimedFixture(t, "expired", memory.QueueConfig{VisibilityTimeout: 8 * time.Second})
	f.publish(seedEvent("first"))
	f.publish(seedEvent("second"))
	q := &flaky{Queue: f.queue}
	q.changes.Store(1 << 20) // the heartbeat cannot reach the queue
	var mu sync.Mutex
	seen := map[string]int{}
	g := newGate()
	c, stop := f.runOn(q, []mega.Subscriber{{Event: match.Event{}, Process: func(ctx context.Context, m *mega.Message) error {
		mu.Lock()
		seen[m.Mega.Event.Subject]++
		mu.Unlock()
		if m.Mega.Event.Subject == "first" {
			return g.process(ctx, m)
		}
		return nil
	}}}, mega.WithVisibilityTimeout(8*time.Second), mega.WithConcurrency(1), mega.WithMaxInFlight(2), mega.WithPollers(1))
	eventually(t, "the first handler runs with the second message held", func() bool {
		return g.running.Load() == 1 && c.Stats().Received == 2
	})
	// Both receipts expire. The poller cannot receive the second again
	// before the worker gets to it: it waits for room for a batch of 2.
	f.clock.Advance(9 * time.Second)
	close(g.open)
	eventually(t, "both are processed", func() bool { return c.Stats().Processed == 2 && f.empty() })
	stop()
	mu.Lock()
	defer mu.Unlock()
	if seen["second"] != 1 || c.Stats().Expired != 1 {
		t.Errorf("second handled %d times, %d expired: the expired hold must be dropped, then handled once when it comes back", seen["second"], c.Stats().Expired)
	}
}

func TestStopDropsNowDrainFinishesAndRunAgain(t *testing.T) {
	for _, how := range []string{"stop", "drain"} {
		t.Run(how, func(t *testing.T) {
			f := newTimedFixture(t, how, memory.QueueConfig{VisibilityTimeout: time.Hour})
			f.publish(seedEvent("1"))
			g := newGate()
			var cancelled atomic.Int32
			c, err := mega.NewConsumer(f.queue, mega.WithLogger(quiet), mega.WithClock(f.clock), mega.WithWaitTime(100*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if err := c.Subscribe(mega.Subscriber{Event: match.Event{}, Process: func(ctx context.Context, m *mega.Message) error {
				err := g.process(ctx, m)
				if err != nil {
					cancelled.Add(1)
				}
				return err
			}}); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- c.Run(context.Background()) }()
			eventually(t, "the handler runs", func() bool { return g.running.Load() == 1 })
			if how == "stop" {
				c.Stop() // the handler's context ends at once, the message goes back
			} else {
				c.Drain() // the handler may finish within the grace period
				close(g.open)
			}
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return")
			}
			switch how {
			case "stop":
				if cancelled.Load() != 1 || c.Stats().Released != 1 || f.queue.Stats().Visible != 1 {
					t.Fatalf("after Stop: %d cancelled, stats %+v, queue %+v; want the handler cancelled and its message visible at once",
						cancelled.Load(), c.Stats(), f.queue.Stats())
				}
			case "drain":
				if cancelled.Load() != 0 || c.Stats().Processed != 1 || !f.empty() {
					t.Fatalf("after Drain: %d cancelled, stats %+v; want the handler finished and its message deleted", cancelled.Load(), c.Stats())
				}
			}
			// Run again, on the same consumer.
			if how == "stop" {
				close(g.open)
			} else {
				f.publish(seedEvent("2"))
			}
			ctx, cancel := context.WithCancel(context.Background())
			go func() { done <- c.Run(ctx) }()
			f.advanceUntil("the second run processes the message", func() bool { return f.empty() })
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestRunTwiceAtOnceIsRefused(t *testing.T) {
	f := newTimedFixture(t, "twice", memory.QueueConfig{})
	g := newGate()
	f.publish(seedEvent("1"))
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: g.process}})
	eventually(t, "the handler runs", func() bool { return g.running.Load() == 1 })
	if err := c.Run(context.Background()); !errors.Is(err, mega.ErrRunning) {
		t.Errorf("a second Run while the first runs: %v, want ErrRunning", err)
	}
	close(g.open)
	stop()
}
