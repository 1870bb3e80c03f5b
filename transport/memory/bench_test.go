package memory_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// The benchmarks count one op per message; msgs/s is the throughput of
// the whole cycle measured.

func benchQueue(b *testing.B, name string, cfg memory.QueueConfig) *memory.Queue {
	b.Helper()
	br := memory.New()
	b.Cleanup(func() { _ = br.Close() })
	q, err := br.CreateQueue(name, cfg)
	if err != nil {
		b.Fatal(err)
	}
	return q
}

// filler builds the batches the benchmarks send. The messages share one
// attribute map and their group ids, so that the benchmarks measure the
// queue rather than the building of messages; FIFO messages spread over
// 100 groups and need a deduplication id each.
type filler struct {
	fifo   bool
	seq    int
	batch  []transport.Outgoing
	attrs  map[string]transport.Attribute
	groups []string
}

func newFiller(fifo bool) *filler {
	f := &filler{
		fifo:  fifo,
		batch: make([]transport.Outgoing, transport.MaxBatch),
		attrs: map[string]transport.Attribute{"tenant": transport.StringAttribute("acme")},
	}
	for g := range 100 {
		f.groups = append(f.groups, strconv.Itoa(g))
	}
	return f
}

const benchBody = `{"protocol":"mega","version":1,"event":{"name":"bench","timestamp":"2024-01-01T00:00:00Z"}}`

func (f *filler) next(n int) []transport.Outgoing {
	batch := f.batch[:n]
	for i := range batch {
		f.seq++
		batch[i] = transport.Outgoing{Body: benchBody, Attributes: f.attrs}
		if f.fifo {
			batch[i].GroupID = f.groups[f.seq%len(f.groups)]
			batch[i].DeduplicationID = strconv.Itoa(f.seq)
		}
	}
	return batch
}

func reportRate(b *testing.B, msgs int) {
	b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
}

// cycle sends, receives and deletes b.N messages in batches of 10, with
// depth messages kept waiting in the queue throughout.
func cycle(b *testing.B, fifo bool, depth int) {
	name, cfg := "q", memory.QueueConfig{VisibilityTimeout: time.Hour}
	if fifo {
		name = "q.fifo"
	}
	q := benchQueue(b, name, cfg)
	ctx := context.Background()
	fill := newFiller(fifo)
	for i := 0; i < depth; i += 10 {
		if _, err := q.Send(ctx, fill.next(10)); err != nil {
			b.Fatal(err)
		}
	}
	handles := make([]string, 0, 10)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += 10 {
		if _, err := q.Send(ctx, fill.next(10)); err != nil {
			b.Fatal(err)
		}
		msgs, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10})
		if err != nil || len(msgs) == 0 {
			b.Fatalf("Receive: %d messages, %v", len(msgs), err)
		}
		handles = handles[:0]
		for _, m := range msgs {
			handles = append(handles, m.ReceiptHandle)
		}
		if _, err := q.Delete(ctx, handles); err != nil {
			b.Fatal(err)
		}
	}
	reportRate(b, b.N)
}

func BenchmarkSendReceiveDelete(b *testing.B) {
	for _, tc := range []struct {
		fifo  bool
		depth int
	}{{false, 0}, {false, 100_000}, {true, 0}, {true, 100_000}} {
		kind := map[bool]string{false: "standard", true: "fifo"}[tc.fifo]
		b.Run(fmt.Sprintf("%s/depth=%d", kind, tc.depth), func(b *testing.B) { cycle(b, tc.fifo, tc.depth) })
	}
}

func BenchmarkSend(b *testing.B) {
	q := benchQueue(b, "q", memory.QueueConfig{})
	ctx := context.Background()
	fill := newFiller(false)
	b.ReportAllocs()
	for done := 0; done < b.N; done += 10 {
		if _, err := q.Send(ctx, fill.next(10)); err != nil {
			b.Fatal(err)
		}
		// Keep the queue from growing without bound.
		if q.Len() >= 100_000 {
			b.StopTimer()
			_ = q.Purge()
			b.StartTimer()
		}
	}
	reportRate(b, b.N)
}

// BenchmarkParallel runs send-receive-delete cycles from GOMAXPROCS
// goroutines on one queue.
func BenchmarkParallel(b *testing.B) {
	q := benchQueue(b, "q", memory.QueueConfig{VisibilityTimeout: time.Hour})
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		fill := newFiller(false)
		handles := make([]string, 0, 10)
		for pb.Next() {
			if _, err := q.Send(ctx, fill.next(1)); err != nil {
				b.Error(err)
				return
			}
			msgs, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10})
			if err != nil {
				b.Error(err)
				return
			}
			if len(msgs) == 0 {
				continue
			}
			handles = handles[:0]
			for _, m := range msgs {
				handles = append(handles, m.ReceiptHandle)
			}
			if _, err := q.Delete(ctx, handles); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b, b.N)
}

// BenchmarkTopicFanOut publishes to a topic with three subscribed queues,
// two wrapped in the SNS envelope and one raw; one op is one message
// published.
func BenchmarkTopicFanOut(b *testing.B) {
	br := memory.New()
	b.Cleanup(func() { _ = br.Close() })
	topic, _ := br.CreateTopic("t", memory.TopicConfig{})
	var queues []*memory.Queue
	for i, raw := range []bool{false, false, true} {
		q, _ := br.CreateQueue(fmt.Sprint("q", i), memory.QueueConfig{})
		if _, err := br.Subscribe(topic, q, memory.SubscriptionConfig{RawMessageDelivery: raw}); err != nil {
			b.Fatal(err)
		}
		queues = append(queues, q)
	}
	ctx := context.Background()
	fill := newFiller(false)
	b.ReportAllocs()
	for done := 0; done < b.N; done += 10 {
		if _, err := topic.Send(ctx, fill.next(10)); err != nil {
			b.Fatal(err)
		}
		if done%10_000 == 0 {
			b.StopTimer()
			for _, q := range queues {
				_ = q.Purge()
			}
			b.StartTimer()
		}
	}
	reportRate(b, b.N)
}
