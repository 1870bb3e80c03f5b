package memory_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// drain runs consumers on q until want messages have been deleted, or
// the test's patience runs out. handle is called with every batch
// received.
func drain(t *testing.T, q transport.Queue, consumers int, want int64, deleted *atomic.Int64,
	handle func(msgs []transport.Message)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for range consumers {
		wg.Go(func() {
			for deleted.Load() < want && ctx.Err() == nil {
				msgs, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10, WaitTime: 50 * time.Millisecond})
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("Receive: %v", err)
					}
					return
				}
				if len(msgs) > 0 {
					handle(msgs)
				}
			}
		})
	}
	wg.Wait()
	if n := deleted.Load(); n != want {
		t.Fatalf("%d of %d messages deleted before the deadline", n, want)
	}
}

// TestConcurrentStandardQueue: producers, consumers, a topic and
// observers hammer one broker; with a visibility timeout longer than the
// test, every message is delivered exactly once.
func TestConcurrentStandardQueue(t *testing.T) {
	const producers, perProducer, consumers = 4, 2500, 8
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	q, _ := b.CreateQueue("q", memory.QueueConfig{VisibilityTimeout: 10 * time.Minute})
	topic, _ := b.CreateTopic("t", memory.TopicConfig{})
	if _, err := b.Subscribe(topic, q, memory.SubscriptionConfig{RawMessageDelivery: true}); err != nil {
		t.Fatal(err)
	}
	total := int64(producers * perProducer)

	var (
		mu        sync.Mutex
		delivered = make(map[string]int)
		deleted   atomic.Int64
		wg        sync.WaitGroup
	)
	for p := range producers {
		wg.Go(func() {
			// Half the producers publish through the topic.
			var s transport.Sender = q
			if p%2 == 1 {
				s = topic
			}
			for i := 0; i < perProducer; i += 10 {
				batch := make([]transport.Outgoing, 10)
				for j := range batch {
					batch[j] = transport.Outgoing{Body: fmt.Sprintf("%d-%d", p, i+j)}
				}
				res, err := s.Send(t.Context(), batch)
				if err != nil {
					t.Errorf("Send: %v", err)
					return
				}
				for _, r := range res {
					if r.Err != nil {
						t.Errorf("Send entry: %v", r.Err)
					}
				}
			}
		})
	}
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			s := q.Stats()
			if s.Visible < 0 || s.InFlight < 0 || s.Delayed != 0 {
				t.Errorf("inconsistent Stats %+v", s)
				return
			}
			_ = q.Len()
		}
	})

	drain(t, q, consumers, total, &deleted, func(msgs []transport.Message) {
		handles := make([]string, len(msgs))
		mu.Lock()
		for i, m := range msgs {
			delivered[m.Body]++
			handles[i] = m.ReceiptHandle
		}
		mu.Unlock()
		errs, err := q.Delete(t.Context(), handles)
		if err != nil {
			t.Errorf("Delete: %v", err)
			return
		}
		for i, e := range errs {
			if e != nil {
				t.Errorf("Delete %q: %v", msgs[i].Body, e)
				continue
			}
			deleted.Add(1)
		}
	})
	close(stop)
	wg.Wait()
	if int64(len(delivered)) != total {
		t.Errorf("%d distinct messages delivered, want %d", len(delivered), total)
	}
	for body, n := range delivered {
		if n != 1 {
			t.Errorf("message %s delivered %d times", body, n)
		}
	}
	if q.Len() != 0 {
		t.Errorf("Len = %d at the end", q.Len())
	}
}

