package mega_test

import (
	"context"
	"errors"
	"testing"

	"go.opentelemetry.io/otel/attribute"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/internal/awstest"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// Across SQS, and SNS raw or enveloped, the process span's parent is the
// send span; a retry and a dead-lettering show on the process spans and
// in the metrics.
func TestE2ETraceAcrossTheWire(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	for _, tt := range []struct {
		name     string
		topic    bool
		raw      bool
		wantSend string
	}{
		{"sqs", false, false, "aws_sqs"},
		{"sns enveloped", true, false, "aws.sns"},
		{"sns raw", true, true, "aws.sns"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := newObserved(t)
			q, dlq := env.QueueWithDLQ(t, sqs.QueueConfig{}, 10)
			var dest transport.Sender = q
			opts := append(o.consumerOptions(), mega.WithDeadLetterQueue(dlq))
			if tt.topic {
				tp := env.Topic(t, sns.TopicConfig{})
				env.Subscribe(t, tp, q, sns.QueueSubscription{RawMessageDelivery: tt.raw})
				dest = tp
				opts = append(opts, mega.WithTopicARNs(tp.ARN()))
			}
			ctx, root := o.tp.Tracer("test").Start(context.Background(), "request")
			p := o.publisher(t, dest)
			if _, err := p.Publish(ctx, mega.Entry{Payload: e2eEvent("retried")}); err != nil {
				t.Fatal(err)
			}
			if _, err := p.Publish(ctx, mega.Entry{Payload: e2eEvent("banned")}); err != nil {
				t.Fatal(err)
			}
			root.End()

			c, stop := e2eRun(t, q, []mega.Subscriber{{Name: "users", Event: e2ePattern,
				Process: func(_ context.Context, m *mega.Message) error {
					switch {
					case m.Mega.Event.Subject == "banned":
						return mega.Permanent(errors.New("user is banned"))
					case m.ReceiveCount == 1:
						return errors.New("database unavailable")
					}
					return nil
				}}}, opts...)
			awstest.Eventually(t, e2eWithin, "one message processed, one dead-lettered", func() bool {
				s := c.Stats()
				return s.Processed == 1 && s.DeadLettered == 1 && s.Deleted == 2
			})
			stop()

			sends := map[string]bool{}
			for _, s := range o.spans.Ended() {
				if s.SpanKind().String() == "producer" && attr(s, "messaging.system").AsString() == tt.wantSend {
					sends[s.SpanContext().SpanID().String()] = true
				}
			}
			if len(sends) != 2 {
				t.Fatalf("%d send spans of %s, want 2", len(sends), tt.wantSend)
			}
			var procs, retried, deadLettered int
			for _, s := range o.spans.Ended() {
				if attr(s, "messaging.operation.type").AsString() != "process" {
					continue
				}
				procs++
				if !sends[s.Parent().SpanID().String()] || s.SpanContext().TraceID() != root.SpanContext().TraceID() {
					t.Errorf("process span %s: parent %s is not a send span of the request's trace", s.Name(), s.Parent().SpanID())
				}
				if hasEvent(s, "retry") {
					retried++
				}
				if hasEvent(s, "dead_letter") {
					deadLettered++
				}
			}
			if procs != 3 || retried != 1 || deadLettered != 1 {
				t.Errorf("%d process spans, %d retried, %d dead-lettered; want 3, 1, 1", procs, retried, deadLettered)
			}
			if n := o.sum(t, "mega.consumer.retries"); n != 1 {
				t.Errorf("retries = %d, want 1", n)
			}
			if n := o.sum(t, "mega.consumer.dead_lettered", attribute.String("mega.dead_letter.class", "permanent")); n != 1 {
				t.Errorf("dead-lettered (permanent) = %d, want 1", n)
			}
			if n := o.sum(t, "messaging.client.consumed.messages"); n != 3 {
				t.Errorf("consumed = %d, want 3", n)
			}
			if n := o.sum(t, "messaging.client.sent.messages", attribute.String("messaging.system", tt.wantSend)); n != 2 {
				t.Errorf("sent = %d, want 2", n)
			}
		})
	}
}
