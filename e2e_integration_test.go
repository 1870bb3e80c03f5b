package mega_test

// End-to-end tests of the publisher and the consumer on Amazon SQS and SNS
// through transport/sqs and transport/sns, against the server package
// internal/testenv names (moto in CI). They check what a user of the
// runtime sees: which subscriber gets what, where failed messages end up,
// how soon retried and released messages come back.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/internal/awstest"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// e2eWithin bounds every wait of these tests: moto answers in
// milliseconds, but shares two cores with the race detector.
const e2eWithin = 30 * time.Second

// e2eLogger logs warnings and errors to the test's log, shown when it fails.
func e2eLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(e2eTestWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type e2eTestWriter struct{ t *testing.T }

func (w e2eTestWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// e2eRun starts a consumer of q and returns it with a function that stops
// it, waits for Run to return and checks that it returned nil. The test's
// cleanup stops it too. Polls are short so that shutdown is quick.
//
// The consumer has one poller: moto serves concurrent receives without a
// lock and readily hands one message of a standard queue to two of them,
// which SQS does only rarely. Tests that count deliveries would see those
// duplicates.
func e2eRun(t *testing.T, q transport.Queue, subs []mega.Subscriber, opts ...mega.Option) (*mega.Consumer, func()) {
	t.Helper()
	opts = append([]mega.Option{
		mega.WithLogger(e2eLogger(t)),
		mega.WithWaitTime(time.Second),
		mega.WithBackoff(time.Second, 2*time.Second),
		mega.WithPollers(1),
	}, opts...)
	c, err := mega.NewConsumer(q, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(subs...); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(e2eWithin):
				t.Fatal("Run did not return after its context was cancelled")
			}
		})
	}
	t.Cleanup(stop)
	return c, stop
}

