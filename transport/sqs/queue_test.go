package sqs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	q := newQueue(t, sqs.QueueConfig{})
	before := time.Now().Add(-2 * time.Second)
	attrs := map[string]transport.Attribute{
		"encoding": transport.StringAttribute("json"),
		"count":    {DataType: "Number", StringValue: "42"},
		"blob":     {DataType: "Binary", BinaryValue: []byte{0, 1, 2, 0xff}},
		"custom":   {DataType: "String.mega", StringValue: "ü ✓"},
	}
	res := send(t, q, transport.Outgoing{Body: `{"hello":"wörld"}`, Attributes: attrs})
	if res[0].MessageID == "" {
		t.Fatal("Send returned no message id")
	}

	got := receiveN(t, q, 1, transport.ReceiveRequest{}, 10*time.Second)
	if len(got) != 1 {
		t.Fatalf("received %d messages, want 1", len(got))
	}
	m := got[0]
	if m.ID != res[0].MessageID {
		t.Errorf("ID = %q, want the id Send returned, %q", m.ID, res[0].MessageID)
	}
	if m.Body != `{"hello":"wörld"}` {
		t.Errorf("Body = %q", m.Body)
	}
	if m.ReceiptHandle == "" {
		t.Error("no receipt handle")
	}
	if m.ReceiveCount != 1 {
		t.Errorf("ReceiveCount = %d, want 1", m.ReceiveCount)
	}
	if m.SentAt.Before(before) || m.SentAt.After(time.Now().Add(2*time.Second)) {
		t.Errorf("SentAt = %v, want about now", m.SentAt)
	}
	for _, name := range []string{"SentTimestamp", "ApproximateReceiveCount", "ApproximateFirstReceiveTimestamp"} {
		if m.System[name] == "" {
			t.Errorf("system attribute %s missing: %v", name, m.System)
		}
	}
	if len(m.Attributes) != len(attrs) {
		t.Errorf("got %d attributes, want %d: %v", len(m.Attributes), len(attrs), m.Attributes)
	}
	for k, want := range attrs {
		a := m.Attributes[k]
		if a.DataType != want.DataType || a.StringValue != want.StringValue || !bytes.Equal(a.BinaryValue, want.BinaryValue) {
			t.Errorf("attribute %s = %+v, want %+v", k, a, want)
		}
	}

	errs, err := q.Delete(t.Context(), []string{m.ReceiptHandle})
	if err != nil || errs[0] != nil {
		t.Fatalf("Delete: %v %v", err, errs)
	}
	// Made visible at once, a message that was not deleted would be back.
	expectEmpty(t, q)
}

func TestSendBatch(t *testing.T) {
	t.Parallel()
	q := newQueue(t, sqs.QueueConfig{})
	var batch []transport.Outgoing
	for i := range transport.MaxBatch {
		batch = append(batch, transport.Outgoing{Body: fmt.Sprintf("message %d", i)})
	}
	batch[4].Body = strings.Repeat("x", transport.MaxBodySize+1)

	res, err := q.Send(t.Context(), batch)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	ids := map[string]bool{}
	var want []string
	for i, r := range res {
		if i == 4 {
			if !errors.Is(r.Err, transport.ErrTooLarge) {
				t.Errorf("entry 4: err = %v, want ErrTooLarge", r.Err)
			}
			continue
		}
		if r.Err != nil || r.MessageID == "" {
			t.Errorf("entry %d: id %q, err %v", i, r.MessageID, r.Err)
		}
		ids[r.MessageID] = true
		want = append(want, batch[i].Body)
	}
	if len(ids) != len(batch)-1 {
		t.Errorf("got %d distinct message ids, want %d", len(ids), len(batch)-1)
	}

	got := receiveN(t, q, len(want), transport.ReceiveRequest{}, 15*time.Second)
	slices.Sort(want)
	if g := bodies(got); !slices.Equal(g, want) {
		t.Errorf("received %q, want %q", g, want)
	}
	for _, m := range got {
		if !ids[m.ID] {
			t.Errorf("received message id %q that Send did not return", m.ID)
		}
	}
}

// SQS limits a whole SendMessageBatch to 1 MiB: Send splits a batch of
// large messages over several requests.
func TestSendBatchOverOneMiB(t *testing.T) {
	t.Parallel()
	q := newQueue(t, sqs.QueueConfig{})
	var batch []transport.Outgoing
	for i := range 3 {
		batch = append(batch, transport.Outgoing{Body: fmt.Sprintf("%d", i) + strings.Repeat("y", 400<<10)})
	}
	send(t, q, batch...)
	got := receiveN(t, q, 3, transport.ReceiveRequest{}, 15*time.Second)
	for _, m := range got {
		if len(m.Body) != 1+400<<10 {
			t.Errorf("received a body of %d bytes, want %d", len(m.Body), 1+400<<10)
		}
	}
}

