package mega_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// fixture is a memory broker with a queue and its dead-letter queue, on
// the system clock or on a manual one shared by the broker and the
// consumer.
type fixture struct {
	t      *testing.T
	broker *memory.Broker
	queue  *memory.Queue
	dlq    *memory.Queue
	clock  *memory.ManualClock // nil: the system clock
}

func newFixture(t *testing.T, name string, cfg memory.QueueConfig) *fixture {
	t.Helper()
	return newFixtureOn(t, name, cfg, nil)
}

// newTimedFixture is a fixture on a manual clock. Its queue's visibility
// timeout is an hour unless cfg sets one: advancing the clock over a
// backoff then never outruns a consumer slowed down by a busy machine.
func newTimedFixture(t *testing.T, name string, cfg memory.QueueConfig) *fixture {
	t.Helper()
	if cfg.VisibilityTimeout == 0 {
		cfg.VisibilityTimeout = time.Hour
	}
	return newFixtureOn(t, name, cfg, memory.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
}

func newFixtureOn(t *testing.T, name string, cfg memory.QueueConfig, clock *memory.ManualClock) *fixture {
	t.Helper()
	var b *memory.Broker
	if clock != nil {
		b = memory.New(memory.WithClock(clock))
	} else {
		b = memory.New()
	}
	t.Cleanup(func() { b.Close() })
	dlqName := name + "-dlq"
	if strings.HasSuffix(name, ".fifo") {
		dlqName = strings.TrimSuffix(name, ".fifo") + "-dlq.fifo"
	}
	dlq, err := b.CreateQueue(dlqName, memory.QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Redrive == nil {
		cfg.Redrive = &memory.Redrive{DeadLetterQueue: dlqName, MaxReceiveCount: 10}
	}
	q, err := b.CreateQueue(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, broker: b, queue: q, dlq: dlq, clock: clock}
}

// advanceUntil moves the fixture's manual clock forward in small steps
// until cond holds. Backoffs and timeouts then pass without waiting, and
// no more time passes than the consumer needs.
func (f *fixture) advanceUntil(what string, cond func() bool) {
	f.t.Helper()
	eventually(f.t, what, func() bool {
		if cond() {
			return true
		}
		f.clock.Advance(100 * time.Millisecond)
		return false
	})
}

func (f *fixture) publish(payloads ...protocol.Payload) {
	f.t.Helper()
	p, err := mega.NewPublisher(f.queue, mega.WithPublisherLogger(quiet))
	if err != nil {
		f.t.Fatal(err)
	}
	for _, pl := range payloads {
		if _, err := p.Publish(context.Background(), mega.Entry{Payload: pl}); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) sendRaw(bodies ...string) {
	f.t.Helper()
	for _, b := range bodies {
		res, err := f.queue.Send(context.Background(), []transport.Outgoing{{Body: b}})
		if err != nil || res[0].Err != nil {
			f.t.Fatal(err, res)
		}
	}
}

// run starts a consumer and returns a function that stops it and checks
// that Run returned nil.
func (f *fixture) run(subs []mega.Subscriber, opts ...mega.Option) (*mega.Consumer, func()) {
	f.t.Helper()
	return f.runOn(f.queue, subs, opts...)
}

// runOn is run on q, a wrapper of the fixture's queue.
func (f *fixture) runOn(q transport.Queue, subs []mega.Subscriber, opts ...mega.Option) (*mega.Consumer, func()) {
	f.t.Helper()
	opts = append([]mega.Option{mega.WithLogger(quiet), mega.WithWaitTime(100 * time.Millisecond), mega.WithBackoff(time.Second, 2*time.Second)}, opts...)
	if f.clock != nil {
		opts = append([]mega.Option{mega.WithClock(f.clock)}, opts...)
	}
	c, err := mega.NewConsumer(q, opts...)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := c.Subscribe(subs...); err != nil {
		f.t.Fatal(err)
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
					f.t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				f.t.Fatal("Run did not return after cancel")
			}
		})
	}
	f.t.Cleanup(stop)
	return c, stop
}

// eventually polls cond until it holds, or fails the test after a long
// time: the deadline only bounds a broken test, it decides nothing.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting until %s", what)
		case <-tick.C:
		}
	}
}

func (f *fixture) empty() bool { return f.queue.Len() == 0 }