func e2ePublisher(t *testing.T, dest transport.Sender, opts ...mega.PublisherOption) *mega.Publisher {
	t.Helper()
	p, err := mega.NewPublisher(dest, append([]mega.PublisherOption{mega.WithPublisherLogger(e2eLogger(t))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func e2ePublish(t *testing.T, p *mega.Publisher, payloads ...protocol.Payload) []string {
	t.Helper()
	entries := make([]mega.Entry, len(payloads))
	for i, pl := range payloads {
		entries[i] = mega.Entry{Payload: pl}
	}
	ids, err := p.PublishBatch(context.Background(), entries)
	if err != nil {
		t.Fatalf("PublishBatch: %v", err)
	}
	return ids
}

// e2eEvent is a user event about subject, with numbers in its attributes
// and object.
func e2eEvent(subject string) protocol.Payload {
	p := protocol.NewEvent(protocol.Event{
		Name:       "user:updated",
		Version:    2,
		Domain:     "user",
		Subject:    subject,
		Timestamp:  time.Date(2020, 5, 4, 15, 53, 27, 0, time.UTC),
		Attributes: map[string]any{"email": "john@example.com", "logins": json.Number("12")},
	})
	p.Mega.Object = &protocol.Object{Type: "user", ID: subject, Current: map[string]any{"id": subject, "balance": json.Number("12.5")}}
	return p
}

// e2ePattern matches the events of e2eEvent, numbers included.
var e2ePattern = match.Event{
	"name":        match.Regex(`user:`),
	"version":     match.Gte(2),
	"domain":      "user",
	"logins":      12,
	"object_type": "user",
	"current":     match.Data{"balance": match.Gt(12)},
}

// e2eCatch returns a subscriber process function that sends each message
// to the returned channel.
func e2eCatch() (chan *mega.Message, func(context.Context, *mega.Message) error) {
	ch := make(chan *mega.Message, 16)
	return ch, func(_ context.Context, m *mega.Message) error {
		ch <- m
		return nil
	}
}

func e2eNext(t *testing.T, ch <-chan *mega.Message) *mega.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(e2eWithin):
		t.Fatal("no message reached the subscriber")
		return nil
	}
}

// e2eSettled waits until the consumer has processed n messages and the
// queue holds none, in flight or not.
func e2eSettled(t *testing.T, env *awstest.Env, c *mega.Consumer, q *sqs.Queue, n int64) {
	t.Helper()
	awstest.Eventually(t, e2eWithin, fmt.Sprintf("%d messages are processed and deleted", n), func() bool {
		return c.Stats().Processed == n && c.Stats().Deleted == n && env.Count(t, q).Total() == 0
	})
}

func TestE2ESNSDelivery(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	tests := []struct {
		name string
		raw  bool
	}{
		{"enveloped", false},
		{"raw", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp := env.Topic(t, sns.TopicConfig{})
			q := env.Queue(t, sqs.QueueConfig{})
			env.Subscribe(t, tp, q, sns.QueueSubscription{RawMessageDelivery: tt.raw})
			ids := e2ePublish(t, e2ePublisher(t, tp), e2eEvent("987650"))

			got, process := e2eCatch()
			c, stop := e2eRun(t, q, []mega.Subscriber{{Name: "users", Event: e2ePattern, Process: process}},
				mega.WithTopicARNs(tp.ARN()))
			m := e2eNext(t, got)
			e2eSettled(t, env, c, q, 1)
			stop()

			if m.Kind != protocol.KindMega || m.Mega.Event.Subject != "987650" || m.Mega.Object.Current["balance"] != json.Number("12.5") {
				t.Fatalf("subscriber got %s payload %+v", m.Kind, m.Mega)
			}
			if tt.raw {
				if m.SNS != nil {
					t.Errorf("raw delivery: SNS envelope %+v, want none", m.SNS)
				}
				if a := m.Attributes[mega.AttrEncoding]; a.StringValue != "json" {
					t.Errorf("raw delivery: SQS attribute %s = %+v, want json", mega.AttrEncoding, a)
				}
				return
			}
			if m.SNS == nil {
				t.Fatal("enveloped delivery: no SNS envelope on the message")
			}
			if m.SNS.TopicARN != tp.ARN() || m.SNS.MessageID != ids[0] || m.SNS.Type != "Notification" {
				t.Errorf("envelope %+v; want a notification from %s with message id %s", m.SNS, tp.ARN(), ids[0])
			}
			if a := m.SNS.MessageAttributes[mega.AttrEncoding]; a.Value != "json" {
				t.Errorf("envelope attribute %s = %+v, want json", mega.AttrEncoding, a)
			}
		})
	}

	t.Run("another topic's envelope is data", func(t *testing.T) {
		t.Parallel()
		tp := env.Topic(t, sns.TopicConfig{})
		q := env.Queue(t, sqs.QueueConfig{})
		env.Subscribe(t, tp, q, sns.QueueSubscription{})
		e2ePublish(t, e2ePublisher(t, tp), e2eEvent("1"))

		var events atomic.Int32
		got, process := e2eCatch()
		c, stop := e2eRun(t, q, []mega.Subscriber{
			{Name: "events", Event: match.Event{}, Process: func(context.Context, *mega.Message) error {
				events.Add(1)
				return nil
			}},
			{Name: "notifications", Data: match.Data{"Type": "Notification"}, Process: process},
		}, mega.WithTopicARNs(tp.ARN()+"-elsewhere"))
		m := e2eNext(t, got)
		e2eSettled(t, env, c, q, 1)
		stop()
		if m.Kind != protocol.KindData || m.SNS != nil || m.Data["TopicArn"] != tp.ARN() {
			t.Errorf("got kind %s, SNS %+v, data %v; want the envelope itself as data", m.Kind, m.SNS, m.Data)
		}
		if n := events.Load(); n != 0 {
			t.Errorf("the event subscriber got %d messages; an envelope from an unpinned topic must not be unwrapped", n)
		}
	})
}

func TestE2EBSON(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	tests := []struct {
		name string
		// dest returns where to publish for q to receive it.
		dest func(t *testing.T, q *sqs.Queue) transport.Sender
	}{
		{"sqs", func(t *testing.T, q *sqs.Queue) transport.Sender { return q }},
		{"sns", func(t *testing.T, q *sqs.Queue) transport.Sender {
			tp := env.Topic(t, sns.TopicConfig{})
			env.Subscribe(t, tp, q, sns.QueueSubscription{})
			return tp
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := env.Queue(t, sqs.QueueConfig{})
			p := e2ePublisher(t, tt.dest(t, q), mega.WithEncoding(protocol.BSON))
			e2ePublish(t, p, e2eEvent("42"), protocol.NewData(map[string]any{"order": json.Number("7"), "total": json.Number("19.5")}))

			events, processEvent := e2eCatch()
			data, processData := e2eCatch()
			c, stop := e2eRun(t, q, []mega.Subscriber{
				{Name: "users", Event: e2ePattern, Process: processEvent},
				{Name: "orders", Data: match.Data{"order": 7, "total": match.Lt(20)}, Process: processData},
			})
			ev, doc := e2eNext(t, events), e2eNext(t, data)
			e2eSettled(t, env, c, q, 2)
			stop()

			for _, m := range []*mega.Message{ev, doc} {
				wire := m.Body
				encoding := m.Attributes[mega.AttrEncoding].StringValue
				if m.SNS != nil {
					var envelope struct{ Message string }
					if err := json.Unmarshal([]byte(m.Body), &envelope); err != nil {
						t.Fatalf("SNS body: %v", err)
					}
					wire = envelope.Message
					encoding = m.SNS.MessageAttributes[mega.AttrEncoding].Value
				}
				if strings.HasPrefix(wire, "{") || encoding != "bson" {
					t.Errorf("published body %.40q with encoding %q; want base64 BSON", wire, encoding)
				}
			}
			if ev.Mega.Event.Subject != "42" || !ev.Mega.Event.Timestamp.Equal(time.Date(2020, 5, 4, 15, 53, 27, 0, time.UTC)) {
				t.Errorf("event %+v", ev.Mega.Event)
			}
			if (tt.name == "sns") != (ev.SNS != nil) {
				t.Errorf("SNS envelope %+v on a message published to %s", ev.SNS, tt.name)
			}
		})
	}
}

func TestE2ERetryWithBackoff(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	q := env.Queue(t, sqs.QueueConfig{})
	e2ePublish(t, e2ePublisher(t, q), e2eEvent("1"))

	type delivery struct {
		at    time.Time
		count int
	}
	var mu sync.Mutex
	var deliveries []delivery
	c, stop := e2eRun(t, q, []mega.Subscriber{{Event: match.Event{}, Process: func(_ context.Context, m *mega.Message) error {
		mu.Lock()
		defer mu.Unlock()
		deliveries = append(deliveries, delivery{time.Now(), m.ReceiveCount})
		if len(deliveries) <= 2 {
			return errors.New("database unavailable")
		}
		return nil
	}}})
	e2eSettled(t, env, c, q, 1)
	stop()

	mu.Lock()
	defer mu.Unlock()
	if len(deliveries) != 3 {
		t.Fatalf("%d deliveries, want 3: two failures, then success", len(deliveries))
	}
	for i, d := range deliveries {
		if d.count != i+1 {
			t.Errorf("delivery %d has ReceiveCount %d, want %d", i+1, d.count, i+1)
		}
		if i > 0 {
			// Backoff base 1 s: SQS hides the message for at least a second.
			if gap := d.at.Sub(deliveries[i-1].at); gap < 900*time.Millisecond {
				t.Errorf("delivery %d came %v after the previous one; want the backoff of at least 1s", i+1, gap)
			}
		}
	}
	if s := c.Stats(); s.HandlerErrors != 2 || s.Retried != 2 || s.Received != 3 || s.DeadLettered != 0 {
		t.Errorf("stats %+v; want 3 receives, 2 handler errors and retries", s)
	}
}

func TestE2ERedriveToDeadLetterQueue(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	q, dlq := env.QueueWithDLQ(t, sqs.QueueConfig{}, 2)
	e2ePublish(t, e2ePublisher(t, q), e2eEvent("1"))

	var counts []int
	var mu sync.Mutex
	c, stop := e2eRun(t, q, []mega.Subscriber{{Event: match.Event{}, Process: func(_ context.Context, m *mega.Message) error {
		mu.Lock()
		counts = append(counts, m.ReceiveCount)
		mu.Unlock()
		return errors.New("always failing")
	}}})
	awstest.Eventually(t, e2eWithin, "the message is in the dead-letter queue", func() bool {
		return env.Count(t, dlq).Visible == 1
	})
	stop()

	if n := env.Count(t, q).Total(); n != 0 {
		t.Errorf("source queue holds %d messages, want none", n)
	}
	mu.Lock()
	if fmt.Sprint(counts) != "[1 2]" {
		t.Errorf("deliveries with receive counts %v, want [1 2]: the redrive policy allows 2 receives", counts)
	}
	mu.Unlock()
	m := awstest.Receive(t, dlq, 1, 5*time.Second, transport.ReceiveRequest{})[0]
	if d, err := protocol.Decode(m.Body); err != nil || d.Kind != protocol.KindMega || d.Mega.Event.Subject != "1" {
		t.Errorf("dead-lettered body %q decodes to %v, %v", m.Body, d.Kind, err)
	}
	// SQS moved it, not the consumer: it has no reason attached.
	if _, ok := m.Attributes[mega.AttrDeadLetterReason]; ok {
		t.Errorf("message moved by the redrive policy has a reason %v", m.Attributes)
	}
	if s := c.Stats(); s.DeadLettered != 0 || s.Retried != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestE2EFailuresGoToTheDeadLetterQueueWithTheReason(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	// The redrive policy is how the consumer finds the dead-letter queue;
	// its count is high enough never to move anything itself.
	q, dlq := env.QueueWithDLQ(t, sqs.QueueConfig{}, 10)
	p := e2ePublisher(t, q)
	const invalid = `{"protocol":"mega","version":1,"event":{"name":"user:created"}}`
	tests := []struct {
		name string
		key  string // the event's subject, or the body
		send func(t *testing.T)
		want []string // in the reason
	}{
		{"permanent error", "banned", func(t *testing.T) { e2ePublish(t, p, e2eEvent("banned")) },
			[]string{"subscriber users", "user is banned"}},
		{"validation failure", "incomplete", func(t *testing.T) { e2ePublish(t, p, e2eEvent("incomplete")) },
			[]string{"subscriber users", "validation failed: object.current.email is required"}},
		{"invalid MEGA payload", invalid, func(t *testing.T) { awstest.Send(t, q, transport.Outgoing{Body: invalid}) },
			[]string{"event.timestamp: required"}},
		{"plain text", "just some text", func(t *testing.T) { awstest.Send(t, q, transport.Outgoing{Body: "just some text"}) },
			[]string{"not a MEGA message", "plain text"}},
	}
	for _, tt := range tests {
		tt.send(t)
	}

	c, stop := e2eRun(t, q, []mega.Subscriber{{
		Name:  "users",
		Event: match.Event{},
		Validate: func(_ context.Context, m *mega.Message) error {
			if m.Mega.Event.Subject == "incomplete" {
				return errors.New("object.current.email is required")
			}
			return nil
		},
		Process: func(_ context.Context, m *mega.Message) error {
			return mega.Permanent(errors.New("user is banned"))
		},
	}})
	awstest.Eventually(t, e2eWithin, "every message is dead-lettered and deleted", func() bool {
		return c.Stats().DeadLettered == int64(len(tests)) && env.Count(t, q).Total() == 0
	})
	stop()

	byKey := map[string]transport.Message{}
	for _, m := range awstest.Receive(t, dlq, len(tests), 5*time.Second, transport.ReceiveRequest{}) {
		key := m.Body
		if d, err := protocol.Decode(m.Body); err == nil && d.Kind == protocol.KindMega {
			key = d.Mega.Event.Subject
		}
		byKey[key] = m
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := byKey[tt.key]
			if !ok {
				t.Fatalf("not in the dead-letter queue, which holds %d messages", len(byKey))
			}
			reason := m.Attributes[mega.AttrDeadLetterReason].StringValue
			for _, w := range tt.want {
				if !strings.Contains(reason, w) {
					t.Errorf("reason %q does not mention %q", reason, w)
				}
			}
		})
	}
	// The copy keeps the publisher's attributes beside the reason.
	if a := byKey["banned"].Attributes[mega.AttrEncoding]; a.StringValue != "json" {
		t.Errorf("dead-lettered copy lost attribute %s: %+v", mega.AttrEncoding, byKey["banned"].Attributes)
	}
}