func TestVisibility(t *testing.T) {
	t.Parallel()
	q := newQueue(t, sqs.QueueConfig{VisibilityTimeout: 30 * time.Second})
	send(t, q, transport.Outgoing{Body: "a"}, transport.Outgoing{Body: "b"})

	got := receiveN(t, q, 2, transport.ReceiveRequest{VisibilityTimeout: time.Second}, 10*time.Second)
	expectEmpty(t, q)

	// After the 1s visibility timeout of the receive (not the queue's
	// 30s), both come back, received a second time.
	again := receiveN(t, q, 2, transport.ReceiveRequest{WaitTime: 2 * time.Second}, 10*time.Second)
	for _, m := range again {
		if m.ReceiveCount != 2 {
			t.Errorf("%q: ReceiveCount = %d, want 2", m.Body, m.ReceiveCount)
		}
	}
	if slices.Equal(handles(got), handles(again)) {
		t.Error("a new receive returned the same receipt handles")
	}

	// Hide both for long, then show one at once.
	changes := []transport.VisibilityChange{
		{ReceiptHandle: again[0].ReceiptHandle, Timeout: time.Minute},
		{ReceiptHandle: again[1].ReceiptHandle, Timeout: 0},
	}
	errs, err := q.ChangeVisibility(t.Context(), changes)
	if err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("ChangeVisibility: %v %v", err, errs)
	}
	back := receiveN(t, q, 1, transport.ReceiveRequest{}, 10*time.Second)
	if len(back) != 1 || back[0].Body != again[1].Body {
		t.Fatalf("after ChangeVisibility got %q, want only %q", bodies(back), again[1].Body)
	}
	if back[0].ReceiveCount != 3 {
		t.Errorf("ReceiveCount = %d, want 3", back[0].ReceiveCount)
	}
	expectEmpty(t, q)
}

func TestReceiptErrors(t *testing.T) {
	t.Parallel()
	q := newQueue(t, sqs.QueueConfig{})
	send(t, q, transport.Outgoing{Body: "kept"})
	m := receiveN(t, q, 1, transport.ReceiveRequest{VisibilityTimeout: time.Minute}, 10*time.Second)[0]
	const bogus = "not-a-receipt-handle"

	errs, err := q.ChangeVisibility(t.Context(), []transport.VisibilityChange{
		{ReceiptHandle: bogus},
		{ReceiptHandle: m.ReceiptHandle, Timeout: time.Minute},
		{ReceiptHandle: ""},
		{ReceiptHandle: m.ReceiptHandle, Timeout: 13 * time.Hour},
	})
	if err != nil {
		t.Fatalf("ChangeVisibility: %v", err)
	}
	wantErrs := []error{transport.ErrReceiptInvalid, nil, transport.ErrReceiptInvalid, transport.ErrInvalidRequest}
	for i, want := range wantErrs {
		if want == nil && errs[i] != nil || !errors.Is(errs[i], want) {
			t.Errorf("ChangeVisibility entry %d: err = %v, want %v", i, errs[i], want)
		}
	}
	var entry *transport.EntryError
	if !errors.As(errs[0], &entry) || entry.Code == "" || !entry.SenderFault {
		t.Errorf("ChangeVisibility entry 0: want an *EntryError with a code and sender fault, got %#v", errs[0])
	}

	errs, err = q.Delete(t.Context(), []string{bogus, m.ReceiptHandle})
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if !errors.Is(errs[0], transport.ErrReceiptInvalid) || errs[1] != nil {
		t.Errorf("Delete: errs = %v, want [ErrReceiptInvalid, nil]", errs)
	}
	// The message is gone: changing its visibility now fails.
	errs, err = q.ChangeVisibility(t.Context(), []transport.VisibilityChange{{ReceiptHandle: m.ReceiptHandle}})
	if err != nil {
		t.Fatalf("ChangeVisibility: %v", err)
	}
	if !errors.Is(errs[0], transport.ErrReceiptInvalid) {
		t.Errorf("ChangeVisibility of a deleted message: err = %v, want ErrReceiptInvalid", errs[0])
	}
}

