package lease_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/internal/lease"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// fakeQueue records the receipt handles it is asked to delete or change,
// and answers with the errors a test sets.
type fakeQueue struct {
	mu        sync.Mutex
	deleted   []string
	changed   []transport.VisibilityChange
	changeErr map[string]error // by receipt handle
	callErr   error            // fails every call as a whole
}

func (q *fakeQueue) Delete(_ context.Context, handles []string) ([]error, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.callErr != nil {
		return nil, q.callErr
	}
	q.deleted = append(q.deleted, handles...)
	return make([]error, len(handles)), nil
}

func (q *fakeQueue) ChangeVisibility(_ context.Context, changes []transport.VisibilityChange) ([]error, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.callErr != nil {
		return nil, q.callErr
	}
	errs := make([]error, len(changes))
	for i, c := range changes {
		errs[i] = q.changeErr[c.ReceiptHandle]
		if errs[i] == nil {
			q.changed = append(q.changed, c)
		}
	}
	return errs, nil
}

func (q *fakeQueue) snapshot() ([]string, []transport.VisibilityChange) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.deleted), slices.Clone(q.changed)
}

var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func newLease(t *testing.T, q lease.Queue) (*lease.Lease, *memory.ManualClock) {
	t.Helper()
	clock := memory.NewManualClock(start)
	l := lease.New(lease.Config{Queue: q, Visibility: 8 * time.Second, Clock: clock, FlushInterval: time.Millisecond, Logger: quiet})
	t.Cleanup(func() { l.Close(time.Second) })
	return l, clock
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// step advances the clock a second at a time, each time once the
// heartbeat (the only timer of these leases) waits for it again.
func step(t *testing.T, clock *memory.ManualClock, seconds int) {
	t.Helper()
	for range seconds {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := clock.BlockUntil(ctx, 1)
		cancel()
		if err != nil {
			t.Fatal("the heartbeat does not wait for the clock")
		}
		clock.Advance(time.Second)
	}
}

func msg(id, handle string) transport.Message {
	return transport.Message{ID: id, ReceiptHandle: handle, Body: id}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting until %s", what)
		case <-tick.C:
		}
	}
}

func TestACopyIsNotHandedOutAndItsReceiptSettles(t *testing.T) {
	q := &fakeQueue{}
	l, clock := newLease(t, q)
	got := l.Hold([]transport.Message{msg("a", "r1"), msg("b", "r2")}, clock.Now())
	if len(got) != 2 {
		t.Fatalf("Hold returned %d messages, want 2", len(got))
	}
	if again := l.Hold([]transport.Message{msg("a", "r3")}, clock.Now()); len(again) != 0 {
		t.Fatalf("a copy of a held message was handed out again: %v", again)
	}
	if n := l.Counts.Duplicates.Load(); n != 1 {
		t.Errorf("duplicates %d, want 1", n)
	}
	if !got[0].Start() || !got[0].Delete() {
		t.Fatal("start or delete refused")
	}
	if got[0].Delete() || got[0].Release() {
		t.Error("a settled message was settled twice")
	}
	waitFor(t, "the delete is sent", func() bool { d, _ := q.snapshot(); return len(d) == 1 })
	if d, _ := q.snapshot(); d[0] != "r3" {
		t.Errorf("deleted with receipt %q, want the newest, r3", d[0])
	}
}

func TestACopyReceivedWhileTheDeleteIsUnderWayIsDeletedToo(t *testing.T) {
	q := &fakeQueue{callErr: errOutage}
	l, clock := newLease(t, q)
	m := l.Hold([]transport.Message{msg("a", "r1")}, clock.Now())[0]
	m.Start()
	m.Delete() // fails for now: the delete stays under way
	if again := l.Hold([]transport.Message{msg("a", "r2")}, clock.Now()); len(again) != 0 {
		t.Fatal("a copy received while its delete is under way was handed out")
	}
	q.mu.Lock()
	q.callErr = nil
	q.mu.Unlock()
	waitFor(t, "the copy is deleted", func() bool {
		clock.Advance(100 * time.Millisecond) // the retries' pauses
		d, _ := q.snapshot()
		return slices.Contains(d, "r2")
	})
	waitFor(t, "the lease forgets the message", func() bool { return l.Len() == 0 })
}

func TestAWaitingMessageWhoseReceiptExpiredIsDropped(t *testing.T) {
	// The queue refuses b's receipt, should a heartbeat try to extend it
	// before the check below: either way b is dropped once.
	q := &fakeQueue{changeErr: map[string]error{"r2": transport.ErrReceiptInvalid}}
	l, clock := newLease(t, q)
	ms := l.Hold([]transport.Message{msg("a", "r1"), msg("b", "r2")}, clock.Now())
	clock.Advance(7 * time.Second)
	if !ms[0].Start() {
		t.Fatal("a message within its visibility could not start")
	}
	clock.Advance(time.Second) // 8 s: b's receipt ends
	if ms[1].Start() {
		t.Error("a message whose receipt expired started")
	}
	if n := l.Counts.Expired.Load(); n != 1 || l.Len() != 1 {
		t.Errorf("expired %d, held %d; want b dropped and a held", n, l.Len())
	}
}

