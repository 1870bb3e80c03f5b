package mega_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// cpuTime is the CPU time (user and system) the process used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkConsumeTelemetry consumes b.N events, published beforehand on
// the memory transport, with a no-op subscriber, and reports the CPU time
// per message: with no provider configured (the global no-op ones), with
// no-op providers, and with recording providers (the SDK's, exporting
// nowhere; the messages then carry a traceparent).
func BenchmarkConsumeTelemetry(b *testing.B) {
	recording := func() []mega.Option {
		return []mega.Option{mega.WithTracerProvider(sdktrace.NewTracerProvider()),
			mega.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))),
			mega.WithPropagator(w3c)}
	}
	for _, tt := range []struct {
		name string
		opts func() []mega.Option
	}{
		{"provider=none", func() []mega.Option { return nil }},
		{"provider=noop", func() []mega.Option {
			return []mega.Option{mega.WithTracerProvider(tracenoop.NewTracerProvider()), mega.WithMeterProvider(metricnoop.NewMeterProvider())}
		}},
		{"provider=recording", recording},
	} {
		b.Run(tt.name, func(b *testing.B) {
			broker := memory.New()
			defer broker.Close()
			q, err := broker.CreateQueue("bench", memory.QueueConfig{})
			if err != nil {
				b.Fatal(err)
			}
			opts := tt.opts()
			// Publish with the same providers: a traced consumer reads
			// traced messages.
			popts := []mega.PublisherOption{mega.WithPublisherLogger(quiet)}
			if len(opts) == 3 {
				popts = append(popts, mega.WithPublisherTracerProvider(sdktrace.NewTracerProvider()), mega.WithPublisherPropagator(w3c))
			}
			pub, err := mega.NewPublisher(q, popts...)
			if err != nil {
				b.Fatal(err)
			}
			publishSeedEvents(b, pub, b.N)
			c, err := mega.NewConsumer(q, append([]mega.Option{mega.WithLogger(quiet), mega.WithConcurrency(10), mega.WithPollers(2)}, opts...)...)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Subscribe(mega.Subscriber{Event: match.Event{"domain": "user"},
				Process: func(context.Context, *mega.Message) error { return nil }}); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime(b)
			go func() { done <- c.Run(ctx) }()
			for c.Stats().Deleted < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			cpu = cpuTime(b) - cpu
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
		})
	}
}

// BenchmarkRouteTelemetry routes one received event to a no-op subscriber
// and records its settling, as a consumer does for each message, with no
// provider configured, with no-op providers and with recording ones (the
// message then carries a traceparent): the per-message cost of the
// instrumentation without the noise of the consumer's goroutines.
func BenchmarkRouteTelemetry(b *testing.B) {
	body, err := protocol.Encode(seedEvent("1"))
	if err != nil {
		b.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		opts []mega.Option
	}{
		{"provider=none", nil},
		{"provider=noop", []mega.Option{mega.WithTracerProvider(tracenoop.NewTracerProvider()), mega.WithMeterProvider(metricnoop.NewMeterProvider())}},
		{"provider=recording", []mega.Option{mega.WithTracerProvider(sdktrace.NewTracerProvider()),
			mega.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))), mega.WithPropagator(w3c)}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			r, err := mega.NewRouter(append([]mega.Option{mega.WithLogger(quiet)}, tt.opts...)...)
			if err != nil {
				b.Fatal(err)
			}
			if err := r.Subscribe(mega.Subscriber{Event: match.Event{"domain": "user"},
				Process: func(context.Context, *mega.Message) error { return nil }}); err != nil {
				b.Fatal(err)
			}
			tm := transport.Message{ID: "m-1", Body: body, ReceiveCount: 1,
				Attributes: map[string]transport.Attribute{mega.AttrEncoding: transport.StringAttribute("json")}}
			if tt.opts != nil && len(tt.opts) == 3 {
				tm.Attributes[mega.AttrTraceParent] = transport.StringAttribute("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
			}
			ctx := context.Background()
			b.ReportAllocs()
			cpu := cpuTime(b)
			for b.Loop() {
				v := r.Route(ctx, tm)
				r.RecordSettle(ctx, v, nil)
			}
			b.ReportMetric(float64((cpuTime(b)-cpu).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}
