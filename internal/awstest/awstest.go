package awstest

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// Env holds the clients of one test. Its methods may be called from
// parallel tests.
type Env struct {
	SQS *awssqs.Client
	SNS *awssns.Client
}

// New returns the clients for the test server, or ends the test as
// testenv.Endpoint does.
func New(t testing.TB) *Env {
	t.Helper()
	cfg := testenv.AWSConfig(t)
	return &Env{SQS: awssqs.NewFromConfig(cfg), SNS: awssns.NewFromConfig(cfg)}
}

func cleanupContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// Queue creates a queue named after the test, deleted when the test ends.
func (e *Env) Queue(t testing.TB, cfg sqs.QueueConfig) *sqs.Queue {
	t.Helper()
	u, err := sqs.CreateQueue(context.Background(), e.SQS, testenv.Name(t), cfg)
	if err != nil {
		t.Fatalf("CreateQueue: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		if err := sqs.DeleteQueue(ctx, e.SQS, u); err != nil && !errors.Is(err, transport.ErrQueueNotFound) {
			t.Errorf("DeleteQueue(%s): %v", u, err)
		}
	})
	q, err := sqs.New(e.SQS, u)
	if err != nil {
		t.Fatalf("sqs.New: %v", err)
	}
	return q
}

// QueueWithDLQ creates a dead-letter queue and a queue whose redrive
// policy moves a message to it after maxReceiveCount receives.
func (e *Env) QueueWithDLQ(t testing.TB, cfg sqs.QueueConfig, maxReceiveCount int) (q, dlq *sqs.Queue) {
	t.Helper()
	dlq = e.Queue(t, sqs.QueueConfig{FIFO: cfg.FIFO})
	a, err := sqs.QueueARN(context.Background(), e.SQS, dlq.URL())
	if err != nil {
		t.Fatalf("QueueARN: %v", err)
	}
	cfg.DeadLetter = sqs.RedrivePolicy{DeadLetterTargetARN: a, MaxReceiveCount: maxReceiveCount}
	return e.Queue(t, cfg), dlq
}

// Topic creates a topic named after the test, deleted when the test ends.
func (e *Env) Topic(t testing.TB, cfg sns.TopicConfig) *sns.Topic {
	t.Helper()
	a, err := sns.CreateTopic(context.Background(), e.SNS, testenv.Name(t), cfg)
	if err != nil {
		t.Fatalf("CreateTopic: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupContext()
		defer cancel()
		if err := sns.DeleteTopic(ctx, e.SNS, a); err != nil {
			t.Errorf("DeleteTopic(%s): %v", a, err)
		}
	})
	tp, err := sns.New(e.SNS, a)
	if err != nil {
		t.Fatalf("sns.New: %v", err)
	}
	return tp
}

// Subscribe subscribes q to the topic.
func (e *Env) Subscribe(t testing.TB, tp *sns.Topic, q *sqs.Queue, sub sns.QueueSubscription) {
	t.Helper()
	if _, err := sns.SubscribeQueue(context.Background(), e.SNS, e.SQS, tp.ARN(), q.URL(), sub); err != nil {
		t.Fatalf("SubscribeQueue: %v", err)
	}
}

// Counts are a queue's message counts, as GetQueueAttributes reports them
// (exact on moto).
type Counts struct {
	Visible, InFlight, Delayed int
}

// Total is the number of messages in the queue, whatever their state.
func (c Counts) Total() int { return c.Visible + c.InFlight + c.Delayed }

// Count returns the message counts of q.
func (e *Env) Count(t testing.TB, q *sqs.Queue) Counts {
	t.Helper()
	out, err := e.SQS.GetQueueAttributes(context.Background(), &awssqs.GetQueueAttributesInput{
		QueueUrl: aws.String(q.URL()),
		AttributeNames: []sqstypes.QueueAttributeName{
			sqstypes.QueueAttributeNameApproximateNumberOfMessages,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
			sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed,
		},
	})
	if err != nil {
		t.Fatalf("GetQueueAttributes: %v", err)
	}
	n := func(name sqstypes.QueueAttributeName) int {
		v, err := strconv.Atoi(out.Attributes[string(name)])
		if err != nil {
			t.Fatalf("GetQueueAttributes: %s = %q", name, out.Attributes[string(name)])
		}
		return v
	}
	return Counts{
		Visible:  n(sqstypes.QueueAttributeNameApproximateNumberOfMessages),
		InFlight: n(sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible),
		Delayed:  n(sqstypes.QueueAttributeNameApproximateNumberOfMessagesDelayed),
	}
}

// Receive receives until n messages have arrived or within has passed,
// and fails the test with fewer. The messages stay invisible for the
// request's visibility timeout (the queue's when zero).
func Receive(t testing.TB, q transport.Queue, n int, within time.Duration, req transport.ReceiveRequest) []transport.Message {
	t.Helper()
	if req.MaxMessages == 0 {
		req.MaxMessages = transport.MaxBatch
	}
	if req.WaitTime == 0 {
		req.WaitTime = time.Second
	}
	var got []transport.Message
	for deadline := time.Now().Add(within); len(got) < n && time.Now().Before(deadline); {
		msgs, err := q.Receive(context.Background(), req)
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

// Send sends the batch and fails the test on any error.
func Send(t testing.TB, s transport.Sender, batch ...transport.Outgoing) []transport.SendResult {
	t.Helper()
	res, err := s.Send(context.Background(), batch)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("Send entry %d: %v", i, r.Err)
		}
	}
	return res
}

// Eventually polls cond every 50 ms until it holds, and fails the test if
// it does not within the given time.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting until %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