func TestE2EHeartbeatPastTheVisibilityTimeout(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	q := env.Queue(t, sqs.QueueConfig{VisibilityTimeout: 2 * time.Second})
	e2ePublish(t, e2ePublisher(t, q), e2eEvent("1"))

	var calls atomic.Int32
	c, stop := e2eRun(t, q, []mega.Subscriber{{Event: match.Event{}, Process: func(ctx context.Context, m *mega.Message) error {
		calls.Add(1)
		select { // three times the visibility timeout
		case <-time.After(6 * time.Second):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}})
	e2eSettled(t, env, c, q, 1)
	stop()
	if n := calls.Load(); n != 1 {
		t.Errorf("handled %d times; the heartbeat should have kept the message invisible", n)
	}
	if s := c.Stats(); s.Received != 1 {
		t.Errorf("received %d times, want once", s.Received)
	}
}

func TestE2EFIFOOrderWithinGroups(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	tests := []struct {
		name string
		dest func(t *testing.T, q *sqs.Queue) transport.Sender
	}{
		{"queue", func(t *testing.T, q *sqs.Queue) transport.Sender { return q }},
		{"topic", func(t *testing.T, q *sqs.Queue) transport.Sender {
			tp := env.Topic(t, sns.TopicConfig{FIFO: true, ContentBasedDeduplication: true})
			env.Subscribe(t, tp, q, sns.QueueSubscription{RawMessageDelivery: true})
			return tp
		}},
	}
	const perGroup = 5
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := env.Queue(t, sqs.QueueConfig{FIFO: true, ContentBasedDeduplication: true})
			var entries []mega.Entry
			for i := range perGroup {
				for _, g := range []string{"a", "b"} {
					entries = append(entries, mega.Entry{Payload: protocol.NewData(map[string]any{"group": g, "seq": i}), GroupID: g})
				}
			}
			if _, err := e2ePublisher(t, tt.dest(t, q)).PublishBatch(context.Background(), entries); err != nil {
				t.Fatal(err)
			}

			var mu sync.Mutex
			order := map[string][]string{}
			busy := map[string]bool{}
			var failed atomic.Bool
			c, stop := e2eRun(t, q, []mega.Subscriber{{Data: match.Data{}, Process: func(_ context.Context, m *mega.Message) error {
				g, seq := m.Data["group"].(string), fmt.Sprint(m.Data["seq"])
				if m.GroupID != g {
					t.Errorf("message of group %s has GroupID %q", g, m.GroupID)
				}
				mu.Lock()
				if busy[g] {
					t.Errorf("two messages of group %s handled at once", g)
				}
				busy[g] = true
				mu.Unlock()
				time.Sleep(10 * time.Millisecond) // some work, so that overlaps would show
				mu.Lock()
				defer mu.Unlock()
				busy[g] = false
				if g == "a" && seq == "2" && failed.CompareAndSwap(false, true) {
					return errors.New("not yet")
				}
				order[g] = append(order[g], seq)
				return nil
			}}})
			e2eSettled(t, env, c, q, 2*perGroup)
			stop()
			mu.Lock()
			defer mu.Unlock()
			for _, g := range []string{"a", "b"} {
				if got := strings.Join(order[g], ","); got != "0,1,2,3,4" {
					t.Errorf("group %s processed in order %s, want 0,1,2,3,4", g, got)
				}
			}
			if s := c.Stats(); s.Retried < 1 {
				t.Errorf("stats %+v: a-2 should have been retried", s)
			}
		})
	}
}

