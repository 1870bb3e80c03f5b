package memory_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

func TestCreateQueue(t *testing.T) {
	f := newFixture(t)
	f.queue("dlq", memory.QueueConfig{})
	f.queue("dlq.fifo", memory.QueueConfig{})

	for _, tc := range []struct {
		name    string
		queue   string
		cfg     memory.QueueConfig
		wantErr error
	}{
		{"standard", "orders", memory.QueueConfig{}, nil},
		{"fifo", "orders.fifo", memory.QueueConfig{ContentBasedDeduplication: true}, nil},
		{"all settings", "full", memory.QueueConfig{
			VisibilityTimeout: time.Minute, Delay: time.Second, MaxMessageSize: 2048,
			Redrive: &memory.Redrive{DeadLetterQueue: "dlq", MaxReceiveCount: 5},
		}, nil},
		{"redrive by ARN", "by-arn", memory.QueueConfig{
			Redrive: &memory.Redrive{DeadLetterQueue: "arn:aws:sqs:us-east-1:000000000000:dlq", MaxReceiveCount: 1},
		}, nil},
		{"empty name", "", memory.QueueConfig{}, transport.ErrInvalidRequest},
		{"bad character", "a b", memory.QueueConfig{}, transport.ErrInvalidRequest},
		{"too long", strings.Repeat("q", 81), memory.QueueConfig{}, transport.ErrInvalidRequest},
		{"only suffix", ".fifo", memory.QueueConfig{}, transport.ErrInvalidRequest},
		{"visibility too long", "v", memory.QueueConfig{VisibilityTimeout: 13 * time.Hour}, transport.ErrInvalidRequest},
		{"negative delay", "d", memory.QueueConfig{Delay: -time.Second}, transport.ErrInvalidRequest},
		{"delay too long", "d", memory.QueueConfig{Delay: 16 * time.Minute}, transport.ErrInvalidRequest},
		{"size too small", "s", memory.QueueConfig{MaxMessageSize: 1023}, transport.ErrInvalidRequest},
		{"size too large", "s", memory.QueueConfig{MaxMessageSize: transport.MaxBodySize + 1}, transport.ErrInvalidRequest},
		{"content dedup on standard", "c", memory.QueueConfig{ContentBasedDeduplication: true}, transport.ErrInvalidRequest},
		{"redrive count zero", "r", memory.QueueConfig{Redrive: &memory.Redrive{DeadLetterQueue: "dlq"}}, transport.ErrInvalidRequest},
		{"redrive count too high", "r", memory.QueueConfig{Redrive: &memory.Redrive{DeadLetterQueue: "dlq", MaxReceiveCount: 1001}}, transport.ErrInvalidRequest},
		{"missing dead-letter queue", "r", memory.QueueConfig{Redrive: &memory.Redrive{DeadLetterQueue: "nope", MaxReceiveCount: 3}}, transport.ErrQueueNotFound},
		{"FIFO with standard DLQ", "r.fifo", memory.QueueConfig{Redrive: &memory.Redrive{DeadLetterQueue: "dlq", MaxReceiveCount: 3}}, transport.ErrInvalidRequest},
		{"standard with FIFO DLQ", "r", memory.QueueConfig{Redrive: &memory.Redrive{DeadLetterQueue: "dlq.fifo", MaxReceiveCount: 3}}, transport.ErrInvalidRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := f.b.CreateQueue(tc.queue, tc.cfg)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("CreateQueue(%q) error = %v, want %v", tc.queue, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if q.Name() != tc.queue || q.FIFO() != strings.HasSuffix(tc.queue, ".fifo") {
				t.Errorf("got queue %q (FIFO %v)", q.Name(), q.FIFO())
			}
			if want := "arn:aws:sqs:us-east-1:000000000000:" + tc.queue; q.ARN() != want {
				t.Errorf("ARN = %q, want %q", q.ARN(), want)
			}
			if want := "https://sqs.us-east-1.amazonaws.com/000000000000/" + tc.queue; q.URL() != want {
				t.Errorf("URL = %q, want %q", q.URL(), want)
			}
		})
	}

	t.Run("again with the same configuration", func(t *testing.T) {
		a := f.queue("twice", memory.QueueConfig{VisibilityTimeout: time.Minute})
		b := f.queue("twice", memory.QueueConfig{VisibilityTimeout: time.Minute})
		if a != b {
			t.Error("creating an existing queue with the same configuration returned another queue")
		}
		if _, err := f.b.CreateQueue("twice", memory.QueueConfig{}); !errors.Is(err, transport.ErrInvalidRequest) {
			t.Errorf("creating it with another configuration: err = %v, want ErrInvalidRequest", err)
		}
	})
}

