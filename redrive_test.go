package mega_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// fastRedrive ends a run after a short empty receive: the memory queue
// answers at once when it holds messages.
var fastRedrive = mega.RedriveOptions{WaitTime: 10 * time.Millisecond}

// redriveQueues returns a dead-letter queue holding n messages and the
// queue whose redrive policy names it.
func redriveQueues(t *testing.T, fifo bool, n int) (src, dlq *memory.Queue) {
	t.Helper()
	b := memory.New()
	t.Cleanup(func() { b.Close() })
	suffix := ""
	if fifo {
		suffix = ".fifo"
	}
	dlq, err := b.CreateQueue("dlq"+suffix, memory.QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	src, err = b.CreateQueue("src"+suffix, memory.QueueConfig{Redrive: &memory.Redrive{DeadLetterQueue: dlq.ARN(), MaxReceiveCount: 3}})
	if err != nil {
		t.Fatal(err)
	}
	var batch []transport.Outgoing
	for i := range n {
		o := transport.Outgoing{
			Body: fmt.Sprintf(`{"n": %d}`, i),
			Attributes: map[string]transport.Attribute{
				mega.AttrEncoding:         transport.StringAttribute("json"),
				"trace":                   {DataType: "Binary", BinaryValue: []byte{byte(i), 0xff}},
				mega.AttrDeadLetterReason: transport.StringAttribute(fmt.Sprintf("subscriber s: bad %d", i)),
			},
		}
		if fifo {
			o.GroupID = fmt.Sprintf("g%d", i%3)
			o.DeduplicationID = fmt.Sprintf("d%d", i)
		}
		batch = append(batch, o)
		if len(batch) == transport.MaxBatch || i == n-1 {
			sendAll(t, dlq, batch)
			batch = nil
		}
	}
	return src, dlq
}

func sendAll(t *testing.T, q transport.Sender, batch []transport.Outgoing) {
	t.Helper()
	res, err := q.Send(context.Background(), batch)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
}

func bodies(msgs []transport.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Body
	}
	slices.Sort(out)
	return out
}

func TestRedriveMovesEachMessageOnce(t *testing.T) {
	for _, fifo := range []bool{false, true} {
		t.Run(fmt.Sprintf("fifo=%v", fifo), func(t *testing.T) {
			src, dlq := redriveQueues(t, fifo, 25)
			before := dlq.Messages()
			var moved []string
			opts := fastRedrive
			opts.OnMove = func(m transport.Message) { moved = append(moved, m.ID) }
			stats, err := mega.Redrive(context.Background(), dlq, src, opts)
			if err != nil {
				t.Fatal(err)
			}
			if want := (mega.RedriveStats{Received: 25, Moved: 25}); stats != want {
				t.Errorf("stats %+v, want %+v", stats, want)
			}
			if len(moved) != 25 {
				t.Errorf("OnMove called %d times, want 25", len(moved))
			}
			if n := dlq.Len(); n != 0 {
				t.Errorf("%d messages left in the dead-letter queue", n)
			}
			after := src.Messages()
			if !slices.Equal(bodies(after), bodies(before)) {
				t.Fatalf("bodies moved %v, want each of %v once", bodies(after), bodies(before))
			}
			orig := map[string]transport.Message{}
			for _, m := range before {
				orig[m.Body] = m
			}
			for _, m := range after {
				o := orig[m.Body]
				if _, ok := m.Attributes[mega.AttrDeadLetterReason]; ok {
					t.Errorf("%s still carries %s", m.Body, mega.AttrDeadLetterReason)
				}
				if got, want := m.Attributes[mega.AttrPreviousDeadLetterReason], o.Attributes[mega.AttrDeadLetterReason]; got.StringValue != want.StringValue || got.DataType != "String" {
					t.Errorf("%s: previous reason %+v, want %+v", m.Body, got, want)
				}
				if got := m.Attributes["trace"]; !slices.Equal(got.BinaryValue, o.Attributes["trace"].BinaryValue) || got.DataType != "Binary" {
					t.Errorf("%s: trace attribute %+v, want %+v", m.Body, got, o.Attributes["trace"])
				}
				if m.Attributes[mega.AttrEncoding].StringValue != "json" || len(m.Attributes) != 3 {
					t.Errorf("%s: attributes %v", m.Body, m.Attributes)
				}
				if m.GroupID != o.GroupID || m.DeduplicationID != o.DeduplicationID {
					t.Errorf("%s: group %q dedup %q, want %q %q", m.Body, m.GroupID, m.DeduplicationID, o.GroupID, o.DeduplicationID)
				}
			}
			if fifo {
				// Each group keeps its order.
				last := map[string]string{}
				for _, m := range after {
					if prev, ok := last[m.GroupID]; ok && orig[prev].SequenceNumber > orig[m.Body].SequenceNumber {
						t.Errorf("group %s: %s moved after %s", m.GroupID, prev, m.Body)
					}
					last[m.GroupID] = m.Body
				}
			}
		})
	}
}

