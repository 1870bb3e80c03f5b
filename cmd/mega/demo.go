package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

func init() {
	register("demo", "publish and consume real events on an embedded queue (or any SQS server)", cmdDemo)
}

const demoHelp = `
Runs a short story end to end: it creates a queue with a dead-letter queue
and an SNS topic delivering to the queue, publishes a handful of messages
(MEGA events in JSON and BSON, one through the topic, a data payload, one
that fails validation, one that needs a retry, an invalid one, one nobody
wants), runs subscribers on them, and tells what happened.

By default everything runs in this process, on the embedded memory
transport: no AWS account needed. With --endpoint the same story runs
against an SQS/SNS-compatible server (moto, LocalStack, ElasticMQ with an
SNS), creating its own queues and topic and removing them at the end. In
both, the queue's access policy lets the topic send, as AWS requires; the
consumer trusts the SNS envelopes of the topics that policy names.

Example:
  mega demo
  moto_server -H 127.0.0.1 -p 5000 & mega demo --endpoint http://127.0.0.1:5000
`

func cmdDemo(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "demo", "[--endpoint URL] [--region REGION] [-v]", demoHelp)
	endpoint := fs.String("endpoint", "", "run against this SQS/SNS-compatible server instead of in memory")
	region := fs.String("region", "us-east-1", "region, with --endpoint")
	verbose := fs.Bool("v", false, "also print the library's logs (to stderr)")
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(e.stderr, "mega demo: unexpected argument %q\n", pos[0])
		return exitUsage
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if *verbose {
		logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	var stage *demoStage
	var err error
	if *endpoint == "" {
		stage, err = memoryStage()
	} else {
		stage, err = endpointStage(ctx, *endpoint, *region)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "mega demo: setting up: %v\n", err)
		return exitFailure
	}
	defer stage.teardown(e)
	if err := runDemo(ctx, e, stage, logger); err != nil {
		fmt.Fprintf(e.stderr, "mega demo: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// demoStage is where the story plays: a queue with its dead-letter queue,
// and a topic delivering to the queue in SNS envelopes.
type demoStage struct {
	where   string
	names   [3]string // queue, dead-letter queue, topic
	queue   transport.Queue
	topic   transport.Sender
	dlq     transport.Queue
	cleanup func(ctx context.Context) error
}

func (s *demoStage) teardown(e *env) {
	if s.cleanup == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.cleanup(ctx); err != nil {
		fmt.Fprintf(e.stderr, "mega demo: cleaning up: %v\n", err)
	}
}

func memoryStage() (*demoStage, error) {
	b := memory.New()
	dlq, err := b.CreateQueue("mega-demo-dlq", memory.QueueConfig{})
	if err != nil {
		return nil, err
	}
	q, err := b.CreateQueue("mega-demo", memory.QueueConfig{
		VisibilityTimeout: 5 * time.Second,
		Redrive:           &memory.Redrive{DeadLetterQueue: dlq.ARN(), MaxReceiveCount: 5},
	})
	if err != nil {
		return nil, err
	}
	t, err := b.CreateTopic("mega-demo-events", memory.TopicConfig{})
	if err != nil {
		return nil, err
	}
	// Subscribe also lets the topic send to the queue in its policy, as
	// a real setup does.
	if _, err := b.Subscribe(t, q, memory.SubscriptionConfig{}); err != nil {
		return nil, err
	}
	return &demoStage{
		where:   "the embedded memory transport (in this process, no AWS account needed)",
		names:   [3]string{q.Name(), dlq.Name(), t.Name()},
		queue:   q,
		topic:   t,
		dlq:     dlq,
		cleanup: func(context.Context) error { return b.Close() },
	}, nil
}

func endpointStage(ctx context.Context, endpoint, region string) (*demoStage, error) {
	var opts []sqs.Option
	snsOpts := []sns.Option{sns.WithEndpoint(endpoint), sns.WithRegion(region)}
	opts = append(opts, sqs.WithEndpoint(endpoint), sqs.WithRegion(region))
	if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
		// Local servers take any credentials.
		creds := credentials.NewStaticCredentialsProvider("test", "test", "")
		opts = append(opts, sqs.WithCredentials(creds))
		snsOpts = append(snsOpts, sns.WithCredentials(creds))
	}
	sqsClient, err := sqs.NewClient(ctx, opts...)
	if err != nil {
		return nil, err
	}
	snsClient, err := sns.NewClient(ctx, snsOpts...)
	if err != nil {
		return nil, err
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	base := "mega-demo-" + hex.EncodeToString(suffix)
	s := &demoStage{where: endpoint, names: [3]string{base, base + "-dlq", base + "-events"}}
	var cleanups []func(context.Context) error
	s.cleanup = func(ctx context.Context) error {
		var errs []error
		for i := len(cleanups) - 1; i >= 0; i-- {
			errs = append(errs, cleanups[i](ctx))
		}
		return errors.Join(errs...)
	}
	fail := func(err error) (*demoStage, error) {
		s.teardown(&env{stderr: os.Stderr})
		return nil, err
	}
	dlqURL, err := sqs.CreateQueue(ctx, sqsClient, s.names[1], sqs.QueueConfig{})
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, func(ctx context.Context) error { return sqs.DeleteQueue(ctx, sqsClient, dlqURL) })
	dlqARN, err := sqs.QueueARN(ctx, sqsClient, dlqURL)
	if err != nil {
		return fail(err)
	}
	queueURL, err := sqs.CreateQueue(ctx, sqsClient, s.names[0], sqs.QueueConfig{
		VisibilityTimeout: 5 * time.Second,
		DeadLetter:        sqs.RedrivePolicy{DeadLetterTargetARN: dlqARN, MaxReceiveCount: 5},
	})
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, func(ctx context.Context) error { return sqs.DeleteQueue(ctx, sqsClient, queueURL) })
	topicARN, err := sns.CreateTopic(ctx, snsClient, s.names[2], sns.TopicConfig{})
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, func(ctx context.Context) error { return sns.DeleteTopic(ctx, snsClient, topicARN) })
	// As on AWS, where SNS delivers only to a queue whose policy lets the
	// topic send, and as the consumer expects: it trusts the envelopes of
	// the topics the policy names, and no others.
	if _, err := sqs.AllowTopic(ctx, sqsClient, queueURL, topicARN); err != nil {
		return fail(err)
	}
	if _, err := sns.SubscribeQueue(ctx, snsClient, sqsClient, topicARN, queueURL, sns.QueueSubscription{}); err != nil {
		return fail(err)
	}
	if s.queue, err = sqs.New(sqsClient, queueURL); err != nil {
		return fail(err)
	}
	if s.topic, err = sns.New(snsClient, topicARN); err != nil {
		return fail(err)
	}
	dlq, err := sqs.New(sqsClient, dlqURL)
	if err != nil {
		return fail(err)
	}
	s.dlq = dlq
	return s, nil
}

