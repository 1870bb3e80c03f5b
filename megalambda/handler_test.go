package megalambda_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/megalambda"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

const (
	trustedTopic   = "arn:aws:sns:us-east-1:123456789012:users"
	untrustedTopic = "arn:aws:sns:us-east-1:999999999999:forged"
)

// A Handler serves lambda.StartHandler.
var _ lambda.Handler = (*megalambda.Handler)(nil)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sqsEvent(t testing.TB, name string) events.SQSEvent {
	t.Helper()
	var ev events.SQSEvent
	if err := json.Unmarshal(readFile(t, name), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func snsEvent(t testing.TB, name string) events.SNSEvent {
	t.Helper()
	var ev events.SNSEvent
	if err := json.Unmarshal(readFile(t, name), &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// users is the subscriber of the tests: it takes every user:* event and
// records what it saw. user:bad fails permanently, user:panic panics,
// user:error fails (retriable), an
// event with the attribute fail asks for a retry.
type users struct {
	mu   sync.Mutex
	seen map[string]*mega.Message // by message id
	// order holds the subjects handled, in order.
	order []string
}

func (u *users) subscriber() mega.Subscriber {
	return mega.Subscriber{
		Name:  "users",
		Event: match.Event{"name": match.Regex(`user:`)},
		Process: func(ctx context.Context, m *mega.Message) error {
			u.mu.Lock()
			if u.seen == nil {
				u.seen = map[string]*mega.Message{}
			}
			u.seen[m.ID] = m
			u.order = append(u.order, m.Mega.Event.Subject)
			u.mu.Unlock()
			switch {
			case m.Mega.Event.Name == "user:bad":
				return mega.Permanent(errors.New("no such user"))
			case m.Mega.Event.Name == "user:panic":
				panic("boom")
			case m.Mega.Event.Name == "user:error":
				return errors.New("database unavailable")
			case m.Mega.Event.Attributes["fail"] == true:
				return mega.Retry(0)
			}
			return nil
		},
	}
}

func (u *users) handled() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var ids []string
	for id := range u.seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (u *users) message(id string) *mega.Message {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.seen[id]
}

func newHandler(t testing.TB, u *users, ropts []mega.Option, opts ...megalambda.Option) *megalambda.Handler {
	t.Helper()
	r, err := mega.NewRouter(append([]mega.Option{mega.WithLogger(quiet)}, ropts...)...)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Subscribe(u.subscriber()); err != nil {
		t.Fatal(err)
	}
	h, err := megalambda.New(r, append([]megalambda.Option{megalambda.WithLogger(quiet)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func failures(resp events.SQSEventResponse) []string {
	ids := []string{}
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	slices.Sort(ids)
	return ids
}

// visibility records the visibility changes asked for.
type visibility struct {
	mu      sync.Mutex
	changes []transport.VisibilityChange
	err     error
}

func (v *visibility) ChangeVisibility(ctx context.Context, changes []transport.VisibilityChange) ([]error, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.changes = append(v.changes, changes...)
	return make([]error, len(changes)), v.err
}

// failingSender refuses every message.
type failingSender struct{}

var errDown = errors.New("dead-letter queue unavailable")

func (failingSender) Send(ctx context.Context, batch []transport.Outgoing) ([]transport.SendResult, error) {
	return nil, errDown
}

func drain(t *testing.T, q *memory.Queue) map[string]transport.Message {
	t.Helper()
	out := map[string]transport.Message{}
	for {
		msgs, err := q.Receive(context.Background(), transport.ReceiveRequest{MaxMessages: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			return out
		}
		for _, m := range msgs {
			out[m.Body] = m
		}
	}
}

// TestSQSStandard runs one batch of every kind of record through the
// handler under each configuration and checks which records come back.
func TestSQSStandard(t *testing.T) {
	trust := mega.WithTopicARNs(trustedTopic)
	tests := []struct {
		name         string
		ropts        []mega.Option
		dlq          string // "", "memory" or "failing"
		wantFailures []string
		wantDLQ      []string // record ids whose copy is in the dead-letter queue
	}{
		{
			name:         "no dead-letter queue",
			ropts:        []mega.Option{trust},
			wantFailures: []string{"error", "invalid", "panic", "permanent", "retry", "text"},
		},
		{
			name:         "dead-letter queue",
			ropts:        []mega.Option{trust},
			dlq:          "memory",
			wantFailures: []string{"error", "panic", "retry"},
			wantDLQ:      []string{"invalid", "permanent", "text"},
		},
		{
			name:         "dead-letter queue down",
			ropts:        []mega.Option{trust},
			dlq:          "failing",
			wantFailures: []string{"error", "invalid", "panic", "permanent", "retry", "text"},
		},
		{
			name:         "unmatched kept",
			ropts:        []mega.Option{trust, mega.WithKeepUnmatched()},
			dlq:          "memory",
			wantFailures: []string{"error", "panic", "retry", "sns-untrusted", "unmatched"},
			wantDLQ:      []string{"invalid", "permanent", "text"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := sqsEvent(t, "sqs-standard.json")
			var u users
			vis := &visibility{}
			opts := []megalambda.Option{megalambda.WithSourceQueue(vis)}
			var dlq *memory.Queue
			switch tt.dlq {
			case "memory":
				b := memory.New()
				t.Cleanup(func() { b.Close() })
				dlq, _ = b.CreateQueue("dlq", memory.QueueConfig{})
				opts = append(opts, megalambda.WithDeadLetterQueue(dlq))
			case "failing":
				opts = append(opts, megalambda.WithDeadLetterQueue(failingSender{}))
			}
			h := newHandler(t, &u, append(tt.ropts, mega.WithBackoff(time.Second, 10*time.Minute)), opts...)
			resp, err := h.SQS(context.Background(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if got := failures(resp); !slices.Equal(got, tt.wantFailures) {
				t.Errorf("batchItemFailures = %q, want %q", got, tt.wantFailures)
			}
			// Every user event reached the subscriber, whatever its fate;
			// the forged envelope is data, the order is not a user event.
			if got, want := u.handled(), []string{"bson", "error", "json", "panic", "permanent", "retry", "sns-trusted"}; !slices.Equal(got, want) {
				t.Errorf("handled %q, want %q", got, want)
			}
			// The retry, the error and the panic are delayed by the backoff
			// for their receive count, on the record's receipt handle: 4 s
			// with jitter for the third receive, 1 s for the first.
			delays := map[string]time.Duration{}
			for _, c := range vis.changes {
				delays[c.ReceiptHandle] = c.Timeout
			}
			byID := func(id string) events.SQSMessage {
				return ev.Records[slices.IndexFunc(ev.Records, func(r events.SQSMessage) bool { return r.MessageId == id })]
			}
			if d := delays[byID("retry").ReceiptHandle]; len(delays) != 3 || d < 2*time.Second || d > 4*time.Second ||
				delays[byID("panic").ReceiptHandle] != time.Second || delays[byID("error").ReceiptHandle] != time.Second {
				t.Errorf("visibility changes %+v, want the retry's for 2s..4s, the panic's and the error's for 1s", vis.changes)
			}
			if dlq != nil {
				copies := drain(t, dlq)
				var got []string
				for _, r := range ev.Records {
					if c, ok := copies[r.Body]; ok {
						got = append(got, r.MessageId)
						if c.Attributes[mega.AttrDeadLetterReason].StringValue == "" {
							t.Errorf("copy of %s has no reason: %+v", r.MessageId, c.Attributes)
						}
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, tt.wantDLQ) {
					t.Errorf("dead-lettered %q, want %q", got, tt.wantDLQ)
				}
				if reason := copies[byID("permanent").Body].Attributes[mega.AttrDeadLetterReason].StringValue; !strings.Contains(reason, "no such user") {
					t.Errorf("reason of the permanent failure %q, want the subscriber's error", reason)
				}
			}
			st := h.Stats()
			if st.Records != int64(len(ev.Records)) || st.Failures != int64(len(tt.wantFailures)) || st.DeadLettered != int64(len(tt.wantDLQ)) {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

// TestSQSMessage checks what subscribers see of a record.
func TestSQSMessage(t *testing.T) {
	ev := sqsEvent(t, "sqs-standard.json")
	var u users
	h := newHandler(t, &u, []mega.Option{mega.WithTopicARNs(trustedTopic)})
	if _, err := h.SQS(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	m := u.message("json")
	if m == nil {
		t.Fatal("the JSON record was not handled")
	}
	if m.ReceiveCount != 1 || m.SentAt != time.UnixMilli(1714557600001).UTC() || m.System["SenderId"] != "AROAIWPX5BD2BHG722MW4:sender" {
		t.Errorf("receive count %d, sent at %s, system %v", m.ReceiveCount, m.SentAt, m.System)
	}
	want := map[string]transport.Attribute{
		"tenant":   {DataType: "String", StringValue: "acme"},
		"priority": {DataType: "Number", StringValue: "5"},
		"trace":    {DataType: "Binary", BinaryValue: []byte("\x00\x01trace")},
	}
	for k, w := range want {
		if a := m.Attributes[k]; a.DataType != w.DataType || a.StringValue != w.StringValue || string(a.BinaryValue) != string(w.BinaryValue) {
			t.Errorf("attribute %s = %+v, want %+v", k, a, w)
		}
	}
	if m := u.message("bson"); m == nil || m.Mega.Event.Name != "user:updated" || m.Mega.Event.Subject != "42" {
		t.Errorf("BSON record: %+v", m)
	}
	if m := u.message("sns-trusted"); m == nil || m.SNS == nil || m.SNS.TopicARN != trustedTopic || m.SNS.MessageAttributes["origin"].Value != "web" || m.Mega.Event.Name != "user:signed-up" {
		t.Errorf("SNS record: %+v", m)
	}
}

// TestSQSFIFO: in a FIFO batch, the first record of a group that is not
// done holds back the rest of its group; other groups go on.
func TestSQSFIFO(t *testing.T) {
	for _, conc := range []int{1, 3} {
		ev := sqsEvent(t, "sqs-fifo.json")
		var u users
		vis := &visibility{}
		h := newHandler(t, &u, nil, megalambda.WithConcurrency(conc), megalambda.WithSourceQueue(vis))
		resp, err := h.SQS(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := failures(resp), []string{"a2", "a3", "c1"}; !slices.Equal(got, want) {
			t.Errorf("concurrency %d: batchItemFailures = %q, want %q", conc, got, want)
		}
		if got, want := u.handled(), []string{"a1", "a2", "b1", "b2", "b3", "c1"}; !slices.Equal(got, want) {
			t.Errorf("concurrency %d: handled %q, want %q (a3 waits for a2)", conc, got, want)
		}
		var groupB []string
		for _, s := range u.order {
			if strings.HasPrefix(s, "b") {
				groupB = append(groupB, s)
			}
		}
		if !slices.Equal(groupB, []string{"b1", "b2", "b3"}) {
			t.Errorf("concurrency %d: group B handled in the order %q", conc, groupB)
		}
		if m := u.message("b2"); m.GroupID != "B" || m.System["MessageDeduplicationId"] != "dedup-b2" || m.System["SequenceNumber"] == "" {
			t.Errorf("FIFO record: group %q, system attributes %v", m.GroupID, m.System)
		}
		if len(vis.changes) != 2 {
			t.Errorf("concurrency %d: visibility changes %+v, want a2's and c1's", conc, vis.changes)
		}
	}
}

// TestSQSFIFODeadLetter: on a FIFO queue the dead-letter copy keeps the
// record's group, and its message id is the deduplication id.
func TestSQSFIFODeadLetter(t *testing.T) {
	ev := sqsEvent(t, "sqs-fifo.json")
	ev.Records = ev.Records[:1]
	ev.Records[0].Body = "not MEGA"
	b := memory.New()
	defer b.Close()
	dlq, _ := b.CreateQueue("dlq.fifo", memory.QueueConfig{})
	var u users
	h := newHandler(t, &u, nil, megalambda.WithDeadLetterQueue(dlq))
	resp, err := h.SQS(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("%+v, %v", resp, err)
	}
	c, ok := drain(t, dlq)["not MEGA"]
	if !ok || c.GroupID != "A" {
		t.Fatalf("copy %+v, want one in group A", c)
	}
}

// TestSQSDeadline: records not done a margin before the deadline are
// reported as failures, whether their handler honours its context or not,
// and records not started are not handled.
func TestSQSDeadline(t *testing.T) {
	for _, honours := range []bool{true, false} {
		name := map[bool]string{true: "handler honours ctx", false: "handler ignores ctx"}[honours]
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			clock := memory.NewManualClock(start)
			ctx, cancel := context.WithDeadline(context.Background(), start.Add(time.Hour))
			defer cancel()
			started := make(chan struct{})
			release := make(chan struct{})
			var (
				mu      sync.Mutex
				handled []string
			)
			ended := make(chan error, 1)
			r, _ := mega.NewRouter(mega.WithLogger(quiet))
			_ = r.Subscribe(mega.Subscriber{
				Event: match.Event{"name": match.Regex(`user:`)},
				Process: func(ctx context.Context, m *mega.Message) error {
					mu.Lock()
					handled = append(handled, m.ID)
					mu.Unlock()
					if m.ID != "a2" {
						return nil
					}
					close(started)
					if honours {
						<-ctx.Done()
						ended <- ctx.Err()
						return ctx.Err()
					}
					<-release
					return nil
				},
			})
			vis := &visibility{}
			h, _ := megalambda.New(r, megalambda.WithLogger(quiet), megalambda.WithClock(clock),
				megalambda.WithConcurrency(1), megalambda.WithDeadlineMargin(time.Minute), megalambda.WithSourceQueue(vis))
			ev := sqsEvent(t, "sqs-fifo.json")
			ev.Records = ev.Records[:5] // a1 b1 a2 b2 a3
			for i := range ev.Records {
				ev.Records[i].EventSourceARN = strings.TrimSuffix(ev.Records[i].EventSourceARN, ".fifo")
				ev.Records[i].Body = strings.Replace(ev.Records[i].Body, `"attributes":{"fail":true}`, `"attributes":{}`, 1)
			}
			type answer struct {
				resp events.SQSEventResponse
				err  error
			}
			done := make(chan answer, 1)
			go func() {
				resp, err := h.SQS(ctx, ev)
				done <- answer{resp, err}
			}()
			<-started
			// a1 and b1 are done (one worker takes the records in turn);
			// a2 runs; the margin ends the invocation 59 minutes on.
			clock.Advance(59 * time.Minute)
			a := <-done
			close(release)
			if a.err != nil {
				t.Fatal(a.err)
			}
			if got, want := failures(a.resp), []string{"a2", "a3", "b2"}; !slices.Equal(got, want) {
				t.Errorf("batchItemFailures = %q, want %q", got, want)
			}
			mu.Lock()
			defer mu.Unlock()
			if !slices.Equal(handled, []string{"a1", "b1", "a2"}) {
				t.Errorf("handled %q: records were started after the margin", handled)
			}
			if honours {
				if err := <-ended; !errors.Is(err, context.Canceled) {
					t.Errorf("the handler's context ended with %v", err)
				}
			}
			if len(vis.changes) != 0 {
				t.Errorf("visibility changed for records cut by the deadline: %+v", vis.changes)
			}
		})
	}
}

// TestSQSDeadlinePassed: an invocation that starts within the margin
// handles nothing and reports every record.
func TestSQSDeadlinePassed(t *testing.T) {
	var u users
	h := newHandler(t, &u, nil, megalambda.WithDeadlineMargin(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ev := sqsEvent(t, "sqs-fifo.json")
	resp, err := h.SQS(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != len(ev.Records) || len(u.handled()) != 0 {
		t.Errorf("failures %v, handled %q; want every record reported, none handled", resp.BatchItemFailures, u.handled())
	}
}

// TestSNS: the SNS handler decodes the envelope, and answers with an error
// when a notification is not done.
func TestSNS(t *testing.T) {
	tests := []struct {
		file       string
		dlq        bool
		wantErr    bool
		wantCalled bool
	}{
		{"sns-ok.json", false, false, true},
		{"sns-retry.json", false, true, true},
		{"sns-invalid.json", false, true, false},
		{"sns-invalid.json", true, false, false},
		{"sns-untrusted.json", false, false, false}, // a data payload: unmatched
	}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".json")+map[bool]string{true: "-dlq"}[tt.dlq], func(t *testing.T) {
			var u users
			var opts []megalambda.Option
			var dlq *memory.Queue
			if tt.dlq {
				b := memory.New()
				defer b.Close()
				dlq, _ = b.CreateQueue("dlq", memory.QueueConfig{})
				opts = append(opts, megalambda.WithDeadLetterQueue(dlq))
			}
			h := newHandler(t, &u, []mega.Option{mega.WithTopicARNs(trustedTopic)}, opts...)
			ev := snsEvent(t, tt.file)
			err := h.SNS(context.Background(), ev)
			if tt.wantErr != (err != nil) || err != nil && !errors.Is(err, megalambda.ErrNotProcessed) {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), ev.Records[0].SNS.MessageID) {
				t.Errorf("error %q does not name the message", err)
			}
			id := ev.Records[0].SNS.MessageID
			m := u.message(id)
			if tt.wantCalled != (m != nil) {
				t.Fatalf("subscriber called: %v, want %v", m != nil, tt.wantCalled)
			}
			if m != nil && (m.SNS == nil || m.SNS.TopicARN != trustedTopic || m.SNS.Subject != "users" || m.SNS.Timestamp != "2024-05-01T10:00:01.123Z") {
				t.Errorf("envelope %+v", m.SNS)
			}
			if dlq != nil {
				if copies := drain(t, dlq); len(copies) != 1 {
					t.Errorf("dead-lettered %d copies, want 1", len(copies))
				}
			}
		})
	}
}

// TestInvoke: the raw handler takes SQS and SNS events, and refuses
// anything else with a clear error, handling nothing.
func TestInvoke(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		wantErr error
		want    string // the answer, when no error
	}{
		{"not JSON", []byte("hello"), megalambda.ErrInvalidEvent, ""},
		{"empty", []byte(""), megalambda.ErrInvalidEvent, ""},
		{"JSON array", []byte(`[{"Records":[]}]`), megalambda.ErrInvalidEvent, ""},
		{"no Records", []byte(`{"detail-type":"Scheduled Event"}`), megalambda.ErrInvalidEvent, ""},
		{"Records not an array", []byte(`{"Records":{}}`), megalambda.ErrInvalidEvent, ""},
		{"S3 event", readFile(t, "s3-event.json"), megalambda.ErrInvalidEvent, ""},
		{"no records", readFile(t, "sqs-no-records.json"), megalambda.ErrNoRecords, ""},
		{"record without messageId", readFile(t, "sqs-missing-message-id.json"), megalambda.ErrInvalidEvent, ""},
		{"records without body or receipt handle", readFile(t, "sqs-missing-fields.json"), nil,
			`{"batchItemFailures":[{"itemIdentifier":"no-body"},{"itemIdentifier":"no-receipt"}]}`},
		{"SQS", readFile(t, "sqs-fifo.json"), nil,
			`{"batchItemFailures":[{"itemIdentifier":"a2"},{"itemIdentifier":"a3"},{"itemIdentifier":"c1"}]}`},
		{"SNS", readFile(t, "sns-ok.json"), nil, `null`},
		{"SNS retry", readFile(t, "sns-retry.json"), megalambda.ErrNotProcessed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var u users
			h := newHandler(t, &u, []mega.Option{mega.WithTopicARNs(trustedTopic)})
			out, err := h.Invoke(context.Background(), tt.payload)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if tt.wantErr != megalambda.ErrNotProcessed && len(u.handled()) != 0 {
					t.Errorf("handled %q from an event refused", u.handled())
				}
				return
			}
			if err != nil || string(out) != tt.want {
				t.Fatalf("Invoke = %s, %v; want %s", out, err, tt.want)
			}
		})
	}
}

func TestSQSBadEvent(t *testing.T) {
	var u users
	h := newHandler(t, &u, nil)
	if _, err := h.SQS(context.Background(), events.SQSEvent{}); !errors.Is(err, megalambda.ErrNoRecords) {
		t.Errorf("0 records: %v, want ErrNoRecords", err)
	}
	ev := sqsEvent(t, "sqs-fifo.json")
	ev.Records[1].EventSource = "aws:kinesis"
	if _, err := h.SQS(context.Background(), ev); !errors.Is(err, megalambda.ErrInvalidEvent) || len(u.handled()) != 0 {
		t.Errorf("a Kinesis record: %v, handled %q", err, u.handled())
	}
	if err := h.SNS(context.Background(), events.SNSEvent{}); !errors.Is(err, megalambda.ErrNoRecords) {
		t.Errorf("SNS, 0 records: %v, want ErrNoRecords", err)
	}
}

func TestNewOptions(t *testing.T) {
	r, _ := mega.NewRouter()
	for _, o := range []megalambda.Option{
		megalambda.WithConcurrency(0), megalambda.WithDeadlineMargin(-1), megalambda.WithDeadLetterQueue(nil),
		megalambda.WithSourceQueue(nil), megalambda.WithClock(nil), megalambda.WithLogger(nil),
	} {
		if _, err := megalambda.New(r, o); !errors.Is(err, mega.ErrInvalidOption) {
			t.Errorf("err = %v, want ErrInvalidOption", err)
		}
	}
	if _, err := megalambda.New(nil); !errors.Is(err, mega.ErrInvalidOption) {
		t.Errorf("nil router: %v", err)
	}
}

// TestSNSDeadline: a notification not done a margin before the deadline
// is an error, so that Lambda retries it.
func TestSNSDeadline(t *testing.T) {
	start := time.Now()
	clock := memory.NewManualClock(start)
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(time.Hour))
	defer cancel()
	started := make(chan struct{})
	r, _ := mega.NewRouter(mega.WithLogger(quiet), mega.WithTopicARNs(trustedTopic))
	_ = r.Subscribe(mega.Subscriber{
		Event: match.Event{},
		Process: func(ctx context.Context, m *mega.Message) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		},
	})
	h, _ := megalambda.New(r, megalambda.WithLogger(quiet), megalambda.WithClock(clock), megalambda.WithDeadlineMargin(time.Minute))
	ev := snsEvent(t, "sns-ok.json")
	done := make(chan error, 1)
	go func() { done <- h.SNS(ctx, ev) }()
	<-started
	clock.Advance(59 * time.Minute)
	if err := <-done; !errors.Is(err, megalambda.ErrNotProcessed) {
		t.Fatalf("err = %v, want ErrNotProcessed", err)
	}
}