func seedEvent(subject string) protocol.Payload {
	p := protocol.NewEvent(protocol.Event{
		Name:       "user:updated",
		Version:    2,
		Domain:     "user",
		Subject:    subject,
		Timestamp:  time.Date(2020, 5, 4, 15, 53, 27, 0, time.UTC),
		Attributes: map[string]any{"email": "john@example.com", "username": "john.doe"},
	})
	p.Mega.Object = &protocol.Object{Current: map[string]any{"id": subject}}
	return p
}

var seedPattern = match.Event{
	"name":      match.Regex(`user:(.*)`),
	"version":   match.OneOf(1, 2, 3),
	"timestamp": match.Gt(match.DateTime("2020-01-01")),
	"domain":    "user",
	"subject":   match.Regex(`\d+`),
	"email":     match.Not(match.Empty()),
	"username":  match.Not(match.OneOf("synthetic", "test")),
}

// recorder records which subscriber saw which message.
type recorder struct {
	mu   sync.Mutex
	seen []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.seen = append(r.seen, s)
	r.mu.Unlock()
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.seen...)
}

func TestEveryMatchingSubscriberGetsTheMessage(t *testing.T) {
	f := newFixture(t, "users", memory.QueueConfig{})
	var rec recorder
	sub := func(name string, p match.Event) mega.Subscriber {
		return mega.Subscriber{Name: name, Event: p, Process: func(_ context.Context, m *mega.Message) error {
			rec.add(name + ":" + m.Mega.Event.Subject)
			return nil
		}}
	}
	f.publish(seedEvent("987650"), seedEvent("abc"))
	c, stop := f.run([]mega.Subscriber{
		sub("seed", seedPattern),
		sub("all-users", match.Event{"domain": "user"}),
		sub("orders", match.Event{"domain": "order"}),
	})
	eventually(t, "both messages are settled", func() bool { s := c.Stats(); return s.Processed == 2 && f.empty() })
	stop()
	got := strings.Join(sortedCopy(rec.list()), " ")
	if want := "all-users:987650 all-users:abc seed:987650"; got != want {
		t.Errorf("deliveries %q, want %q", got, want)
	}
	if s := c.Stats(); s.Received != 2 || s.Deleted != 2 || s.Unmatched != 0 {
		t.Errorf("stats %+v", s)
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return c
}

func TestRetryRedeliversToEveryMatchingSubscriber(t *testing.T) {
	f := newTimedFixture(t, "retry", memory.QueueConfig{})
	var rec recorder
	var first atomic.Bool
	first.Store(true)
	f.publish(seedEvent("1"))
	c, stop := f.run([]mega.Subscriber{
		{Name: "flaky", Event: match.Event{}, Process: func(_ context.Context, m *mega.Message) error {
			rec.add(fmt.Sprintf("flaky#%d", m.ReceiveCount))
			if first.CompareAndSwap(true, false) {
				return mega.Retry(0)
			}
			return nil
		}},
		{Name: "steady", Event: match.Event{}, Process: func(_ context.Context, m *mega.Message) error {
			rec.add(fmt.Sprintf("steady#%d", m.ReceiveCount))
			return nil
		}},
	})
	f.advanceUntil("the retried message is processed", func() bool { return c.Stats().Processed == 1 && f.empty() })
	stop()
	got := strings.Join(sortedCopy(rec.list()), " ")
	if want := "flaky#1 flaky#2 steady#1 steady#2"; got != want {
		t.Errorf("deliveries %q, want %q", got, want)
	}
	if s := c.Stats(); s.Retried != 1 || s.HandlerErrors != 0 {
		t.Errorf("stats %+v: a retry request is not a handler error", s)
	}
}

func TestErrorsAndPanicsAreRetriedWithBackoff(t *testing.T) {
	f := newTimedFixture(t, "errors", memory.QueueConfig{})
	var calls atomic.Int32
	var times [3]time.Time
	f.publish(seedEvent("1"))
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: func(_ context.Context, m *mega.Message) error {
		n := calls.Add(1)
		times[n-1] = f.clock.Now()
		switch n {
		case 1:
			return errors.New("database unavailable")
		case 2:
			panic("boom")
		}
		return nil
	}}})
	f.advanceUntil("the message is processed on its third delivery", func() bool { return c.Stats().Processed == 1 && f.empty() })
	stop()
	s := c.Stats()
	if s.HandlerErrors != 2 || s.Retried != 2 || s.Received != 3 {
		t.Errorf("stats %+v", s)
	}
	// Backoff with base 1 s: at least 1 s between deliveries, never a sleep in
	// the handler.
	for i := 1; i < 3; i++ {
		if gap := times[i].Sub(times[i-1]); gap < time.Second {
			t.Errorf("delivery %d came %v after the previous one; want the backoff", i+1, gap)
		}
	}
}

