package mega_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// counting counts the requests a consumer and a publisher make, by API.
type counting struct {
	transport.Queue
	send, receive, del, change atomic.Int64
}

func (c *counting) Send(ctx context.Context, b []transport.Outgoing) ([]transport.SendResult, error) {
	c.send.Add(1)
	return c.Queue.Send(ctx, b)
}

func (c *counting) Receive(ctx context.Context, r transport.ReceiveRequest) ([]transport.Message, error) {
	c.receive.Add(1)
	return c.Queue.Receive(ctx, r)
}

func (c *counting) Delete(ctx context.Context, h []string) ([]error, error) {
	c.del.Add(1)
	return c.Queue.Delete(ctx, h)
}

func (c *counting) ChangeVisibility(ctx context.Context, v []transport.VisibilityChange) ([]error, error) {
	c.change.Add(1)
	return c.Queue.ChangeVisibility(ctx, v)
}

func (c *counting) CancelSafe() bool { return true }

// BenchmarkPipeline publishes b.N events in batches and consumes them with
// a no-op subscriber on the memory transport, reporting messages per second
// and SQS requests per message (send, receive, delete) at saturation.
func BenchmarkPipeline(b *testing.B) {
	for _, handler := range []time.Duration{0, 5 * time.Millisecond} {
		b.Run(fmt.Sprintf("handler=%s", handler), func(b *testing.B) {
			broker := memory.New()
			defer broker.Close()
			mq, err := broker.CreateQueue("bench", memory.QueueConfig{})
			if err != nil {
				b.Fatal(err)
			}
			q := &counting{Queue: mq}
			pub, err := mega.NewPublisher(q, mega.WithPublisherLogger(quiet))
			if err != nil {
				b.Fatal(err)
			}
			entries := make([]mega.Entry, 0, 100)
			c, err := mega.NewConsumer(q, mega.WithLogger(quiet), mega.WithConcurrency(100), mega.WithPollers(4))
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Subscribe(mega.Subscriber{Event: match.Event{"domain": "user"}, Process: func(context.Context, *mega.Message) error {
				if handler > 0 {
					time.Sleep(handler)
				}
				return nil
			}}); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			b.ReportAllocs()
			b.ResetTimer()
			go func() { done <- c.Run(ctx) }()
			for sent := 0; sent < b.N; {
				entries = entries[:0]
				for ; len(entries) < cap(entries) && sent < b.N; sent++ {
					entries = append(entries, mega.Entry{Payload: seedEvent(fmt.Sprint(sent))})
				}
				if _, err := pub.PublishBatch(ctx, entries); err != nil {
					b.Fatal(err)
				}
			}
			for c.Stats().Deleted < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			n := float64(b.N)
			b.ReportMetric(n/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(q.send.Load()+q.receive.Load()+q.del.Load()+q.change.Load())/n, "requests/msg")
			b.ReportMetric(float64(q.receive.Load())/n, "receives/msg")
			b.ReportMetric(float64(q.del.Load())/n, "deletes/msg")
		})
	}
}

// slowQueue adds a round trip to every call, as a distant server would.
type slowQueue struct {
	transport.Queue
	rtt time.Duration
}

func (s *slowQueue) Receive(ctx context.Context, r transport.ReceiveRequest) ([]transport.Message, error) {
	time.Sleep(s.rtt)
	return s.Queue.Receive(ctx, r)
}

func (s *slowQueue) Delete(ctx context.Context, h []string) ([]error, error) {
	time.Sleep(s.rtt)
	return s.Queue.Delete(ctx, h)
}

func (s *slowQueue) ChangeVisibility(ctx context.Context, v []transport.VisibilityChange) ([]error, error) {
	time.Sleep(s.rtt)
	return s.Queue.ChangeVisibility(ctx, v)
}

func (s *slowQueue) CancelSafe() bool { return true }

