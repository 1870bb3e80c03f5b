package memory

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// incarnations numbers every queue created in the process, so that a
// receipt handle of one queue is never taken for one of another, even of
// another broker or of a queue re-created under the same name.
var incarnations atomic.Uint64

// Broker is an in-process stand-in for Amazon SQS and SNS: a namespace
// of queues and topics. It is the embedded transport of `mega demo` and
// the transport for unit tests of subscribers. Broker is safe for
// concurrent use.
type Broker struct {
	clock      Clock
	visibility time.Duration

	mu     sync.RWMutex
	closed bool
	queues map[string]*Queue // by name
	topics map[string]*Topic // by name
}

// Option configures a Broker; options are applied by New, in order.
type Option func(*Broker)

// WithClock makes the broker follow c instead of the system clock, for
// tests that advance time by hand (see [ManualClock]). A nil c means the
// system clock.
func WithClock(c Clock) Option {
	return func(b *Broker) {
		if c == nil {
			c = systemClock{}
		}
		b.clock = c
	}
}

// WithVisibilityTimeout sets the visibility timeout of queues created
// without one (30 s by default). CreateQueue rejects a default outside
// 0..transport.MaxVisibilityTimeout.
func WithVisibilityTimeout(d time.Duration) Option {
	return func(b *Broker) { b.visibility = d }
}

// New returns an empty broker.
func New(opts ...Option) *Broker {
	b := &Broker{
		clock:      systemClock{},
		visibility: DefaultVisibilityTimeout,
		queues:     make(map[string]*Queue),
		topics:     make(map[string]*Topic),
	}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Clock returns the broker's clock.
func (b *Broker) Clock() Clock { return b.clock }

var resourceName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// checkName checks a queue or topic name as SQS and SNS do: 1 to 80
// letters, digits, hyphens and underscores, the ".fifo" suffix of a FIFO
// queue or topic included.
func checkName(kind, name string) (fifo bool, err error) {
	base, fifo := strings.CutSuffix(name, ".fifo")
	if !resourceName.MatchString(base) || len(name) > 80 {
		return false, fmt.Errorf("memory: %s name %q: %w: use 1 to 80 letters, digits, '-' and '_' (and the suffix .fifo for FIFO)",
			kind, name, transport.ErrInvalidRequest)
	}
	return fifo, nil
}

// CreateQueue creates a queue; a name ending in ".fifo" makes a FIFO
// queue. As on SQS, creating a queue that exists with the same
// configuration returns it, and with another configuration fails with
// transport.ErrInvalidRequest. Invalid names and configurations fail
// with transport.ErrInvalidRequest, a redrive policy naming a queue
// that does not exist with transport.ErrQueueNotFound.
func (b *Broker) CreateQueue(name string, cfg QueueConfig) (*Queue, error) {
	fifo, err := checkName("queue", name)
	if err != nil {
		return nil, err
	}
	if cfg, err = b.checkConfig(name, fifo, cfg); err != nil {
		return nil, err
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("memory: create queue %q: %w", name, transport.ErrClosed)
	}
	if err := b.resolveRedriveLocked(name, fifo, cfg.Redrive); err != nil {
		return nil, err
	}
	if q, ok := b.queues[name]; ok {
		if !sameConfig(q.conf.Load().cfg, cfg) {
			return nil, invalidConfig(name, "QueueAlreadyExists: the queue exists with another configuration")
		}
		return q, nil
	}
	q := newQueue(b, name, fifo, incarnations.Add(1), cfg)
	b.queues[name] = q
	return q, nil
}

func invalidConfig(name, format string, args ...any) error {
	return fmt.Errorf("memory: queue %q: %w: %s", name, transport.ErrInvalidRequest, fmt.Sprintf(format, args...))
}

// checkConfig checks the configuration of the queue called name and
// returns it with its own copy of the redrive policy.
func (b *Broker) checkConfig(name string, fifo bool, cfg QueueConfig) (QueueConfig, error) {
	vis := orDefault(cfg.VisibilityTimeout, b.visibility)
	switch {
	case vis < 0 || vis > transport.MaxVisibilityTimeout:
		return cfg, invalidConfig(name, "visibility timeout %v is not between 0 and %v", vis, transport.MaxVisibilityTimeout)
	case cfg.Delay < 0 || cfg.Delay > transport.MaxDelay:
		return cfg, invalidConfig(name, "delay %v is not between 0 and %v", cfg.Delay, transport.MaxDelay)
	case cfg.MaxMessageSize != 0 && (cfg.MaxMessageSize < 1024 || cfg.MaxMessageSize > transport.MaxBodySize):
		return cfg, invalidConfig(name, "maximum message size %d is not between 1024 and %d", cfg.MaxMessageSize, transport.MaxBodySize)
	case cfg.ContentBasedDeduplication && !fifo:
		return cfg, invalidConfig(name, "content-based deduplication needs a FIFO queue")
	}
	if r := cfg.Redrive; r != nil {
		if r.MaxReceiveCount < 1 || r.MaxReceiveCount > 1000 {
			return cfg, invalidConfig(name, "redrive MaxReceiveCount %d is not between 1 and 1000", r.MaxReceiveCount)
		}
		copied := *r
		cfg.Redrive = &copied
	}
	return cfg, nil
}

// resolveRedriveLocked checks that the dead-letter queue of r exists and
// is of the right kind, and names it by its ARN in r.
func (b *Broker) resolveRedriveLocked(name string, fifo bool, r *Redrive) error {
	if r == nil {
		return nil
	}
	dlq := b.lookupLocked(r.DeadLetterQueue)
	if dlq == nil {
		return fmt.Errorf("memory: queue %q: dead-letter queue %q: %w", name, r.DeadLetterQueue, transport.ErrQueueNotFound)
	}
	if dlq.fifo != fifo {
		return invalidConfig(name, "a FIFO queue needs a FIFO dead-letter queue and a standard queue a standard one")
	}
	r.DeadLetterQueue = dlq.arn
	return nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func sameConfig(a, b QueueConfig) bool {
	ra, rb := a.Redrive, b.Redrive
	a.Redrive, b.Redrive = nil, nil
	if a != b || (ra == nil) != (rb == nil) {
		return false
	}
	return ra == nil || *ra == *rb
}

// lookupLocked finds a queue by name or ARN.
func (b *Broker) lookupLocked(nameOrARN string) *Queue {
	name := nameOrARN
	if strings.HasPrefix(nameOrARN, "arn:") {
		prefix := queueARN("")
		if !strings.HasPrefix(nameOrARN, prefix) {
			return nil
		}
		name = nameOrARN[len(prefix):]
	}
	return b.queues[name]
}

// resolveARN returns the ARN of a queue given by name or ARN, whether or
// not it exists.
func (b *Broker) resolveARN(nameOrARN string) string {
	if strings.HasPrefix(nameOrARN, "arn:") {
		return nameOrARN
	}
	return queueARN(nameOrARN)
}

// queueByARN finds an existing queue by ARN.
func (b *Broker) queueByARN(arn string) (*Queue, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, fmt.Errorf("memory: queue %s: %w", arn, transport.ErrClosed)
	}
	q := b.lookupLocked(arn)
	if q == nil {
		return nil, fmt.Errorf("memory: queue %s: %w", arn, transport.ErrQueueNotFound)
	}
	return q, nil
}

// Queue returns the queue of the given name or ARN, failing with
// transport.ErrQueueNotFound when there is none.
func (b *Broker) Queue(nameOrARN string) (*Queue, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, fmt.Errorf("memory: queue %q: %w", nameOrARN, transport.ErrClosed)
	}
	q := b.lookupLocked(nameOrARN)
	if q == nil {
		return nil, fmt.Errorf("memory: queue %q: %w", nameOrARN, transport.ErrQueueNotFound)
	}
	return q, nil
}