func TestE2EShutdownWithWorkInFlight(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)

	t.Run("short grace period releases at once", func(t *testing.T) {
		t.Parallel()
		// An hour's visibility: only a release makes the messages visible
		// again within the test.
		q := env.Queue(t, sqs.QueueConfig{VisibilityTimeout: time.Hour})
		e2ePublish(t, e2ePublisher(t, q), e2eEvent("1"), e2eEvent("2"))
		started := make(chan struct{}, 2)
		var cancelled atomic.Int32
		c, stop := e2eRun(t, q, []mega.Subscriber{{Event: match.Event{}, Process: func(ctx context.Context, m *mega.Message) error {
			started <- struct{}{}
			<-ctx.Done() // a handler that only stops when told to
			cancelled.Add(1)
			return ctx.Err()
		}}}, mega.WithGracePeriod(200*time.Millisecond),
			// A retry would hide them for seconds: only a release shows them at once.
			mega.WithBackoff(10*time.Second, 20*time.Second))
		for range 2 {
			select {
			case <-started:
			case <-time.After(e2eWithin):
				t.Fatal("the handlers did not start")
			}
		}
		t0 := time.Now()
		stop()
		if d := time.Since(t0); d > 5*time.Second {
			t.Errorf("shutdown took %v", d)
		}
		if n := cancelled.Load(); n != 2 {
			t.Errorf("%d handlers saw their context cancelled, want 2", n)
		}
		msgs := awstest.Receive(t, q, 2, 2*time.Second, transport.ReceiveRequest{})
		for _, m := range msgs {
			if m.ReceiveCount != 2 {
				t.Errorf("released message has ReceiveCount %d, want 2", m.ReceiveCount)
			}
		}
		if s := c.Stats(); s.Released != 2 || s.Deleted != 0 {
			t.Errorf("stats %+v; want 2 released, none deleted", s)
		}
	})

	t.Run("long grace period lets handlers finish", func(t *testing.T) {
		t.Parallel()
		q := env.Queue(t, sqs.QueueConfig{VisibilityTimeout: time.Hour})
		e2ePublish(t, e2ePublisher(t, q), e2eEvent("1"), e2eEvent("2"))
		started := make(chan struct{}, 2)
		var interrupted atomic.Int32
		c, stop := e2eRun(t, q, []mega.Subscriber{{Event: match.Event{}, Process: func(ctx context.Context, m *mega.Message) error {
			started <- struct{}{}
			select {
			case <-time.After(time.Second):
				return nil
			case <-ctx.Done():
				interrupted.Add(1)
				return ctx.Err()
			}
		}}}, mega.WithGracePeriod(20*time.Second))
		for range 2 {
			select {
			case <-started:
			case <-time.After(e2eWithin):
				t.Fatal("the handlers did not start")
			}
		}
		stop()
		if n := interrupted.Load(); n != 0 {
			t.Errorf("%d handlers were interrupted within the grace period", n)
		}
		if s := c.Stats(); s.Processed != 2 || s.Deleted != 2 || s.Released != 0 {
			t.Errorf("stats %+v; want both processed and deleted", s)
		}
		if n := env.Count(t, q).Total(); n != 0 {
			t.Errorf("queue holds %d messages after a graceful shutdown, want none", n)
		}
	})
}

