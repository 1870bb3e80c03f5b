package transporttest

import (
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// testDelay: a message with a delivery delay, its own or its queue's, is
// not delivered before the delay has passed, and then is delivered as
// usual.
func testDelay(t *testing.T, s *suite) {
	delay := 2 * s.unit
	for _, tc := range []struct {
		name string
		cfg  QueueConfig
		out  transport.Outgoing
	}{
		{"per message", QueueConfig{}, transport.Outgoing{Body: "later", Delay: delay}},
		{"per queue", QueueConfig{Delay: delay}, transport.Outgoing{Body: "later"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := s.ctx(t)
			q, _ := s.newQueue(t, tc.cfg)
			sent := time.Now()
			res := sendOK(t, ctx, q, tc.out)
			m := s.await(t, ctx, q, res[0].MessageID, sent.Add(delay), transport.ReceiveRequest{})
			if m.Body != tc.out.Body || m.ReceiveCount != 1 {
				t.Errorf("got %q with ReceiveCount %d, want %q with 1", m.Body, m.ReceiveCount, tc.out.Body)
			}
			deleteOK(t, ctx, q, m)
		})
	}
}

// testRedrive: a message received MaxReceiveCount times without being
// deleted moves, on the next receive, to the dead-letter queue with its
// id, body and attributes, and is never delivered from its queue again.
func testRedrive(t *testing.T, s *suite) {
	const maxReceives = 2
	ctx := s.ctx(t)
	q, dlq := s.newQueue(t, QueueConfig{MaxReceiveCount: maxReceives, VisibilityTimeout: 10 * time.Minute})
	out := transport.Outgoing{
		Body:       "poison",
		Attributes: map[string]transport.Attribute{"reason": transport.StringAttribute("test")},
	}
	res := sendOK(t, ctx, q, out)
	id := res[0].MessageID

	for n := 1; n <= maxReceives; n++ {
		m := s.await(t, ctx, q, id, time.Now(), transport.ReceiveRequest{})
		if m.ReceiveCount != n {
			t.Fatalf("receive %d: ReceiveCount = %d", n, m.ReceiveCount)
		}
		changeVisibilityOK(t, ctx, q, m, 0)
	}

	// SQS moves the message when a receive finds it over the limit, so
	// keep receiving from the queue while waiting on the dead-letter queue.
	deadline := time.Now().Add(s.patience())
	for {
		if time.Now().After(deadline) {
			t.Fatalf("the message did not reach the dead-letter queue within %v", s.patience())
		}
		for _, m := range receive(t, ctx, q, transport.ReceiveRequest{MaxMessages: transport.MaxBatch}) {
			t.Fatalf("message %q delivered from its queue with ReceiveCount %d, over MaxReceiveCount %d", m.Body, m.ReceiveCount, maxReceives)
		}
		msgs := receive(t, ctx, dlq, transport.ReceiveRequest{MaxMessages: transport.MaxBatch, WaitTime: s.unit})
		if len(msgs) == 0 {
			continue
		}
		m := msgs[0]
		if len(msgs) != 1 || m.ID != id {
			t.Fatalf("the dead-letter queue holds %v, want the message %s", bodies(msgs), id)
		}
		if m.Body != out.Body || !equalAttributes(m.Attributes, out.Attributes) {
			t.Errorf("dead-lettered message = %q %+v, want %q %+v", m.Body, m.Attributes, out.Body, out.Attributes)
		}
		if m.ReceiveCount < 1 {
			t.Errorf("dead-lettered message has ReceiveCount %d", m.ReceiveCount)
		}
		deleteOK(t, ctx, dlq, m)
		break
	}
	expectNone(t, ctx, q, s.unit, "the message moved to the dead-letter queue")
}
