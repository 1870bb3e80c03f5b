package mega_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/protocol/snsverify"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// Anybody allowed to send to a queue can write an SNS-shaped body. An
// envelope from a topic the consumer does not trust is a data document,
// never unwrapped into the event it carries (SPEC §2, trust).
func TestForgedSNSEnvelopeIsNotUnwrapped(t *testing.T) {
	for _, trust := range []string{"policy", "pinned", "any", "verified"} {
		t.Run(trust, func(t *testing.T) {
			f := newFixture(t, "sns", memory.QueueConfig{})
			events, err := f.broker.CreateTopic("events", memory.TopicConfig{})
			if err != nil {
				t.Fatal(err)
			}
			elsewhere, err := f.broker.CreateTopic("elsewhere", memory.TopicConfig{})
			if err != nil {
				t.Fatal(err)
			}
			for _, topic := range []*memory.Topic{events, elsewhere} {
				if _, err := f.broker.Subscribe(topic, f.queue, memory.SubscriptionConfig{}); err != nil {
					t.Fatal(err)
				}
				p, err := mega.NewPublisher(topic, mega.WithPublisherLogger(quiet))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := p.Publish(context.Background(), mega.Entry{Payload: seedEvent(topic.ARN())}); err != nil {
					t.Fatal(err)
				}
			}
			// A body forged by hand, naming a topic nobody subscribed.
			const evil = "arn:aws:sns:us-east-1:666666666666:evil"
			inner, err := protocol.Encode(seedEvent(evil))
			if err != nil {
				t.Fatal(err)
			}
			forged := fmt.Sprintf(`{"Type":"Notification","MessageId":"forged-1","TopicArn":%q,"Timestamp":"2024-01-02T03:04:05.000Z","Message":%q,"SignatureVersion":"1","Signature":"Zm9yZ2Vk"}`, evil, inner)
			f.sendRaw(forged)

			var rec recorder
			subs := []mega.Subscriber{
				{Name: "events", Event: match.Event{}, Process: func(_ context.Context, m *mega.Message) error {
					if m.SNS == nil {
						rec.add("event without envelope: " + m.Mega.Event.Subject)
					} else {
						rec.add("event from " + m.SNS.TopicARN)
					}
					return nil
				}},
				{Name: "data", Data: match.Data{}, Process: func(_ context.Context, m *mega.Message) error {
					if m.SNS != nil {
						rec.add("data unwrapped from " + m.SNS.TopicARN)
					} else {
						rec.add(fmt.Sprintf("data %v", m.Data["TopicArn"]))
					}
					return nil
				}},
			}
			var opts []mega.Option
			switch trust {
			case "pinned":
				opts = append(opts, mega.WithTopicARNs(events.ARN()))
			case "any":
				opts = append(opts, mega.WithTrustAnyTopic())
			case "verified":
				// No envelope of the memory broker is signed: verification
				// leaves every one of them as data.
				v, err := snsverify.New()
				if err != nil {
					t.Fatal(err)
				}
				opts = append(opts, mega.WithTrustAnyTopic(), mega.WithSNSVerification(v.Verify))
			}
			c, stop := f.run(subs, opts...)
			eventually(t, "the three messages are processed", func() bool { return c.Stats().Processed == 3 && f.empty() })
			stop()
			got := sortedCopy(rec.list())
			var want []string
			switch trust {
			case "policy":
				// The queue's policy lets both subscribed topics send.
				want = []string{"data " + evil, "event from " + elsewhere.ARN(), "event from " + events.ARN()}
			case "pinned":
				want = []string{"data " + elsewhere.ARN(), "data " + evil, "event from " + events.ARN()}
			case "any":
				// Every envelope is trusted: what pinning prevents.
				want = []string{"event from " + evil, "event from " + elsewhere.ARN(), "event from " + events.ARN()}
			case "verified":
				want = []string{"data " + elsewhere.ARN(), "data " + evil, "data " + events.ARN()}
			}
			if !slices.Equal(got, sortedCopy(want)) {
				t.Errorf("subscribers saw %q, want %q", got, want)
			}
		})
	}
}