func TestPermanentFailuresGoToTheDeadLetterQueue(t *testing.T) {
	f := newFixture(t, "dlq", memory.QueueConfig{})
	f.publish(seedEvent("1"), seedEvent("2"))
	f.sendRaw(`{"protocol":"mega","version":1,"event":{"name":"x"}}`, "just some text", `{"kind":"data"}`)
	c, stop := f.run([]mega.Subscriber{
		{Name: "users", Event: match.Event{},
			Validate: func(_ context.Context, m *mega.Message) error {
				if m.Mega.Event.Subject == "2" {
					return errors.New("object.current.id is required")
				}
				return nil
			},
			Process: func(_ context.Context, m *mega.Message) error {
				return mega.Permanent(errors.New("user is banned"))
			}},
		{Name: "data", Data: match.Data{}, Process: func(context.Context, *mega.Message) error { return nil }},
	})
	eventually(t, "four messages are dead-lettered", func() bool { return c.Stats().DeadLettered == 4 && f.empty() })
	stop()
	reasons := map[string]string{}
	for _, m := range f.dlq.Messages() {
		reasons[m.Body] = m.Attributes[mega.AttrDeadLetterReason].StringValue
	}
	if len(reasons) != 4 {
		t.Fatalf("dead-letter queue holds %d messages: %v", len(reasons), reasons)
	}
	checks := map[string]string{
		"just some text": "not a MEGA message: the body is plain text",
		`{"protocol":"mega","version":1,"event":{"name":"x"}}`: "event.timestamp: required",
	}
	for body, want := range checks {
		if !strings.Contains(reasons[body], want) {
			t.Errorf("reason for %q is %q, want it to mention %q", body, reasons[body], want)
		}
	}
	var sawBanned, sawValidation bool
	for _, r := range reasons {
		sawBanned = sawBanned || strings.Contains(r, "subscriber users: mega: permanent failure: user is banned")
		sawValidation = sawValidation || strings.Contains(r, "validation failed: object.current.id is required")
	}
	if !sawBanned || !sawValidation {
		t.Errorf("reasons %v lack the subscriber's error", reasons)
	}
	if s := c.Stats(); s.Processed != 1 || s.Deleted != 5 {
		t.Errorf("stats %+v", s)
	}
}

// Without a dead-letter queue a message that cannot be processed is not
// deleted (SPEC §4, v2): it is logged with the reason and an excerpt of
// its body, and left invisible for as long as SQS allows.
func TestWithoutDeadLetterQueuePoisonIsKept(t *testing.T) {
	for _, discard := range []bool{false, true} {
		t.Run(fmt.Sprintf("discard=%v", discard), func(t *testing.T) {
			clock := memory.NewManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			b := memory.New(memory.WithClock(clock))
			defer b.Close()
			q, err := b.CreateQueue("lonely", memory.QueueConfig{})
			if err != nil {
				t.Fatal(err)
			}
			f := &fixture{t: t, broker: b, queue: q}
			f.sendRaw("poison: not a MEGA message")
			rec := &changeRecorder{Queue: q}
			var logs strings.Builder
			var mu sync.Mutex
			logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelError}))
			opts := []mega.Option{mega.WithLogger(logger), mega.WithClock(clock)}
			if discard {
				opts = append(opts, mega.WithDiscardPoison())
			}
			c, stop := f.runOn(rec, []mega.Subscriber{{Event: match.Event{}, Process: func(context.Context, *mega.Message) error { return nil }}}, opts...)
			if discard {
				eventually(t, "the poison message is discarded", func() bool { return c.Stats().DeadLettered == 1 && f.empty() })
			} else {
				eventually(t, "the poison message is set aside for 12 hours", func() bool {
					ch := rec.last()
					return c.Stats().PoisonKept == 1 && ch.Timeout > 11*time.Hour+59*time.Minute && ch.Timeout <= 12*time.Hour
				})
				// Still invisible after 11 hours; back after 12.
				clock.Advance(11 * time.Hour)
				if st := q.Stats(); st.Visible != 0 || st.InFlight != 1 {
					t.Errorf("queue %+v after 11 h: the poison message came back early", st)
				}
			}
			stop()
			if !discard {
				clock.Advance(time.Hour)
				if st := q.Stats(); st.Visible != 1 {
					t.Errorf("queue %+v after 12 h: the poison message should be visible again, not deleted", st)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			for _, want := range []string{"level=ERROR", "message_id=", "reason=", "not a MEGA message", "body_excerpt=\"poison: not a MEGA message\""} {
				if !strings.Contains(logs.String(), want) {
					t.Errorf("the error log lacks %s:\n%s", want, logs.String())
				}
			}
		})
	}
}