// runDemo plays the story on a stage.
func runDemo(ctx context.Context, e *env, stage *demoStage, logger *slog.Logger) error {
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(e.stdout, format+"\n", args...)
	}
	say("SQS MEGA demo, on %s", stage.where)
	say("")
	say("Setting up")
	say("  queue %-22s visibility timeout 5s; after 5 receives a message moves to the dead-letter queue", stage.names[0])
	say("  queue %-22s the dead-letter queue", stage.names[1])
	say("  topic %-22s delivers to %s in SNS envelopes, which the consumer unwraps", stage.names[2], stage.names[0])
	say("  %-28s lets %s send, as SNS requires; the consumer trusts that topic's envelopes only", "policy of "+stage.names[0], stage.names[2])

	// The user service's database: user 123456 is committed just after
	// its user:created event is first handled, before the retry comes.
	var dbMu sync.Mutex
	users := map[int]string{987650: "john.doe"}
	lookup := func(id int) (string, bool) {
		dbMu.Lock()
		defer dbMu.Unlock()
		name, ok := users[id]
		return name, ok
	}
	commitLater := func(id int, name string) {
		dbMu.Lock()
		users[id] = name
		dbMu.Unlock()
	}

	// fixed is set once the fix for events without object.current.id is
	// deployed, before the dead-letter queue is redriven.
	var fixed atomic.Bool

	// The seed's UserSubscriber, in Go.
	userSubscriber := mega.Subscriber{
		Name: "users",
		Event: match.Event{
			"name":      match.Regex(`user:(.*)`),
			"version":   match.OneOf(1, 2, 3),
			"timestamp": match.Gt(match.DateTime("2020-01-01")),
			"domain":    "user",
			"subject":   match.Regex(`\d+`),
			"email":     match.Not(match.Empty()),
			"username":  match.Not(match.OneOf("synthetic", "test")),
		},
		Validate: func(_ context.Context, m *mega.Message) error {
			if o := m.Mega.Object; (o == nil || o.Current["id"] == nil) && !fixed.Load() {
				return errors.New("object.current.id is required")
			}
			return nil
		},
		Process: func(_ context.Context, m *mega.Message) error {
			id, _ := strconv.Atoi(m.Mega.Event.Subject)
			name, ok := lookup(id)
			if !ok {
				say("  %-13s ↻ %s: user %d is not in the database yet: retry later (delivery %d)", "users", m.Mega.Event.Name, id, m.ReceiveCount)
				commitLater(id, fmt.Sprint(m.Mega.Event.Attributes["username"]))
				return mega.Retry(0)
			}
			redriven := ""
			if _, ok := m.Attributes[mega.AttrPreviousDeadLetterReason]; ok {
				redriven = ", redriven from the dead-letter queue"
			}
			say("  %-13s ✓ %s: user %d (%s) processed on delivery %d%s", "users", m.Mega.Event.Name, id, name, m.ReceiveCount, redriven)
			return nil
		},
	}
	subscribers := []mega.Subscriber{
		userSubscriber,
		{
			Name:  "carts",
			Event: match.Event{"domain": "shopping_cart", "quantity": match.Gte(1)},
			Process: func(_ context.Context, m *mega.Message) error {
				say("  %-13s ✓ %s: cart of user %s, %v × item %v (the body was BSON)", "carts",
					m.Mega.Event.Name, m.Mega.Event.Subject, m.Mega.Event.Attributes["quantity"], m.Mega.Event.Attributes["item_id"])
				return nil
			},
		},
		{
			Name:  "orders",
			Event: match.Event{"name": match.Prefix("order.")},
			Process: func(_ context.Context, m *mega.Message) error {
				via := "directly"
				if m.SNS != nil {
					via = "through SNS topic " + m.SNS.TopicARN
				}
				say("  %-13s ✓ %s: order %s, arrived %s", "orders", m.Mega.Event.Name, m.Mega.Event.Subject, via)
				return nil
			},
		},
		{
			Name: "notifications",
			Data: match.Data{"type": "user_notification", "notification_type": match.OneOf("email", "sms")},
			Process: func(_ context.Context, m *mega.Message) error {
				user, _ := m.Data["user"].(map[string]any)
				say("  %-13s ✓ data payload: send an %v to %v", "notifications", m.Data["notification_type"], user["email"])
				return nil
			},
		},
	}
	say("")
	say("Subscribers")
	say("  users          user:* events of the user domain with a numeric subject and an email, not from test users (the seed's UserSubscriber); validates object.current.id")
	say("  carts          shopping_cart events with a quantity of at least 1")
	say("  orders         events named order.*")
	say("  notifications  data payloads of type user_notification")

	newConsumer := func() (*mega.Consumer, error) {
		consumer, err := mega.NewConsumer(stage.queue,
			mega.WithLogger(logger),
			mega.WithPollers(1), mega.WithConcurrency(1), // one at a time, so that the story reads in order
			mega.WithWaitTime(time.Second),
			mega.WithBackoff(time.Second, 2*time.Second),
			mega.WithGracePeriod(5*time.Second),
		)
		if err != nil {
			return nil, err
		}
		return consumer, consumer.Subscribe(subscribers...)
	}
	consumer, err := newConsumer()
	if err != nil {
		return err
	}

	now := time.Now().UTC()
	event := func(name, subject string, attrs map[string]any, current map[string]any) protocol.Payload {
		domain, _, _ := strings.Cut(name, ":")
		domain, _, _ = strings.Cut(domain, ".")
		p := protocol.NewEvent(protocol.Event{
			Name: name, Timestamp: now, Version: 1, Domain: domain, Subject: subject,
			Publisher: "mega-demo", Attributes: attrs,
		})
		if current != nil {
			p.Mega.Object = &protocol.Object{Type: domain, ID: subject, Current: current}
		}
		return p
	}
	jsonPub, err := mega.NewPublisher(stage.queue, mega.WithPublisherLogger(logger))
	if err != nil {
		return err
	}
	bsonPub, err := mega.NewPublisher(stage.queue, mega.WithEncoding(protocol.BSON), mega.WithPublisherLogger(logger))
	if err != nil {
		return err
	}
	topicPub, err := mega.NewPublisher(stage.topic, mega.WithPublisherLogger(logger))
	if err != nil {
		return err
	}
	type item struct {
		what string
		pub  *mega.Publisher
		p    protocol.Payload
		raw  string // sent as is, bypassing the publisher's checks
	}
	items := []item{
		{"user:updated for user 987650, JSON", jsonPub, event("user:updated", "987650",
			map[string]any{"email": "johndoe_86@example.com", "username": "john.doe"},
			map[string]any{"id": 987650, "username": "john.doe", "full_name": "John Doe"}), ""},
		{"user:created for user 123456, JSON (the user is not committed yet)", jsonPub, event("user:created", "123456",
			map[string]any{"email": "jane@example.com", "username": "jane"},
			map[string]any{"id": 123456, "username": "jane"}), ""},
		{"shopping_cart.item.added, BSON", bsonPub, event("shopping_cart.item.added", "987650",
			map[string]any{"item_id": "61fcc874-624e-40f8-8fd7-0e663c7837e8", "quantity": 2},
			map[string]any{"id": "18a3f92e-1fbf-45eb-8769-d836d0a1be55", "items": 2}), ""},
		{"order.placed, through the SNS topic", topicPub, event("order.placed", "A-1042", map[string]any{"total": "59.96"}, nil), ""},
		{"a data payload: a user_notification", jsonPub, protocol.NewData(map[string]any{
			"type": "user_notification", "notification_type": "email",
			"user": map[string]any{"id": 987650, "email": "johndoe_86@example.com"},
		}), ""},
		{"user:updated for user 555 without object.current.id (fails validation)", jsonPub, event("user:updated", "555",
			map[string]any{"email": "x@example.com", "username": "x"}, map[string]any{"username": "x"}), ""},
		{"user:deleted without a timestamp (an invalid MEGA payload)", nil, protocol.Payload{},
			`{"protocol": "mega", "version": 1, "event": {"name": "user:deleted", "subject": "42"}}`},
		{"user:updated from the synthetic test user (nobody wants it)", jsonPub, event("user:updated", "1",
			map[string]any{"email": "t@example.com", "username": "test"}, map[string]any{"id": 1}), ""},
	}
	say("")
	say("Publishing %d messages", len(items))
	for i, it := range items {
		var id string
		if it.raw != "" {
			res, err := stage.queue.Send(ctx, []transport.Outgoing{{Body: it.raw}})
			if err == nil {
				err = res[0].Err
			}
			if err != nil {
				return fmt.Errorf("publishing %s: %w", it.what, err)
			}
			id = res[0].MessageID
		} else {
			id, err = it.pub.Publish(ctx, mega.Entry{Payload: it.p})
			if err != nil {
				return fmt.Errorf("publishing %s: %w", it.what, err)
			}
		}
		say("  %d. %-70s id %s", i+1, it.what, shortID(id))
	}

	say("")
	say("Consuming (Ctrl-C stops gracefully)")
	if err := consumeUntil(ctx, consumer, len(items)); err != nil {
		return err
	}
	s := consumer.Stats()
	say("  (%d message nobody subscribed to was deleted: a test user's event)", s.Unmatched)

	say("")
	if err := showDeadLetters(ctx, stage, say, int(s.DeadLettered)); err != nil {
		return err
	}
	say("")
	say("Counters: received %d, processed %d, retried %d, dead-lettered %d, unmatched %d, deleted %d",
		s.Received, s.Processed, s.Retried, s.DeadLettered, s.Unmatched, s.Deleted)

	// The fix is deployed: the user:updated event can be handled now, and
	// goes back to the queue. The invalid user:deleted stays.
	fixed.Store(true)
	say("")
	say("A fix is deployed (users accepts events without object.current.id); redriving the user:updated messages:")
	say("  mega redrive --from %s -p '{\"name\": \"user:updated\"}'", queueURLOf(stage.dlq, stage.names[1]))
	onlyUpdates, err := compileFilter(`{"name": "user:updated"}`)
	if err != nil {
		return err
	}
	view := newDLQView(e, onlyUpdates)
	rs, err := mega.Redrive(ctx, stage.dlq, stage.queue, mega.RedriveOptions{
		Filter:   view.filter,
		WaitTime: time.Second,
		OnMove: func(m transport.Message) {
			say("  → %s back to %s; its reason moves to %s", deadLetterWhat(m), stage.names[0], mega.AttrPreviousDeadLetterReason)
		},
	})
	if err != nil {
		return fmt.Errorf("redriving: %w", err)
	}
	say("  %d moved, %d left in the dead-letter queue (no fix makes an invalid payload valid)", rs.Moved, rs.Skipped)

	say("")
	say("Consuming again")
	again, err := newConsumer()
	if err != nil {
		return err
	}
	if err := consumeUntil(ctx, again, rs.Moved); err != nil {
		return err
	}
	s = again.Stats()
	say("  counters: received %d, processed %d, retried %d, dead-lettered %d", s.Received, s.Processed, s.Retried, s.DeadLettered)
	return nil
}

