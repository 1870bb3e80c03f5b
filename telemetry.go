package mega

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/messagingconv"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// instrumentationName names the tracer and the meter of the package.
const instrumentationName = "github.com/sqs-mega/sqs-mega-go"

// Attributes of our own on spans and metrics, beside the messaging
// semantic conventions.
const (
	attrSubscriber       = attribute.Key("mega.subscriber")
	attrVerdict          = attribute.Key("mega.verdict")
	attrDeadLetterReason = attribute.Key("mega.dead_letter.reason")
	attrDeadLetterClass  = attribute.Key("mega.dead_letter.class")
	attrRetryDelay       = attribute.Key("mega.retry.delay_ms")
	attrReceiveCount     = attribute.Key("mega.receive_count")
)

// telemetryConfig is what the telemetry options set; nil fields mean the
// global providers and propagator, which may be set after a Consumer or
// Publisher is created.
type telemetryConfig struct {
	tracerProvider trace.TracerProvider
	meterProvider  metric.MeterProvider
	propagator     propagation.TextMapPropagator
	source         any // the queue or topic, which destinationOf reads
}

// WithTracerProvider sets where a consumer's or router's spans go
// (default: the global tracer provider, otel.GetTracerProvider).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		if tp == nil {
			return invalid("nil tracer provider")
		}
		c.tel.tracerProvider = tp
		return nil
	}
}

// WithMeterProvider sets where a consumer's or router's metrics go
// (default: the global meter provider, otel.GetMeterProvider).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) error {
		if mp == nil {
			return invalid("nil meter provider")
		}
		c.tel.meterProvider = mp
		return nil
	}
}

// WithPropagator sets how a consumer or router reads the producer's trace
// context from a message's attributes (see [MessageCarrier]). The default
// is the global propagator (otel.SetTextMapPropagator) once one is set,
// and W3C trace context and baggage until then.
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(c *config) error {
		if p == nil {
			return invalid("nil propagator")
		}
		c.tel.propagator = p
		return nil
	}
}

// WithPublisherTracerProvider sets where a publisher's spans go (default:
// the global tracer provider).
func WithPublisherTracerProvider(tp trace.TracerProvider) PublisherOption {
	return func(p *Publisher) error {
		if tp == nil {
			return invalid("nil tracer provider")
		}
		p.telCfg.tracerProvider = tp
		return nil
	}
}

// WithPublisherMeterProvider sets where a publisher's metrics go (default:
// the global meter provider).
func WithPublisherMeterProvider(mp metric.MeterProvider) PublisherOption {
	return func(p *Publisher) error {
		if mp == nil {
			return invalid("nil meter provider")
		}
		p.telCfg.meterProvider = mp
		return nil
	}
}

// WithPublisherPropagator sets how a publisher writes the trace context
// into message attributes. The default is the global propagator once one
// is set, and W3C trace context and baggage until then.
func WithPublisherPropagator(pr propagation.TextMapPropagator) PublisherOption {
	return func(p *Publisher) error {
		if pr == nil {
			return invalid("nil propagator")
		}
		p.telCfg.propagator = pr
		return nil
	}
}

// destination is what the messaging conventions say of a queue or topic.
type destination struct {
	system  messagingconv.SystemAttr
	name    string
	address string
	attrs   []attribute.KeyValue // destination and server, for metrics
	span    []attribute.KeyValue // the same with the system, for spans
	names   map[string]string    // span names by operation
}

// destinationOf reads the destination of a queue or topic: transports
// that know their URL are queues, those that know an SNS ARN are topics.
func destinationOf(s any) destination {
	d := destination{system: messagingconv.SystemAWSSQS}
	if q, ok := s.(interface{ URL() string }); ok {
		if u, err := url.Parse(q.URL()); err == nil {
			d.name, d.address = path.Base(u.Path), u.Hostname()
			if d.name == "." || d.name == "/" {
				d.name = ""
			}
		}
	} else if t, ok := s.(interface{ ARN() string }); ok && strings.Contains(t.ARN(), ":sns:") {
		d.system = messagingconv.SystemAWSSNS
		d.name = t.ARN()[strings.LastIndexByte(t.ARN(), ':')+1:]
	}
	if d.name != "" {
		d.attrs = append(d.attrs, semconv.MessagingDestinationName(d.name))
	}
	if d.address != "" {
		d.attrs = append(d.attrs, semconv.ServerAddress(d.address))
	}
	d.span = append([]attribute.KeyValue{semconv.MessagingSystemKey.String(string(d.system))}, d.attrs...)
	d.names = map[string]string{}
	for _, op := range []string{"send", "create", "receive", "process", "delete", "change_visibility", "dead_letter"} {
		d.names[op] = op
		if d.name != "" {
			d.names[op] = op + " " + d.name
		}
	}
	return d
}

// spanName is "{operation} {destination}", as the conventions name
// messaging spans.
func (d destination) spanName(op string) string {
	if n, ok := d.names[op]; ok {
		return n
	}
	if d.name == "" {
		return op
	}
	return op + " " + d.name
}

