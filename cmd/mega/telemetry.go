package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/contrib/propagators/aws/xray"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// setupTelemetry reads the standard OTEL_* environment variables and sets
// the global tracer and meter providers when an exporter is configured:
// OTEL_TRACES_EXPORTER / OTEL_METRICS_EXPORTER, or an OTLP endpoint
// (OTEL_EXPORTER_OTLP_ENDPOINT and the per-signal ones). Nothing is
// exported otherwise, or with OTEL_SDK_DISABLED=true. The propagator is
// always W3C trace context and baggage, then X-Ray, so that tail finds
// the trace context of messages. The returned function flushes and stops
// the providers.
func setupTelemetry(ctx context.Context, e *env) (shutdown func()) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{}, xray.Propagator{}))
	if strings.EqualFold(os.Getenv("OTEL_SDK_DISABLED"), "true") {
		return func() {}
	}
	var stops []func(context.Context) error
	report := func(err error) {
		if err != nil {
			fmt.Fprintf(e.stderr, "mega: OpenTelemetry: %v\n", err)
		}
	}
	var res *resource.Resource
	if configured("TRACES") || configured("METRICS") {
		var err error
		// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the default name.
		res, err = resource.New(ctx, resource.WithTelemetrySDK(), resource.WithAttributes(semconv.ServiceName("mega")), resource.WithFromEnv())
		report(err)
	}
	if configured("TRACES") {
		exp, err := autoexport.NewSpanExporter(ctx)
		report(err)
		if err == nil && !autoexport.IsNoneSpanExporter(exp) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
			otel.SetTracerProvider(tp)
			stops = append(stops, tp.Shutdown)
		}
	}
	if configured("METRICS") {
		r, err := autoexport.NewMetricReader(ctx)
		report(err)
		if err == nil && !autoexport.IsNoneMetricReader(r) {
			mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(r), sdkmetric.WithResource(res))
			otel.SetMeterProvider(mp)
			stops = append(stops, mp.Shutdown)
		}
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		var errs []error
		for _, stop := range stops {
			errs = append(errs, stop(ctx))
		}
		report(errors.Join(errs...))
	}
}

// configured reports whether an exporter is configured for a signal
// (TRACES or METRICS).
func configured(signal string) bool {
	for _, k := range []string{"OTEL_" + signal + "_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_" + signal + "_ENDPOINT"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	return false
}

// traceMessage records the printing of a message as a process span,
// whose parent is the trace context the message carries, and returns
// that context's trace id (32 hex digits), or "" when it carries none.
func (t *tailer) traceMessage(ctx context.Context, m transport.Message, dm protocol.Message) string {
	pctx := otel.GetTextMapPropagator().Extract(ctx, mega.MessageCarrier(m, dm.SNS))
	sc := trace.SpanContextFromContext(pctx)
	name := "process"
	attrs := []attribute.KeyValue{semconv.MessagingSystemAWSSQS, semconv.MessagingOperationTypeProcess,
		semconv.MessagingOperationName("print"), semconv.MessagingMessageID(m.ID)}
	if q, ok := t.queue.(interface{ URL() string }); ok {
		if u, err := url.Parse(q.URL()); err == nil && path.Base(u.Path) != "." {
			name += " " + path.Base(u.Path)
			attrs = append(attrs, semconv.MessagingDestinationName(path.Base(u.Path)), semconv.ServerAddress(u.Hostname()))
		}
	}
	_, span := otel.Tracer("github.com/sqs-mega/sqs-mega-go/cmd/mega").Start(pctx, name,
		trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
	span.End()
	if !sc.IsValid() {
		return ""
	}
	return sc.TraceID().String()
}
