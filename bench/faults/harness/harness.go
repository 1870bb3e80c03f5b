// Package harness holds what the fault scenarios (cmd/faults) and the
// consumer process they kill and restart (cmd/faultconsumer) share: how
// test messages are made and recognised, how queues are reached, the
// recorder that writes every handling and its outcome in a ledger, and
// handlers that misbehave at random, reproducibly ([Chaos]).
package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/bench/faults/ledger"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// KeyAttribute is the message attribute that carries a test message's
// key, so that any body, a poison one too, can be recognised, and its
// dead-lettered copy (which keeps the message attributes) as well.
const KeyAttribute = "faults.key"

// EventName is the name of the test events.
const EventName = "fault:message"

// Options a test event carries in its attributes.
const (
	attrKey  = "key"
	attrWork = "work_ms"
)

// Region is the region clients sign for; local servers accept any.
const Region = "us-east-1"

// Credentials are the static credentials of the test clients.
var Credentials = credentials.NewStaticCredentialsProvider("faults", "faults", "")

// Dial returns the queue at queueURL reached through endpoint (a proxy,
// or the server itself), with static credentials and the SDK's standard
// retryer. It reads no shared AWS configuration, and the SDK's own
// warnings (a body not drained after a cancelled call) are not logged.
func Dial(ctx context.Context, endpoint, queueURL string) (*sqs.Queue, error) {
	return sqs.Dial(ctx, queueURL,
		sqs.WithEndpoint(endpoint), sqs.WithRegion(Region), sqs.WithCredentials(Credentials),
		sqs.WithConfigOptions(config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
			config.WithLogger(logging.Nop{})))
}

// Config returns an AWS configuration for a client of endpoint.
func Config(endpoint string) aws.Config {
	return aws.Config{Region: Region, Credentials: Credentials, BaseEndpoint: aws.String(endpoint)}
}

// Event returns the entry of a test event: a MEGA event whose attributes
// hold its key and how long its handler works on it.
func Event(key string, work time.Duration) mega.Entry {
	p := protocol.NewEvent(protocol.Event{
		Name:      EventName,
		Timestamp: time.Now().UTC(),
		Domain:    "faults",
		Attributes: map[string]any{
			attrKey:  key,
			attrWork: work.Milliseconds(),
		},
	})
	return mega.Entry{Payload: p, Attributes: map[string]transport.Attribute{KeyAttribute: transport.StringAttribute(key)}}
}

// Key returns the key of a test message, from its message attribute or,
// failing that, from its event.
func Key(m *mega.Message) string {
	if a, ok := m.Attributes[KeyAttribute]; ok {
		return a.StringValue
	}
	if m.Kind == protocol.KindMega {
		if k, ok := m.Mega.Event.Attributes[attrKey].(string); ok {
			return k
		}
	}
	return ""
}

// Work returns how long the handler of a test event works on it.
func Work(m *mega.Message) time.Duration {
	if m.Kind != protocol.KindMega {
		return 0
	}
	var ms int64
	switch v := m.Mega.Event.Attributes[attrWork].(type) {
	case interface{ Int64() (int64, error) }:
		ms, _ = v.Int64()
	case int64:
		ms = v
	case int32:
		ms = int64(v)
	case float64:
		ms = int64(v)
	case string:
		ms, _ = strconv.ParseInt(v, 10, 64)
	}
	return time.Duration(ms) * time.Millisecond
}

// Recorder records in a ledger what a subscriber begins, processes and
// fails, and counts it. It is safe for concurrent use.
type Recorder struct {
	w *ledger.Writer

	pid       int
	mu        sync.Mutex
	processed map[string]int
	began     map[string]int
	total     int
}

// NewRecorder returns a recorder writing to w.
func NewRecorder(w *ledger.Writer) *Recorder {
	return &Recorder{w: w, pid: os.Getpid(), processed: map[string]int{}, began: map[string]int{}}
}

func (r *Recorder) record(kind ledger.Kind, m *mega.Message, note string) error {
	return r.w.Record(ledger.Entry{Kind: kind, Key: Key(m), MessageID: m.ID, ReceiveCount: m.ReceiveCount, PID: r.pid, Note: note})
}

// Began records that a handler started on m.
func (r *Recorder) Began(m *mega.Message) error {
	r.mu.Lock()
	r.began[Key(m)]++
	r.mu.Unlock()
	return r.record(ledger.Began, m, "")
}

// Processed records that a handler finished m; the record is on disk
// when it returns, before the message can be deleted.
func (r *Recorder) Processed(m *mega.Message) error {
	if err := r.record(ledger.Processed, m, ""); err != nil {
		return err
	}
	r.mu.Lock()
	r.processed[Key(m)]++
	r.total++
	r.mu.Unlock()
	return nil
}

// Ended records how a handling of m that did not succeed ended: Refused
// for a permanent failure, Failed for any other error.
func (r *Recorder) Ended(m *mega.Message, err error) error {
	var perm *mega.PermanentError
	if errors.As(err, &perm) {
		return r.record(ledger.Refused, m, err.Error())
	}
	return r.record(ledger.Failed, m, err.Error())
}

// Wrap returns a handler that records every handling of process: Began
// before it runs, then Processed when it returns nil, Refused when it
// fails permanently, Failed when it returns another error or panics (the
// panic goes on to the consumer). Every record is on disk before the
// consumer learns the outcome.
func (r *Recorder) Wrap(process func(ctx context.Context, m *mega.Message) error) func(ctx context.Context, m *mega.Message) error {
	return func(ctx context.Context, m *mega.Message) (err error) {
		if Key(m) == "" {
			return mega.Permanent(errors.New("a test event without a key"))
		}
		if err := r.Began(m); err != nil {
			return err
		}
		ended := false
		defer func() {
			if ended {
				return
			}
			v := recover()
			r.record(ledger.Failed, m, fmt.Sprintf("panic: %v", v))
			if v != nil {
				panic(v)
			}
		}()
		err = process(ctx, m)
		ended = true
		if err != nil {
			if rerr := r.Ended(m, err); rerr != nil {
				return errors.Join(err, rerr)
			}
			return err
		}
		return r.Processed(m)
	}
}

// ProcessedKeys returns how many messages this recorder processed,
// counting each key once, and how many processings it recorded in all.
func (r *Recorder) ProcessedKeys() (keys, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.processed), r.total
}

// Times returns how often key was begun and processed.
func (r *Recorder) Times(key string) (began, processed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.began[key], r.processed[key]
}

// Subscriber returns a subscriber to every test event that records it,
// works on it for its work time (at most maxWork; less if its context is
// cancelled, and then it fails: the message is retried) and records it
// processed.
func (r *Recorder) Subscriber(maxWork time.Duration) mega.Subscriber {
	return mega.Subscriber{
		Name:  "recorder",
		Event: match.Event{"name": EventName},
		Process: r.Wrap(func(ctx context.Context, m *mega.Message) error {
			return work(ctx, min(Work(m), maxWork))
		}),
	}
}

// work waits d, or fails when ctx is done first.
func work(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
}
