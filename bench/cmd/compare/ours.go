package main

// The adapters for SQS MEGA itself: the match package against quamina, and
// mega.Publisher and mega.Consumer on transport/sqs against the peers'
// clients.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// oursEngine compiles every pattern with match.ParseEvent and
// match.Compile into one match.Set, as a Consumer does with the event
// patterns of its subscribers. With decode, a matched event is also
// decoded, as a Consumer does before it calls the subscribers.
type oursEngine struct{ decode bool }

func (e oursEngine) name() string {
	if e.decode {
		return "ours+decode"
	}
	return "ours"
}

func (e oursEngine) build(ps []pattern) (matcher, error) {
	set := new(match.Set)
	for i, p := range ps {
		js, err := p.oursJSON()
		if err != nil {
			return nil, err
		}
		ev, err := match.ParseEvent([]byte(js))
		if err != nil {
			return nil, fmt.Errorf("pattern %d %s: %w", i, js, err)
		}
		m, err := match.Compile(ev)
		if err != nil {
			return nil, fmt.Errorf("pattern %d %s: %w", i, js, err)
		}
		set.Add(i, m)
	}
	return &oursMatcher{d: &match.Dispatcher{Events: set}, decode: e.decode}, nil
}

// oursMatcher does per event what a Consumer does with a message body
// to find its subscribers: match.Dispatcher.Dispatch, which scans the
// body, validates a MEGA event and matches the Set on the raw body; with
// decode, it then decodes the message of a matched event (Body.Message).
// The Dispatcher is shared (it is safe for concurrent use); the Body and
// dst are the goroutine's own.
type oursMatcher struct {
	d      *match.Dispatcher
	decode bool
	body   protocol.Body
	dst    []int
}

func (m *oursMatcher) matchCount(event []byte) (int, error) {
	// Dispatch takes the body as a string, as the SDK hands it over; the
	// corpus bytes are never modified, so they are viewed as one rather
	// than copied.
	var kind protocol.Kind
	kind, m.dst = m.d.Dispatch(unsafe.String(unsafe.SliceData(event), len(event)), &m.body, m.dst[:0])
	if kind != protocol.KindMega {
		_, err := m.body.Message()
		return 0, fmt.Errorf("the event decodes to %v, not a MEGA event: %v", kind, err)
	}
	if m.decode && len(m.dst) > 0 {
		if _, err := m.body.Message(); err != nil {
			return 0, err
		}
	}
	return len(m.dst), nil
}

func (m *oursMatcher) copy() matcher { return &oursMatcher{d: m.d, decode: m.decode} }

// oursJSON is the pattern in the JSON form of our DSL (SPEC §3), as an
// event pattern: event fields by name, attributes under "attributes".
// Anything-but is {"$not": {"$in": [...]}}; it agrees with quamina's
// "anything-but" because the generator uses it only on fields every event
// carries (our $not also holds on a missing field; quamina's does not).
func (p pattern) oursJSON() (string, error) {
	root := map[string]any{}
	for _, c := range p {
		var v any
		switch c.Op {
		case opExact:
			if len(c.Values) == 1 {
				v = c.Values[0]
			} else {
				v = map[string]any{"$in": c.Values}
			}
		case opPrefix:
			v = map[string]any{"$prefix": c.Values[0]}
		case opAnythingBut:
			v = map[string]any{"$not": map[string]any{"$in": c.Values}}
		case opExists:
			v = map[string]any{"$exists": true}
		}
		path := []string{c.Field}
		if !isEventField(c.Field) {
			path = []string{"attributes", c.Field}
		}
		if err := setPath(root, path, v); err != nil {
			return "", err
		}
	}
	b, err := json.Marshal(root)
	return string(b), err
}

func isEventField(f string) bool {
	for _, e := range eventFields {
		if e == f {
			return true
		}
	}
	return false
}

// oursClient publishes with mega.Publisher.PublishBatch, 10 entries a
// request as the package documentation recommends, and consumes with a
// mega.Consumer whose one subscriber has an empty event pattern (every
// MEGA event), both on transport/sqs.
//
// entries are the corpus as MEGA events, made by prepare before the
// publish phase is timed: a user of the publisher holds events, not
// bodies, so decoding the corpus is not the publisher's work, while
// validating and encoding each event is, and is timed.
type oursClient struct{ entries []mega.Entry }

func (oursClient) name() string { return "ours" }

func (oursClient) available() error { return nil }

// The consumer runs with its defaults but for the budget: WithConcurrency
// is the number of handlers running at once, as the budget is for
// gocloud; what it holds (received and not settled, waiting handlers
// included) adapts from 100 up to 1,000 messages, as gocloud holds
// messages ahead of its handlers; and up to 64 pollers, added while
// receives come back full and retired when one comes back empty.
const (
	oursMaxPollers  = 64   // the default of WithPollers
	oursMaxInFlight = 1000 // the ceiling of the adaptive window
)

