package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/bench/faults"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/harness"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/ledger"
	"github.com/sqs-mega/sqs-mega-go/bench/sqsfake"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// world is what one scenario runs in: a server (sqsfake in process, or
// moto), the fault proxy in front of it, a queue with its dead-letter
// queue, a ledger, and what the scenario expects of each message sent.
type world struct {
	r      *runner
	name   string
	dir    string
	fake   *sqsfake.Server // nil on moto
	server string          // the server's endpoint
	proxy  *faults.Proxy
	admin  *awssqs.Client // straight to the server, no faults

	queueURL, dlqURL string

	ledgerPath string
	ledger     *ledger.Writer
	rec        *harness.Recorder
	logPath    string
	logFile    *os.File
	log        *slog.Logger

	mu       sync.Mutex
	expected map[string]ledger.Fate
	stops    []func()
}

func newWorld(ctx context.Context, r *runner, name, backend, dir string) (_ *world, err error) {
	w := &world{r: r, name: name, dir: dir, expected: map[string]ledger.Fate{}}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	switch backend {
	case "sqsfake":
		if w.fake, err = sqsfake.New(sqsfake.Options{}); err != nil {
			return nil, err
		}
		w.server = w.fake.URL()
	case "moto":
		w.server = r.moto
	default:
		return nil, fmt.Errorf("unknown backend %q", backend)
	}
	if w.proxy, err = faults.New(w.server, faults.Options{}); err != nil {
		return nil, err
	}
	w.admin = awssqs.NewFromConfig(harness.Config(w.server))
	w.ledgerPath = filepath.Join(dir, "ledger")
	if w.ledger, err = ledger.Open(w.ledgerPath); err != nil {
		return nil, err
	}
	w.rec = harness.NewRecorder(w.ledger)
	w.logPath = filepath.Join(dir, "consumer.log")
	if w.logFile, err = os.Create(w.logPath); err != nil {
		return nil, err
	}
	w.log = slog.New(slog.NewTextHandler(w.logFile, nil))
	return w, nil
}

func (w *world) close() {
	for i := len(w.stops) - 1; i >= 0; i-- {
		w.stops[i]()
	}
	if w.proxy != nil {
		w.proxy.Close()
	}
	if w.fake != nil {
		w.fake.Close()
	}
	if w.ledger != nil {
		w.ledger.Close()
	}
	if w.logFile != nil {
		w.logFile.Close()
	}
}

// onMoto reports whether the scenario runs on moto.
func (w *world) onMoto() bool { return w.fake == nil }

// onClose runs fn when the world closes, before the proxy and the server.
func (w *world) onClose(fn func()) { w.stops = append(w.stops, fn) }

// createQueues creates the scenario's queue, with the given visibility
// timeout, and its dead-letter queue, to which the queue's redrive policy
// sends a message received more than maxReceives times.
func (w *world) createQueues(ctx context.Context, visibility time.Duration, maxReceives int) error {
	var b [4]byte
	rand.Read(b[:])
	name := "faults-" + w.name + "-" + hex.EncodeToString(b[:])
	var err error
	if w.dlqURL, err = sqs.CreateQueue(ctx, w.admin, name+"-dlq", sqs.QueueConfig{}); err != nil {
		return err
	}
	arn, err := sqs.QueueARN(ctx, w.admin, w.dlqURL)
	if err != nil {
		return err
	}
	w.queueURL, err = sqs.CreateQueue(ctx, w.admin, name, sqs.QueueConfig{
		VisibilityTimeout: visibility,
		DeadLetter:        sqs.RedrivePolicy{DeadLetterTargetARN: arn, MaxReceiveCount: maxReceives},
	})
	return err
}

// setup creates the scenario's queues (see createQueues), starts
// collecting what reaches the dead-letter queue and returns a publisher
// to the queue through the proxy.
func (w *world) setup(ctx context.Context, visibility time.Duration, maxReceives int) (*mega.Publisher, error) {
	if err := w.createQueues(ctx, visibility, maxReceives); err != nil {
		return nil, err
	}
	if err := w.collectDeadLetters(ctx); err != nil {
		return nil, err
	}
	return w.publisher(ctx)
}