func TestRedriveDryRunFilterAndMax(t *testing.T) {
	even := func(m transport.Message) bool {
		var n int
		fmt.Sscanf(m.Body, `{"n": %d}`, &n)
		return n%2 == 0
	}
	tests := []struct {
		name      string
		opts      mega.RedriveOptions
		want      mega.RedriveStats
		remaining int // in the dead-letter queue
	}{
		{"dry run", mega.RedriveOptions{DryRun: true}, mega.RedriveStats{Received: 12, Moved: 12}, 12},
		{"filter", mega.RedriveOptions{Filter: even}, mega.RedriveStats{Received: 12, Moved: 6, Skipped: 6}, 6},
		{"max", mega.RedriveOptions{Max: 4}, mega.RedriveStats{Received: 4, Moved: 4}, 8},
		{"dry run, filter and max", mega.RedriveOptions{DryRun: true, Filter: even, Max: 3}, mega.RedriveStats{Moved: 3}, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, dlq := redriveQueues(t, false, 12)
			var shown int
			opts := tt.opts
			opts.WaitTime = fastRedrive.WaitTime
			opts.OnMove = func(transport.Message) { shown++ }
			stats, err := mega.Redrive(context.Background(), dlq, src, opts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.Received == 0 {
				tt.want.Received = stats.Received // depends on how the receives fell
				tt.want.Skipped = stats.Skipped
			}
			if stats != tt.want || shown != tt.want.Moved {
				t.Errorf("stats %+v, OnMove %d; want %+v", stats, shown, tt.want)
			}
			if s := dlq.Stats(); s.Visible != tt.remaining || s.InFlight != 0 {
				t.Errorf("dead-letter queue %+v, want %d visible at once, none in flight", s, tt.remaining)
			}
			moved := tt.want.Moved
			if tt.opts.DryRun {
				moved = 0
			}
			if n := src.Len(); n != moved {
				t.Errorf("%d messages moved, want %d", n, moved)
			}
		})
	}
}

func TestRedriveKeepsTheAttributeBudget(t *testing.T) {
	src, dlq := redriveQueues(t, false, 0)
	full := map[string]transport.Attribute{}
	for i := range transport.MaxAttributes - 1 {
		full[fmt.Sprintf("a%d", i)] = transport.StringAttribute("v")
	}
	full[mega.AttrDeadLetterReason] = transport.StringAttribute("second reason")
	again := map[string]transport.Attribute{
		mega.AttrPreviousDeadLetterReason: transport.StringAttribute("first reason"),
		mega.AttrDeadLetterReason:         transport.StringAttribute("second reason"),
	}
	sendAll(t, dlq, []transport.Outgoing{{Body: "full", Attributes: full}, {Body: "again", Attributes: again}})
	if _, err := mega.Redrive(context.Background(), dlq, src, fastRedrive); err != nil {
		t.Fatal(err)
	}
	for _, m := range src.Messages() {
		if len(m.Attributes) > transport.MaxAttributes {
			t.Errorf("%s: %d attributes", m.Body, len(m.Attributes))
		}
		if got := m.Attributes[mega.AttrPreviousDeadLetterReason].StringValue; got != "second reason" {
			t.Errorf("%s: previous reason %q, want the latest one", m.Body, got)
		}
		if m.Body == "full" && len(m.Attributes) != transport.MaxAttributes {
			t.Errorf("full: %d attributes, want %d", len(m.Attributes), transport.MaxAttributes)
		}
	}
}

