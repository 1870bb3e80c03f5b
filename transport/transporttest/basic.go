package transporttest

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// testSendReceiveDelete: a message comes back as it was sent, with the id
// the send reported and the system attributes SQS returns, and once
// deleted it never comes back.
func testSendReceiveDelete(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{VisibilityTimeout: s.unit})

	out := transport.Outgoing{
		Body: "héllo ✓ 🚀\r\n\t{\"json\": [1, 2.5, null]} <&>",
		Attributes: map[string]transport.Attribute{
			"string":      transport.StringAttribute("value ✓"),
			"number":      {DataType: "Number", StringValue: "-42.5"},
			"binary":      {DataType: "Binary", BinaryValue: []byte{0, 1, 2, 0xfe, 0xff}},
			"trace-id.v1": {DataType: "String.custom", StringValue: "abc"},
		},
	}
	before := time.Now()
	res := sendOK(t, ctx, q, out)
	after := time.Now()

	m := s.collect(t, ctx, q, 1, transport.ReceiveRequest{MaxMessages: 1})[0]
	if m.ID != res[0].MessageID {
		t.Errorf("ID = %q, want the id Send returned, %q", m.ID, res[0].MessageID)
	}
	if m.Body != out.Body {
		t.Errorf("Body = %q, want %q", m.Body, out.Body)
	}
	if !equalAttributes(m.Attributes, out.Attributes) {
		t.Errorf("Attributes = %+v, want %+v", m.Attributes, out.Attributes)
	}
	if m.ReceiveCount != 1 {
		t.Errorf("ReceiveCount = %d, want 1", m.ReceiveCount)
	}
	const skew = time.Minute
	if m.SentAt.Before(before.Add(-skew)) || m.SentAt.After(after.Add(skew)) {
		t.Errorf("SentAt = %v, want about %v", m.SentAt, before)
	}
	if got := m.System["ApproximateReceiveCount"]; got != "1" {
		t.Errorf(`System["ApproximateReceiveCount"] = %q, want "1"`, got)
	}
	if ms, err := strconv.ParseInt(m.System["SentTimestamp"], 10, 64); err != nil || ms != m.SentAt.UnixMilli() {
		t.Errorf(`System["SentTimestamp"] = %q, want %d (SentAt in Unix milliseconds)`, m.System["SentTimestamp"], m.SentAt.UnixMilli())
	}
	if _, err := strconv.ParseInt(m.System["ApproximateFirstReceiveTimestamp"], 10, 64); err != nil {
		t.Errorf(`System["ApproximateFirstReceiveTimestamp"] = %q, want Unix milliseconds`, m.System["ApproximateFirstReceiveTimestamp"])
	}
	if m.GroupID != "" || m.DeduplicationID != "" || m.SequenceNumber != "" {
		t.Errorf("a standard queue's message has FIFO fields: %q %q %q", m.GroupID, m.DeduplicationID, m.SequenceNumber)
	}

	deleteOK(t, ctx, q, m)
	// Were it not deleted, it would reappear after one unit.
	expectNone(t, ctx, q, 2*s.unit, "a deleted message must never be delivered again")
}

// testSendBatch: a batch of MaxBatch entries reports one result per entry,
// in entry order, with distinct message ids; every message arrives.
func testSendBatch(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{})

	batch := make([]transport.Outgoing, transport.MaxBatch)
	for i := range batch {
		batch[i] = transport.Outgoing{
			ID:         fmt.Sprintf("entry-%d", i),
			Body:       fmt.Sprintf("batch message %d", i),
			Attributes: map[string]transport.Attribute{"index": {DataType: "Number", StringValue: strconv.Itoa(i)}},
		}
	}
	// An entry without an ID gets one from the transport.
	batch[3].ID = ""
	res := sendOK(t, ctx, q, batch...)

	idOf := make(map[string]string) // body -> message id Send reported
	for i, r := range res {
		if prev, dup := idOf[batch[i].Body]; dup {
			t.Fatalf("two results for body %q (%s and %s)", batch[i].Body, prev, r.MessageID)
		}
		idOf[batch[i].Body] = r.MessageID
	}
	seen := make(map[string]bool)
	for _, r := range res {
		if seen[r.MessageID] {
			t.Fatalf("message id %q reported for two entries", r.MessageID)
		}
		seen[r.MessageID] = true
	}

	got := s.collect(t, ctx, q, len(batch), transport.ReceiveRequest{})
	for _, m := range got {
		want, ok := idOf[m.Body]
		if !ok {
			t.Errorf("received unexpected body %q", m.Body)
			continue
		}
		if m.ID != want {
			t.Errorf("message %q has id %q, but Send reported %q for its entry: results are out of order", m.Body, m.ID, want)
		}
		if idx := m.Attributes["index"].StringValue; m.Body != "batch message "+idx {
			t.Errorf("message %q carries index attribute %q", m.Body, idx)
		}
		delete(idOf, m.Body)
	}
	deleteOK(t, ctx, q, got...)
}