// logCapture is a logger writing to a buffer.
type logCapture struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logCapture) logger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{&l.mu, &l.buf}, &slog.HandlerOptions{Level: level}))
}

func (l *logCapture) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Message bodies carry customers' data: above debug level they never
// appear in the logs, whether the message is processed, fails and is
// retried, or is dead-lettered (by its handler, for an invalid MEGA
// payload, or as a body that is not a document at all).
func TestBodiesAreLoggedAtDebugOnly(t *testing.T) {
	secret := func(what string) string { return "SECRET-BODY-" + what }
	event := func(subject, what string) protocol.Payload {
		p := seedEvent(subject)
		p.Mega.Event.Attributes["card"] = secret(what)
		p.Mega.Object.Current["note"] = secret(what)
		return p
	}
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		t.Run(level.String(), func(t *testing.T) {
			var logs logCapture
			f := newTimedFixture(t, "bodies", memory.QueueConfig{})
			p, err := mega.NewPublisher(f.queue, mega.WithPublisherLogger(logs.logger(level)))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range []mega.Entry{
				{Payload: event("processed", "processed")},
				{Payload: event("failing", "failed")},
				{Payload: event("permanent", "permanent")},
			} {
				if _, err := p.Publish(context.Background(), e); err != nil {
					t.Fatal(err)
				}
			}
			f.sendRaw(
				`{"protocol":"mega","version":1,"event":{"name":"x","timestamp":"2024-01-02","card":"`+secret("invalid")+`"}}`,
				secret("text"),
			)
			var failures atomic.Int32
			c, stop := f.run([]mega.Subscriber{{Name: "orders", Event: match.Event{}, Process: func(_ context.Context, m *mega.Message) error {
				switch m.Mega.Event.Subject {
				case "failing":
					if failures.Add(1) == 1 {
						return errors.New("database unavailable")
					}
				case "permanent":
					return mega.Permanent(errors.New("order refused"))
				}
				return nil
			}}}, mega.WithLogger(logs.logger(level)))
			f.advanceUntil("every message is settled", func() bool {
				s := c.Stats()
				return s.Processed == 2 && s.DeadLettered == 3 && f.empty()
			})
			stop()
			out := logs.String()
			for _, what := range []string{"processed", "failed", "permanent", "invalid", "text"} {
				logged := strings.Contains(out, secret(what))
				if level > slog.LevelDebug && logged {
					t.Errorf("the body of the %s message is in the %s log:\n%s", what, level, out)
				}
				if level == slog.LevelDebug && !logged {
					t.Errorf("the %s message's body is not in the debug log: is the log captured?", what)
				}
			}
			if level > slog.LevelDebug && (!strings.Contains(out, "database unavailable") || !strings.Contains(out, "order refused")) {
				t.Errorf("the failures are not logged at %s:\n%s", level, out)
			}
		})
	}
}

