package sqs_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// TestDescribeReadsThePolicy checks that Describe returns the queue's access
// policy as it is set, and that AllowTopic adds a statement the consumer
// reads as trusting the topic.
func TestDescribeReadsThePolicy(t *testing.T) {
	t.Parallel()
	c := client(t)
	const (
		orders   = "arn:aws:sns:us-east-1:123456789012:orders"
		payments = "arn:aws:sns:us-east-1:123456789012:payments"
	)
	u := createQueue(t, c, sqs.QueueConfig{})
	q, err := sqs.New(c, u)
	if err != nil {
		t.Fatal(err)
	}
	topics := func() []string {
		t.Helper()
		info, err := q.Describe(t.Context())
		if err != nil {
			t.Fatalf("Describe: %v", err)
		}
		got, open, err := transport.SNSTopicsFromPolicy(info.Policy)
		if err != nil || open {
			t.Fatalf("SNSTopicsFromPolicy(%q) = open %v, %v", info.Policy, open, err)
		}
		return got
	}

	// A new queue has no policy.
	if info, err := q.Describe(t.Context()); err != nil || info.Policy != "" {
		t.Fatalf("Describe of a queue without a policy: Policy %q, %v; want none", info.Policy, err)
	}

	// AllowTopic adds a statement per topic, once.
	for _, step := range []struct {
		topic   string
		changed bool
		want    []string
	}{
		{orders, true, []string{orders}},
		{orders, false, []string{orders}},
		{payments, true, []string{orders, payments}},
	} {
		changed, err := sqs.AllowTopic(t.Context(), c, u, step.topic)
		if err != nil || changed != step.changed {
			t.Fatalf("AllowTopic(%s) = %v, %v; want changed %v", step.topic, changed, err, step.changed)
		}
		if got := topics(); !slices.Equal(got, step.want) {
			t.Fatalf("after AllowTopic(%s), the policy allows %q; want %q", step.topic, got, step.want)
		}
	}

	// SetPolicy replaces it; an empty policy removes it.
	info, _ := q.Describe(t.Context())
	only, _, err := transport.PolicyAllowingTopic("", info.ARN, payments)
	if err != nil {
		t.Fatal(err)
	}
	if err := sqs.SetPolicy(t.Context(), c, u, only); err != nil {
		t.Fatalf("SetPolicy: %v", err)
	}
	if got := topics(); !slices.Equal(got, []string{payments}) {
		t.Fatalf("after SetPolicy, the policy allows %q; want only %s", got, payments)
	}
	if err := sqs.SetPolicy(t.Context(), c, u, ""); err != nil {
		t.Fatalf("SetPolicy(\"\"): %v", err)
	}
	if got := topics(); len(got) != 0 {
		t.Fatalf("after removing the policy, it allows %q", got)
	}

	// A policy that is not one is refused before any request.
	if err := sqs.SetPolicy(t.Context(), c, u, `{"Statement": [`); !errors.Is(err, transport.ErrInvalidRequest) {
		t.Errorf("SetPolicy of broken JSON: %v, want ErrInvalidRequest", err)
	}
	if _, err := sqs.AllowTopic(t.Context(), c, u+"-missing", orders); !errors.Is(err, transport.ErrQueueNotFound) {
		t.Errorf("AllowTopic on a missing queue: %v, want ErrQueueNotFound", err)
	}
}

// TestCreateQueueWithPolicy checks that a policy given at creation is the
// queue's.
func TestCreateQueueWithPolicy(t *testing.T) {
	t.Parallel()
	c := client(t)
	const orders = "arn:aws:sns:us-east-1:123456789012:orders"
	policy, _, err := transport.PolicyAllowingTopic("", "arn:aws:sqs:us-east-1:123456789012:q", orders)
	if err != nil {
		t.Fatal(err)
	}
	q, err := sqs.New(c, createQueue(t, c, sqs.QueueConfig{Policy: policy}))
	if err != nil {
		t.Fatal(err)
	}
	info, err := q.Describe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := transport.SNSTopicsFromPolicy(info.Policy); err != nil || !slices.Equal(got, []string{orders}) {
		t.Errorf("Describe: policy allows %q (%v); want %s\n%s", got, err, orders, info.Policy)
	}
	if _, err := sqs.CreateQueue(t.Context(), c, "never", sqs.QueueConfig{Policy: "nope"}); !errors.Is(err, transport.ErrInvalidRequest) {
		t.Errorf("CreateQueue with a broken policy: %v, want ErrInvalidRequest", err)
	}
}