// BenchmarkConsumeAtLatency consumes a backlog over a 15 ms round trip with
// an instant handler: the default (adaptive window, up to 64 pollers)
// against the fixed sizing of earlier versions (100 held, 10 pollers),
// measured in the same run. CPU time per message is reported beside
// messages per second.
func BenchmarkConsumeAtLatency(b *testing.B) {
	for _, sizing := range []struct {
		name string
		opts []mega.Option
	}{
		{"adaptive", nil},
		{"fixed-100", []mega.Option{mega.WithMaxInFlight(100), mega.WithPollers(10)}},
	} {
		b.Run(sizing.name, func(b *testing.B) {
			broker := memory.New()
			defer broker.Close()
			mq, err := broker.CreateQueue("bench", memory.QueueConfig{})
			if err != nil {
				b.Fatal(err)
			}
			body, err := protocol.Encode(seedEvent("1"))
			if err != nil {
				b.Fatal(err)
			}
			batch := make([]transport.Outgoing, transport.MaxBatch)
			for i := range batch {
				batch[i] = transport.Outgoing{Body: body}
			}
			for sent := 0; sent < b.N; sent += transport.MaxBatch {
				if _, err := mq.Send(context.Background(), batch[:min(transport.MaxBatch, b.N-sent)]); err != nil {
					b.Fatal(err)
				}
			}
			q := &slowQueue{Queue: mq, rtt: 15 * time.Millisecond}
			opts := append([]mega.Option{mega.WithLogger(quiet), mega.WithConcurrency(100)}, sizing.opts...)
			c, err := mega.NewConsumer(q, opts...)
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Subscribe(mega.Subscriber{Event: match.Event{}, Process: func(context.Context, *mega.Message) error { return nil }}); err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			cpu0 := cpuTime(b)
			b.ResetTimer()
			go func() { done <- c.Run(ctx) }()
			for c.Stats().Deleted < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			b.StopTimer()
			cpu := cpuTime(b) - cpu0
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/msg")
		})
	}
}

// publishSeedEvents publishes n seed events through pub in batches of
// transport.MaxBatch.
func publishSeedEvents(b *testing.B, pub *mega.Publisher, n int) {
	b.Helper()
	entries := make([]mega.Entry, 0, transport.MaxBatch)
	for sent := 0; sent < n; {
		entries = entries[:0]
		for ; len(entries) < cap(entries) && sent < n; sent++ {
			entries = append(entries, mega.Entry{Payload: seedEvent(fmt.Sprint(sent))})
		}
		if _, err := pub.PublishBatch(context.Background(), entries); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConsume measures the consume path alone on the memory
// transport: b.N events are published before the timer starts, then the
// consumer drains them with a subscriber that matches every event and
// reads from it what a handler would (the event name and an attribute).
// An op is a message: allocs/op and B/op are per message.
func BenchmarkConsume(b *testing.B) {
	broker := memory.New()
	defer broker.Close()
	q, err := broker.CreateQueue("bench", memory.QueueConfig{})
	if err != nil {
		b.Fatal(err)
	}
	pub, err := mega.NewPublisher(q, mega.WithPublisherLogger(quiet))
	if err != nil {
		b.Fatal(err)
	}
	publishSeedEvents(b, pub, b.N)
	c, err := mega.NewConsumer(q, mega.WithLogger(quiet), mega.WithConcurrency(10), mega.WithPollers(2))
	if err != nil {
		b.Fatal(err)
	}
	var seen, wrong atomic.Int64
	if err := c.Subscribe(mega.Subscriber{Event: match.Event{}, Process: func(_ context.Context, m *mega.Message) error {
		ev := m.Mega.Event
		if ev.Name != "user:updated" || ev.Attributes["email"] != "john@example.com" {
			wrong.Add(1)
		}
		seen.Add(1)
		return nil
	}}); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	b.ReportAllocs()
	b.ResetTimer()
	go func() { done <- c.Run(ctx) }()
	for c.Stats().Deleted < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	if seen.Load() != int64(b.N) || wrong.Load() != 0 {
		b.Fatalf("the subscriber saw %d of %d events, %d of them wrong", seen.Load(), b.N, wrong.Load())
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