func TestBrokerLookupAndDelete(t *testing.T) {
	f := newFixture(t)
	q := f.queue("jobs", memory.QueueConfig{})
	for _, key := range []string{"jobs", q.ARN()} {
		if got, err := f.b.Queue(key); err != nil || got != q {
			t.Errorf("Queue(%q) = %v, %v", key, got, err)
		}
	}
	if _, err := f.b.Queue("other"); !errors.Is(err, transport.ErrQueueNotFound) {
		t.Errorf("Queue of a missing queue: err = %v", err)
	}

	// A long poll waiting on the queue learns of its deletion at once.
	done := make(chan error, 1)
	go func() {
		_, err := q.Receive(f.ctx, transport.ReceiveRequest{WaitTime: 20 * time.Second})
		done <- err
	}()
	if err := f.clock.BlockUntil(f.ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := f.b.DeleteQueue("jobs"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, transport.ErrQueueNotFound) {
		t.Errorf("waiting Receive: err = %v, want ErrQueueNotFound", err)
	}
	if _, err := q.Send(f.ctx, []transport.Outgoing{msg("x")}); !errors.Is(err, transport.ErrQueueNotFound) {
		t.Errorf("Send to a deleted queue: err = %v", err)
	}
	if err := f.b.DeleteQueue("jobs"); !errors.Is(err, transport.ErrQueueNotFound) {
		t.Errorf("deleting twice: err = %v", err)
	}
	// A queue created again under the name is new and rejects old handles.
	q2 := f.queue("jobs", memory.QueueConfig{})
	if q2 == q || q2.Len() != 0 {
		t.Error("the re-created queue is not a fresh queue")
	}
}

func TestClose(t *testing.T) {
	b := memory.New()
	q, err := b.CreateQueue("q", memory.QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	topic, err := b.CreateTopic("t", memory.TopicConfig{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := q.Receive(context.Background(), transport.ReceiveRequest{WaitTime: 20 * time.Second})
		done <- err
	}()
	// Whether or not the receive is waiting yet, it must fail fast.
	time.Sleep(10 * time.Millisecond)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, transport.ErrClosed) {
			t.Errorf("waiting Receive: err = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a long poll did not return when the broker closed")
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"Send":    func() error { _, err := q.Send(ctx, []transport.Outgoing{msg("x")}); return err },
		"Receive": func() error { _, err := q.Receive(ctx, transport.ReceiveRequest{}); return err },
		"Delete":  func() error { _, err := q.Delete(ctx, []string{"h"}); return err },
		"ChangeVisibility": func() error {
			_, err := q.ChangeVisibility(ctx, []transport.VisibilityChange{{ReceiptHandle: "h"}})
			return err
		},
		"Describe":    func() error { _, err := q.Describe(ctx); return err },
		"Purge":       q.Purge,
		"Publish":     func() error { _, err := topic.Send(ctx, []transport.Outgoing{msg("x")}); return err },
		"CreateQueue": func() error { _, err := b.CreateQueue("new", memory.QueueConfig{}); return err },
		"CreateTopic": func() error { _, err := b.CreateTopic("new", memory.TopicConfig{}); return err },
		"Queue":       func() error { _, err := b.Queue("q"); return err },
	} {
		t.Run(name, func(t *testing.T) {
			if err := call(); !errors.Is(err, transport.ErrClosed) {
				t.Errorf("err = %v, want ErrClosed", err)
			}
		})
	}
}

func TestMessageValidation(t *testing.T) {
	f := newFixture(t)
	std := f.queue("std", memory.QueueConfig{MaxMessageSize: 1024})
	fifo := f.queue("q.fifo", memory.QueueConfig{})
	attr := func(name string, a transport.Attribute) map[string]transport.Attribute {
		return map[string]transport.Attribute{name: a}
	}
	for _, tc := range []struct {
		name     string
		q        *memory.Queue
		out      transport.Outgoing
		wantErr  error
		wantCode string
	}{
		{"empty body", std, msg(""), transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"NUL in body", std, msg("a\x00b"), transport.ErrInvalidRequest, "InvalidMessageContents"},
		{"invalid UTF-8", std, msg("a\xffb"), transport.ErrInvalidRequest, "InvalidMessageContents"},
		{"U+FFFE", std, msg("a\uFFFEb"), transport.ErrInvalidRequest, "InvalidMessageContents"},
		{"over the queue's size", std, msg(strings.Repeat("x", 1025)), transport.ErrTooLarge, "InvalidParameterValue"},
		{"attributes over the queue's size", std, transport.Outgoing{Body: strings.Repeat("x", 1000),
			Attributes: attr("name", transport.StringAttribute(strings.Repeat("v", 20)))}, transport.ErrTooLarge, "InvalidParameterValue"},
		{"negative delay", std, transport.Outgoing{Body: "x", Delay: -time.Second}, transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"delay too long", std, transport.Outgoing{Body: "x", Delay: 16 * time.Minute}, transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"dedup id on standard", std, transport.Outgoing{Body: "x", DeduplicationID: "d"}, transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"attribute name with space", std, transport.Outgoing{Body: "x", Attributes: attr("a b", transport.StringAttribute("v"))}, transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"attribute name with reserved prefix", std, transport.Outgoing{Body: "x", Attributes: attr("AWS.trace", transport.StringAttribute("v"))}, transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"attribute name with two periods", std, transport.Outgoing{Body: "x", Attributes: attr("a..b", transport.StringAttribute("v"))}, transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"empty string attribute", std, transport.Outgoing{Body: "x", Attributes: attr("a", transport.StringAttribute(""))}, transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"unknown attribute type", std, transport.Outgoing{Body: "x", Attributes: attr("a", transport.Attribute{DataType: "Bool", StringValue: "true"})}, transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"number that is not", std, transport.Outgoing{Body: "x", Attributes: attr("a", transport.Attribute{DataType: "Number", StringValue: "NaN"})}, transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"empty binary", std, transport.Outgoing{Body: "x", Attributes: attr("a", transport.Attribute{DataType: "Binary"})}, transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"FIFO without group", fifo, fifoMsg("", "d", "x"), transport.ErrInvalidRequest, "MissingParameter"},
		{"FIFO with delay", fifo, transport.Outgoing{Body: "x", GroupID: "g", DeduplicationID: "d", Delay: time.Second}, transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"FIFO without dedup id", fifo, fifoMsg("g", "", "x"), transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"FIFO group with space", fifo, fifoMsg("g g", "d", "x"), transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"FIFO dedup id too long", fifo, fifoMsg("g", strings.Repeat("d", 129), "x"), transport.ErrInvalidRequest, "InvalidParameterValue"},
		{"valid: number with exponent", std, transport.Outgoing{Body: "x", Attributes: attr("a", transport.Attribute{DataType: "Number", StringValue: "-1.5e3"})}, nil, ""},
		{"valid: custom type", std, transport.Outgoing{Body: "x", Attributes: attr("a", transport.Attribute{DataType: "Binary.gzip", BinaryValue: []byte{1}})}, nil, ""},
		{"valid: group id on standard", std, transport.Outgoing{Body: "x", GroupID: "tenant-1"}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A bad entry fails alone: the good one beside it is sent.
			good := msg("ok")
			if tc.q == fifo {
				good = fifoMsg("ok", "ok-"+strings.ReplaceAll(tc.name, " ", "-"), "ok")
			}
			res, err := tc.q.Send(f.ctx, []transport.Outgoing{tc.out, good})
			if err != nil {
				t.Fatalf("Send failed as a whole: %v", err)
			}
			if !errors.Is(res[0].Err, tc.wantErr) || (tc.wantErr == nil) != (res[0].Err == nil) {
				t.Errorf("entry error = %v, want %v", res[0].Err, tc.wantErr)
			}
			if got := entryCode(res[0].Err); got != tc.wantCode {
				t.Errorf("entry error code = %q, want %q", got, tc.wantCode)
			}
			if res[1].Err != nil {
				t.Errorf("the valid entry beside it failed: %v", res[1].Err)
			}
		})
	}

	t.Run("batch over MaxBodySize", func(t *testing.T) {
		big := strings.Repeat("x", transport.MaxBodySize/2+1)
		_, err := std.Send(f.ctx, []transport.Outgoing{msg(big), msg(big)})
		if !errors.Is(err, transport.ErrTooLarge) {
			t.Errorf("err = %v, want ErrTooLarge for the whole batch", err)
		}
	})
}

func TestVisibilityTimeoutIsExact(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q", memory.QueueConfig{VisibilityTimeout: 30 * time.Second})
	f.send(q, msg("m"))
	first := f.receiveOne(q)
	if first.ReceiveCount != 1 || first.System["ApproximateFirstReceiveTimestamp"] != "1714564800000" {
		t.Fatalf("first receive: %+v", first)
	}

	f.clock.Advance(30*time.Second - time.Nanosecond)
	f.expectEmpty(q)
	if s := q.Stats(); s != (memory.Stats{InFlight: 1}) {
		t.Errorf("Stats = %+v, want 1 in flight", s)
	}
	f.clock.Advance(time.Nanosecond)
	if s := q.Stats(); s != (memory.Stats{Visible: 1}) {
		t.Errorf("Stats = %+v, want 1 visible", s)
	}
	second := f.receiveOne(q)
	if second.ReceiveCount != 2 || second.ID != first.ID || second.ReceiptHandle == first.ReceiptHandle {
		t.Fatalf("second receive: %+v", second)
	}
	if second.System["ApproximateFirstReceiveTimestamp"] != first.System["ApproximateFirstReceiveTimestamp"] {
		t.Error("ApproximateFirstReceiveTimestamp changed on the second receive")
	}

	// A per-receive timeout overrides the queue's.
	f.clock.Advance(30 * time.Second)
	third, err := q.Receive(f.ctx, transport.ReceiveRequest{VisibilityTimeout: 5 * time.Second})
	if err != nil || len(third) != 1 {
		t.Fatalf("third receive: %v, %v", third, err)
	}
	f.clock.Advance(5 * time.Second)
	if m := f.receiveOne(q); m.ReceiveCount != 4 {
		t.Errorf("ReceiveCount = %d, want 4", m.ReceiveCount)
	}
}

func TestReceiptHandles(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q", memory.QueueConfig{VisibilityTimeout: 10 * time.Second})
	other := f.queue("other", memory.QueueConfig{})
	// A queue of the same name and history in another broker.
	twin := newFixture(t)
	twinQ := twin.queue("q", memory.QueueConfig{VisibilityTimeout: 10 * time.Second})
	f.send(q, msg("m"))
	f.send(other, msg("o"))
	twin.send(twinQ, msg("m"))
	stale := f.receiveOne(q)
	foreign := f.receiveOne(other)
	twin.receiveOne(twinQ)
	twin.clock.Advance(10 * time.Second)
	twinned := twin.receiveOne(twinQ) // as current will be: seq 0, second receive

	f.clock.Advance(10 * time.Second)
	// The visibility timeout ended, but nobody received the message again:
	// the handle still deletes (as on SQS), but no longer changes
	// visibility, for the message is not in flight.
	if err := f.changeVisibility(q, stale, time.Minute); !errors.Is(err, transport.ErrReceiptInvalid) || entryCode(err) != "MessageNotInflight" {
		t.Errorf("ChangeVisibility after the timeout: err = %v, want MessageNotInflight", err)
	}

	current := f.receiveOne(q)
	for _, tc := range []struct {
		name   string
		handle string
	}{
		{"stale handle of a re-received message", stale.ReceiptHandle},
		{"handle of another queue", foreign.ReceiptHandle},
		{"handle of a twin queue of another broker", twinned.ReceiptHandle},
		{"garbage", "not-a-handle"},
		{"empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs, err := q.Delete(f.ctx, []string{tc.handle})
			if err != nil {
				t.Fatal(err)
			}
			if !errors.Is(errs[0], transport.ErrReceiptInvalid) || entryCode(errs[0]) != "ReceiptHandleIsInvalid" {
				t.Errorf("Delete: err = %v, want ReceiptHandleIsInvalid", errs[0])
			}
			if err := f.changeVisibility(q, transport.Message{ReceiptHandle: tc.handle}, 0); !errors.Is(err, transport.ErrReceiptInvalid) {
				t.Errorf("ChangeVisibility: err = %v, want ErrReceiptInvalid", err)
			}
		})
	}
	if q.Len() != 1 {
		t.Fatalf("invalid handles changed the queue: Len = %d", q.Len())
	}

	f.delete(q, current)
	// Deleting again, as an at-least-once consumer may, succeeds.
	f.delete(q, current)
	if q.Len() != 0 {
		t.Errorf("Len = %d after delete", q.Len())
	}
	if err := f.changeVisibility(q, current, time.Minute); !errors.Is(err, transport.ErrReceiptInvalid) {
		t.Errorf("ChangeVisibility of a deleted message: err = %v", err)
	}
}

