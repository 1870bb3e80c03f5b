package transporttest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// callTimeout bounds every case, so that a transport that hangs fails the
// case instead of the whole test binary.
const callTimeout = 2 * time.Minute

// suite is the state shared by the cases of one Run.
type suite struct {
	h Harness
	// unit is Features.VisibilityGranularity, or one second.
	unit time.Duration
}

// slack is how much earlier than its due time a message may reappear
// without failing a case: clocks of a server and of the test disagree by
// a little, and SQS rounds to its granularity.
func (s *suite) slack() time.Duration { return s.unit / 4 }

// patience is how long a case waits, beyond the time something is due,
// before it declares that it will not happen.
func (s *suite) patience() time.Duration { return 10*s.unit + 5*time.Second }

// newQueue creates a fresh queue through the harness.
func (s *suite) newQueue(t *testing.T, cfg QueueConfig) (q, dlq transport.Queue) {
	t.Helper()
	q, dlq = s.h.NewQueue(t, cfg)
	if q == nil {
		t.Fatal("transporttest: Harness.NewQueue returned a nil queue")
	}
	if cfg.MaxReceiveCount > 0 && dlq == nil {
		t.Fatal("transporttest: Harness.NewQueue returned no dead-letter queue for a redrive policy")
	}
	return q, dlq
}

// ctx returns a context that ends with the test or after callTimeout.
func (s *suite) ctx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// sendOK sends batch and fails the test unless the call and every entry
// succeeded.
func sendOK(t *testing.T, ctx context.Context, q transport.Sender, batch ...transport.Outgoing) []transport.SendResult {
	t.Helper()
	res, err := q.Send(ctx, batch)
	if err != nil {
		t.Fatalf("Send(%d entries): %v", len(batch), err)
	}
	if len(res) != len(batch) {
		t.Fatalf("Send(%d entries) returned %d results", len(batch), len(res))
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("Send entry %d (%q): %v", i, batch[i].Body, r.Err)
		}
		if r.MessageID == "" {
			t.Fatalf("Send entry %d (%q) succeeded without a message id", i, batch[i].Body)
		}
	}
	return res
}

// receive calls Receive once and fails the test on error.
func receive(t *testing.T, ctx context.Context, q transport.Queue, req transport.ReceiveRequest) []transport.Message {
	t.Helper()
	msgs, err := q.Receive(ctx, req)
	if err != nil {
		t.Fatalf("Receive(%+v): %v", req, err)
	}
	limit := req.MaxMessages
	if limit == 0 {
		limit = 1
	}
	if len(msgs) > limit {
		t.Fatalf("Receive(%+v) returned %d messages, more than asked for", req, len(msgs))
	}
	for _, m := range msgs {
		if m.ID == "" || m.ReceiptHandle == "" {
			t.Fatalf("Receive returned a message without id or receipt handle: %+v", m)
		}
	}
	return msgs
}

// deleteOK deletes msgs and fails the test unless every deletion succeeded.
func deleteOK(t *testing.T, ctx context.Context, q transport.Queue, msgs ...transport.Message) {
	t.Helper()
	handles := make([]string, len(msgs))
	for i, m := range msgs {
		handles[i] = m.ReceiptHandle
	}
	errs, err := q.Delete(ctx, handles)
	if err != nil {
		t.Fatalf("Delete(%d handles): %v", len(handles), err)
	}
	if len(errs) != len(handles) {
		t.Fatalf("Delete(%d handles) returned %d entry errors", len(handles), len(errs))
	}
	for i, e := range errs {
		if e != nil {
			t.Fatalf("Delete of message %q: %v", msgs[i].Body, e)
		}
	}
}

// changeVisibilityOK changes the visibility of m and fails the test
// unless it succeeded.
func changeVisibilityOK(t *testing.T, ctx context.Context, q transport.Queue, m transport.Message, timeout time.Duration) {
	t.Helper()
	errs, err := q.ChangeVisibility(ctx, []transport.VisibilityChange{{ReceiptHandle: m.ReceiptHandle, Timeout: timeout}})
	if err != nil {
		t.Fatalf("ChangeVisibility(%v): %v", timeout, err)
	}
	if len(errs) != 1 {
		t.Fatalf("ChangeVisibility of 1 handle returned %d entry errors", len(errs))
	}
	if errs[0] != nil {
		t.Fatalf("ChangeVisibility(%v) of message %q: %v", timeout, m.Body, errs[0])
	}
}

