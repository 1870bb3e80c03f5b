package mega

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/messagingconv"
	"go.opentelemetry.io/otel/trace"

	"github.com/sqs-mega/sqs-mega-go/internal/lease"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

var (
	consumerKind = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindConsumer)}
	clientKind   = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient)}
)

// Reason classes of dead-lettered messages, the values of
// mega.dead_letter.class.
const (
	classInvalid     = "invalid"      // an invalid MEGA payload
	classNotMega     = "not_mega"     // a text or binary body no Raw subscriber takes
	classPermanent   = "permanent"    // a subscriber's permanent error or failed validation
	classMaxReceives = "max_receives" // retried WithMaxReceives times
)

// verdictTrace is what a verdict carries for the settle step's telemetry.
type verdictTrace struct {
	span  trace.SpanContext // the first process span of the message, when traced
	class string            // for ActionPoison
}

// routeTrace is the tracing of one Route call.
type routeTrace struct {
	t      *telemetry
	parent context.Context   // the producer's context, or else Route's own
	link   trace.SpanContext // Route's own span (the receive), when the producer's is the parent
	id     string
	count  int
	spans  []trace.Span // recording process spans, ended with the verdict
	ends   []time.Time
}

// startRoute extracts the producer's trace context from a message and
// counts it consumed.
func (t *telemetry) startRoute(ctx context.Context, tm transport.Message, dm *protocol.Message) routeTrace {
	if t.consumed.Enabled(ctx) {
		t.consumed.Add(ctx, 1, "receive", t.dest.system, t.dest.attrs...)
	}
	rt := routeTrace{t: t, id: tm.ID, count: tm.ReceiveCount}
	ambient := trace.SpanContextFromContext(ctx)
	var carrier propagation.TextMapCarrier = attributeCarrier(tm.Attributes) // a map: no allocation
	if dm.SNS != nil || tm.System[SystemAWSTraceHeader] != "" {
		carrier = messageCarrier{attrs: tm.Attributes, sns: dm.SNS, system: tm.System}
	}
	rt.parent = t.propagator().Extract(ctx, carrier)
	if ambient.IsValid() && !trace.SpanContextFromContext(rt.parent).Equal(ambient) {
		rt.link = ambient
	}
	return rt
}

// startProcess starts the process span of one subscriber; the handler
// runs with the returned context. start is zero unless the duration is
// recorded.
func (rt *routeTrace) startProcess(subscriber string) (context.Context, trace.Span, time.Time) {
	t := rt.t
	ctx, span := rt.parent, noSpan
	if t.tracing() {
		ctx, span = t.tracer.Start(rt.parent, t.dest.spanName("process"), consumerKind...)
	}
	if span.IsRecording() {
		rt.describe(span)
		if subscriber != "" {
			span.SetAttributes(attrSubscriber.String(subscriber))
		}
	}
	var start time.Time
	if t.procDuration.Enabled(ctx) {
		start = time.Now()
	}
	return ctx, span, start
}

// describe sets the attributes of a process span.
func (rt *routeTrace) describe(span trace.Span) {
	span.SetAttributes(rt.t.dest.span...)
	span.SetAttributes(semconv.MessagingOperationTypeProcess, semconv.MessagingOperationName("process"),
		semconv.MessagingMessageID(rt.id), attrReceiveCount.Int(rt.count))
	if rt.link.IsValid() {
		span.AddLink(trace.Link{SpanContext: rt.link})
	}
}

// endProcess records a subscriber's outcome; its span ends with the
// verdict.
func (rt *routeTrace) endProcess(ctx context.Context, span trace.Span, start time.Time, subscriber string, err error) {
	t := rt.t
	if !start.IsZero() {
		attrs := append(t.dest.attrs[:len(t.dest.attrs):len(t.dest.attrs)], attrSubscriber.String(subscriber))
		if err != nil && !isRetryRequest(err) {
			attrs = append(attrs, semconv.ErrorType(err))
		}
		t.procDuration.Record(ctx, time.Since(start).Seconds(), "process", t.dest.system, attrs...)
	}
	if !span.IsRecording() {
		span.End()
		return
	}
	var rq *RetryError
	switch {
	case err == nil:
	case errors.As(err, &rq):
		span.AddEvent("retry requested", trace.WithAttributes(attrRetryDelay.Int64(rq.Delay.Milliseconds())))
	default:
		failSpan(span, err)
	}
	rt.spans = append(rt.spans, span)
	rt.ends = append(rt.ends, time.Now())
}