func TestChangeVisibilityLimits(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q", memory.QueueConfig{})
	f.send(q, msg("m"))
	msgs, err := q.Receive(f.ctx, transport.ReceiveRequest{VisibilityTimeout: 2 * time.Hour})
	if err != nil || len(msgs) != 1 {
		t.Fatal(msgs, err)
	}
	m := msgs[0]
	f.clock.Advance(time.Hour)
	if err := f.changeVisibility(q, m, 11*time.Hour); err != nil {
		t.Errorf("extending to 12 h after the receive: %v", err)
	}
	if err := f.changeVisibility(q, m, 11*time.Hour+time.Second); !errors.Is(err, transport.ErrInvalidRequest) {
		t.Errorf("extending past 12 h after the receive: err = %v, want ErrInvalidRequest", err)
	}
	if err := f.changeVisibility(q, m, -time.Second); !errors.Is(err, transport.ErrInvalidRequest) {
		t.Errorf("negative timeout: err = %v, want ErrInvalidRequest", err)
	}
}

func TestDelays(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q", memory.QueueConfig{Delay: 10 * time.Second})
	f.send(q, msg("queue delay"), transport.Outgoing{Body: "own delay", Delay: 3 * time.Second})
	if s := q.Stats(); s != (memory.Stats{Delayed: 2}) {
		t.Errorf("Stats = %+v, want 2 delayed", s)
	}
	f.expectEmpty(q)
	f.clock.Advance(3 * time.Second)
	if m := f.receiveOne(q); m.Body != "own delay" {
		t.Errorf("got %q first: a message's own delay overrides the queue's", m.Body)
	}
	f.clock.Advance(7*time.Second - time.Nanosecond)
	f.expectEmpty(q)
	f.clock.Advance(time.Nanosecond)
	if m := f.receiveOne(q); m.Body != "queue delay" {
		t.Errorf("got %q", m.Body)
	}
}