// changeRecorder records the visibility changes that reached the queue.
type changeRecorder struct {
	transport.Queue
	mu      sync.Mutex
	changes []transport.VisibilityChange
}

func (r *changeRecorder) ChangeVisibility(ctx context.Context, v []transport.VisibilityChange) ([]error, error) {
	errs, err := r.Queue.ChangeVisibility(ctx, v)
	if err == nil {
		r.mu.Lock()
		r.changes = append(r.changes, v...)
		r.mu.Unlock()
	}
	return errs, err
}

func (r *changeRecorder) last() transport.VisibilityChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.changes) == 0 {
		return transport.VisibilityChange{}
	}
	return r.changes[len(r.changes)-1]
}

func (r *changeRecorder) CancelSafe() bool { return true }

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestUnmatchedMessages(t *testing.T) {
	t.Run("deleted and counted", func(t *testing.T) {
		f := newFixture(t, "unmatched", memory.QueueConfig{})
		f.publish(seedEvent("1"))
		c, stop := f.run([]mega.Subscriber{{Event: match.Event{"domain": "order"}, Process: func(context.Context, *mega.Message) error { return nil }}})
		eventually(t, "the message is deleted", func() bool { return c.Stats().Unmatched == 1 && f.empty() })
		stop()
	})
	t.Run("kept when configured", func(t *testing.T) {
		f := newFixture(t, "kept", memory.QueueConfig{})
		f.publish(seedEvent("1"))
		c, stop := f.run([]mega.Subscriber{{Event: match.Event{"domain": "order"}, Process: func(context.Context, *mega.Message) error { return nil }}}, mega.WithKeepUnmatched())
		eventually(t, "the message is seen", func() bool { return c.Stats().Unmatched == 1 })
		stop()
		if n := f.queue.Len(); n != 1 {
			t.Errorf("queue holds %d messages, want the unmatched one", n)
		}
	})
}

func TestRawSubscriberGetsText(t *testing.T) {
	f := newFixture(t, "raw", memory.QueueConfig{})
	f.sendRaw("hello world!")
	got := make(chan string, 1)
	c, stop := f.run([]mega.Subscriber{{Raw: true, Process: func(_ context.Context, m *mega.Message) error {
		got <- m.Text
		return nil
	}}})
	if s := <-got; s != "hello world!" {
		t.Errorf("got %q", s)
	}
	eventually(t, "the message is deleted", func() bool { return c.Stats().Processed == 1 && f.empty() })
	stop()
}