// requestCounter counts the requests a consumer and a publisher make to a
// queue. It passes Describe through, so that the consumer learns what the
// queue is.
type requestCounter struct {
	q                                    *sqs.Queue
	send, receive, delete, changeVisible atomic.Int64
}

func (r *requestCounter) Send(ctx context.Context, b []transport.Outgoing) ([]transport.SendResult, error) {
	r.send.Add(1)
	return r.q.Send(ctx, b)
}

func (r *requestCounter) Receive(ctx context.Context, req transport.ReceiveRequest) ([]transport.Message, error) {
	r.receive.Add(1)
	return r.q.Receive(ctx, req)
}

func (r *requestCounter) Delete(ctx context.Context, h []string) ([]error, error) {
	r.delete.Add(1)
	return r.q.Delete(ctx, h)
}

func (r *requestCounter) ChangeVisibility(ctx context.Context, c []transport.VisibilityChange) ([]error, error) {
	r.changeVisible.Add(1)
	return r.q.ChangeVisibility(ctx, c)
}

func (r *requestCounter) Describe(ctx context.Context) (transport.QueueInfo, error) {
	return r.q.Describe(ctx)
}

func TestE2ERequestsPerMessage(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	counter := &requestCounter{q: env.Queue(t, sqs.QueueConfig{})}
	const n = 100
	payloads := make([]protocol.Payload, n)
	for i := range payloads {
		payloads[i] = protocol.NewData(map[string]any{"n": i})
	}
	e2ePublish(t, e2ePublisher(t, counter), payloads...)
	if s := counter.send.Load(); s != n/transport.MaxBatch {
		t.Errorf("PublishBatch of %d messages made %d send requests, want %d", n, s, n/transport.MaxBatch)
	}

	// The default pollers, as in production. moto may deliver a message to
	// both at once: such duplicates are counted, not failed.
	c, stop := e2eRun(t, counter, []mega.Subscriber{{Data: match.Data{}, Process: func(context.Context, *mega.Message) error { return nil }}},
		mega.WithPollers(2))
	awstest.Eventually(t, e2eWithin, "every message is deleted", func() bool {
		return c.Stats().Deleted >= n && env.Count(t, counter.q).Total() == 0
	})
	send, receive, del, change := counter.send.Load(), counter.receive.Load(), counter.delete.Load(), counter.changeVisible.Load()
	stop()

	perMessage := float64(send+receive+del+change) / n
	s := c.Stats()
	t.Logf("%d messages (%d received): %d send, %d receive, %d delete, %d change-visibility requests: %.2f requests per message",
		n, s.Received, send, receive, del, change, perMessage)
	// 0.3 at saturation (10 per send, receive and delete); moto's latency
	// may leave the consumer receiving partial batches.
	if perMessage > 0.5 {
		t.Errorf("%.2f SQS requests per message, want at most 0.5", perMessage)
	}
	if s.Processed < n || s.Retried != 0 || s.DeadLettered != 0 {
		t.Errorf("stats %+v: every message should be processed, none retried or dead-lettered", s)
	}
}

func TestE2EQueueWithZeroVisibilityTimeout(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	// SQS allows a default visibility timeout of 0: a received message is
	// visible again at once unless the receive asks for more.
	q := env.Queue(t, sqs.QueueConfig{Attributes: map[string]string{"VisibilityTimeout": "0"}})
	e2ePublish(t, e2ePublisher(t, q), e2eEvent("1"))
	var calls atomic.Int32
	c, stop := e2eRun(t, q, []mega.Subscriber{{Event: match.Event{}, Process: func(ctx context.Context, m *mega.Message) error {
		calls.Add(1)
		select {
		case <-time.After(2 * time.Second):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}}})
	awstest.Eventually(t, e2eWithin, "the message is processed and deleted", func() bool {
		return c.Stats().Processed >= 1 && env.Count(t, q).Total() == 0
	})
	stop()
	if n, s := calls.Load(), c.Stats(); n != 1 || s.Received != 1 {
		t.Errorf("one message handled %d times (stats %+v); want once, kept invisible while it is handled", n, s)
	}
}