func TestQueueNotFound(t *testing.T) {
	t.Parallel()
	c := client(t)
	u := createQueue(t, c, sqs.QueueConfig{})
	if err := sqs.DeleteQueue(t.Context(), c, u); err != nil {
		t.Fatalf("DeleteQueue: %v", err)
	}
	q, err := sqs.New(c, u)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	calls := []struct {
		name string
		call func() error
	}{
		{"Send", func() error { _, err := q.Send(ctx, []transport.Outgoing{{Body: "x"}}); return err }},
		{"SendBatch", func() error {
			_, err := q.Send(ctx, []transport.Outgoing{{Body: "x"}, {Body: "y"}})
			return err
		}},
		{"Receive", func() error { _, err := q.Receive(ctx, transport.ReceiveRequest{}); return err }},
		{"Delete", func() error { _, err := q.Delete(ctx, []string{"h"}); return err }},
		{"ChangeVisibility", func() error {
			_, err := q.ChangeVisibility(ctx, []transport.VisibilityChange{{ReceiptHandle: "h"}})
			return err
		}},
		{"Describe", func() error { _, err := q.Describe(ctx); return err }},
		{"DeadLetterQueue", func() error { _, err := q.DeadLetterQueue(ctx); return err }},
		{"DeleteQueue", func() error { return sqs.DeleteQueue(ctx, c, u) }},
		{"QueueURL", func() error { _, err := sqs.QueueURL(ctx, c, testenv.Name(t)); return err }},
		{"QueueARN", func() error { _, err := sqs.QueueARN(ctx, c, u); return err }},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, transport.ErrQueueNotFound) {
				t.Fatalf("err = %v, want ErrQueueNotFound", err)
			}
			var sdkErr *types.QueueDoesNotExist
			if !errors.As(err, &sdkErr) {
				t.Errorf("the SDK's *types.QueueDoesNotExist is not in the chain of %v", err)
			}
		})
	}
}

func TestDescribeAndDeadLetterQueue(t *testing.T) {
	t.Parallel()
	c := client(t)
	dlqURL := createQueue(t, c, sqs.QueueConfig{})
	dlqARN, err := sqs.QueueARN(t.Context(), c, dlqURL)
	if err != nil {
		t.Fatalf("QueueARN: %v", err)
	}
	u := createQueue(t, c, sqs.QueueConfig{
		VisibilityTimeout: 2 * time.Second,
		MaxMessageSize:    2048,
		DeadLetter:        sqs.RedrivePolicy{DeadLetterTargetARN: dlqARN, MaxReceiveCount: 1},
	})
	q, err := sqs.New(c, u)
	if err != nil {
		t.Fatal(err)
	}

	// Before Describe, the limit is SQS's largest; moto (like SQS) then
	// refuses the message itself.
	big := transport.Outgoing{Body: strings.Repeat("z", 3000)}
	if _, err := q.Send(t.Context(), []transport.Outgoing{big}); !errors.Is(err, transport.ErrInvalidRequest) {
		t.Errorf("Send of 3000 bytes to a 2048-byte queue, before Describe: err = %v, want ErrInvalidRequest from the server", err)
	}

	info, err := q.Describe(t.Context())
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	want := transport.QueueInfo{
		URL:                 u,
		ARN:                 info.ARN,
		VisibilityTimeout:   2 * time.Second,
		MaxMessageSize:      2048,
		DeadLetterTargetARN: dlqARN,
		MaxReceiveCount:     1,
	}
	if info != want {
		t.Errorf("Describe = %+v\nwant       %+v", info, want)
	}
	if !strings.HasPrefix(info.ARN, "arn:aws:sqs:") || !strings.HasSuffix(info.ARN, ":"+u[strings.LastIndexByte(u, '/')+1:]) {
		t.Errorf("ARN = %q, want the queue's ARN", info.ARN)
	}
	if a, err := q.ARN(t.Context()); err != nil || a != info.ARN {
		t.Errorf("ARN() = %q, %v; want %q", a, err, info.ARN)
	}

	// After Describe, the queue's own limit applies before the network.
	res, err := q.Send(t.Context(), []transport.Outgoing{big})
	if err != nil || !errors.Is(res[0].Err, transport.ErrTooLarge) {
		t.Errorf("Send of 3000 bytes after Describe: %v, %+v; want an ErrTooLarge entry", err, res)
	}

	dlq, err := q.DeadLetterQueue(t.Context())
	if err != nil {
		t.Fatalf("DeadLetterQueue: %v", err)
	}
	if dq, ok := dlq.(*sqs.Queue); !ok || dq.URL() != dlqURL {
		t.Fatalf("DeadLetterQueue = %#v, want the queue at %s", dlq, dlqURL)
	}
	again, err := q.DeadLetterQueue(t.Context())
	if err != nil || again != dlq {
		t.Errorf("second DeadLetterQueue = %p, %v; want the same queue %p", again, err, dlq)
	}

	// Redrive: received once (MaxReceiveCount) and not deleted, the
	// message moves to the dead-letter queue.
	send(t, q, transport.Outgoing{Body: "poison"})
	m := receiveN(t, q, 1, transport.ReceiveRequest{}, 10*time.Second)[0]
	if errs, err := q.ChangeVisibility(t.Context(), []transport.VisibilityChange{{ReceiptHandle: m.ReceiptHandle}}); err != nil || errs[0] != nil {
		t.Fatalf("ChangeVisibility: %v %v", err, errs)
	}
	expectEmpty(t, q)
	moved := receiveN(t, dlq, 1, transport.ReceiveRequest{}, 10*time.Second)
	if moved[0].Body != "poison" || moved[0].ID != m.ID {
		t.Errorf("dead-letter queue holds %q (id %s), want %q (id %s)", moved[0].Body, moved[0].ID, "poison", m.ID)
	}

	t.Run("NoRedrivePolicy", func(t *testing.T) {
		q, err := sqs.New(c, dlqURL)
		if err != nil {
			t.Fatal(err)
		}
		dlq, err := q.DeadLetterQueue(t.Context())
		if err != nil || dlq != nil {
			t.Errorf("DeadLetterQueue of a queue without redrive policy = %v, %v; want nil, nil", dlq, err)
		}
	})
}