func TestRedriveIsExact(t *testing.T) {
	for _, fifo := range []bool{false, true} {
		name := map[bool]string{false: "standard", true: "FIFO"}[fifo]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			suffix := map[bool]string{false: "", true: ".fifo"}[fifo]
			dlq := f.queue("dlq"+suffix, memory.QueueConfig{})
			q := f.queue("q"+suffix, memory.QueueConfig{
				VisibilityTimeout: 30 * time.Second,
				Redrive:           &memory.Redrive{DeadLetterQueue: dlq.Name(), MaxReceiveCount: 3},
			})
			out := transport.Outgoing{Body: "poison", Attributes: map[string]transport.Attribute{"k": transport.StringAttribute("v")}}
			next := msg("next")
			if fifo {
				out.GroupID, out.DeduplicationID = "g", "d"
				next = fifoMsg("g", "d2", "next")
			}
			sent := f.send(q, out, next)[0]

			for n := 1; n <= 3; n++ {
				m := f.receiveOne(q)
				if m.Body != "poison" || m.ReceiveCount != n {
					t.Fatalf("receive %d: got %q with ReceiveCount %d", n, m.Body, m.ReceiveCount)
				}
				f.clock.Advance(30 * time.Second)
			}
			if dlq.Len() != 0 {
				t.Fatal("the message moved before a receive beyond MaxReceiveCount")
			}
			// The fourth receive moves it instead of delivering it, and
			// delivers the next message (on a FIFO queue, the group's next).
			if got := f.receive(q, 10); len(got) != 1 || got[0].Body != "next" {
				t.Fatalf("after the move, got %v, want only the next message", got)
			}
			dead := dlq.Messages()
			if len(dead) != 1 {
				t.Fatalf("the dead-letter queue holds %d messages", len(dead))
			}
			d := dead[0]
			if d.ID != sent.MessageID || d.Body != "poison" || d.Attributes["k"].StringValue != "v" || d.ReceiveCount != 3 {
				t.Errorf("dead-lettered message = %+v", d)
			}
			if d.SentAt != t0 {
				t.Errorf("SentAt = %v, want the original %v", d.SentAt, t0)
			}
			if fifo && (d.GroupID != "g" || d.DeduplicationID != "d") {
				t.Errorf("FIFO ids lost: %+v", d)
			}
			if m := f.receiveOne(dlq); m.ReceiveCount != 4 {
				t.Errorf("received from the dead-letter queue with ReceiveCount %d, want 4 (SQS keeps counting)", m.ReceiveCount)
			}
		})
	}
}