// end records the verdict on the process spans and ends them. A message
// that no subscriber ran on gets a process span of its own, so that its
// fate (unmatched, dead-lettered) shows in its trace.
func (rt *routeTrace) end(v *Verdict, in decision) {
	if v.Action == ActionPoison {
		v.tel.class = poisonClass(in, v)
	}
	if len(rt.spans) == 0 && in.matched == 0 && rt.t.tracing() {
		_, span := rt.t.tracer.Start(rt.parent, rt.t.dest.spanName("process"), consumerKind...)
		if !span.IsRecording() {
			span.End()
			return
		}
		rt.describe(span)
		rt.spans = append(rt.spans, span)
		rt.ends = append(rt.ends, time.Time{})
	}
	if len(rt.spans) == 0 {
		return
	}
	v.tel.span = rt.spans[0].SpanContext()
	verdict := attrVerdict.String(v.Action.String())
	for i, span := range rt.spans {
		span.SetAttributes(verdict)
		var at []trace.EventOption
		if !rt.ends[i].IsZero() {
			at = append(at, trace.WithTimestamp(rt.ends[i]))
		}
		switch {
		case v.Action == ActionRetry:
			span.AddEvent("retry", append(at, trace.WithAttributes(attrRetryDelay.Int64(v.Delay.Milliseconds())))...)
		case v.Action == ActionPoison:
			span.AddEvent("dead_letter", append(at, trace.WithAttributes(attrDeadLetterReason.String(v.Reason), attrDeadLetterClass.String(v.tel.class)))...)
			span.SetStatus(codes.Error, v.Reason)
		case v.Matched == 0:
			span.AddEvent("unmatched", at...)
		}
		if rt.ends[i].IsZero() {
			span.End()
		} else {
			span.End(trace.WithTimestamp(rt.ends[i]))
		}
	}
}

// poisonClass classifies the reason of a poison verdict.
func poisonClass(in decision, v *Verdict) string {
	switch {
	case in.kind == protocol.KindInvalid:
		return classInvalid
	case in.matched == 0:
		return classNotMega
	case hasRetry(in):
		return classMaxReceives
	}
	return classPermanent
}

// hasRetry reports whether a subscriber asked for a retry or failed, so
// that a poison verdict comes from the receive limit.
func hasRetry(in decision) bool {
	if in.cancelled {
		return true
	}
	for _, r := range in.results {
		if r.err != nil && !isPermanent(r.err) {
			return true
		}
	}
	return false
}

// errNotSettled is recorded on the settle span of a message whose
// settlement did not happen: released at shutdown, its receipt lost, or
// the dead-letter queue unreachable.
var errNotSettled = errors.New("mega: the message was not settled as decided; it will be delivered again")

// errPoisonKept is recorded on the settle span of a message that cannot be
// processed and stays in the queue for want of a dead-letter queue.
var errPoisonKept = errors.New("mega: no dead-letter queue: the message stays in the queue")

var settleOps = [...]string{ActionDelete: "delete", ActionRetry: "change_visibility", ActionPoison: "dead_letter", ActionLeave: ""}

// RecordSettle records how a routed message was settled, for receive
// loops of your own (a Consumer calls it itself): err is nil when the
// verdict was carried out, else why not. It counts retries, dead-lettered
// messages (by the class of the reason, attribute mega.dead_letter.class:
// invalid, not_mega, permanent, max_receives) and unmatched messages, and,
// when the message was traced, adds a settle span (delete,
// change_visibility or dead_letter) to its trace.
func (r *Router) RecordSettle(ctx context.Context, v Verdict, err error) { r.tel.settled(ctx, v, err) }

