package sqs_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// client returns an SQS client for the test server.
func client(t *testing.T) *awssqs.Client {
	t.Helper()
	return awssqs.NewFromConfig(testenv.AWSConfig(t))
}

// createQueue creates a queue named after the test, deleted when it ends.
func createQueue(t *testing.T, c *awssqs.Client, cfg sqs.QueueConfig) string {
	t.Helper()
	u, err := sqs.CreateQueue(t.Context(), c, testenv.Name(t), cfg)
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := sqs.DeleteQueue(ctx, c, u); err != nil && !errors.Is(err, transport.ErrQueueNotFound) {
			t.Errorf("DeleteQueue(%s): %v", u, err)
		}
	})
	return u
}

// newQueue creates a queue and returns it as a *sqs.Queue.
func newQueue(t *testing.T, cfg sqs.QueueConfig, opts ...sqs.Option) *sqs.Queue {
	t.Helper()
	c := client(t)
	q, err := sqs.New(c, createQueue(t, c, cfg), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return q
}

// send sends the batch and fails the test on any error.
func send(t *testing.T, q transport.Queue, batch ...transport.Outgoing) []transport.SendResult {
	t.Helper()
	res, err := q.Send(t.Context(), batch)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(res) != len(batch) {
		t.Fatalf("Send returned %d results for %d entries", len(res), len(batch))
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("Send entry %d: %v", i, r.Err)
		}
	}
	return res
}

// receiveN receives until n messages have arrived or the deadline passes.
func receiveN(t *testing.T, q transport.Queue, n int, req transport.ReceiveRequest, within time.Duration) []transport.Message {
	t.Helper()
	if req.MaxMessages == 0 {
		req.MaxMessages = transport.MaxBatch
	}
	if req.WaitTime == 0 {
		req.WaitTime = time.Second
	}
	deadline := time.Now().Add(within)
	var got []transport.Message
	for len(got) < n && time.Now().Before(deadline) {
		msgs, err := q.Receive(t.Context(), req)
		if err != nil {
			t.Fatalf("Receive: %v", err)
		}
		got = append(got, msgs...)
	}
	if len(got) < n {
		t.Fatalf("received %d messages within %v, want %d", len(got), within, n)
	}
	return got
}

// expectEmpty checks that a short receive finds nothing.
func expectEmpty(t *testing.T, q transport.Queue) {
	t.Helper()
	msgs, err := q.Receive(t.Context(), transport.ReceiveRequest{MaxMessages: transport.MaxBatch})
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if len(msgs) != 0 {
		t.Fatalf("received %d messages, want none: first body %q", len(msgs), msgs[0].Body)
	}
}

func bodies(msgs []transport.Message) []string {
	var b []string
	for _, m := range msgs {
		b = append(b, m.Body)
	}
	slices.Sort(b)
	return b
}

func handles(msgs []transport.Message) []string {
	var h []string
	for _, m := range msgs {
		h = append(h, m.ReceiptHandle)
	}
	return h
}