func TestShutdownReleasesUnfinishedMessages(t *testing.T) {
	f := newFixture(t, "shutdown", memory.QueueConfig{VisibilityTimeout: time.Hour})
	f.publish(seedEvent("1"), seedEvent("2"), seedEvent("3"))
	started := make(chan struct{}, 3)
	var cancelled atomic.Int32
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: func(ctx context.Context, m *mega.Message) error {
		if m.Mega.Event.Subject == "1" {
			return nil // quick
		}
		started <- struct{}{}
		<-ctx.Done() // a handler that only stops when told to
		cancelled.Add(1)
		return ctx.Err()
	}}}, mega.WithGracePeriod(200*time.Millisecond))
	<-started
	<-started
	eventually(t, "the quick message is deleted", func() bool { return c.Stats().Deleted == 1 })
	t0 := time.Now()
	stop()
	if d := time.Since(t0); d > 5*time.Second {
		t.Errorf("shutdown took %v", d)
	}
	if n := cancelled.Load(); n != 2 {
		t.Errorf("%d handlers saw their context cancelled, want 2", n)
	}
	// Released at once: visible now, not after the hour-long timeout.
	st := f.queue.Stats()
	if st.Visible != 2 || st.InFlight != 0 {
		t.Errorf("queue stats %+v; want the 2 unfinished messages visible again", st)
	}
	if s := c.Stats(); s.Released != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestShutdownLetsHandlersFinish(t *testing.T) {
	// On the manual clock the grace period never ends by itself: the
	// handler finishes once shutdown has begun (the consumer says so), and
	// must not have been cancelled.
	f := newTimedFixture(t, "graceful", memory.QueueConfig{})
	f.publish(seedEvent("1"))
	var logs logCapture
	g := newGate()
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: g.process}}, mega.WithLogger(logs.logger(slog.LevelInfo)))
	eventually(t, "the handler runs", func() bool { return g.running.Load() == 1 })
	stopped := make(chan struct{})
	go func() {
		stop()
		close(stopped)
	}()
	eventually(t, "shutdown begins", func() bool { return strings.Contains(logs.String(), "consumer stopping") })
	close(g.open)
	<-stopped
	if s := c.Stats(); s.Processed != 1 || s.Deleted != 1 {
		t.Errorf("stats %+v; the handler under way should have finished and its message been deleted", s)
	}
	if !f.empty() {
		t.Error("the message is still in the queue")
	}
}

func TestBackPressure(t *testing.T) {
	f := newFixture(t, "pressure", memory.QueueConfig{})
	for i := range 30 {
		f.publish(seedEvent(fmt.Sprint(i)))
	}
	var running, peak atomic.Int32
	open := make(chan struct{})
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: func(ctx context.Context, m *mega.Message) error {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-open // the first handlers wait until three run at once
		running.Add(-1)
		return nil
	}}}, mega.WithConcurrency(3), mega.WithPollers(2))
	eventually(t, "three handlers run", func() bool { return running.Load() == 3 })
	close(open)
	eventually(t, "all are processed", func() bool { return c.Stats().Processed == 30 && f.empty() })
	stop()
	if p := peak.Load(); p != 3 {
		t.Errorf("peak concurrency %d, want 3", p)
	}
}

func TestFIFOOrderWithinGroups(t *testing.T) {
	f := newTimedFixture(t, "orders.fifo", memory.QueueConfig{ContentBasedDeduplication: true})
	p, err := mega.NewPublisher(f.queue, mega.WithPublisherLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	var entries []mega.Entry
	for i := range 6 {
		for _, g := range []string{"a", "b"} {
			entries = append(entries, mega.Entry{
				Payload: protocol.NewData(map[string]any{"group": g, "seq": i}),
				GroupID: g,
			})
		}
	}
	if _, err := p.PublishBatch(context.Background(), entries); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	order := map[string][]string{}
	busy := map[string]bool{}
	var retried atomic.Bool
	c, stop := f.run([]mega.Subscriber{{Data: match.Data{}, Process: func(ctx context.Context, m *mega.Message) error {
		g, seq := m.Data["group"].(string), fmt.Sprint(m.Data["seq"])
		mu.Lock()
		if busy[g] {
			t.Errorf("two messages of group %s handled at once", g)
		}
		busy[g] = true
		mu.Unlock()
		runtime.Gosched() // room for another handler of the group to start, if the consumer were wrong
		mu.Lock()
		busy[g] = false
		if g == "a" && seq == "2" && retried.CompareAndSwap(false, true) {
			mu.Unlock()
			return errors.New("not yet")
		}
		order[g] = append(order[g], seq)
		mu.Unlock()
		return nil
	}}})
	f.advanceUntil("all are processed", func() bool { return c.Stats().Processed == 12 && f.empty() })
	stop()
	for _, g := range []string{"a", "b"} {
		if got := strings.Join(order[g], ","); got != "0,1,2,3,4,5" {
			t.Errorf("group %s handled in order %s", g, got)
		}
	}
}

func TestSNSEnvelopesAreUnwrapped(t *testing.T) {
	f := newFixture(t, "sns", memory.QueueConfig{})
	topic, err := f.broker.CreateTopic("events", memory.TopicConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.broker.Subscribe(topic, f.queue, memory.SubscriptionConfig{}); err != nil {
		t.Fatal(err)
	}
	p, err := mega.NewPublisher(topic, mega.WithEncoding(protocol.BSON), mega.WithPublisherLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Publish(context.Background(), mega.Entry{Payload: seedEvent("987650")}); err != nil {
		t.Fatal(err)
	}
	got := make(chan *mega.Message, 1)
	c, stop := f.run([]mega.Subscriber{{Event: seedPattern, Process: func(_ context.Context, m *mega.Message) error {
		got <- m
		return nil
	}}}, mega.WithTopicARNs(topic.ARN()))
	m := <-got
	eventually(t, "the message is deleted", func() bool { return c.Stats().Processed == 1 && f.empty() })
	stop()
	if m.SNS == nil || m.SNS.TopicARN != topic.ARN() || m.Mega.Event.Subject != "987650" {
		t.Fatalf("message %+v, SNS %+v", m.Payload, m.SNS)
	}
	if m.SNS.MessageAttributes[mega.AttrEncoding].Value != "bson" {
		t.Errorf("SNS attributes %+v", m.SNS.MessageAttributes)
	}
}

func TestMaxReceives(t *testing.T) {
	f := newTimedFixture(t, "max", memory.QueueConfig{})
	f.publish(seedEvent("1"))
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: func(context.Context, *mega.Message) error {
		return errors.New("always failing")
	}}}, mega.WithMaxReceives(2))
	f.advanceUntil("the message is dead-lettered", func() bool { return c.Stats().DeadLettered == 1 && f.empty() })
	stop()
	msgs := f.dlq.Messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Attributes[mega.AttrDeadLetterReason].StringValue, "retried 2 times: last error: always failing") {
		t.Errorf("dead-letter queue %+v", msgs)
	}
}