// TestConcurrentRedelivery: consumers that crash (leave messages to their
// visibility timeout) or give up (release them at once) still get every
// message deleted, and a FIFO queue still hands each group out in order.
//
// A consumer too slow to delete before its message came back may still
// see its deletion succeed, once the current holder has deleted the
// message: deleting what is gone succeeds, as on SQS. So the test logs
// the first successful deletion of each message, which is always the
// current holder's: a stale handle cannot delete a message still there.
func TestConcurrentRedelivery(t *testing.T) {
	for _, fifo := range []bool{false, true} {
		name := map[bool]string{false: "standard", true: "FIFO"}[fifo]
		t.Run(name, func(t *testing.T) {
			const groups, perGroup, consumers = 20, 100, 8
			b := memory.New()
			t.Cleanup(func() { _ = b.Close() })
			qname := "q"
			if fifo {
				qname = "q.fifo"
			}
			q, err := b.CreateQueue(qname, memory.QueueConfig{VisibilityTimeout: 20 * time.Millisecond, ContentBasedDeduplication: fifo})
			if err != nil {
				t.Fatal(err)
			}
			for i := range perGroup {
				batch := make([]transport.Outgoing, 0, 10)
				for g := range groups {
					o := transport.Outgoing{Body: fmt.Sprintf("%02d/%03d", g, i)}
					if fifo {
						o.GroupID = fmt.Sprint(g)
					}
					batch = append(batch, o)
					if len(batch) == 10 {
						if _, err := q.Send(t.Context(), batch); err != nil {
							t.Fatal(err)
						}
						batch = batch[:0]
					}
				}
			}

			var (
				locks   [groups]sync.Mutex // orders the log of one group
				logs    [groups][]int
				done    [groups][perGroup]bool
				deleted atomic.Int64
			)
			// A consumer handles a batch in order and, as a FIFO consumer
			// must, abandons the rest of a group's messages in the batch
			// once one of them fails.
			drain(t, q, consumers, groups*perGroup, &deleted, func(msgs []transport.Message) {
				failed := make(map[int]bool)
				for _, m := range msgs {
					var g, i int
					if _, err := fmt.Sscanf(m.Body, "%d/%d", &g, &i); err != nil {
						t.Error(err)
						return
					}
					if failed[g] {
						continue
					}
					switch r := rand.IntN(10); {
					case r == 0: // crash: the visibility timeout brings it back
						failed[g] = true
						continue
					case r == 1: // give up: back at once
						failed[g] = true
						errs, err := q.ChangeVisibility(t.Context(), []transport.VisibilityChange{{ReceiptHandle: m.ReceiptHandle}})
						if err != nil || (errs[0] != nil && !errors.Is(errs[0], transport.ErrReceiptInvalid)) {
							t.Errorf("ChangeVisibility: %v %v", err, errs)
						}
						continue
					}
					locks[g].Lock()
					errs, err := q.Delete(t.Context(), []string{m.ReceiptHandle})
					switch {
					case err != nil:
						t.Errorf("Delete: %v", err)
					case errs[0] != nil:
						// Too slow: the message came back and went to another
						// consumer, whose handle is now the current one.
						if !errors.Is(errs[0], transport.ErrReceiptInvalid) {
							t.Errorf("Delete: %v", errs[0])
						}
						failed[g] = true
					case !done[g][i]:
						done[g][i] = true
						logs[g] = append(logs[g], i)
						deleted.Add(1)
					}
					locks[g].Unlock()
				}
			})
			for g, log := range logs {
				if len(log) != perGroup {
					t.Errorf("group %d: %d deletions, want %d", g, len(log), perGroup)
					continue
				}
				if !fifo {
					continue
				}
				for i, got := range log {
					if got != i {
						t.Errorf("group %d: deletion %d was of message %d: out of order: %v", g, i, got, log)
						break
					}
				}
			}
			if q.Len() != 0 {
				t.Errorf("Len = %d at the end", q.Len())
			}
		})
	}
}

// TestNoGoroutinePerMessage: delayed and in-flight messages, and long
// polls that end, leave no goroutines behind.
func TestNoGoroutinePerMessage(t *testing.T) {
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	q, _ := b.CreateQueue("q", memory.QueueConfig{VisibilityTimeout: time.Hour})
	before := runtime.NumGoroutine()
	for i := 0; i < 10_000; i += 10 {
		batch := make([]transport.Outgoing, 10)
		for j := range batch {
			batch[j] = transport.Outgoing{Body: "m", Delay: time.Duration(j%2) * 10 * time.Minute}
		}
		res, err := q.Send(t.Context(), batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatal(r.Err)
			}
		}
	}
	for {
		msgs, err := q.Receive(t.Context(), transport.ReceiveRequest{MaxMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			break
		}
	}
	if s := q.Stats(); s != (memory.Stats{InFlight: 5000, Delayed: 5000}) {
		t.Fatalf("Stats = %+v", s)
	}
	for range 100 {
		ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
		_, _ = q.Receive(ctx, transport.ReceiveRequest{WaitTime: 20 * time.Second})
		cancel()
	}
	if after := runtime.NumGoroutine(); after > before+2 {
		t.Errorf("%d goroutines before, %d after: something runs per message or per poll", before, after)
	}
}