// The global tracer provider and propagator as they are before anything
// is set (the API's delegating defaults), or nil if something was set
// before this package was initialized. While the global tracer provider
// is this one, spans are not started at all (the no-op API would only
// return non-recording ones, at a cost); while the global propagator is
// this one, W3C trace context and baggage are used.
var unsetTracerProvider, unsetPropagator = unsetGlobals()

func unsetGlobals() (trace.TracerProvider, propagation.TextMapPropagator) {
	tp, p := otel.GetTracerProvider(), otel.GetTextMapPropagator()
	if fmt.Sprintf("%T", tp) != "*global.tracerProvider" {
		tp = nil
	}
	if fmt.Sprintf("%T", p) != "*global.textMapPropagator" {
		p = nil
	}
	return tp, p
}

// telemetry holds a component's tracer, propagator and instruments. Every
// hook checks whether anything records before building attributes, so
// that with no provider configured the cost is that of the no-op API.
type telemetry struct {
	tracer trace.Tracer
	tp     trace.TracerProvider          // nil: the global one
	off    bool                          // a no-op tracer provider was configured
	prop   propagation.TextMapPropagator // nil: the global one, looked up at each use
	dest   destination
	log    *slog.Logger

	sent         messagingconv.ClientSentMessages
	consumed     messagingconv.ClientConsumedMessages
	opDuration   messagingconv.ClientOperationDuration
	procDuration messagingconv.ProcessDuration
	retries      metric.Int64Counter
	deadLettered metric.Int64Counter
	unmatched    metric.Int64Counter
	meter        metric.Meter
}

func newTelemetry(cfg telemetryConfig, dest destination, log *slog.Logger) *telemetry {
	if log == nil {
		log = slog.Default()
	}
	tp, mp := cfg.tracerProvider, cfg.meterProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	_, off := cfg.tracerProvider.(tracenoop.TracerProvider)
	t := &telemetry{
		tracer: tp.Tracer(instrumentationName),
		tp:     cfg.tracerProvider,
		off:    off,
		prop:   cfg.propagator,
		dest:   dest,
		log:    log,
		meter:  mp.Meter(instrumentationName),
	}
	var errs [7]error
	t.sent, errs[0] = messagingconv.NewClientSentMessages(t.meter)
	t.consumed, errs[1] = messagingconv.NewClientConsumedMessages(t.meter)
	t.opDuration, errs[2] = messagingconv.NewClientOperationDuration(t.meter)
	t.procDuration, errs[3] = messagingconv.NewProcessDuration(t.meter)
	t.retries, errs[4] = t.meter.Int64Counter("mega.consumer.retries", metric.WithUnit("{message}"),
		metric.WithDescription("Messages left in the queue for a later delivery."))
	t.deadLettered, errs[5] = t.meter.Int64Counter("mega.consumer.dead_lettered", metric.WithUnit("{message}"),
		metric.WithDescription("Messages that cannot be processed, by the class of the reason (mega.dead_letter.class)."))
	t.unmatched, errs[6] = t.meter.Int64Counter("mega.consumer.unmatched", metric.WithUnit("{message}"),
		metric.WithDescription("Messages that no subscriber matched."))
	for _, err := range errs {
		if err != nil {
			otel.Handle(err)
		}
	}
	return t
}

// defaultPropagator is the propagator used while the global one is not
// set: W3C trace context and baggage.
var defaultPropagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// propagator is the one configured, or else the global one once set, or
// else W3C trace context and baggage.
func (t *telemetry) propagator() propagation.TextMapPropagator {
	if t.prop != nil {
		return t.prop
	}
	if p := otel.GetTextMapPropagator(); p != unsetPropagator {
		return p
	}
	return defaultPropagator
}

// tracing reports whether spans may record: false with a no-op tracer
// provider, or the global one while none was set. Spans are then not
// started at all, which is what the no-op API would do at a cost.
func (t *telemetry) tracing() bool {
	if t.off {
		return false
	}
	return t.tp != nil || otel.GetTracerProvider() != unsetTracerProvider
}

// recordOperation records the duration of a request to the queue service.
func (t *telemetry) recordOperation(ctx context.Context, op string, typ messagingconv.OperationTypeAttr, start time.Time, err error) {
	if start.IsZero() || !t.opDuration.Enabled(ctx) {
		return
	}
	attrs := append(t.dest.attrs[:len(t.dest.attrs):len(t.dest.attrs)], semconv.MessagingOperationTypeKey.String(string(typ)))
	if err != nil {
		attrs = append(attrs, semconv.ErrorType(err))
	}
	t.opDuration.Record(ctx, time.Since(start).Seconds(), op, t.dest.system, attrs...)
}

// operationStart is the start time of a request to time, or zero when its
// duration is not recorded.
func (t *telemetry) operationStart(ctx context.Context) time.Time {
	if !t.opDuration.Enabled(ctx) {
		return time.Time{}
	}
	return time.Now()
}

// noSpan is a span that does not record, for hooks that start none.
var noSpan = trace.SpanFromContext(context.Background())

// failSpan marks a span failed with err.
func failSpan(span trace.Span, err error) {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
	span.SetAttributes(semconv.ErrorType(err))
}