func TestSubscribeRejectsInvalidSubscribers(t *testing.T) {
	b := memory.New()
	defer b.Close()
	q, _ := b.CreateQueue("q", memory.QueueConfig{})
	c, err := mega.NewConsumer(q)
	if err != nil {
		t.Fatal(err)
	}
	noop := func(context.Context, *mega.Message) error { return nil }
	tests := []struct {
		name string
		sub  mega.Subscriber
		want string
	}{
		{"no process", mega.Subscriber{Event: match.Event{}}, "no Process"},
		{"no pattern", mega.Subscriber{Process: noop}, "no Event or Data pattern"},
		{"bad operand", mega.Subscriber{Name: "users", Event: match.Event{"timestamp": match.Gt("2020")}, Process: noop}, "timestamp"},
		{"bad regex", mega.Subscriber{Data: match.Data{"a": match.Regex("(")}, Process: noop}, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Subscribe(tt.sub)
			if !errors.Is(err, mega.ErrInvalidSubscriber) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want ErrInvalidSubscriber mentioning %q", err, tt.want)
			}
		})
	}
	if err := c.Run(context.Background()); !errors.Is(err, mega.ErrNoSubscribers) {
		t.Errorf("Run without subscribers: %v", err)
	}
	if _, err := mega.NewConsumer(q, mega.WithConcurrency(0)); !errors.Is(err, mega.ErrInvalidOption) {
		t.Errorf("concurrency 0: %v", err)
	}
}

// pollSignal is a queue that is not cancel-safe (it hides the memory
// queue's CancelSafe) and says when a receive starts.
type pollSignal struct {
	transport.Queue
	started chan struct{}
}

func (p pollSignal) Receive(ctx context.Context, req transport.ReceiveRequest) ([]transport.Message, error) {
	select {
	case p.started <- struct{}{}:
	default:
	}
	return p.Queue.Receive(ctx, req)
}

