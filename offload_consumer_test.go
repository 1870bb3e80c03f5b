package mega_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// A consumer with a payload resolver hands subscribers the real payload of
// a message that came through a payload store, deletes the object once the
// message is deleted, and dead-letters a pointer it must not follow,
// keeping its object and its size attribute.
func TestConsumerResolvesLargePayloads(t *testing.T) {
	f := newFixture(t, "large", memory.QueueConfig{})
	store := offload.NewMemory("payloads", "elsewhere")
	p, err := mega.NewPublisher(f.queue, mega.WithPublisherLogger(quiet),
		mega.WithLargePayloads(mega.LargePayloads{Store: store, Bucket: "payloads", Always: true}))
	if err != nil {
		t.Fatal(err)
	}
	big := seedEvent("987650")
	big.Mega.Object.Current["blob"] = strings.Repeat("x", 300_000)
	if _, err := p.Publish(context.Background(), mega.Entry{Payload: big}); err != nil {
		t.Fatal(err)
	}
	// A pointer into a bucket the consumer does not trust, written by hand
	// as another language's extended client would, with 9 attributes of
	// its own beside the size: the dead-letter copy must keep the size.
	if err := store.Put(context.Background(), "elsewhere", "k1", `{"secret":true}`); err != nil {
		t.Fatal(err)
	}
	attrs := map[string]transport.Attribute{offload.SizeAttribute: {DataType: "Number", StringValue: "15"}}
	for i := range 9 {
		attrs[fmt.Sprintf("a%d", i)] = transport.StringAttribute("v")
	}
	forged := `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"elsewhere","s3Key":"k1"}]`
	if res, err := f.queue.Send(context.Background(), []transport.Outgoing{{Body: forged, Attributes: attrs}}); err != nil || res[0].Err != nil {
		t.Fatal(err, res)
	}

	resolver, err := mega.NewResolver(store, mega.WithTrustedBuckets("payloads"))
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *mega.Message, 2)
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Data: match.Data{}, Process: func(_ context.Context, m *mega.Message) error {
		got <- m
		return nil
	}}}, mega.WithPayloadResolver(resolver))
	m := <-got
	eventually(t, "both messages are settled", func() bool { s := c.Stats(); return s.Processed == 1 && s.DeadLettered == 1 && f.empty() })
	stop()
	if m.Mega == nil || len(m.Mega.Object.Current["blob"].(string)) != 300_000 || m.Offloaded == nil || m.Offloaded.Bucket != "payloads" {
		t.Fatalf("the subscriber saw kind %v, offloaded %+v; want the real event", m.Kind, m.Offloaded)
	}
	if keys := store.Keys("payloads"); len(keys) != 0 {
		t.Errorf("objects %v left after their message was deleted", keys)
	}
	if keys := store.Keys("elsewhere"); len(keys) != 1 {
		t.Errorf("the dead-lettered message's object is gone: %v", keys)
	}
	dead := f.dlq.Messages()
	if len(dead) != 1 {
		t.Fatalf("dead-letter queue holds %d messages", len(dead))
	}
	reason := dead[0].Attributes[mega.AttrDeadLetterReason].StringValue
	if !strings.Contains(reason, "not trusted") || dead[0].Body != forged {
		t.Errorf("dead-lettered %q with reason %q", dead[0].Body, reason)
	}
	if _, ok := dead[0].Attributes[offload.SizeAttribute]; !ok {
		t.Errorf("the dead-letter copy lost its size attribute: %v", dead[0].Attributes)
	}
}