// flakySender fails the entries whose body contains "bad", or whole calls
// while failAll is set, and runs after each call.
type flakySender struct {
	q       transport.Sender
	failAll bool
	calls   atomic.Int32
	after   func(call int)
}

var errRefused = errors.New("refused")

func (f *flakySender) Send(ctx context.Context, batch []transport.Outgoing) ([]transport.SendResult, error) {
	n := int(f.calls.Add(1))
	if f.after != nil {
		defer f.after(n)
	}
	if f.failAll {
		return nil, errRefused
	}
	var good []transport.Outgoing
	for _, o := range batch {
		if !strings.Contains(o.Body, "bad") {
			good = append(good, o)
		}
	}
	res, err := f.q.Send(ctx, good)
	if err != nil {
		return nil, err
	}
	out := make([]transport.SendResult, len(batch))
	for i, o := range batch {
		if strings.Contains(o.Body, "bad") {
			out[i] = transport.SendResult{Err: &transport.EntryError{Code: "Refused", Message: "bad body", SenderFault: true}}
			continue
		}
		out[i], res = res[0], res[1:]
	}
	return out, nil
}

func TestRedriveFailedSendsStayInTheSource(t *testing.T) {
	t.Run("some entries", func(t *testing.T) {
		src, dlq := redriveQueues(t, false, 5)
		sendAll(t, dlq, []transport.Outgoing{{Body: "bad 1"}, {Body: "bad 2"}})
		stats, err := mega.Redrive(context.Background(), dlq, &flakySender{q: src}, fastRedrive)
		var ee *transport.EntryError
		if !errors.As(err, &ee) || ee.Code != "Refused" {
			t.Errorf("error %v, want the entry errors", err)
		}
		if want := (mega.RedriveStats{Received: 7, Moved: 5, Failed: 2}); stats != want {
			t.Errorf("stats %+v, want %+v", stats, want)
		}
		if got := bodies(dlq.Messages()); !slices.Equal(got, []string{"bad 1", "bad 2"}) || dlq.Stats().Visible != 2 {
			t.Errorf("dead-letter queue holds %v (%+v), want the two refused, visible", got, dlq.Stats())
		}
		if src.Len() != 5 {
			t.Errorf("%d moved, want 5", src.Len())
		}
	})
	t.Run("whole calls", func(t *testing.T) {
		src, dlq := redriveQueues(t, false, 5)
		stats, err := mega.Redrive(context.Background(), dlq, &flakySender{q: src, failAll: true}, fastRedrive)
		if !errors.Is(err, errRefused) || stats.Failed != 5 || stats.Moved != 0 {
			t.Errorf("stats %+v, error %v; want 5 failed with the send's error", stats, err)
		}
		if s := dlq.Stats(); s.Visible != 5 || src.Len() != 0 {
			t.Errorf("dead-letter queue %+v, source %d; want all 5 left visible", s, src.Len())
		}
	})
}

// failingDeletes is a queue whose deletes fail as a whole.
type failingDeletes struct{ *memory.Queue }

func (failingDeletes) Delete(context.Context, []string) ([]error, error) {
	return nil, transport.ErrThrottled
}

func TestRedriveFailedDeletesLeaveACopyInBoth(t *testing.T) {
	src, dlq := redriveQueues(t, false, 3)
	stats, err := mega.Redrive(context.Background(), failingDeletes{dlq}, src, fastRedrive)
	if !errors.Is(err, transport.ErrThrottled) || stats.NotDeleted != 3 || stats.Moved != 0 {
		t.Errorf("stats %+v, error %v; want 3 not deleted with the delete's error", stats, err)
	}
	if dlq.Len() != 3 || src.Len() != 3 {
		t.Errorf("dead-letter queue %d, source %d; want the messages in both", dlq.Len(), src.Len())
	}
}

