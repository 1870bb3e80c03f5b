package mega_test

import (
	"context"
	"fmt"
	"strings"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// A body larger than the queue accepts goes through a payload store, in
// the form of the AWS extended clients; a Resolver reads it back.
func ExampleWithLargePayloads() {
	ctx := context.Background()
	broker := memory.New()
	defer broker.Close()
	q, _ := broker.CreateQueue("documents", memory.QueueConfig{})
	store := offload.NewMemory("my-payloads") // transport/s3store on AWS

	p, err := mega.NewPublisher(q, mega.WithLargePayloads(mega.LargePayloads{Store: store, Bucket: "my-payloads"}))
	if err != nil {
		panic(err)
	}
	doc := protocol.NewData(map[string]any{"text": strings.Repeat("a", 2<<20)})
	if _, err := p.Publish(ctx, mega.Entry{Payload: doc}); err != nil {
		panic(err)
	}

	msgs, _ := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 1})
	m := msgs[0]
	ptr, _ := offload.ParsePointer(m.Body)
	fmt.Println("queue body: pointer to", ptr.Bucket, "size", m.Attributes[offload.SizeAttribute].StringValue)

	r, err := mega.NewResolver(store, mega.WithTrustedBuckets("my-payloads"))
	if err != nil {
		panic(err)
	}
	body, ref, err := r.Resolve(ctx, m)
	if err != nil {
		panic(err) // a *PermanentError: dead-letter; otherwise retry later
	}
	dm, _ := protocol.Decode(body)
	fmt.Println("resolved:", dm.Kind, len(dm.Data["text"].(string)), "bytes of text from", ref.Bucket)

	// Delete the message first, then its object.
	q.Delete(ctx, []string{m.ReceiptHandle})
	r.Delete(ctx, ref)
	fmt.Println("objects left:", len(store.Keys("my-payloads")))
	// Output:
	// queue body: pointer to my-payloads size 2097163
	// resolved: data 2097152 bytes of text from my-payloads
	// objects left: 0
}