// testReceiveMaxMessages: Receive never returns more than MaxMessages,
// and MaxMessages 0 means 1.
func testReceiveMaxMessages(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{})
	var batch []transport.Outgoing
	for i := range 5 {
		batch = append(batch, transport.Outgoing{Body: fmt.Sprintf("m%d", i)})
	}
	sendOK(t, ctx, q, batch...)

	// receive fails the test when more than MaxMessages arrive.
	total := 0
	for _, n := range []int{0, 1, 3} {
		got := receive(t, ctx, q, transport.ReceiveRequest{MaxMessages: n, WaitTime: s.unit})
		if len(got) == 0 {
			t.Fatalf("Receive(MaxMessages %d) with a long poll on a queue with %d visible messages returned none", n, 5-total)
		}
		total += len(got)
	}
	s.collect(t, ctx, q, 5-total, transport.ReceiveRequest{})
}

// testBatchLimits: calls that break SQS's batch rules fail as a whole
// with ErrInvalidRequest.
func testBatchLimits(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{})

	outgoing := func(n int) []transport.Outgoing {
		b := make([]transport.Outgoing, n)
		for i := range b {
			b[i] = transport.Outgoing{Body: fmt.Sprintf("limit %d", i)}
		}
		return b
	}
	handles := func(n int) []string {
		h := make([]string, n)
		for i := range h {
			h[i] = fmt.Sprintf("no-such-receipt-handle-%d", i)
		}
		return h
	}
	changes := func(n int) []transport.VisibilityChange {
		c := make([]transport.VisibilityChange, n)
		for i := range c {
			c[i] = transport.VisibilityChange{ReceiptHandle: fmt.Sprintf("no-such-receipt-handle-%d", i), Timeout: time.Second}
		}
		return c
	}
	sendErr := func(b []transport.Outgoing) func() error {
		return func() error { _, err := q.Send(ctx, b); return err }
	}
	deleteErr := func(h []string) func() error {
		return func() error { _, err := q.Delete(ctx, h); return err }
	}
	changeErr := func(c []transport.VisibilityChange) func() error {
		return func() error { _, err := q.ChangeVisibility(ctx, c); return err }
	}
	receiveErr := func(req transport.ReceiveRequest) func() error {
		return func() error { _, err := q.Receive(ctx, req); return err }
	}
	dupIDs := outgoing(2)
	dupIDs[0].ID, dupIDs[1].ID = "same", "same"
	badID := outgoing(1)
	badID[0].ID = "not a valid id!"

	for _, tc := range []struct {
		name string
		call func() error
	}{
		{"Send/11 entries", sendErr(outgoing(transport.MaxBatch + 1))},
		{"Send/no entries", sendErr(nil)},
		{"Send/duplicate entry ids", sendErr(dupIDs)},
		{"Send/malformed entry id", sendErr(badID)},
		{"Delete/11 handles", deleteErr(handles(transport.MaxBatch + 1))},
		{"Delete/no handles", deleteErr(nil)},
		{"ChangeVisibility/11 changes", changeErr(changes(transport.MaxBatch + 1))},
		{"ChangeVisibility/no changes", changeErr(nil)},
		{"Receive/11 messages", receiveErr(transport.ReceiveRequest{MaxMessages: transport.MaxBatch + 1})},
		{"Receive/negative count", receiveErr(transport.ReceiveRequest{MaxMessages: -1})},
		{"Receive/wait beyond MaxWaitTime", receiveErr(transport.ReceiveRequest{WaitTime: transport.MaxWaitTime + time.Second})},
		{"Receive/visibility beyond MaxVisibilityTimeout", receiveErr(transport.ReceiveRequest{VisibilityTimeout: transport.MaxVisibilityTimeout + time.Second})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(); !errors.Is(err, transport.ErrInvalidRequest) {
				t.Errorf("err = %v, want one wrapping transport.ErrInvalidRequest", err)
			}
		})
	}
	// None of the rejected sends may have sent anything.
	expectNone(t, ctx, q, s.unit, "every Send was rejected as a whole")
}