func TestFIFO(t *testing.T) {
	t.Parallel()
	q := newQueue(t, sqs.QueueConfig{FIFO: true, ContentBasedDeduplication: true})
	if !q.FIFO() || !strings.HasSuffix(q.URL(), ".fifo") {
		t.Fatalf("queue %s: FIFO() = %v, want a FIFO queue", q.URL(), q.FIFO())
	}
	batch := []transport.Outgoing{
		{Body: "a1", GroupID: "a"},
		{Body: "b1", GroupID: "b", DeduplicationID: "b-1"},
		{Body: "a2", GroupID: "a"},
		{Body: "a1", GroupID: "a"},                               // same body: deduplicated by content
		{Body: "b1 again", GroupID: "b", DeduplicationID: "b-1"}, // same id: deduplicated
		{Body: "no group"},
	}
	res, err := q.Send(t.Context(), batch)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	for i, r := range res[:5] {
		if r.Err != nil {
			t.Errorf("entry %d: %v", i, r.Err)
		}
	}
	// moto gives sequence numbers only to messages with an explicit
	// deduplication id; SQS gives them to every FIFO message.
	if res[1].SequenceNumber == "" {
		t.Error("entry 1: no sequence number")
	}
	if !errors.Is(res[5].Err, transport.ErrInvalidRequest) {
		t.Errorf("entry without group id: err = %v, want ErrInvalidRequest", res[5].Err)
	}

	got := receiveN(t, q, 3, transport.ReceiveRequest{}, 10*time.Second)
	var groupA []string
	for _, m := range got {
		if m.DeduplicationID == "" {
			t.Errorf("%q: no deduplication id", m.Body)
		}
		switch m.GroupID {
		case "a":
			groupA = append(groupA, m.Body)
		case "b":
			if m.Body != "b1" || m.DeduplicationID != "b-1" || m.SequenceNumber != res[1].SequenceNumber {
				t.Errorf("group b: %q with deduplication id %q, sequence number %q; want b1 with b-1, %q",
					m.Body, m.DeduplicationID, m.SequenceNumber, res[1].SequenceNumber)
			}
		default:
			t.Errorf("%q: GroupID = %q", m.Body, m.GroupID)
		}
	}
	if !slices.Equal(groupA, []string{"a1", "a2"}) {
		t.Errorf("group a received %q, want [a1 a2] in order", groupA)
	}
	if errs, err := q.Delete(t.Context(), handles(got)); err != nil || slices.ContainsFunc(errs, func(e error) bool { return e != nil }) {
		t.Fatalf("Delete: %v %v", err, errs)
	}
	expectEmpty(t, q)
}

func TestReceiveCancel(t *testing.T) {
	t.Parallel()
	q := newQueue(t, sqs.QueueConfig{})
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := q.Receive(ctx, transport.ReceiveRequest{WaitTime: transport.MaxWaitTime})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Receive after cancel: err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancelled Receive returned after %v, want at once", d)
	}
}

// A queue may set a default long-poll wait; a receive asking for no wait
// must not get it.
func TestReceiveWithoutWaitOnLongPollQueue(t *testing.T) {
	t.Parallel()
	q := newQueue(t, sqs.QueueConfig{Attributes: map[string]string{"ReceiveMessageWaitTimeSeconds": "3"}})
	tests := []struct {
		name    string
		wait    time.Duration
		atLeast time.Duration
		atMost  time.Duration
	}{
		{"NoWait", 0, 0, 2 * time.Second},
		{"OneSecond", time.Second, 750 * time.Millisecond, 2500 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			msgs, err := q.Receive(t.Context(), transport.ReceiveRequest{WaitTime: tc.wait})
			took := time.Since(start)
			if err != nil || len(msgs) != 0 {
				t.Fatalf("Receive on an empty queue = %v, %v", msgs, err)
			}
			if took < tc.atLeast || took > tc.atMost {
				t.Errorf("Receive with WaitTime %v took %v, want %v to %v (the queue's default wait is 3s)", tc.wait, took, tc.atLeast, tc.atMost)
			}
		})
	}
}