func TestRedriveToDeletedQueue(t *testing.T) {
	f := newFixture(t)
	f.queue("dlq", memory.QueueConfig{})
	q := f.queue("q", memory.QueueConfig{Redrive: &memory.Redrive{DeadLetterQueue: "dlq", MaxReceiveCount: 1}})
	f.send(q, msg("m"))
	m := f.receiveOne(q)
	if err := f.b.DeleteQueue("dlq"); err != nil {
		t.Fatal(err)
	}
	if _, err := q.DeadLetterQueue(f.ctx); !errors.Is(err, transport.ErrQueueNotFound) {
		t.Errorf("DeadLetterQueue: err = %v, want ErrQueueNotFound", err)
	}
	if err := f.changeVisibility(q, m, 0); err != nil {
		t.Fatal(err)
	}
	// With its dead-letter queue gone, the message stays deliverable
	// rather than being lost.
	if again := f.receiveOne(q); again.ReceiveCount != 2 {
		t.Errorf("ReceiveCount = %d, want 2", again.ReceiveCount)
	}
}

func TestLongPollWithManualClock(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q", memory.QueueConfig{VisibilityTimeout: 30 * time.Second})
	f.send(q, msg("m"))
	first := f.receiveOne(q)

	type result struct {
		msgs []transport.Message
		err  error
	}
	poll := func() chan result {
		done := make(chan result, 1)
		go func() {
			msgs, err := q.Receive(f.ctx, transport.ReceiveRequest{WaitTime: 20 * time.Second})
			done <- result{msgs, err}
		}()
		return done
	}

	// The visibility timeout ends during the wait: the poll wakes with it.
	done := poll()
	if err := f.clock.BlockUntil(f.ctx, 1); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(15 * time.Second)
	select {
	case r := <-done:
		t.Fatalf("the poll returned %v, %v before anything happened", r.msgs, r.err)
	default:
	}
	f.clock.Advance(15 * time.Second)
	r := <-done
	if r.err != nil || len(r.msgs) != 1 || r.msgs[0].ID != first.ID {
		t.Fatalf("poll = %v, %v; want the message back", r.msgs, r.err)
	}

	// Nothing happens: the poll ends empty after exactly WaitTime.
	done = poll()
	if err := f.clock.BlockUntil(f.ctx, 1); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(20*time.Second - time.Nanosecond)
	select {
	case r := <-done:
		t.Fatalf("the poll returned %v, %v before its WaitTime", r.msgs, r.err)
	default:
	}
	f.clock.Advance(time.Nanosecond)
	if r := <-done; r.err != nil || len(r.msgs) != 0 {
		t.Fatalf("poll = %v, %v; want empty", r.msgs, r.err)
	}
}

