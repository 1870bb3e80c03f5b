package transporttest

import (
	"strconv"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// testVisibilityTimeout: a received message stays invisible for the
// visibility timeout (the queue's, or the one the receive asked for),
// then is delivered again with ReceiveCount 2 and a new receipt handle.
func testVisibilityTimeout(t *testing.T, s *suite) {
	vis := 2 * s.unit
	for _, tc := range []struct {
		name string
		cfg  QueueConfig
		req  transport.ReceiveRequest
	}{
		{"queue default", QueueConfig{VisibilityTimeout: vis}, transport.ReceiveRequest{}},
		{"per receive", QueueConfig{VisibilityTimeout: time.Minute}, transport.ReceiveRequest{VisibilityTimeout: vis}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := s.ctx(t)
			q, _ := s.newQueue(t, tc.cfg)
			res := sendOK(t, ctx, q, transport.Outgoing{Body: "come back"})

			// The message is taken no earlier than the start of the
			// receive that returns it, so it must stay invisible until
			// vis after that.
			var first transport.Message
			var taken time.Time
			for deadline := time.Now().Add(s.patience()); first.ID == ""; {
				if time.Now().After(deadline) {
					t.Fatal("the message did not arrive")
				}
				taken = time.Now()
				req := tc.req
				req.WaitTime = s.unit
				if msgs := receive(t, ctx, q, req); len(msgs) > 0 {
					first = msgs[0]
				}
			}
			if first.ID != res[0].MessageID || first.ReceiveCount != 1 {
				t.Fatalf("got message %s with ReceiveCount %d, want %s with 1", first.ID, first.ReceiveCount, res[0].MessageID)
			}

			again := s.await(t, ctx, q, first.ID, taken.Add(vis), transport.ReceiveRequest{VisibilityTimeout: time.Minute})
			if again.ReceiveCount != 2 {
				t.Errorf("ReceiveCount = %d on the second delivery, want 2", again.ReceiveCount)
			}
			if got := again.System["ApproximateReceiveCount"]; got != "2" {
				t.Errorf(`System["ApproximateReceiveCount"] = %q, want "2"`, got)
			}
			if again.ReceiptHandle == first.ReceiptHandle {
				t.Error("the second delivery has the receipt handle of the first")
			}
			if again.Body != first.Body || !again.SentAt.Equal(first.SentAt) {
				t.Errorf("second delivery %+v differs from the first %+v", again, first)
			}
			if a, b := again.System["ApproximateFirstReceiveTimestamp"], first.System["ApproximateFirstReceiveTimestamp"]; a != b {
				t.Errorf("ApproximateFirstReceiveTimestamp changed from %s to %s", b, a)
			}
			deleteOK(t, ctx, q, again)
		})
	}
}

// testChangeVisibilityToZero: ChangeVisibility with a zero timeout makes a
// message visible at once, long before its visibility timeout ends.
func testChangeVisibilityToZero(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{VisibilityTimeout: 10 * time.Minute})
	sendOK(t, ctx, q, transport.Outgoing{Body: "release me"})
	m := s.collect(t, ctx, q, 1, transport.ReceiveRequest{})[0]

	released := time.Now()
	changeVisibilityOK(t, ctx, q, m, 0)
	again := s.await(t, ctx, q, m.ID, released, transport.ReceiveRequest{})
	if again.ReceiveCount != 2 {
		t.Errorf("ReceiveCount = %d, want 2", again.ReceiveCount)
	}
	if again.ReceiptHandle == m.ReceiptHandle {
		t.Error("the second delivery has the receipt handle of the first")
	}
	deleteOK(t, ctx, q, again)
}

// testChangeVisibilityExtends: ChangeVisibility sets a new timeout counted
// from the call, so a message whose timeout was extended stays invisible
// past its original timeout.
func testChangeVisibilityExtends(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{VisibilityTimeout: 2 * s.unit})
	sendOK(t, ctx, q, transport.Outgoing{Body: "keep me"})
	before := time.Now()
	m := s.collect(t, ctx, q, 1, transport.ReceiveRequest{MaxMessages: 1})[0]

	changed := time.Now()
	errs, err := q.ChangeVisibility(ctx, []transport.VisibilityChange{{ReceiptHandle: m.ReceiptHandle, Timeout: 4 * s.unit}})
	if err != nil {
		t.Fatalf("ChangeVisibility: %v", err)
	}
	if len(errs) != 1 {
		t.Fatalf("got %d entry errors for 1 entry", len(errs))
	}
	if errs[0] != nil {
		// The message was taken after before; if its timeout may have
		// ended already, the call is allowed to fail.
		if time.Since(before) >= 2*s.unit-s.slack() {
			t.Skipf("inconclusive: the machine was too slow to extend the timeout before it ended (%v)", errs[0])
		}
		t.Fatalf("ChangeVisibility: %v", errs[0])
	}
	again := s.await(t, ctx, q, m.ID, changed.Add(4*s.unit), transport.ReceiveRequest{})
	if again.ReceiveCount != 2 {
		t.Errorf("ReceiveCount = %d, want 2", again.ReceiveCount)
	}
	if n, _ := strconv.Atoi(again.System["ApproximateReceiveCount"]); n != 2 {
		t.Errorf(`System["ApproximateReceiveCount"] = %q, want "2"`, again.System["ApproximateReceiveCount"])
	}
	deleteOK(t, ctx, q, again)
}
