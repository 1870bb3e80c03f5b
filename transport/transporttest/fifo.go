package transporttest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// testFIFO: FIFO queues deliver each group in order, one batch of a group
// at a time, groups independently, and drop duplicates.
func testFIFO(t *testing.T, s *suite) {
	t.Run("order within a group", func(t *testing.T) { fifoOrder(t, s) })
	t.Run("group blocked while in flight", func(t *testing.T) { fifoBlocked(t, s) })
	t.Run("groups in parallel", func(t *testing.T) { fifoParallel(t, s) })
	t.Run("deduplication id", func(t *testing.T) { fifoDedup(t, s) })
	t.Run("content-based deduplication", func(t *testing.T) { fifoContentDedup(t, s) })
	t.Run("rejected entries", func(t *testing.T) { fifoRejects(t, s) })
}

func fifoMsg(group, dedup, body string) transport.Outgoing {
	return transport.Outgoing{Body: body, GroupID: group, DeduplicationID: dedup}
}

// fifoOrder: messages of one group, sent in one batch or in several
// calls, are delivered in the order sent, with their group and
// deduplication ids.
func fifoOrder(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{FIFO: true})
	var want []string
	var batch []transport.Outgoing
	for i := range 7 {
		body := fmt.Sprintf("m%d", i)
		want = append(want, body)
		batch = append(batch, fifoMsg("g", "d"+body, body))
	}
	results := sendOK(t, ctx, q, batch[:4]...)
	for _, out := range batch[4:] {
		results = append(results, sendOK(t, ctx, q, out)...)
	}

	var got []string
	deadline := time.Now().Add(s.patience())
	for len(got) < len(want) && time.Now().Before(deadline) {
		msgs := receive(t, ctx, q, transport.ReceiveRequest{MaxMessages: 3, WaitTime: s.unit})
		for _, m := range msgs {
			i := len(got)
			got = append(got, m.Body)
			if i >= len(want) {
				break
			}
			if m.GroupID != "g" || m.DeduplicationID != "d"+want[i] {
				t.Errorf("message %q: GroupID %q, DeduplicationID %q; want %q, %q", m.Body, m.GroupID, m.DeduplicationID, "g", "d"+want[i])
			}
			if m.System["MessageGroupId"] != "g" || m.System["MessageDeduplicationId"] != "d"+want[i] {
				t.Errorf("message %q: System = %v, want MessageGroupId and MessageDeduplicationId", m.Body, m.System)
			}
			if sn := results[i].SequenceNumber; sn != "" && m.SequenceNumber != sn {
				t.Errorf("message %q: SequenceNumber %q, but Send reported %q", m.Body, m.SequenceNumber, sn)
			}
		}
		if len(msgs) > 0 {
			deleteOK(t, ctx, q, msgs...)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
}

// fifoBlocked: while a message of a group is in flight, no later message
// of the group is delivered; a message made visible again is delivered
// again before the later ones.
func fifoBlocked(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{FIFO: true, VisibilityTimeout: 10 * time.Minute})
	sendOK(t, ctx, q, fifoMsg("g", "1", "first"), fifoMsg("g", "2", "second"))

	first := s.collect(t, ctx, q, 1, transport.ReceiveRequest{MaxMessages: 1})[0]
	if first.Body != "first" {
		t.Fatalf("got %q first", first.Body)
	}
	expectNone(t, ctx, q, s.unit, "the group's first message is in flight")

	changeVisibilityOK(t, ctx, q, first, 0)
	again := s.await(t, ctx, q, first.ID, time.Now(), transport.ReceiveRequest{MaxMessages: 1})
	if again.ReceiveCount != 2 {
		t.Errorf("redelivered with ReceiveCount %d, want 2", again.ReceiveCount)
	}
	deleteOK(t, ctx, q, again)

	second := s.collect(t, ctx, q, 1, transport.ReceiveRequest{})[0]
	if second.Body != "second" {
		t.Fatalf("got %q after deleting the first, want %q", second.Body, "second")
	}
	deleteOK(t, ctx, q, second)
}

// fifoParallel: a group blocked by a message in flight does not block
// the other groups.
func fifoParallel(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{FIFO: true, VisibilityTimeout: 10 * time.Minute})
	sendOK(t, ctx, q, fifoMsg("a", "a1", "a1"), fifoMsg("a", "a2", "a2"), fifoMsg("b", "b1", "b1"))

	a1 := s.collect(t, ctx, q, 1, transport.ReceiveRequest{MaxMessages: 1})[0]
	if a1.Body != "a1" {
		t.Fatalf("got %q first, want a1", a1.Body)
	}
	b1 := s.collect(t, ctx, q, 1, transport.ReceiveRequest{})[0]
	if b1.Body != "b1" {
		t.Fatalf("got %q while a1 was in flight, want b1", b1.Body)
	}
	expectNone(t, ctx, q, s.unit, "group a is blocked by a1 and group b by b1")
	deleteOK(t, ctx, q, a1, b1)
	a2 := s.collect(t, ctx, q, 1, transport.ReceiveRequest{})[0]
	if a2.Body != "a2" {
		t.Fatalf("got %q, want a2", a2.Body)
	}
	deleteOK(t, ctx, q, a2)
}

// fifoDedup: a message whose deduplication id was seen within the window
// is accepted and dropped, whatever its body or group.
func fifoDedup(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{FIFO: true})
	sendOK(t, ctx, q, fifoMsg("g", "same", "original"))
	sendOK(t, ctx, q, fifoMsg("h", "same", "duplicate"))
	sendOK(t, ctx, q, fifoMsg("g", "other", "distinct"))

	got := s.collect(t, ctx, q, 2, transport.ReceiveRequest{})
	if b := sortedBodies(got); !slices.Equal(b, []string{"distinct", "original"}) {
		t.Fatalf("delivered %v, want [distinct original]", b)
	}
	deleteOK(t, ctx, q, got...)
	expectNone(t, ctx, q, s.unit, "the duplicate must be dropped")
}

// fifoContentDedup: with content-based deduplication, a message whose
// body was seen within the window is dropped.
func fifoContentDedup(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{FIFO: true, ContentBasedDeduplication: true})
	sendOK(t, ctx, q, fifoMsg("g", "", "same body"))
	sendOK(t, ctx, q, fifoMsg("h", "", "same body"))
	sendOK(t, ctx, q, fifoMsg("g", "", "other body"))

	got := s.collect(t, ctx, q, 2, transport.ReceiveRequest{})
	if b := sortedBodies(got); !slices.Equal(b, []string{"other body", "same body"}) {
		t.Fatalf("delivered %v, want [other body, same body]", b)
	}
	deleteOK(t, ctx, q, got...)
	expectNone(t, ctx, q, s.unit, "the duplicate must be dropped")
}

// fifoRejects: a FIFO message needs a group id, and a deduplication id
// unless the queue deduplicates by content.
func fifoRejects(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{FIFO: true})
	for _, tc := range []struct {
		name string
		out  transport.Outgoing
	}{
		{"no group id", fifoMsg("", "d", "body")},
		{"no deduplication id", fifoMsg("g", "", "body")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := q.Send(ctx, []transport.Outgoing{tc.out})
			if e := isEither(res, err, transport.ErrInvalidRequest); e != nil {
				t.Error(e)
			}
		})
	}
}