func TestLongPollWakesOnSend(t *testing.T) {
	b := memory.New()
	t.Cleanup(func() { _ = b.Close() })
	q, err := b.CreateQueue("q", memory.QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	const pollers = 4
	var wg sync.WaitGroup
	got := make(chan string, pollers)
	for range pollers {
		wg.Go(func() {
			msgs, err := q.Receive(t.Context(), transport.ReceiveRequest{WaitTime: 20 * time.Second})
			if err != nil {
				t.Error(err)
				return
			}
			for _, m := range msgs {
				got <- m.Body
			}
		})
	}
	start := time.Now()
	for i := range pollers {
		if _, err := q.Send(t.Context(), []transport.Outgoing{msg(string(rune('a' + i)))}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	close(got)
	n := 0
	for range got {
		n++
	}
	if n != pollers {
		t.Errorf("%d pollers got a message, want %d", n, pollers)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("polls took %v: they did not wake on send", took)
	}
}

func TestStatsMessagesPurge(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q", memory.QueueConfig{})
	f.send(q, msg("a"), msg("b"), transport.Outgoing{Body: "c", Delay: time.Minute})
	a := f.receiveOne(q)
	if s := q.Stats(); s != (memory.Stats{Visible: 1, InFlight: 1, Delayed: 1}) {
		t.Errorf("Stats = %+v", s)
	}
	if q.Len() != 3 {
		t.Errorf("Len = %d, want 3", q.Len())
	}
	snap := q.Messages()
	if len(snap) != 3 || snap[0].Body != "a" || snap[1].Body != "b" || snap[2].Body != "c" {
		t.Fatalf("Messages = %+v", snap)
	}
	if snap[0].ReceiveCount != 1 || snap[0].ReceiptHandle != "" || snap[1].ReceiveCount != 0 {
		t.Errorf("Messages reports receive counts %d, %d and handle %q", snap[0].ReceiveCount, snap[1].ReceiveCount, snap[0].ReceiptHandle)
	}
	// Snapshots do not receive.
	if s := q.Stats(); s.Visible != 1 {
		t.Errorf("Messages changed the queue: %+v", s)
	}
	if err := q.Purge(); err != nil {
		t.Fatal(err)
	}
	if q.Len() != 0 || q.Stats() != (memory.Stats{}) {
		t.Errorf("after Purge: Len %d, Stats %+v", q.Len(), q.Stats())
	}
	f.clock.Advance(time.Hour)
	f.expectEmpty(q)
	// A handle of a purged message deletes nothing and fails nothing.
	f.delete(q, a)
}

func TestAttributesAreCopied(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q", memory.QueueConfig{VisibilityTimeout: time.Second})
	bin := []byte{1, 2, 3}
	attrs := map[string]transport.Attribute{"b": {DataType: "Binary", BinaryValue: bin}}
	f.send(q, transport.Outgoing{Body: "m", Attributes: attrs})
	bin[0] = 9
	attrs["new"] = transport.StringAttribute("x")

	m := f.receiveOne(q)
	if got := m.Attributes["b"].BinaryValue; len(m.Attributes) != 1 || got[0] != 1 {
		t.Fatalf("the sender's changes reached the queue: %+v", m.Attributes)
	}
	m.Attributes["b"].BinaryValue[0] = 7
	m.System["ApproximateReceiveCount"] = "99"
	f.clock.Advance(time.Second)
	again := f.receiveOne(q)
	if again.Attributes["b"].BinaryValue[0] != 1 || again.ReceiveCount != 2 {
		t.Errorf("a receiver's changes reached the queue: %+v", again)
	}
}

func TestDescribeAndDeadLetterQueue(t *testing.T) {
	f := newFixture(t, memory.WithVisibilityTimeout(45*time.Second))
	dlq := f.queue("dlq", memory.QueueConfig{})
	q := f.queue("q", memory.QueueConfig{MaxMessageSize: 4096, Redrive: &memory.Redrive{DeadLetterQueue: "dlq", MaxReceiveCount: 4}})
	info, err := q.Describe(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := transport.QueueInfo{
		URL: q.URL(), ARN: q.ARN(), VisibilityTimeout: 45 * time.Second, MaxMessageSize: 4096,
		DeadLetterTargetARN: dlq.ARN(), MaxReceiveCount: 4,
	}
	if info != want {
		t.Errorf("Describe = %+v, want %+v", info, want)
	}
	found, err := q.DeadLetterQueue(f.ctx)
	if err != nil || found != transport.Queue(dlq) {
		t.Errorf("DeadLetterQueue = %v, %v; want the dlq", found, err)
	}
	found, err = dlq.DeadLetterQueue(f.ctx)
	if err != nil || found != nil {
		t.Errorf("DeadLetterQueue of a queue without redrive = %v, %v; want nil, nil", found, err)
	}
}

func TestBatchEntryIDs(t *testing.T) {
	f := newFixture(t)
	q := f.queue("q", memory.QueueConfig{})
	// Entries without an id never clash with those that have one.
	f.send(q, transport.Outgoing{ID: "0", Body: "a"}, transport.Outgoing{Body: "b"}, transport.Outgoing{ID: "1", Body: "c"})
	for _, tc := range []struct {
		name  string
		batch []transport.Outgoing
	}{
		{"same id twice", []transport.Outgoing{{ID: "x", Body: "a"}, {ID: "x", Body: "b"}}},
		{"id too long", []transport.Outgoing{{ID: strings.Repeat("i", 81), Body: "a"}}},
		{"id with a period", []transport.Outgoing{{ID: "a.b", Body: "a"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := q.Send(f.ctx, tc.batch); !errors.Is(err, transport.ErrInvalidRequest) {
				t.Errorf("err = %v, want ErrInvalidRequest", err)
			}
		})
	}
	if q.Len() != 3 {
		t.Errorf("Len = %d, want 3: rejected batches sent nothing", q.Len())
	}
}