func TestAnInvalidReceiptDropsAWaitingMessageNotARunningOne(t *testing.T) {
	q := &fakeQueue{changeErr: map[string]error{"r1": transport.ErrReceiptInvalid, "r2": transport.ErrReceiptInvalid}}
	l, clock := newLease(t, q)
	ms := l.Hold([]transport.Message{msg("running", "r1"), msg("waiting", "r2")}, clock.Now())
	ms[0].Start()
	// The heartbeat beats every 2 s and extends what has less than 4 s left.
	step(t, clock, 6)
	waitFor(t, "both extensions are refused", func() bool { return l.Counts.ExtendFailures.Load() == 2 })
	if ms[1].Start() {
		t.Error("a waiting message whose receipt the queue refused started")
	}
	if ms[0].Settled() {
		t.Error("a running message was dropped: its handler must be able to settle it")
	}
}

func TestTheHeartbeatExtendsWaitingAndRunningMessages(t *testing.T) {
	q := &fakeQueue{}
	l, clock := newLease(t, q)
	ms := l.Hold([]transport.Message{msg("running", "r1"), msg("waiting", "r2")}, clock.Now())
	ms[0].Start()
	step(t, clock, 6)
	waitFor(t, "both are extended", func() bool { return l.Counts.Extended.Load() == 2 })
	_, changed := q.snapshot()
	for _, c := range changed {
		if c.Timeout != 8*time.Second {
			t.Errorf("extended %s by %v, want the visibility, 8s", c.ReceiptHandle, c.Timeout)
		}
	}
	if !ms[1].Start() {
		t.Error("an extended waiting message could not start after its first visibility ended")
	}
}

func TestVisibilityStaysWithinTwelveHoursOfTheReceive(t *testing.T) {
	q := &fakeQueue{}
	l, clock := newLease(t, q)
	m := l.Hold([]transport.Message{msg("a", "r1")}, clock.Now())[0]
	m.Start()
	clock.Advance(2 * time.Hour)
	if got := l.MaxVisibility(m); got != 10*time.Hour-time.Second {
		t.Errorf("MaxVisibility after 2 h = %v, want 9h59m59s", got)
	}
	m.ChangeVisibility(transport.MaxVisibilityTimeout, "poison")
	waitFor(t, "the change is sent", func() bool { _, c := q.snapshot(); return len(c) > 0 })
	_, c := q.snapshot()
	if last := c[len(c)-1]; last.Timeout != 10*time.Hour-time.Second {
		t.Errorf("visibility set to %v, want it capped at 9h59m59s", last.Timeout)
	}
}

func TestCloseGivesUpOperationsThatKeepFailing(t *testing.T) {
	q := &fakeQueue{callErr: errOutage}
	clock := memory.NewManualClock(start)
	l := lease.New(lease.Config{Queue: q, Visibility: time.Hour, Clock: clock, FlushInterval: time.Millisecond, Logger: quiet})
	m := l.Hold([]transport.Message{msg("a", "r1")}, clock.Now())[0]
	m.Start()
	m.Delete()
	done := make(chan struct{})
	go func() {
		l.Close(50 * time.Millisecond)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not give up a delete that keeps failing")
	}
	if n := l.Counts.DeleteFailures.Load(); n != 1 {
		t.Errorf("delete failures %d, want the given-up delete counted", n)
	}
}

type outage string

func (e outage) Error() string { return string(e) }

var errOutage = outage("connection refused")

// A message whose delete the queue refused (its receipt expired first) is
// remembered: when it comes back to this process it is deleted with its
// new receipt, not handed out again, until the tombstone's time is over.
func TestAMessageWhoseDeleteFailedIsDeletedWhenItComesBack(t *testing.T) {
	q := &refusingDeletes{refuse: map[string]bool{"r1": true}}
	l, clock := newLease(t, q)
	m := l.Hold([]transport.Message{msg("a", "r1")}, clock.Now())[0]
	m.Start()
	m.Delete()
	waitFor(t, "the delete is refused", func() bool { return q.refused() == 1 })
	if again := l.Hold([]transport.Message{msg("a", "r2")}, clock.Now()); len(again) != 0 {
		t.Fatal("a message handled here came back and was handed out again")
	}
	waitFor(t, "the copy is deleted", func() bool { return slices.Contains(q.deletedHandles(), "r2") })
	waitFor(t, "the lease forgets it", func() bool { return l.Len() == 0 })

	// Past the tombstone's time, a copy is a message like any other.
	b := l.Hold([]transport.Message{msg("b", "r3")}, clock.Now())[0]
	b.Start()
	q.mu.Lock()
	q.refuse["r3"] = true
	q.mu.Unlock()
	b.Delete()
	waitFor(t, "b's delete is refused", func() bool { return q.refused() == 2 })
	step(t, clock, 61)
	waitFor(t, "b's tombstone is swept", func() bool { return l.Len() == 0 })
	if again := l.Hold([]transport.Message{msg("b", "r4")}, clock.Now()); len(again) != 1 {
		t.Error("a copy received long after a failed delete was not handed out")
	}
}

// refusingDeletes refuses the deletes of some receipts as expired.
type refusingDeletes struct {
	mu      sync.Mutex
	refuse  map[string]bool
	deleted []string
	n       int
}

func (q *refusingDeletes) Delete(_ context.Context, handles []string) ([]error, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	errs := make([]error, len(handles))
	for i, h := range handles {
		if q.refuse[h] {
			errs[i] = transport.ErrReceiptInvalid
			q.n++
			continue
		}
		q.deleted = append(q.deleted, h)
	}
	return errs, nil
}

func (q *refusingDeletes) ChangeVisibility(_ context.Context, c []transport.VisibilityChange) ([]error, error) {
	return make([]error, len(c)), nil
}

func (q *refusingDeletes) refused() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

func (q *refusingDeletes) deletedHandles() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return slices.Clone(q.deleted)
}
