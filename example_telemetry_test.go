package mega_test

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// One trace from the publisher into the subscriber: the process span is a
// child of the send span, across the queue, and the handler's ctx carries
// it. An SDK tracer provider with an exporter takes the place of the
// recorder in a service.
func ExampleWithTracerProvider() {
	recorder := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder))
	w3c := propagation.TraceContext{}

	broker := memory.New()
	defer broker.Close()
	queue, _ := broker.CreateQueue("orders", memory.QueueConfig{})

	publisher, _ := mega.NewPublisher(queue, mega.WithPublisherTracerProvider(tp), mega.WithPublisherPropagator(w3c))
	if _, err := publisher.PublishEvent(context.Background(), protocol.Event{Name: "order:placed"}); err != nil {
		fmt.Println(err)
		return
	}

	consumer, _ := mega.NewConsumer(queue, mega.WithLogger(quiet), mega.WithTracerProvider(tp), mega.WithPropagator(w3c))
	var handler trace.SpanContext
	_ = consumer.Subscribe(mega.Subscriber{Name: "billing", Event: match.Event{"name": "order:placed"},
		Process: func(ctx context.Context, m *mega.Message) error {
			handler = trace.SpanContextFromContext(ctx)
			return nil
		}})
	runUntil(consumer, func(s mega.Stats) bool { return s.Deleted == 1 })

	var send, process sdktrace.ReadOnlySpan
	for _, s := range recorder.Ended() {
		switch s.Name() {
		case "send orders":
			send = s
		case "process orders":
			process = s
		}
	}
	fmt.Println(send.Name(), "→", process.Name())
	fmt.Println("process is a child of send:", process.Parent().SpanID() == send.SpanContext().SpanID())
	fmt.Println("the handler runs in the process span:", handler.SpanID() == process.SpanContext().SpanID())
	// Output:
	// send orders → process orders
	// process is a child of send: true
	// the handler runs in the process span: true
}
