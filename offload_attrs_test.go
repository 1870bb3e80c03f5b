package mega_test

import (
	"context"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// An offloaded message keeps to the 2 attributes a publisher may spend
// (SPEC §2) when tracing is on too: the trace context and the size stay,
// the optional encoding attribute gives way.
func TestOffloadedTracedMessageSpendsTwoAttributes(t *testing.T) {
	b := memory.New()
	defer b.Close()
	q, err := b.CreateQueue("traced-large", memory.QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider()
	defer tp.Shutdown(context.Background())
	store := offload.NewMemory("payloads")
	p, err := mega.NewPublisher(q, mega.WithPublisherLogger(quiet), mega.WithPublisherTracerProvider(tp),
		mega.WithLargePayloads(mega.LargePayloads{Store: store, Bucket: "payloads", Always: true}))
	if err != nil {
		t.Fatal(err)
	}
	entry := mega.Entry{Payload: seedEvent("1"), Attributes: map[string]transport.Attribute{"tenant": transport.StringAttribute("acme")}}
	if _, err := p.Publish(context.Background(), entry); err != nil {
		t.Fatal(err)
	}
	msgs := q.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	attrs := msgs[0].Attributes
	var own []string
	for k := range attrs {
		if k != "tenant" {
			own = append(own, k)
		}
	}
	if len(own) > 2 {
		t.Errorf("the publisher spent %d attributes (%s), at most 2", len(own), strings.Join(own, ", "))
	}
	if _, ok := attrs[offload.SizeAttribute]; !ok {
		t.Errorf("no size attribute: %v", attrs)
	}
	if _, ok := attrs[mega.AttrTraceParent]; !ok {
		t.Errorf("no trace context: %v", attrs)
	}
}
