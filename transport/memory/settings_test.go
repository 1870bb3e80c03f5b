package memory_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

func TestSetConfig(t *testing.T) {
	f := newFixture(t)
	dlq := f.queue("dead", memory.QueueConfig{})
	q := f.queue("jobs", memory.QueueConfig{VisibilityTimeout: time.Minute})

	t.Run("an invalid configuration changes nothing", func(t *testing.T) {
		for _, cfg := range []memory.QueueConfig{
			{VisibilityTimeout: 13 * time.Hour},
			{ContentBasedDeduplication: true},
			{Redrive: &memory.Redrive{DeadLetterQueue: "missing", MaxReceiveCount: 1}},
		} {
			if err := q.SetConfig(cfg); err == nil {
				t.Errorf("SetConfig(%+v) succeeded", cfg)
			}
		}
		if got := q.Config(); got.VisibilityTimeout != time.Minute || got.Redrive != nil {
			t.Errorf("Config = %+v after failed SetConfig calls", got)
		}
	})

	t.Run("the next receive follows the new configuration", func(t *testing.T) {
		err := q.SetConfig(memory.QueueConfig{
			VisibilityTimeout: 10 * time.Second,
			Redrive:           &memory.Redrive{DeadLetterQueue: "dead", MaxReceiveCount: 1},
		})
		if err != nil {
			t.Fatal(err)
		}
		cfg := q.Config()
		if cfg.Redrive == nil || cfg.Redrive.DeadLetterQueue != dlq.ARN() {
			t.Fatalf("Config().Redrive = %+v, want the dead-letter queue by ARN", cfg.Redrive)
		}
		cfg.Redrive.MaxReceiveCount = 99 // a copy: the queue keeps its own
		if q.Config().Redrive.MaxReceiveCount != 1 {
			t.Fatal("changing what Config returned changed the queue")
		}
		f.send(q, msg("poison"))
		f.receiveOne(q)
		f.clock.Advance(10 * time.Second)
		f.expectEmpty(q) // received once already: moved on this receive
		if got := dlq.Messages(); len(got) != 1 || got[0].Body != "poison" {
			t.Fatalf("dead-letter queue holds %v", got)
		}
	})

	t.Run("a deleted queue", func(t *testing.T) {
		gone := f.queue("gone", memory.QueueConfig{})
		if err := f.b.DeleteQueue("gone"); err != nil {
			t.Fatal(err)
		}
		if err := gone.SetConfig(memory.QueueConfig{}); !errors.Is(err, transport.ErrQueueNotFound) {
			t.Errorf("SetConfig on a deleted queue = %v, want ErrQueueNotFound", err)
		}
	})
}

func TestTotals(t *testing.T) {
	f := newFixture(t)
	dlq := f.queue("dead", memory.QueueConfig{})
	q := f.queue("jobs", memory.QueueConfig{
		VisibilityTimeout: time.Second,
		Redrive:           &memory.Redrive{DeadLetterQueue: "dead", MaxReceiveCount: 2},
	})
	f.send(q, msg("a"), msg("b"), msg("c"))
	a := f.receiveOne(q)
	f.delete(q, a)
	f.receiveOne(q) // b, then it times out twice
	f.clock.Advance(time.Second)
	f.receive(q, 10) // b again, c
	f.clock.Advance(time.Second)
	f.receive(q, 10) // c again; b moves to the dead-letter queue
	want := memory.Totals{Sent: 3, Received: 5, Removed: 2}
	if got := q.Totals(); got != want {
		t.Errorf("Totals = %+v, want %+v", got, want)
	}
	if got := dlq.Totals(); got != (memory.Totals{Sent: 1}) {
		t.Errorf("dead-letter queue Totals = %+v, want one moved in", got)
	}
	if err := q.Purge(); err != nil {
		t.Fatal(err)
	}
	if got := q.Totals(); got.Removed != 3 || got.Sent-got.Removed != uint64(q.Len()) {
		t.Errorf("after Purge: Totals = %+v with %d messages left", got, q.Len())
	}
}
