package mega_test

import (
	"context"
	"strconv"
	"testing"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/internal/awstest"
	"github.com/sqs-mega/sqs-mega-go/internal/s3test"
	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// BenchmarkLargePayload measures publishing and resolving 1.2 MiB MEGA
// events through a payload store, on the memory store and queue and on
// the test server (moto: S3 and SQS over HTTP). The peer, "inline", is an
// event of 1000 KiB that the queue takes as it is.
//
//	scripts/with-moto go test -run XXX -bench LargePayload -benchtime 20x .
func BenchmarkLargePayload(b *testing.B) {
	large, inline := bigEvent(1200<<10), bigEvent(1000<<10)

	b.Run("memory", func(b *testing.B) {
		broker := memory.New()
		defer broker.Close()
		q, _ := broker.CreateQueue("bench", memory.QueueConfig{})
		store := offload.NewMemory(bucket)
		benchLarge(b, q, store, bucket, large, inline)
	})
	b.Run("moto", func(b *testing.B) {
		env := awstest.New(b)
		store, client := s3test.Store(b)
		name := s3test.Bucket(b, client)
		q := env.Queue(b, sqs.QueueConfig{})
		benchLarge(b, q, store, name, large, inline)
	})
}

func benchLarge(b *testing.B, q transport.Queue, store mega.PayloadStore, bucket string, large, inline protocol.Payload) {
	ctx := context.Background()
	p, err := mega.NewPublisher(q, mega.WithLargePayloads(mega.LargePayloads{Store: store, Bucket: bucket}), mega.WithPublisherLogger(quietLogger()))
	if err != nil {
		b.Fatal(err)
	}
	r, err := mega.NewResolver(store, mega.WithTrustedBuckets(bucket), mega.WithKeepPayloads())
	if err != nil {
		b.Fatal(err)
	}
	// drain deletes the messages and objects a publishing run left.
	drain := func() {
		for {
			msgs, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: transport.MaxBatch})
			if err != nil || len(msgs) == 0 {
				return
			}
			for _, m := range msgs {
				_, ref, _ := r.Resolve(ctx, m)
				q.Delete(ctx, []string{m.ReceiptHandle})
				if ref != nil {
					store.Delete(ctx, ref.Bucket, ref.Key)
				}
			}
		}
	}
	publish := func(payload protocol.Payload) func(b *testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := p.Publish(ctx, mega.Entry{Payload: payload}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.StopTimer()
			drain()
		}
	}
	b.Run("publish/offloaded-1.2MiB", publish(large))
	b.Run("publish/inline-1000KiB", publish(inline))

	// One offloaded message, resolved and decoded again and again.
	body, err := (&protocol.Encoder{MaxSize: 2 << 20}).Encode(large)
	if err != nil {
		b.Fatal(err)
	}
	ptr := offload.Pointer{Bucket: bucket, Key: "bench/large"}
	if err := store.Put(ctx, ptr.Bucket, ptr.Key, body); err != nil {
		b.Fatal(err)
	}
	m := transport.Message{Body: ptr.Body(), Attributes: map[string]transport.Attribute{
		offload.SizeAttribute: {DataType: "Number", StringValue: strconv.Itoa(len(body))},
	}}
	b.Run("consume/offloaded-1.2MiB", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			got, _, err := r.Resolve(ctx, m)
			if err != nil {
				b.Fatal(err)
			}
			if dm, err := protocol.Decode(got); err != nil || dm.Kind != protocol.KindMega {
				b.Fatal(dm.Kind, err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	inlineBody, _ := protocol.Encode(inline)
	b.Run("consume/inline-1000KiB", func(b *testing.B) {
		b.ReportAllocs()
		im := transport.Message{Body: inlineBody}
		for b.Loop() {
			got, _, err := r.Resolve(ctx, im)
			if err != nil {
				b.Fatal(err)
			}
			if dm, err := protocol.Decode(got); err != nil || dm.Kind != protocol.KindMega {
				b.Fatal(dm.Kind, err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	})
	store.Delete(ctx, ptr.Bucket, ptr.Key)
}
