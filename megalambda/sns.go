package megalambda

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// SNS handles the notifications of an SNS event: each is decoded from
// its envelope by the router's rules and handed to every matching
// subscriber, as [Handler.SQS] does with a record. SNS invokes a function
// asynchronously: an error makes Lambda retry the invocation (twice, then
// the function's on-failure destination or dead-letter queue takes the
// event). So SNS returns nil when every notification is done, and an
// error matching [ErrNotProcessed] that names the others when a
// subscriber asked for a retry, failed or panicked, when a notification
// cannot be processed and no dead-letter queue accepted it, when it is
// kept unmatched, or when the deadline margin came first. Retrying
// handles every notification of the event again.
//
// The router unwraps only envelopes of trusted topics
// ([mega.WithTopicARNs], [mega.WithTrustAnyTopic]); from any other topic
// the envelope is a data payload, and a warning says so once per topic.
func (h *Handler) SNS(ctx context.Context, ev events.SNSEvent) error {
	if len(ev.Records) == 0 {
		return ErrNoRecords
	}
	groups := make([][]int, len(ev.Records))
	for i := range ev.Records {
		r := &ev.Records[i]
		if r.EventSource != "" && r.EventSource != "aws:sns" {
			return fmt.Errorf("%w: record %d comes from %q, not aws:sns", ErrInvalidEvent, i, r.EventSource)
		}
		if r.SNS.MessageID == "" {
			return fmt.Errorf("%w: record %d has no MessageId", ErrInvalidEvent, i)
		}
		groups[i] = []int{i}
	}
	ctx, cancel := h.withMargin(ctx)
	defer cancel()
	done := h.run(ctx, len(ev.Records), groups, func(ctx context.Context, i int) bool {
		return h.handleSNS(ctx, &ev.Records[i])
	})
	var errs []error
	for i, ok := range done {
		if !ok {
			errs = append(errs, fmt.Errorf("%w: SNS message %s", ErrNotProcessed, ev.Records[i].SNS.MessageID))
		}
	}
	h.stats.failures.Add(int64(len(errs)))
	return errors.Join(errs...)
}

func (h *Handler) handleSNS(ctx context.Context, r *events.SNSEventRecord) bool {
	h.stats.records.Add(1)
	tm := FromSNS(*r)
	v := h.router.Route(ctx, tm)
	if v.Message != nil && v.Message.SNS == nil && r.SNS.TopicArn != "" {
		if _, warned := h.warnedTopics.LoadOrStore(r.SNS.TopicArn, true); !warned {
			h.cfg.log.Warn("megalambda: the SNS topic is not trusted: its notifications are data payloads, not unwrapped (trust it with mega.WithTopicARNs)",
				"topic_arn", r.SNS.TopicArn)
		}
	}
	done, err := h.settle(ctx, tm, v, false)
	h.router.RecordSettle(ctx, v, err) // telemetry
	return done
}