// dial returns the scenario's queue through the proxy.
func (w *world) dial(ctx context.Context) (*sqs.Queue, error) {
	return harness.Dial(ctx, w.proxy.URL(), w.queueURL)
}

// direct returns the scenario's queue without the proxy.
func (w *world) direct(ctx context.Context) (*sqs.Queue, error) {
	return harness.Dial(ctx, w.server, w.queueURL)
}

// expect notes that a message was sent and what should become of it.
func (w *world) expect(key string, fate ledger.Fate) {
	w.mu.Lock()
	w.expected[key] = fate
	w.mu.Unlock()
}

func (w *world) sent() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.expected)
}

// publisher returns a publisher to the scenario's queue through the proxy.
func (w *world) publisher(ctx context.Context) (*mega.Publisher, error) {
	q, err := w.dial(ctx)
	if err != nil {
		return nil, err
	}
	return mega.NewPublisher(q, mega.WithPublisherLogger(w.log))
}

// publish sends test events with the given keys as an application would:
// in batches of 10, each call bounded by a timeout, and the entries that
// were not confirmed sent again until they are. A send whose answer was
// lost may have gone through: the message is then there twice.
func (w *world) publish(ctx context.Context, pub *mega.Publisher, keys []string, work func(key string) time.Duration) error {
	for len(keys) > 0 {
		n := min(len(keys), 10)
		chunk := keys[:n]
		entries := make([]mega.Entry, n)
		for i, k := range chunk {
			var d time.Duration
			if work != nil {
				d = work(k)
			}
			entries[i] = harness.Event(k, d)
		}
		for attempt := 0; len(chunk) > 0; attempt++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			if attempt > 0 {
				sleep(ctx, 200*time.Millisecond)
			}
			cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			ids, _ := pub.PublishBatch(cctx, entries)
			cancel()
			var again []string
			var againEntries []mega.Entry
			for i, id := range ids {
				if id == "" {
					again = append(again, chunk[i])
					againEntries = append(againEntries, entries[i])
					continue
				}
				w.expect(chunk[i], ledger.Process)
				if err := w.ledger.Record(ledger.Entry{Kind: ledger.Sent, Key: chunk[i], MessageID: id}); err != nil {
					return err
				}
			}
			chunk, entries = again, againEntries
		}
		keys = keys[n:]
	}
	return nil
}

// sendRaw sends a body as it is, through the proxy, with the key in its
// message attributes.
func (w *world) sendRaw(ctx context.Context, q transport.Queue, key, body string, fate ledger.Fate) error {
	out := transport.Outgoing{Body: body, Attributes: map[string]transport.Attribute{harness.KeyAttribute: transport.StringAttribute(key)}}
	for {
		cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		res, err := q.Send(cctx, []transport.Outgoing{out})
		cancel()
		if err == nil && res[0].Err == nil {
			w.expect(key, fate)
			return w.ledger.Record(ledger.Entry{Kind: ledger.Sent, Key: key, MessageID: res[0].MessageID})
		}
		if err == nil {
			err = res[0].Err
		}
		if ctx.Err() != nil || errors.Is(err, transport.ErrTooLarge) || errors.Is(err, transport.ErrInvalidRequest) {
			return fmt.Errorf("sending %s: %w", key, err)
		}
		sleep(ctx, 200*time.Millisecond)
	}
}

// collectDeadLetters receives the dead-letter queue straight from the
// server until the world closes, recording each message with its key and
// the reason the consumer attached, and deleting it.
func (w *world) collectDeadLetters(ctx context.Context) error {
	dlq, err := harness.Dial(ctx, w.server, w.dlqURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	w.onClose(func() { cancel(); <-done })
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			msgs, err := dlq.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10, WaitTime: time.Second})
			if err != nil {
				sleep(ctx, 100*time.Millisecond)
				continue
			}
			var handles []string
			for _, m := range msgs {
				key := m.Attributes[harness.KeyAttribute].StringValue
				if key == "" {
					key = "unknown:" + m.ID
				}
				reason := m.Attributes[mega.AttrDeadLetterReason].StringValue
				if err := w.ledger.Record(ledger.Entry{Kind: ledger.DeadLettered, Key: key, MessageID: m.ID, ReceiveCount: m.ReceiveCount, Note: reason}); err != nil {
					w.log.Error("faults: recording a dead letter", "error", err)
					continue
				}
				handles = append(handles, m.ReceiptHandle)
			}
			if len(handles) > 0 {
				dlq.Delete(context.WithoutCancel(ctx), handles)
			}
		}
	}()
	return nil
}