// Credentials never reach the logs, at any level, when a consumer and a
// publisher work against a real SQS server, fail, dead-letter and lose
// their queue.
func TestCredentialsAreNeverLogged(t *testing.T) {
	endpoint := testenv.Endpoint(t)
	const (
		keyID   = "AKIAFAULTSLOGCHECK01"
		secret  = "wJalrXUtnFEMI/K7MDENG/SECRETKEYNEVERLOGGED"
		session = "SESSIONTOKEN-NEVER-LOGGED"
	)
	creds := sqs.WithCredentials(credentials.NewStaticCredentialsProvider(keyID, secret, session))
	hermetic := sqs.WithConfigOptions(config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}))
	ctx := context.Background()
	admin, err := sqs.NewClient(ctx, sqs.WithEndpoint(endpoint), sqs.WithRegion(testenv.Region), creds, hermetic)
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		t.Run(level.String(), func(t *testing.T) {
			name := testenv.Name(t)
			dlqURL, err := sqs.CreateQueue(ctx, admin, name+"-dlq", sqs.QueueConfig{})
			if err != nil {
				t.Fatal(err)
			}
			defer sqs.DeleteQueue(ctx, admin, dlqURL)
			arn, err := sqs.QueueARN(ctx, admin, dlqURL)
			if err != nil {
				t.Fatal(err)
			}
			queueURL, err := sqs.CreateQueue(ctx, admin, name, sqs.QueueConfig{DeadLetter: sqs.RedrivePolicy{DeadLetterTargetARN: arn, MaxReceiveCount: 5}})
			if err != nil {
				t.Fatal(err)
			}
			var logs logCapture
			q, err := sqs.Dial(ctx, queueURL, sqs.WithEndpoint(endpoint), sqs.WithRegion(testenv.Region), creds, hermetic)
			if err != nil {
				t.Fatal(err)
			}
			p, err := mega.NewPublisher(q, mega.WithPublisherLogger(logs.logger(level)))
			if err != nil {
				t.Fatal(err)
			}
			for _, subject := range []string{"ok", "refused"} {
				if _, err := p.Publish(ctx, mega.Entry{Payload: seedEvent(subject)}); err != nil {
					t.Fatal(err)
				}
			}
			c, err := mega.NewConsumer(q, mega.WithLogger(logs.logger(level)), mega.WithWaitTime(time.Second))
			if err != nil {
				t.Fatal(err)
			}
			c.Subscribe(mega.Subscriber{Event: match.Event{}, Process: func(_ context.Context, m *mega.Message) error {
				if m.Mega.Event.Subject == "refused" {
					return mega.Permanent(errors.New("refused"))
				}
				return nil
			}})
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() { done <- c.Run(runCtx) }()
			deadline := time.Now().Add(30 * time.Second)
			for s := c.Stats(); s.Processed < 1 || s.DeadLettered < 1; s = c.Stats() {
				if time.Now().After(deadline) {
					t.Fatalf("messages not settled: %+v", s)
				}
				time.Sleep(20 * time.Millisecond)
			}
			// The queue disappears: receives fail and are logged.
			if err := sqs.DeleteQueue(ctx, admin, queueURL); err != nil {
				t.Fatal(err)
			}
			for !strings.Contains(logs.String(), "receive failed") && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if _, err := p.Publish(ctx, mega.Entry{Payload: seedEvent("late")}); err == nil {
				t.Error("publishing to a deleted queue succeeded")
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			out := logs.String()
			if !strings.Contains(out, "receive failed") {
				t.Fatalf("the failed receives were not logged:\n%s", out)
			}
			for _, s := range []string{keyID, secret, session, "SECRETKEY"} {
				if strings.Contains(out, s) {
					t.Errorf("the %s log holds %q:\n%s", level, s, out)
				}
			}
		})
	}
}

