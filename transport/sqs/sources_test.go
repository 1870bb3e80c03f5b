package sqs_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// A dead-letter queue lists the queues whose redrive policy names it.
func TestDeadLetterSources(t *testing.T) {
	t.Parallel()
	c := client(t)
	dlqURL := createQueue(t, c, sqs.QueueConfig{})
	dlq, err := sqs.New(c, dlqURL)
	if err != nil {
		t.Fatal(err)
	}
	none, err := dlq.DeadLetterSources(t.Context())
	if err != nil || len(none) != 0 {
		t.Fatalf("DeadLetterSources before any redrive policy = %v, %v; want none", none, err)
	}
	dlqARN, err := sqs.QueueARN(t.Context(), c, dlqURL)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, suffix := range []string{"-a", "-b"} {
		u, err := sqs.CreateQueue(t.Context(), c, testenv.Name(t)+suffix, sqs.QueueConfig{DeadLetter: sqs.RedrivePolicy{DeadLetterTargetARN: dlqARN, MaxReceiveCount: 2}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = sqs.DeleteQueue(ctx, c, u)
		})
		want = append(want, u)
	}
	slices.Sort(want)
	urls, err := sqs.DeadLetterSourceQueues(t.Context(), c, dlqURL)
	slices.Sort(urls)
	if err != nil || !slices.Equal(urls, want) {
		t.Errorf("DeadLetterSourceQueues = %v, %v; want %v", urls, err, want)
	}
	queues, err := dlq.DeadLetterSources(t.Context())
	if err != nil || len(queues) != 2 {
		t.Fatalf("DeadLetterSources = %v, %v; want two queues", queues, err)
	}
	var got []string
	for _, q := range queues {
		got = append(got, q.(*sqs.Queue).URL())
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("DeadLetterSources = %v, want %v", got, want)
	}
	if _, err := sqs.DeadLetterSourceQueues(t.Context(), c, dlqURL+"-gone"); !errors.Is(err, transport.ErrQueueNotFound) {
		t.Errorf("DeadLetterSourceQueues of a missing queue: %v, want ErrQueueNotFound", err)
	}
}