func TestRedriveInterruptedLosesNothing(t *testing.T) {
	for _, fifo := range []bool{false, true} {
		t.Run(fmt.Sprintf("fifo=%v", fifo), func(t *testing.T) {
			src, dlq := redriveQueues(t, fifo, 25)
			want := bodies(dlq.Messages())
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			dest := &flakySender{q: src, after: func(call int) {
				if call == 2 {
					cancel() // as Ctrl-C would, while the second batch is being sent
				}
			}}
			stats, err := mega.Redrive(ctx, dlq, dest, fastRedrive)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("error %v, want context.Canceled", err)
			}
			if stats.Moved == 0 || stats.Moved >= 25 || src.Len() != stats.Moved {
				t.Errorf("stats %+v with %d in the source; want a part moved", stats, src.Len())
			}
			if s := dlq.Stats(); s.InFlight != 0 || s.Visible != 25-stats.Moved {
				t.Errorf("dead-letter queue %+v after the interruption; want the %d left visible at once", s, 25-stats.Moved)
			}
			// Every message is in exactly one queue.
			if got := bodies(append(src.Messages(), dlq.Messages()...)); !slices.Equal(got, want) {
				t.Fatalf("messages in both queues %v, want each of %v once", got, want)
			}
			// Running again moves the rest.
			rest, err := mega.Redrive(context.Background(), dlq, src, fastRedrive)
			if err != nil || stats.Moved+rest.Moved != 25 || dlq.Len() != 0 {
				t.Errorf("second run %+v, %v; %d left", rest, err, dlq.Len())
			}
			if got := bodies(src.Messages()); !slices.Equal(got, want) {
				t.Errorf("moved %v, want each of %v once", got, want)
			}
		})
	}
}

func TestRedriveRejectsBadOptions(t *testing.T) {
	src, dlq := redriveQueues(t, false, 1)
	for _, tt := range []struct {
		name     string
		from     transport.Queue
		to       transport.Sender
		opts     mega.RedriveOptions
		mentions string
	}{
		{"no source", nil, src, mega.RedriveOptions{}, "source"},
		{"no destination", dlq, nil, mega.RedriveOptions{}, "destination"},
		{"negative max", dlq, src, mega.RedriveOptions{Max: -1}, "Max"},
		{"long wait", dlq, src, mega.RedriveOptions{WaitTime: time.Minute}, "WaitTime"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mega.Redrive(context.Background(), tt.from, tt.to, tt.opts)
			if !errors.Is(err, mega.ErrInvalidOption) || !strings.Contains(err.Error(), tt.mentions) {
				t.Errorf("error %v, want ErrInvalidOption about %s", err, tt.mentions)
			}
		})
	}
	if dlq.Len() != 1 || src.Len() != 0 {
		t.Errorf("a rejected call moved messages")
	}
}

// Moving the messages of a dead-letter queue back to the queue they came
// from, once the bug that sent them there is fixed.
func ExampleRedrive() {
	broker := memory.New()
	defer broker.Close()
	dlq, _ := broker.CreateQueue("orders-dlq", memory.QueueConfig{})
	orders, _ := broker.CreateQueue("orders", memory.QueueConfig{
		Redrive: &memory.Redrive{DeadLetterQueue: dlq.ARN(), MaxReceiveCount: 5},
	})
	_, _ = dlq.Send(context.Background(), []transport.Outgoing{
		{Body: `{"order": 1}`, Attributes: map[string]transport.Attribute{
			mega.AttrDeadLetterReason: transport.StringAttribute("subscriber orders: permanent: no such product"),
		}},
		{Body: `{"order": 2}`},
	})

	// The queue whose redrive policy names the dead-letter queue.
	sources, _ := dlq.DeadLetterSources(context.Background())
	fmt.Println("sources:", len(sources), sources[0] == transport.Queue(orders))

	stats, err := mega.Redrive(context.Background(), dlq, sources[0], mega.RedriveOptions{
		WaitTime: 10 * time.Millisecond,
		OnMove:   func(m transport.Message) { fmt.Println("moved", m.Body) },
	})
	fmt.Printf("%+v %v\n", stats, err)
	for _, m := range orders.Messages() {
		fmt.Printf("%s previous reason: %q\n", m.Body, m.Attributes[mega.AttrPreviousDeadLetterReason].StringValue)
	}
	// Output:
	// sources: 1 true
	// moved {"order": 1}
	// moved {"order": 2}
	// {Received:2 Moved:2 Skipped:0 Failed:0 NotDeleted:0} <nil>
	// {"order": 1} previous reason: "subscriber orders: permanent: no such product"
	// {"order": 2} previous reason: ""
}
