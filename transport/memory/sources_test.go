package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

func TestDeadLetterSources(t *testing.T) {
	f := newFixture(t)
	dlq := f.queue("dlq", memory.QueueConfig{})
	other := f.queue("other-dlq", memory.QueueConfig{})
	a := f.queue("a", memory.QueueConfig{Redrive: &memory.Redrive{DeadLetterQueue: "dlq", MaxReceiveCount: 2}})
	b := f.queue("b", memory.QueueConfig{Redrive: &memory.Redrive{DeadLetterQueue: dlq.ARN(), MaxReceiveCount: 2}})
	f.queue("c", memory.QueueConfig{Redrive: &memory.Redrive{DeadLetterQueue: other.ARN(), MaxReceiveCount: 2}})
	f.queue("d", memory.QueueConfig{})

	got, err := dlq.DeadLetterSources(context.Background())
	if err != nil || len(got) != 2 || got[0] != transport.Queue(a) || got[1] != transport.Queue(b) {
		t.Errorf("DeadLetterSources = %v, %v; want a and b, by name or by ARN", got, err)
	}
	if got, err := a.DeadLetterSources(context.Background()); err != nil || len(got) != 0 {
		t.Errorf("a queue no redrive policy names: %v, %v; want none", got, err)
	}
	if err := f.b.DeleteQueue("dlq"); err != nil {
		t.Fatal(err)
	}
	if _, err := dlq.DeadLetterSources(context.Background()); !errors.Is(err, transport.ErrQueueNotFound) {
		t.Errorf("a deleted queue: %v, want ErrQueueNotFound", err)
	}
}
