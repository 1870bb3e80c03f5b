package memory_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// allowedTopics returns the topics the queue's policy, as Describe returns
// it, lets send: what a consumer of the queue trusts.
func allowedTopics(t *testing.T, q *memory.Queue) []string {
	t.Helper()
	info, err := q.Describe(t.Context())
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	if info.Policy != q.Policy() {
		t.Fatalf("Describe returns policy %q, Policy() %q", info.Policy, q.Policy())
	}
	topics, open, err := transport.SNSTopicsFromPolicy(info.Policy)
	if err != nil || open {
		t.Fatalf("SNSTopicsFromPolicy(%q) = open %v, %v", info.Policy, open, err)
	}
	return topics
}

func TestSubscribeSetsTheQueuePolicy(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q", memory.QueueConfig{})
	orders := f.topic("orders", memory.TopicConfig{})
	payments := f.topic("payments", memory.TopicConfig{})
	if q.Policy() != "" || len(allowedTopics(t, q)) != 0 {
		t.Fatalf("a new queue has policy %q; want none", q.Policy())
	}

	f.subscribe(orders, q, memory.SubscriptionConfig{})
	if got := allowedTopics(t, q); !slices.Equal(got, []string{orders.ARN()}) {
		t.Fatalf("after subscribing to orders, the policy allows %q", got)
	}
	// Subscribing again, or to a second topic, adds no duplicate.
	f.subscribe(orders, q, memory.SubscriptionConfig{})
	s := f.subscribe(payments, q, memory.SubscriptionConfig{RawMessageDelivery: true})
	if got := allowedTopics(t, q); !slices.Equal(got, []string{orders.ARN(), payments.ARN()}) {
		t.Fatalf("after subscribing to both topics, the policy allows %q", got)
	}
	// Unsubscribing leaves the policy, as on AWS.
	if err := s.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	if got := allowedTopics(t, q); len(got) != 2 {
		t.Errorf("after unsubscribing, the policy allows %q; want it unchanged", got)
	}
}

func TestTopicDeliversOnlyWhereThePolicyAllows(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q", memory.QueueConfig{})
	tp := f.topic("orders", memory.TopicConfig{})
	f.subscribe(tp, q, memory.SubscriptionConfig{RawMessageDelivery: true})
	granted := q.Policy()

	f.send(tp, msg("allowed"))
	if m := f.receiveOne(q); m.Body != "allowed" {
		t.Fatalf("got %q, want the published message", m.Body)
	}

	// A policy without the topic's statement: SNS cannot send, and the
	// message is lost without a word, as on AWS.
	if err := q.SetPolicy(""); err != nil {
		t.Fatal(err)
	}
	res := f.send(tp, msg("refused"))
	if res[0].Err != nil || res[0].MessageID == "" {
		t.Fatalf("publishing succeeds even when a queue refuses: %+v", res[0])
	}
	f.expectEmpty(q)

	// A statement allowing every topic of the account (ArnLike) lets it
	// through again.
	other := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},` +
		`"Action":"sqs:SendMessage","Resource":"` + q.ARN() + `",` +
		`"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:000000000000:pay*"}}}]}`
	if err := q.SetPolicy(other); err != nil {
		t.Fatal(err)
	}
	f.send(tp, msg("still refused"))
	f.expectEmpty(q)
	if err := q.SetPolicy(granted); err != nil {
		t.Fatal(err)
	}
	f.send(tp, msg("allowed again"))
	if m := f.receiveOne(q); m.Body != "allowed again" {
		t.Fatalf("got %q, want the message published after the policy was restored", m.Body)
	}
}

func TestSetPolicyRejectsWhatIsNotAPolicy(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q", memory.QueueConfig{})
	for _, p := range []string{`{"Statement": [`, `Allow everyone`, `{"Statement": 5}`} {
		if err := q.SetPolicy(p); !errors.Is(err, transport.ErrInvalidRequest) {
			t.Errorf("SetPolicy(%q) = %v, want ErrInvalidRequest", p, err)
		}
	}
	if q.Policy() != "" {
		t.Errorf("a refused policy was kept: %q", q.Policy())
	}
	if err := f.b.DeleteQueue("q"); err != nil {
		t.Fatal(err)
	}
	if err := q.SetPolicy(""); !errors.Is(err, transport.ErrQueueNotFound) {
		t.Errorf("SetPolicy on a deleted queue: %v, want ErrQueueNotFound", err)
	}
}

// TestConcurrentSubscribesKeepEveryStatement subscribes one queue to many
// topics at once while they publish: no statement is lost, and each topic
// delivers once its subscription is made.
func TestConcurrentSubscribesKeepEveryStatement(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q", memory.QueueConfig{})
	const n = 16
	topics := make([]*memory.Topic, n)
	for i := range topics {
		topics[i] = f.topic(fmt.Sprintf("t%d", i), memory.TopicConfig{})
	}
	var wg sync.WaitGroup
	for _, tp := range topics {
		wg.Go(func() {
			if _, err := f.b.Subscribe(tp, q, memory.SubscriptionConfig{RawMessageDelivery: true}); err != nil {
				t.Error(err)
				return
			}
			if _, err := tp.Send(t.Context(), []transport.Outgoing{{Body: tp.Name()}}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := allowedTopics(t, q); len(got) != n {
		t.Fatalf("the policy allows %d topics, want %d: %q", len(got), n, got)
	}
	if got := q.Len(); got != n {
		t.Fatalf("%d messages delivered, want one per topic (%d)", got, n)
	}
}