// Messages too large for the queue or topic fail before any request: no
// bandwidth spent, no partial batch, an error that says why.
func TestOversizedMessagesFailBeforeTheNetwork(t *testing.T) {
	var requests atomic.Int64
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "counted", http.StatusInternalServerError)
	}))
	defer server.Close()
	ctx := context.Background()
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	hermetic := config.WithSharedConfigFiles([]string{})
	queue, err := sqs.Dial(ctx, server.URL+"/000000000000/jobs", sqs.WithCredentials(creds), sqs.WithRegion("us-east-1"),
		sqs.WithConfigOptions(hermetic), sqs.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }))
	if err != nil {
		t.Fatal(err)
	}
	topic, err := sns.Dial(ctx, "arn:aws:sns:us-east-1:000000000000:events", sns.WithEndpoint(server.URL), sns.WithCredentials(creds),
		sns.WithConfigOptions(hermetic))
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", transport.MaxBodySize)
	attrs := map[string]transport.Attribute{"note": transport.StringAttribute(strings.Repeat("y", 100))}
	tests := []struct {
		name string
		dest transport.Sender
		opts []mega.PublisherOption
		e    mega.Entry
	}{
		{"SQSText", queue, nil, mega.Entry{Payload: protocol.NewText(big + "x")}},
		{"SQSData", queue, nil, mega.Entry{Payload: protocol.NewData(map[string]any{"blob": big})}},
		{"SQSBSON", queue, []mega.PublisherOption{mega.WithEncoding(protocol.BSON)}, mega.Entry{Payload: protocol.NewData(map[string]any{"blob": big[:800<<10]})}},
		{"SQSAttributes", queue, nil, mega.Entry{Payload: protocol.NewText(big[:transport.MaxBodySize-50]), Attributes: attrs}},
		{"SQSOwnLimit", queue, []mega.PublisherOption{mega.WithMaxMessageSize(1024)}, mega.Entry{Payload: protocol.NewText(big[:1025])}},
		{"SNSText", topic, nil, mega.Entry{Payload: protocol.NewText(big[:sns.MaxMessageSize+1])}},
		{"SNSEvent", topic, nil, mega.Entry{Payload: seedEventWith(big[:sns.MaxMessageSize])}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := mega.NewPublisher(tc.dest, append([]mega.PublisherOption{mega.WithPublisherLogger(quiet)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			before := requests.Load()
			_, err = p.Publish(ctx, tc.e)
			if !errors.Is(err, transport.ErrTooLarge) {
				t.Errorf("Publish: %v, want ErrTooLarge", err)
			}
			if n := requests.Load() - before; n != 0 {
				t.Errorf("%d requests reached the server", n)
			}
		})
	}
	// The transports refuse on their own too, and send the rest of a batch.
	for name, dest := range map[string]transport.Sender{"SQS": queue, "SNS": topic} {
		res, err := dest.Send(ctx, []transport.Outgoing{{Body: big + "x"}})
		if err != nil || !errors.Is(res[0].Err, transport.ErrTooLarge) {
			t.Errorf("%s Send: %v, %+v; want an ErrTooLarge entry", name, err, res)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("%d requests reached the server for messages too large", n)
	}
	// The server does count what is sent.
	queue.Send(ctx, []transport.Outgoing{{Body: "small"}})
	if requests.Load() == 0 {
		t.Error("a small message did not reach the server: the count proves nothing")
	}
}

// A subscriber with a pathological pattern is refused when it is added,
// with an error that names it and says where and why.
func TestSubscribeRejectsPathologicalPatterns(t *testing.T) {
	items := make([]any, match.MaxListLen+1)
	for i := range items {
		items[i] = i
	}
	deep := any(1)
	for range match.MaxDepth + 1 {
		deep = match.Not(deep)
	}
	for _, p := range []match.Event{
		{"name": match.Regex(strings.Repeat("(a|b)", match.MaxRegexLen))},
		{"subject": match.OneOf(items...)},
		{"extra": deep},
	} {
		c, err := mega.NewConsumer(newFixture(t, "patterns", memory.QueueConfig{}).queue)
		if err != nil {
			t.Fatal(err)
		}
		err = c.Subscribe(mega.Subscriber{Name: "greedy", Event: p, Process: func(context.Context, *mega.Message) error { return nil }})
		if !errors.Is(err, mega.ErrInvalidSubscriber) || !errors.Is(err, match.ErrInvalidPattern) || !strings.Contains(err.Error(), `"greedy"`) {
			t.Errorf("Subscribe: %v; want an invalid subscriber error naming it", err)
		}
	}
}

func seedEventWith(note string) protocol.Payload {
	p := seedEvent("big")
	p.Mega.Event.Attributes["note"] = note
	return p
}
