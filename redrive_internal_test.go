package mega

import (
	"context"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// visibilityLog records the visibility changes a queue is asked for.
type visibilityLog struct {
	*memory.Queue
	timeouts []time.Duration
}

func (v *visibilityLog) ChangeVisibility(ctx context.Context, changes []transport.VisibilityChange) ([]error, error) {
	for _, c := range changes {
		v.timeouts = append(v.timeouts, c.Timeout)
	}
	return v.Queue.ChangeVisibility(ctx, changes)
}

// Messages held through a long run are extended once half their
// visibility has passed, and given back at the end.
func TestRedriveExtendsHeldMessages(t *testing.T) {
	b := memory.New()
	defer b.Close()
	q, err := b.CreateQueue("held", memory.QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Send(context.Background(), []transport.Outgoing{{Body: "a"}, {Body: "b"}}); err != nil {
		t.Fatal(err)
	}
	log := &visibilityLog{Queue: q}
	now := time.Unix(1000, 0)
	r := &redriver{from: log, vis: time.Minute, wait: time.Millisecond, held: map[string]*heldReceipt{}, seen: map[string]bool{}, now: func() time.Time { return now }}
	msgs, err := r.receive(context.Background(), 10)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("received %d, %v", len(msgs), err)
	}
	for _, m := range msgs {
		r.hold(m)
	}
	now = now.Add(29 * time.Second)
	r.extend(context.Background())
	if len(log.timeouts) != 0 {
		t.Fatalf("extended %v with more than half the visibility left", log.timeouts)
	}
	now = now.Add(2 * time.Second)
	r.extend(context.Background())
	if len(log.timeouts) != 2 || log.timeouts[0] != time.Minute {
		t.Fatalf("visibility changes %v, want both extended by a minute", log.timeouts)
	}
	r.releaseAll(context.Background())
	if len(log.timeouts) != 4 || log.timeouts[2] != 0 || q.Stats().Visible != 2 || len(r.errs) != 0 {
		t.Errorf("changes %v, queue %+v, errors %v; want both visible again at once", log.timeouts, q.Stats(), r.errs)
	}
}