// testTooLarge: a message over MaxBodySize, counting its attributes, is
// rejected with ErrTooLarge; one of exactly MaxBodySize is accepted.
func testTooLarge(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{})

	attr := transport.StringAttribute("1234567")
	for _, tc := range []struct {
		name string
		out  transport.Outgoing
	}{
		{"body", transport.Outgoing{Body: strings.Repeat("x", transport.MaxBodySize+1)}},
		{"body and attributes", transport.Outgoing{
			Body:       strings.Repeat("y", transport.MaxBodySize-attr.Size("k")+1),
			Attributes: map[string]transport.Attribute{"k": attr},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.out.Size() != transport.MaxBodySize+1 {
				t.Fatalf("test bug: size %d", tc.out.Size())
			}
			res, err := q.Send(ctx, []transport.Outgoing{tc.out})
			if e := isEither(res, err, transport.ErrTooLarge); e != nil {
				t.Error(e)
			}
		})
	}

	t.Run("exactly MaxBodySize", func(t *testing.T) {
		body := strings.Repeat("z", transport.MaxBodySize)
		sendOK(t, ctx, q, transport.Outgoing{Body: body})
		m := s.collect(t, ctx, q, 1, transport.ReceiveRequest{})[0]
		if m.Body != body {
			t.Errorf("received a body of %d bytes, want %d", len(m.Body), len(body))
		}
		deleteOK(t, ctx, q, m)
	})
}

// testTooManyAttributes: a message with more than MaxAttributes message
// attributes is rejected with ErrInvalidRequest.
func testTooManyAttributes(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{})
	attrs := make(map[string]transport.Attribute)
	for i := range transport.MaxAttributes + 1 {
		attrs[fmt.Sprintf("a%d", i)] = transport.StringAttribute("v")
	}
	res, err := q.Send(ctx, []transport.Outgoing{{Body: "many attributes", Attributes: attrs}})
	if e := isEither(res, err, transport.ErrInvalidRequest); e != nil {
		t.Error(e)
	}
}

// testInvalidReceiptHandle: a receipt handle the queue never issued fails
// its entry of Delete and ChangeVisibility with ErrReceiptInvalid, while
// the other entries of the call succeed.
//
// Only handles that were never issued are tested: SQS may accept the
// stale handle of a message received again, or of one already deleted.
func testInvalidReceiptHandle(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	q, _ := s.newQueue(t, QueueConfig{})
	sendOK(t, ctx, q, transport.Outgoing{Body: "one"}, transport.Outgoing{Body: "two"})
	msgs := s.collect(t, ctx, q, 2, transport.ReceiveRequest{VisibilityTimeout: time.Minute})
	const bogus = "this-receipt-handle-was-never-issued"

	t.Run("ChangeVisibility", func(t *testing.T) {
		// Shorten both timeouts, so that the deletion below is seen to work.
		errs, err := q.ChangeVisibility(ctx, []transport.VisibilityChange{
			{ReceiptHandle: msgs[0].ReceiptHandle, Timeout: s.unit},
			{ReceiptHandle: bogus, Timeout: s.unit},
			{ReceiptHandle: msgs[1].ReceiptHandle, Timeout: s.unit},
		})
		if err != nil {
			t.Fatalf("ChangeVisibility: %v", err)
		}
		if len(errs) != 3 {
			t.Fatalf("got %d entry errors for 3 entries", len(errs))
		}
		if !errors.Is(errs[1], transport.ErrReceiptInvalid) {
			t.Errorf("entry with a bogus handle: err = %v, want one wrapping transport.ErrReceiptInvalid", errs[1])
		}
		if errs[0] != nil || errs[2] != nil {
			t.Errorf("entries with valid handles: %v, %v", errs[0], errs[2])
		}
	})

	t.Run("Delete", func(t *testing.T) {
		errs, err := q.Delete(ctx, []string{bogus, msgs[0].ReceiptHandle, msgs[1].ReceiptHandle})
		if err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if len(errs) != 3 {
			t.Fatalf("got %d entry errors for 3 handles", len(errs))
		}
		if !errors.Is(errs[0], transport.ErrReceiptInvalid) {
			t.Errorf("bogus handle: err = %v, want one wrapping transport.ErrReceiptInvalid", errs[0])
		}
		if errs[1] != nil || errs[2] != nil {
			t.Errorf("valid handles: %v, %v", errs[1], errs[2])
		}
		expectNone(t, ctx, q, 2*s.unit, "both messages were deleted")
	})
}
