package mega

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// BenchmarkHooks runs the hooks a consumer adds to the handling of one
// message (extracting the trace context, a process span around one
// subscriber, the verdict, the settle record) with no provider and with
// no-op providers: their cost alone, which BenchmarkRouteTelemetry's
// noise hides.
func BenchmarkHooks(b *testing.B) {
	tm := transport.Message{ID: "m-1", ReceiveCount: 1,
		Attributes: map[string]transport.Attribute{AttrEncoding: transport.StringAttribute("json")}}
	for _, tt := range []struct {
		name string
		cfg  telemetryConfig
	}{
		{"provider=none", telemetryConfig{}},
		{"provider=noop", telemetryConfig{tracerProvider: tracenoop.NewTracerProvider(), meterProvider: noop.NewMeterProvider()}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			t := newTelemetry(tt.cfg, destinationOf(nil), nil)
			ctx := context.Background()
			var dm protocol.Message
			b.ReportAllocs()
			for b.Loop() {
				rt := t.startRoute(ctx, tm, &dm)
				sctx, span, start := rt.startProcess("users")
				rt.endProcess(sctx, span, start, "users", nil)
				v := Verdict{Action: ActionDelete, Matched: 1}
				rt.end(&v, decision{matched: 1})
				t.settled(ctx, v, nil)
			}
		})
	}
}