// consumeUntil runs the consumer until n messages were processed,
// dead-lettered or found unmatched, then stops it.
func consumeUntil(ctx context.Context, consumer *mega.Consumer, n int) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- consumer.Run(runCtx) }()
	deadline := time.After(90 * time.Second)
	for {
		s := consumer.Stats()
		if int(s.Processed+s.DeadLettered+s.Unmatched) >= n {
			break
		}
		select {
		case err := <-done:
			return fmt.Errorf("consumer stopped: %v", err)
		case <-ctx.Done():
			stop()
			<-done
			return ctx.Err()
		case <-deadline:
			stop()
			<-done
			return fmt.Errorf("the story did not end within 90 s: %+v", consumer.Stats())
		case <-time.After(20 * time.Millisecond):
		}
	}
	stop()
	return <-done
}

// showDeadLetters shows the dead-letter queue as `mega dlq` does, without
// taking anything out of it.
func showDeadLetters(ctx context.Context, stage *demoStage, say func(string, ...any), n int) error {
	var dead []transport.Message
	// The copies are sent before the messages are deleted: they are all
	// there, but a server may take a moment to show them.
	for attempt := 0; attempt < 5 && len(dead) < n; attempt++ {
		dead = dead[:0]
		_, err := mega.Redrive(ctx, stage.dlq, nil, mega.RedriveOptions{
			DryRun: true, WaitTime: time.Second,
			OnMove: func(m transport.Message) { dead = append(dead, m) },
		})
		if err != nil {
			return fmt.Errorf("reading the dead-letter queue: %w", err)
		}
	}
	say("Dead-letter queue %s: %d messages, each with its reason", stage.names[1], len(dead))
	for _, m := range dead {
		say("  ✗ %s: %s", deadLetterWhat(m), m.Attributes[mega.AttrDeadLetterReason].StringValue)
	}
	say("")
	say("  mega dlq --queue-url %s shows them as JSON lines, and counts their reasons:", queueURLOf(stage.dlq, stage.names[1]))
	reasons := map[string]int{}
	var dec protocol.Decoder
	for _, m := range dead {
		line, err := dlqLine(dec, m)
		if err != nil {
			return err
		}
		say("  %s", line)
		reasons[reasonClass(m)]++
	}
	classes := make([]string, 0, len(reasons))
	for c := range reasons {
		classes = append(classes, c)
	}
	sort.Strings(classes)
	for _, c := range classes {
		say("  %6d  %s", reasons[c], c)
	}
	return nil
}

// queueURLOf returns the queue's URL, or name when it cannot say.
func queueURLOf(q transport.Queue, name string) string {
	if u, ok := q.(interface{ URL() string }); ok {
		return u.URL()
	}
	return name
}

// deadLetterWhat names a dead-lettered message of the demo.
func deadLetterWhat(m transport.Message) string {
	if dm, _ := protocol.Decode(m.Body); dm.Mega != nil {
		return dm.Mega.Event.Name + " for user " + dm.Mega.Event.Subject
	} else if strings.Contains(m.Body, "user:deleted") {
		return "user:deleted"
	}
	return "a message"
}

func shortID(id string) string {
	if len(id) > 13 {
		return id[:13] + "…"
	}
	return id
}
