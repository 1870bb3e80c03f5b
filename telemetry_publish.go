package mega

import (
	"context"
	"fmt"

	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/messagingconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// publishTrace is the tracing of one PublishBatch call: a send span, and
// for more than one entry a create span per entry, whose context each
// message carries and to which the send span links.
type publishTrace struct {
	t       *telemetry
	n       int
	send    trace.Span
	creates []trace.Span
}

// startPublish starts the spans of a PublishBatch of n entries; the
// requests go with the returned context.
func (t *telemetry) startPublish(ctx context.Context, n int) (context.Context, *publishTrace) {
	pt := &publishTrace{t: t, n: n}
	parent := ctx
	kind := trace.SpanKindProducer
	if n > 1 {
		kind = trace.SpanKindClient // the messages' contexts are their create spans
	}
	pt.send = noSpan
	if !t.tracing() {
		return ctx, pt
	}
	ctx, pt.send = t.tracer.Start(ctx, t.dest.spanName("send"), trace.WithSpanKind(kind))
	if !pt.send.IsRecording() {
		return ctx, pt
	}
	pt.send.SetAttributes(t.dest.span...)
	pt.send.SetAttributes(semconv.MessagingOperationTypeSend, semconv.MessagingOperationName("send"))
	if n > 1 {
		pt.send.SetAttributes(semconv.MessagingBatchMessageCount(n))
		pt.creates = make([]trace.Span, n)
		for i := range pt.creates {
			_, s := t.tracer.Start(parent, t.dest.spanName("create"), trace.WithSpanKind(trace.SpanKindProducer),
				trace.WithAttributes(t.dest.span...),
				trace.WithAttributes(semconv.MessagingOperationTypeCreate, semconv.MessagingOperationName("create")))
			pt.creates[i] = s
			pt.send.AddLink(trace.Link{SpanContext: s.SpanContext()})
		}
	}
	return ctx, pt
}

// attributes are entry i's attributes with its trace context added.
func (pt *publishTrace) attributes(ctx context.Context, i int, e Entry) map[string]transport.Attribute {
	if pt.creates != nil {
		ctx = trace.ContextWithSpan(ctx, pt.creates[i])
	}
	return pt.t.inject(ctx, e)
}

// sendBatch sends one request, timing it.
func (pt *publishTrace) sendBatch(ctx context.Context, dest transport.Sender, batch []transport.Outgoing) ([]transport.SendResult, error) {
	start := pt.t.operationStart(ctx)
	res, err := dest.Send(ctx, batch)
	pt.t.recordOperation(ctx, "send", messagingconv.OperationTypeSend, start, err)
	return res, err
}

// end counts the messages sent and not sent and ends the spans.
func (pt *publishTrace) end(ctx context.Context, ids []string, failures []EntryFailure) {
	t := pt.t
	if t.sent.Enabled(ctx) {
		ok := 0
		for _, id := range ids {
			if id != "" {
				ok++
			}
		}
		if ok > 0 {
			t.sent.Add(ctx, int64(ok), "send", t.dest.system, t.dest.attrs...)
		}
		for _, f := range failures {
			t.sent.Add(ctx, 1, "send", t.dest.system, append(t.dest.attrs[:len(t.dest.attrs):len(t.dest.attrs)], semconv.ErrorType(f.Err))...)
		}
	}
	if !pt.send.IsRecording() {
		pt.send.End()
		return
	}
	failed := make(map[int]error, len(failures))
	for _, f := range failures {
		failed[f.Index] = f.Err
	}
	spans := pt.creates
	if spans == nil && pt.n == 1 {
		spans = []trace.Span{pt.send}
	}
	for i, s := range spans {
		if err, ok := failed[i]; ok {
			failSpan(s, err)
		} else if i < len(ids) && ids[i] != "" {
			s.SetAttributes(semconv.MessagingMessageID(ids[i]))
		}
		if s != pt.send {
			s.End()
		}
	}
	if len(failures) > 0 && pt.n > 1 {
		failSpan(pt.send, fmt.Errorf("mega: %d of %d entries not published: %w", len(failures), pt.n, failures[0].Err))
	}
	pt.send.End()
}