// depth is the number of messages in a queue: visible, in flight and
// delayed.
func (w *world) depth(ctx context.Context, queueURL string) (int, error) {
	visible, invisible, delayed, err := w.queueCounts(ctx, queueURL)
	return visible + invisible + delayed, err
}

// queueCounts returns the numbers of messages visible, in flight and
// delayed in a queue, as the server counts them.
func (w *world) queueCounts(ctx context.Context, queueURL string) (visible, invisible, delayed int, err error) {
	out, err := w.admin.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible, types.QueueAttributeNameApproximateNumberOfMessagesDelayed},
	})
	if err != nil {
		return 0, 0, 0, err
	}
	get := func(n types.QueueAttributeName) int {
		i, _ := strconv.Atoi(out.Attributes[string(n)])
		return i
	}
	return get(types.QueueAttributeNameApproximateNumberOfMessages), get(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible),
		get(types.QueueAttributeNameApproximateNumberOfMessagesDelayed), nil
}

// entries reads the ledger.
func (w *world) entries() ([]ledger.Entry, error) { return ledger.Read(w.ledgerPath) }

// tally counts the ledger against what was expected.
func (w *world) tally() (ledger.Tally, []ledger.Entry, error) {
	es, err := w.entries()
	if err != nil {
		return ledger.Tally{}, nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return ledger.Count(w.expected, es), es, nil
}

// waitSettled waits until every message sent is accounted for (processed
// or dead-lettered), and both queues are empty, so that no message can
// come back; or until timeout. It reports whether that happened.
func (w *world) waitSettled(ctx context.Context, timeout time.Duration) (bool, error) {
	deadline := time.Now().Add(timeout)
	for {
		t, _, err := w.tally()
		if err != nil {
			return false, err
		}
		if t.Lost == 0 {
			n, err := w.depth(ctx, w.queueURL)
			if err == nil && n == 0 {
				if d, err := w.depth(ctx, w.dlqURL); err == nil && d == 0 {
					// The collector may hold the last dead letters between
					// receiving and recording them: look again.
					if t2, _, err := w.tally(); err == nil && t2.Lost == 0 && t2.DeadLettered == t.DeadLettered {
						return true, nil
					}
				}
			}
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		if !sleep(ctx, 250*time.Millisecond) {
			return false, ctx.Err()
		}
	}
}

// consume runs an in-process consumer of q with the recorder's subscriber
// (or those given) until the returned stop function is called.
func (w *world) consume(q transport.Queue, subs []mega.Subscriber, opts ...mega.Option) (*mega.Consumer, func() error, error) {
	opts = append([]mega.Option{mega.WithLogger(w.log)}, opts...)
	c, err := mega.NewConsumer(q, opts...)
	if err != nil {
		return nil, nil, err
	}
	if subs == nil {
		subs = []mega.Subscriber{w.rec.Subscriber(time.Hour)}
	}
	if err := c.Subscribe(subs...); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	w.onClose(func() { stop() })
	return c, stop, nil
}

// keys returns n keys "prefix-000001"...
func keys(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%06d", prefix, i+1)
	}
	return out
}

// sleep waits d or until ctx is done; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// faultSummary describes what the proxy injected.
func faultSummary(c faults.Counts) string {
	t := c.Total()
	s := fmt.Sprintf("proxy: %d requests, %d throttled, %d 5xx, %d reset, %d delayed, %d held by a blackhole",
		t.Requests, t.Throttled, t.ServerErrors, t.Resets+t.ResetsAfter, t.Delayed, t.Held)
	if t.Held > 0 {
		var held []string
		for _, a := range slices.Sorted(maps.Keys(c)) {
			if n := c[a].Held; n > 0 {
				held = append(held, fmt.Sprintf("%d %s", n, a))
			}
		}
		s += " (" + join(held) + ")"
	}
	return s
}