func (t *telemetry) settled(ctx context.Context, v Verdict, err error) {
	var c metric.Int64Counter
	var extra attribute.KeyValue
	switch {
	case err != nil:
	case v.Action == ActionRetry:
		c = t.retries
	case v.Action == ActionPoison:
		c, extra = t.deadLettered, attrDeadLetterClass.String(v.tel.class)
	case v.Matched == 0:
		c = t.unmatched
	}
	if c != nil && c.Enabled(ctx) {
		attrs := append(t.dest.span[:len(t.dest.span):len(t.dest.span)], extra)
		if !extra.Valid() {
			attrs = attrs[:len(attrs)-1]
		}
		c.Add(ctx, 1, metric.WithAttributes(attrs...))
	}
	op := ""
	if int(v.Action) < len(settleOps) {
		op = settleOps[v.Action]
	}
	if !v.tel.span.IsValid() || op == "" || !t.tracing() {
		return
	}
	_, span := t.tracer.Start(trace.ContextWithSpanContext(ctx, v.tel.span), t.dest.spanName(op), clientKind...)
	if span.IsRecording() {
		span.SetAttributes(t.dest.span...)
		span.SetAttributes(semconv.MessagingOperationTypeSettle, semconv.MessagingOperationName(op))
		if v.Message != nil {
			span.SetAttributes(semconv.MessagingMessageID(v.Message.ID))
		}
		if v.Action == ActionPoison {
			span.SetAttributes(attrDeadLetterReason.String(v.Reason), attrDeadLetterClass.String(v.tel.class))
		}
		if v.Action == ActionRetry {
			span.SetAttributes(attrRetryDelay.Int64(v.Delay.Milliseconds()))
		}
		if err != nil {
			failSpan(span, err)
		}
	}
	span.End()
}

// startReceive starts the span of a receive request.
func (e *engine) startReceive(ctx context.Context) (context.Context, trace.Span, time.Time) {
	t := e.c.router.tel
	span := noSpan
	if t.tracing() {
		ctx, span = t.tracer.Start(ctx, t.dest.spanName("receive"), clientKind...)
	}
	return ctx, span, t.operationStart(ctx)
}

// endReceive ends the span of a receive request and returns its context
// when it was recorded, for the messages to link to.
func (e *engine) endReceive(ctx context.Context, span trace.Span, start time.Time, n int, err error) trace.SpanContext {
	t := e.c.router.tel
	t.recordOperation(ctx, "receive", messagingconv.OperationTypeReceive, start, err)
	if !span.IsRecording() {
		span.End()
		return trace.SpanContext{}
	}
	span.SetAttributes(t.dest.span...)
	span.SetAttributes(semconv.MessagingOperationTypeReceive, semconv.MessagingOperationName("receive"),
		semconv.MessagingBatchMessageCount(n))
	if err != nil {
		failSpan(span, err)
	}
	span.End()
	return span.SpanContext()
}

// linkReceive tags messages with the receive that brought them.
func linkReceive(msgs []*lease.Msg, sc trace.SpanContext) {
	if !sc.IsValid() {
		return
	}
	for _, m := range msgs {
		m.Link = &sc
	}
}

// routeContext is the context a held message is routed with: the
// handlers' own, with the span of the receive that brought it.
func (e *engine) routeContext(m *lease.Msg) context.Context {
	if m.Link == nil {
		return e.handleCtx
	}
	return trace.ContextWithSpanContext(e.handleCtx, *m.Link)
}

// recordSettle records how settle carried out a verdict: done is what it
// returned.
func (e *engine) recordSettle(v Verdict, done bool) {
	var err error
	switch {
	case v.Action == ActionRetry:
	case v.Action == ActionPoison && e.dlq == nil && !e.cfg.discardPoison:
		err = errPoisonKept
	case !done:
		err = errNotSettled
	}
	e.c.router.RecordSettle(e.handleCtx, v, err)
}

// observe registers the gauges of a Run: messages held, heartbeat
// extensions and their failures; the returned function unregisters them.
func (e *engine) observe() func() {
	t := e.c.router.tel
	held, err1 := t.meter.Int64ObservableUpDownCounter("mega.consumer.held", metric.WithUnit("{message}"),
		metric.WithDescription("Messages received and not yet settled."))
	ext, err2 := t.meter.Int64ObservableCounter("mega.consumer.heartbeat.extensions", metric.WithUnit("{extension}"),
		metric.WithDescription("Visibility extensions of messages still held."))
	fail, err3 := t.meter.Int64ObservableCounter("mega.consumer.heartbeat.failures", metric.WithUnit("{extension}"),
		metric.WithDescription("Visibility extensions that failed."))
	if err := errors.Join(err1, err2, err3); err != nil {
		e.log.Warn("mega: cannot create the consumer's gauges", "error", err)
		return func() {}
	}
	opt := metric.WithAttributeSet(attribute.NewSet(t.dest.span...))
	reg, err := t.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(held, int64(e.lease.Len()), opt)
		o.ObserveInt64(ext, e.stats.lease.Extended.Load(), opt)
		o.ObserveInt64(fail, e.stats.lease.ExtendFailures.Load(), opt)
		return nil
	}, held, ext, fail)
	if err != nil {
		e.log.Warn("mega: cannot register the consumer's gauges", "error", err)
		return func() {}
	}
	return func() { _ = reg.Unregister() }
}
