package memory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// t0 is the start of every ManualClock in these tests.
var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

// fixture is a broker on a manual clock.
type fixture struct {
	t     *testing.T
	ctx   context.Context
	clock *memory.ManualClock
	b     *memory.Broker
}

func newFixture(t *testing.T, opts ...memory.Option) *fixture {
	t.Helper()
	clock := memory.NewManualClock(t0)
	b := memory.New(append([]memory.Option{memory.WithClock(clock)}, opts...)...)
	t.Cleanup(func() { _ = b.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return &fixture{t: t, ctx: ctx, clock: clock, b: b}
}

func (f *fixture) queue(name string, cfg memory.QueueConfig) *memory.Queue {
	f.t.Helper()
	q, err := f.b.CreateQueue(name, cfg)
	if err != nil {
		f.t.Fatalf("CreateQueue(%q): %v", name, err)
	}
	return q
}

func (f *fixture) send(q transport.Sender, batch ...transport.Outgoing) []transport.SendResult {
	f.t.Helper()
	res, err := q.Send(f.ctx, batch)
	if err != nil {
		f.t.Fatalf("Send: %v", err)
	}
	for i, r := range res {
		if r.Err != nil {
			f.t.Fatalf("Send entry %d: %v", i, r.Err)
		}
	}
	return res
}

// receive receives without waiting.
func (f *fixture) receive(q transport.Queue, max int) []transport.Message {
	f.t.Helper()
	msgs, err := q.Receive(f.ctx, transport.ReceiveRequest{MaxMessages: max})
	if err != nil {
		f.t.Fatalf("Receive: %v", err)
	}
	return msgs
}

func (f *fixture) receiveOne(q transport.Queue) transport.Message {
	f.t.Helper()
	msgs := f.receive(q, 1)
	if len(msgs) != 1 {
		f.t.Fatalf("received %d messages, want 1", len(msgs))
	}
	return msgs[0]
}

func (f *fixture) expectEmpty(q transport.Queue) {
	f.t.Helper()
	if msgs := f.receive(q, 10); len(msgs) != 0 {
		f.t.Fatalf("received %d messages (%q...), want none", len(msgs), msgs[0].Body)
	}
}

func (f *fixture) delete(q transport.Queue, msgs ...transport.Message) {
	f.t.Helper()
	handles := make([]string, len(msgs))
	for i, m := range msgs {
		handles[i] = m.ReceiptHandle
	}
	errs, err := q.Delete(f.ctx, handles)
	if err != nil {
		f.t.Fatalf("Delete: %v", err)
	}
	for i, e := range errs {
		if e != nil {
			f.t.Fatalf("Delete %q: %v", msgs[i].Body, e)
		}
	}
}

func (f *fixture) changeVisibility(q transport.Queue, m transport.Message, d time.Duration) error {
	f.t.Helper()
	errs, err := q.ChangeVisibility(f.ctx, []transport.VisibilityChange{{ReceiptHandle: m.ReceiptHandle, Timeout: d}})
	if err != nil {
		f.t.Fatalf("ChangeVisibility: %v", err)
	}
	return errs[0]
}

// entryCode returns the SQS error code an entry error carries, or "".
func entryCode(err error) string {
	var e *transport.EntryError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func msg(body string) transport.Outgoing { return transport.Outgoing{Body: body} }

func fifoMsg(group, dedup, body string) transport.Outgoing {
	return transport.Outgoing{Body: body, GroupID: group, DeduplicationID: dedup}
}