// Queues returns the broker's queues, sorted by name.
func (b *Broker) Queues() []*Queue {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]*Queue, 0, len(b.queues))
	for _, q := range b.queues {
		out = append(out, q)
	}
	slices.SortFunc(out, func(x, y *Queue) int { return strings.Compare(x.name, y.name) })
	return out
}

// DeleteQueue deletes a queue and its messages. Calls on the deleted
// *Queue, long polls already waiting included, fail with
// transport.ErrQueueNotFound; topics stop delivering to it. Deleting a
// queue that does not exist fails with transport.ErrQueueNotFound.
func (b *Broker) DeleteQueue(nameOrARN string) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return fmt.Errorf("memory: delete queue %q: %w", nameOrARN, transport.ErrClosed)
	}
	q := b.lookupLocked(nameOrARN)
	if q == nil {
		b.mu.Unlock()
		return fmt.Errorf("memory: delete queue %q: %w", nameOrARN, transport.ErrQueueNotFound)
	}
	delete(b.queues, q.name)
	b.mu.Unlock()
	q.kill(fmt.Errorf("memory: queue %q was deleted: %w", q.name, transport.ErrQueueNotFound))
	return nil
}

// Close closes the broker: every later call on it, its queues and its
// topics fails with transport.ErrClosed, and long polls waiting return
// with that error at once. Messages still queued are dropped. Close is
// idempotent and always returns nil.
func (b *Broker) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	queues := make([]*Queue, 0, len(b.queues))
	for _, q := range b.queues {
		queues = append(queues, q)
	}
	topics := make([]*Topic, 0, len(b.topics))
	for _, t := range b.topics {
		topics = append(topics, t)
	}
	b.mu.Unlock()
	for _, q := range queues {
		q.kill(fmt.Errorf("memory: queue %q: %w", q.name, transport.ErrClosed))
	}
	for _, t := range topics {
		t.kill(fmt.Errorf("memory: topic %q: %w", t.name, transport.ErrClosed))
	}
	return nil
}