// collect receives until it has n messages, failing the test when they do
// not arrive within the suite's patience or when more than n arrive. It
// deletes nothing.
func (s *suite) collect(t *testing.T, ctx context.Context, q transport.Queue, n int, req transport.ReceiveRequest) []transport.Message {
	t.Helper()
	if req.MaxMessages == 0 {
		req.MaxMessages = transport.MaxBatch
	}
	if req.WaitTime == 0 {
		req.WaitTime = s.unit
	}
	var got []transport.Message
	deadline := time.Now().Add(s.patience())
	for len(got) < n {
		if time.Now().After(deadline) {
			t.Fatalf("received %d of %d messages within %v: %v", len(got), n, s.patience(), bodies(got))
		}
		got = append(got, receive(t, ctx, q, req)...)
	}
	if len(got) > n {
		t.Fatalf("received %d messages, want %d: %v", len(got), n, bodies(got))
	}
	return got
}

// await receives from q until the message with the given id arrives and
// returns it. It fails the test when the message arrives before notBefore
// (less the suite's slack), when it does not arrive within the suite's
// patience after notBefore, or when any other message arrives.
func (s *suite) await(t *testing.T, ctx context.Context, q transport.Queue, id string, notBefore time.Time, req transport.ReceiveRequest) transport.Message {
	t.Helper()
	if req.WaitTime == 0 {
		req.WaitTime = s.unit
	}
	deadline := notBefore.Add(s.patience())
	for time.Now().Before(deadline) {
		msgs := receive(t, ctx, q, req)
		now := time.Now()
		for _, m := range msgs {
			if m.ID != id {
				t.Fatalf("received unexpected message %q (id %s) while waiting for %s", m.Body, m.ID, id)
			}
		}
		if len(msgs) == 0 {
			continue
		}
		if early := notBefore.Sub(now); early > s.slack() {
			t.Fatalf("message %q was delivered at least %v too early", msgs[0].Body, early)
		}
		return msgs[0]
	}
	t.Fatalf("message %s did not arrive within %v of when it was due", id, s.patience())
	return transport.Message{}
}

// expectNone long-polls q for wait and fails the test if any message
// arrives.
func expectNone(t *testing.T, ctx context.Context, q transport.Queue, wait time.Duration, why string) {
	t.Helper()
	if msgs := receive(t, ctx, q, transport.ReceiveRequest{MaxMessages: transport.MaxBatch, WaitTime: wait}); len(msgs) > 0 {
		t.Fatalf("%s, but received %v", why, bodies(msgs))
	}
}

// isEither reports whether the outcome of a one-entry Send failed with
// target, whether the call as a whole failed or only the entry: SQS
// rejects some bad entries per entry and others for the whole batch, and
// transports may check either way before calling the service.
func isEither(res []transport.SendResult, err error, target error) error {
	if err != nil {
		if errors.Is(err, target) {
			return nil
		}
		return fmt.Errorf("the call failed with %v, which does not wrap %v", err, target)
	}
	if len(res) != 1 {
		return fmt.Errorf("got %d results for one entry and no error", len(res))
	}
	if res[0].Err == nil {
		return fmt.Errorf("the entry was accepted (message id %q), want an error wrapping %v", res[0].MessageID, target)
	}
	if !errors.Is(res[0].Err, target) {
		return fmt.Errorf("the entry failed with %v, which does not wrap %v", res[0].Err, target)
	}
	return nil
}

// bodies lists the bodies of msgs, for failure messages.
func bodies(msgs []transport.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Body
	}
	return out
}

// sortedBodies lists the bodies of msgs in sorted order.
func sortedBodies(msgs []transport.Message) []string {
	out := bodies(msgs)
	slices.Sort(out)
	return out
}

// equalAttributes reports whether two attribute maps carry the same
// attributes, treating nil and empty alike.
func equalAttributes(a, b map[string]transport.Attribute) bool {
	return maps.EqualFunc(a, b, func(x, y transport.Attribute) bool {
		return x.DataType == y.DataType && x.StringValue == y.StringValue && string(x.BinaryValue) == string(y.BinaryValue)
	})
}