func TestShutdownFinishesALongPollAndReleasesWhatItBrought(t *testing.T) {
	f := newFixture(t, "longpoll", memory.QueueConfig{VisibilityTimeout: time.Hour})
	q := pollSignal{Queue: f.queue, started: make(chan struct{}, 1)}
	var handled atomic.Int32
	c, err := mega.NewConsumer(q, mega.WithLogger(quiet), mega.WithPollers(1), mega.WithWaitTime(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(mega.Subscriber{Event: match.Event{}, Process: func(context.Context, *mega.Message) error {
		handled.Add(1)
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	<-q.started // a long poll is under way on an empty queue
	cancel()
	f.publish(seedEvent("1")) // arrives during the poll, after shutdown began
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := handled.Load(); n != 0 {
		t.Errorf("%d messages handled after shutdown began", n)
	}
	if st := f.queue.Stats(); st.Visible != 1 {
		t.Errorf("queue %+v: the message the last poll brought should be visible again at once", st)
	}
	if s := c.Stats(); s.Received != 1 || s.Released != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestFIFOShutdownDoesNotRunReleasedMessages(t *testing.T) {
	f := newFixture(t, "grace.fifo", memory.QueueConfig{ContentBasedDeduplication: true, VisibilityTimeout: time.Hour})
	p, err := mega.NewPublisher(f.queue, mega.WithPublisherLogger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	var entries []mega.Entry
	for i := range 3 {
		entries = append(entries, mega.Entry{Payload: protocol.NewData(map[string]any{"seq": i}), GroupID: "g"})
	}
	if _, err := p.PublishBatch(context.Background(), entries); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{}, 3)
	var calls atomic.Int32
	_, stop := f.run([]mega.Subscriber{{Data: match.Data{}, Process: func(ctx context.Context, m *mega.Message) error {
		calls.Add(1)
		started <- struct{}{}
		<-ctx.Done() // the first of the group blocks until the grace period ends
		return ctx.Err()
	}}}, mega.WithGracePeriod(100*time.Millisecond))
	<-started
	stop()
	if n := calls.Load(); n != 1 {
		t.Errorf("%d handlers ran; the group's later messages were released and must not run", n)
	}
	if st := f.queue.Stats(); st.Visible != 3 || st.InFlight != 0 {
		t.Errorf("queue %+v; want the whole group visible again", st)
	}
}

func TestMaxInFlightBoundsWhatIsHeld(t *testing.T) {
	f := newFixture(t, "held", memory.QueueConfig{VisibilityTimeout: time.Hour})
	for i := range 20 {
		f.publish(seedEvent(fmt.Sprint(i)))
	}
	release := make(chan struct{})
	var running, peak atomic.Int32
	c, stop := f.run([]mega.Subscriber{{Event: match.Event{}, Process: func(ctx context.Context, m *mega.Message) error {
		n := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}}}, mega.WithConcurrency(2), mega.WithMaxInFlight(5))
	eventually(t, "two handlers run", func() bool { return running.Load() == 2 })
	time.Sleep(50 * time.Millisecond) // room for a wrong extra receive to happen
	if s := c.Stats(); s.Received != 5 {
		t.Errorf("received %d messages while 2 are handled and at most 5 may be held", s.Received)
	}
	close(release)
	eventually(t, "all are processed", func() bool { return c.Stats().Processed == 20 && f.empty() })
	stop()
	if p := peak.Load(); p != 2 {
		t.Errorf("peak concurrency %d, want 2", p)
	}
}

// receiveGauge measures how many receives run at once.
type receiveGauge struct {
	transport.Queue
	now, peak atomic.Int32
}

func (g *receiveGauge) Receive(ctx context.Context, r transport.ReceiveRequest) ([]transport.Message, error) {
	n := g.now.Add(1)
	defer g.now.Add(-1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	return g.Queue.Receive(ctx, r)
}

func (g *receiveGauge) CancelSafe() bool { return true }

func TestPollersGrowWithTheBacklogAndShrinkWhenIdle(t *testing.T) {
	f := newFixture(t, "backlog", memory.QueueConfig{})
	entries := make([]mega.Entry, 500)
	for i := range entries {
		entries[i] = mega.Entry{Payload: seedEvent(fmt.Sprint(i))}
	}
	p, _ := mega.NewPublisher(f.queue, mega.WithPublisherLogger(quiet))
	if _, err := p.PublishBatch(context.Background(), entries); err != nil {
		t.Fatal(err)
	}
	g := &receiveGauge{Queue: f.queue}
	c, err := mega.NewConsumer(g, mega.WithLogger(quiet), mega.WithPollers(4), mega.WithWaitTime(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Subscribe(mega.Subscriber{Event: match.Event{}, Process: func(context.Context, *mega.Message) error {
		return nil
	}}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	eventually(t, "the backlog is processed", func() bool { return c.Stats().Processed == 500 && f.empty() })
	if p := g.peak.Load(); p < 2 || p > 4 {
		t.Errorf("at most %d receives ran at once on a backlog; want more than 1 and at most the 4 allowed", p)
	}
	// Idle: empty receives retire pollers down to one.
	eventually(t, "one poller is left", func() bool { return g.now.Load() <= 1 })
	time.Sleep(500 * time.Millisecond)
	if n := g.now.Load(); n > 1 {
		t.Errorf("%d receives at once on an idle queue", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