// shape: as many pollers as the most messages held allow full batches
// for, at most the default 64, each asking for 10 messages.
func (oursClient) shape(concurrency int) clientShape {
	inFlight := max(oursMaxInFlight, concurrency+transport.MaxBatch)
	per := min(transport.MaxBatch, inFlight)
	return clientShape{Pollers: min(oursMaxPollers, inFlight/per), PerReceive: per}
}

func (c oursClient) prepare(bodies [][]byte) (client, error) {
	entries, err := oursEntries(bodies)
	return oursClient{entries: entries}, err
}

func oursEntries(bodies [][]byte) ([]mega.Entry, error) {
	entries := make([]mega.Entry, len(bodies))
	for i, b := range bodies {
		msg, err := protocol.Decode(string(b))
		if err != nil {
			return nil, fmt.Errorf("message %d: %w", i, err)
		}
		if msg.Kind != protocol.KindMega {
			return nil, fmt.Errorf("message %d decodes to %v, not a MEGA event", i, msg.Kind)
		}
		entries[i] = mega.Entry{Payload: msg.Payload}
	}
	return entries, nil
}

// quiet is the logger of our publisher and consumer: the peers run with
// no-op loggers too.
var quiet = slog.New(slog.DiscardHandler)

// oursQueue is the queue on an SQS client made from the configuration
// every client gets (awsConfig: static credentials, no shared files, the
// endpoint), with the HTTP client sqs.Dial builds for a consumer
// (sqs.NewHTTPClient, behind sqsfake.HTTPClient unless the run asks for
// the SDK's own): awsConfigPooled.
// The HTTP client is set on the loaded configuration, as for the peers:
// passing it to config.LoadDefaultConfig (sqs.WithConfigOptions) fails
// when AWS_CA_BUNDLE is set, since the SDK cannot add the bundle to an
// HTTP client it does not know.
func oursQueue(ctx context.Context, ep endpoint) (*sqs.Queue, error) {
	cfg, err := awsConfigPooled(ctx, ep)
	if err != nil {
		return nil, err
	}
	return sqs.New(awssqs.NewFromConfig(cfg), ep.QueueURL)
}

func (c oursClient) publish(ctx context.Context, ep endpoint, bodies [][]byte, concurrency int) error {
	entries := c.entries
	if len(entries) != len(bodies) {
		var err error
		if entries, err = oursEntries(bodies); err != nil {
			return err
		}
	}
	q, err := oursQueue(ctx, ep)
	if err != nil {
		return err
	}
	pub, err := mega.NewPublisher(q, mega.WithPublisherLogger(quiet))
	if err != nil {
		return err
	}
	// concurrency goroutines take the next batch of 10 in turn.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	batches := (len(entries) + transport.MaxBatch - 1) / transport.MaxBatch
	for range max(concurrency, 1) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= batches || ctx.Err() != nil {
					return
				}
				lo := i * transport.MaxBatch
				hi := min(lo+transport.MaxBatch, len(entries))
				if _, err := pub.PublishBatch(ctx, entries[lo:hi]); err != nil {
					once.Do(func() { firstErr = fmt.Errorf("batch of messages %d-%d: %w", lo, hi-1, err); cancel() })
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// oursWaitTime is the long-poll wait of the consumer. The default, 20 s,
// would make every consume phase last 20 s longer: the harness stops the
// consumer on an empty queue, and Run lets the poll under way finish on
// transport/sqs, where abandoning it could strand messages (see Run). The
// wait matters only when the queue is empty, which it is not while the
// phase is measured.
const oursWaitTime = time.Second

func (oursClient) consume(ctx context.Context, ep endpoint, concurrency int, handle func([]byte)) error {
	q, err := oursQueue(ctx, ep)
	if err != nil {
		return err
	}
	c, err := mega.NewConsumer(q,
		mega.WithConcurrency(concurrency),
		mega.WithWaitTime(oursWaitTime),
		mega.WithLogger(quiet),
	)
	if err != nil {
		return err
	}
	err = c.Subscribe(mega.Subscriber{
		Name:  "bench",
		Event: match.Event{},
		Process: func(_ context.Context, m *mega.Message) error {
			// The handler reads the body; viewing it as bytes spares a
			// copy the peers, which hand out []byte, do not make.
			handle(unsafe.Slice(unsafe.StringData(m.Body), len(m.Body)))
			return nil
		},
	})
	if err != nil {
		return err
	}
	if err := c.Run(ctx); err != nil {
		return err
	}
	if s := c.Stats(); s.DeadLettered+s.Unmatched+s.Retried > 0 {
		return fmt.Errorf("consumer stats %+v: every message should have been processed once", s)
	}
	return nil
}
