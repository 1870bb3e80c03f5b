package memory

import (
	"context"
	"fmt"
	"github.com/sqs-mega/sqs-mega-go/internal/ids"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/sqs-mega/sqs-mega-go/filterpolicy"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// DefaultTopicMessageSize is the largest message a topic accepts unless
// configured otherwise: 256 KiB, the default of SNS's MaximumMessageSize.
const DefaultTopicMessageSize = 256 << 10

// TopicConfig configures a topic created with [Broker.CreateTopic]:
// plain data, copied by CreateTopic.
type TopicConfig struct {
	// ContentBasedDeduplication makes a FIFO topic derive a message's
	// deduplication id from its body when the publisher gives none.
	ContentBasedDeduplication bool
	// MaxMessageSize is the largest message accepted, counting its
	// attributes; zero means DefaultTopicMessageSize. From 1024 to
	// transport.MaxBodySize.
	MaxMessageSize int
}

// SubscriptionConfig configures a subscription made with
// [Broker.Subscribe]: plain data, copied by Subscribe.
type SubscriptionConfig struct {
	// RawMessageDelivery delivers the published message and its
	// attributes as they are, instead of wrapped in an SNS notification
	// envelope.
	RawMessageDelivery bool
	// FilterPolicy, when not empty, is an SNS filter policy (JSON): only
	// messages it accepts are delivered. See [Broker.Subscribe].
	FilterPolicy string
	// FilterPolicyScope is "MessageAttributes" (the default when empty)
	// or "MessageBody": what FilterPolicy applies to.
	FilterPolicyScope string
}

// Publication is a message published to a topic with [Topic.Publish]:
// plain data, which Publish reads and does not keep.
type Publication struct {
	// Subject appears in the notification envelope when not empty
	// (at most 100 printable ASCII characters).
	Subject string
	// Message is the message body.
	Message    string
	Attributes map[string]transport.Attribute
	// GroupID and DeduplicationID are for FIFO topics, as on queues.
	GroupID         string
	DeduplicationID string
}

// Topic is an in-memory topic with the semantics of Amazon SNS: a
// message published to it is delivered to every subscribed queue whose
// filter policy accepts it, wrapped in an SNS notification envelope
// unless the subscription asks for raw delivery. It implements
// [transport.Sender], as PublishBatch. Topic is safe for concurrent use.
type Topic struct {
	broker  *Broker
	name    string
	arn     string
	fifo    bool
	cfg     TopicConfig
	maxSize int

	mu    sync.Mutex
	err   error
	subs  []*Subscription // replaced, never modified, so that Send can use a snapshot
	dedup dedupCache
	seq   uint64
}

var _ transport.Sender = (*Topic)(nil)

// Subscription delivers a topic's messages to a queue. It is safe for
// concurrent use.
type Subscription struct {
	arn    string
	topic  *Topic
	queue  *Queue
	cfg    SubscriptionConfig
	filter *filterpolicy.Policy
}

// ARN returns the subscription's ARN.
func (s *Subscription) ARN() string { return s.arn }

// Topic returns the subscribed topic.
func (s *Subscription) Topic() *Topic { return s.topic }

// Queue returns the subscribed queue.
func (s *Subscription) Queue() *Queue { return s.queue }

// Config returns the subscription's configuration.
func (s *Subscription) Config() SubscriptionConfig { return s.cfg }

// Unsubscribe ends the subscription. Unsubscribing twice is harmless.
func (s *Subscription) Unsubscribe() error {
	t := s.topic
	t.mu.Lock()
	defer t.mu.Unlock()
	for i, x := range t.subs {
		if x == s {
			subs := make([]*Subscription, 0, len(t.subs)-1)
			subs = append(subs, t.subs[:i]...)
			t.subs = append(subs, t.subs[i+1:]...)
			break
		}
	}
	return nil
}

// CreateTopic creates a topic; a name ending in ".fifo" makes a FIFO
// topic. Creating a topic that exists with the same configuration
// returns it. Invalid names and configurations fail with
// transport.ErrInvalidRequest.
func (b *Broker) CreateTopic(name string, cfg TopicConfig) (*Topic, error) {
	fifo, err := checkName("topic", name)
	if err != nil {
		return nil, err
	}
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("memory: topic %q: %w: %s", name, transport.ErrInvalidRequest, fmt.Sprintf(format, args...))
	}
	if cfg.ContentBasedDeduplication && !fifo {
		return nil, invalid("content-based deduplication needs a FIFO topic")
	}
	size := orDefault(cfg.MaxMessageSize, DefaultTopicMessageSize)
	if size < 1024 || size > transport.MaxBodySize {
		return nil, invalid("maximum message size %d is not between 1024 and %d", size, transport.MaxBodySize)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, fmt.Errorf("memory: create topic %q: %w", name, transport.ErrClosed)
	}
	if t, ok := b.topics[name]; ok {
		if t.cfg != cfg {
			return nil, invalid("the topic exists with another configuration")
		}
		return t, nil
	}
	t := &Topic{broker: b, name: name, arn: topicARN(name), fifo: fifo, cfg: cfg, maxSize: size}
	b.topics[name] = t
	return t, nil
}

// Topic returns the topic of the given name or ARN, failing with
// transport.ErrQueueNotFound when there is none.
func (b *Broker) Topic(nameOrARN string) (*Topic, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, fmt.Errorf("memory: topic %q: %w", nameOrARN, transport.ErrClosed)
	}
	if t := b.topicLocked(nameOrARN); t != nil {
		return t, nil
	}
	return nil, fmt.Errorf("memory: topic %q: %w", nameOrARN, transport.ErrQueueNotFound)
}

func (b *Broker) topicLocked(nameOrARN string) *Topic {
	if t, ok := b.topics[nameOrARN]; ok {
		return t
	}
	prefix := topicARN("")
	if len(nameOrARN) > len(prefix) && nameOrARN[:len(prefix)] == prefix {
		return b.topics[nameOrARN[len(prefix):]]
	}
	return nil
}

// DeleteTopic deletes a topic and its subscriptions; later calls on the
// deleted *Topic fail with transport.ErrQueueNotFound.
func (b *Broker) DeleteTopic(nameOrARN string) error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return fmt.Errorf("memory: delete topic %q: %w", nameOrARN, transport.ErrClosed)
	}
	t := b.topicLocked(nameOrARN)
	if t == nil {
		b.mu.Unlock()
		return fmt.Errorf("memory: delete topic %q: %w", nameOrARN, transport.ErrQueueNotFound)
	}
	delete(b.topics, t.name)
	b.mu.Unlock()
	t.kill(fmt.Errorf("memory: topic %q was deleted: %w", t.name, transport.ErrQueueNotFound))
	return nil
}

// Subscribe subscribes a queue to a topic. A standard topic delivers
// only to standard queues; a FIFO topic to FIFO and standard queues.
// Subscribing a queue again with the same configuration returns the
// existing subscription.
//
// Like a real setup (the SNS console, or transport/sns.SubscribeQueue),
// Subscribe adds to the queue's access policy a statement that lets the
// topic send to it (see [Queue.SetPolicy]): a consumer of the queue then
// trusts the topic's envelopes. Unsubscribing leaves the policy as it is.
//
// A filter policy is parsed and evaluated by package filterpolicy, which
// states its semantics: the SNS operators, in the MessageAttributes or
// the MessageBody scope, read where AWS's documentation leaves a case
// open so that SNS delivers the least. An invalid policy fails with
// transport.ErrInvalidRequest.
func (b *Broker) Subscribe(t *Topic, q *Queue, cfg SubscriptionConfig) (*Subscription, error) {
	if t == nil || q == nil || t.broker != b || q.broker != b {
		return nil, fmt.Errorf("memory: subscribe: %w: the topic and queue must belong to this broker", transport.ErrInvalidRequest)
	}
	if !t.fifo && q.fifo {
		return nil, fmt.Errorf("memory: subscribe %s to %s: %w: a standard topic cannot deliver to a FIFO queue",
			q.name, t.name, transport.ErrInvalidRequest)
	}
	var filter *filterpolicy.Policy
	switch cfg.FilterPolicyScope {
	case "", "MessageAttributes", "MessageBody":
	default:
		return nil, fmt.Errorf("memory: subscribe: %w: FilterPolicyScope %q is not MessageAttributes or MessageBody",
			transport.ErrInvalidRequest, cfg.FilterPolicyScope)
	}
	if cfg.FilterPolicy != "" {
		var err error
		if filter, err = filterpolicy.Parse(cfg.FilterPolicy, filterpolicy.Scope(cfg.FilterPolicyScope)); err != nil {
			return nil, fmt.Errorf("memory: subscribe: %w: filter policy: %w", transport.ErrInvalidRequest, err)
		}
	}
	if err := q.alive(); err != nil {
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return nil, t.err
	}
	for _, s := range t.subs {
		if s.queue == q {
			if s.cfg != cfg {
				return nil, fmt.Errorf("memory: subscribe %s to %s: %w: already subscribed with other attributes",
					q.name, t.name, transport.ErrInvalidRequest)
			}
			return s, nil
		}
	}
	// SNS delivers only to a queue whose policy lets the topic send: a
	// real setup adds the statement when it subscribes, and so does this.
	if err := q.allowTopic(t.arn); err != nil {
		return nil, fmt.Errorf("memory: subscribe %s to %s: %w", q.name, t.name, err)
	}
	s := &Subscription{arn: t.arn + ":" + ids.UUID(), topic: t, queue: q, cfg: cfg, filter: filter}
	subs := make([]*Subscription, 0, len(t.subs)+1)
	t.subs = append(append(subs, t.subs...), s)
	return s, nil
}

// Name returns the topic's name.
func (t *Topic) Name() string { return t.name }

// ARN returns the topic's ARN, in the form of an SNS topic ARN.
func (t *Topic) ARN() string { return t.arn }

// FIFO reports whether the topic is a FIFO topic.
func (t *Topic) FIFO() bool { return t.fifo }

// Subscriptions returns the topic's subscriptions.
func (t *Topic) Subscriptions() []*Subscription {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*Subscription(nil), t.subs...)
}

func (t *Topic) kill(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err == nil {
		t.err = err
		t.subs = nil
	}
}

// Send publishes up to transport.MaxBatch messages (PublishBatch), with
// the error conventions of [Queue.Send]. A message has no delay on a
// topic. Delivery to the subscribed queues is done when Send returns; a
// queue that has been deleted, whose access policy no longer lets the
// topic send (see [Queue.SetPolicy]), or that refuses the message (an
// envelope larger than its maximum message size), misses it silently,
// as on SNS.
func (t *Topic) Send(ctx context.Context, batch []transport.Outgoing) ([]transport.SendResult, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkSendBatch(batch, t.maxSize); err != nil {
		return nil, err
	}
	pubs := make([]Publication, len(batch))
	errs := make([]error, len(batch))
	for i, o := range batch {
		if o.Delay != 0 {
			// Publications carry no delay: report it, or what comes
			// before it, now.
			errs[i] = transport.CheckPublish(o, "", t.rules())
		}
		pubs[i] = Publication{Message: o.Body, Attributes: o.Attributes, GroupID: o.GroupID, DeduplicationID: o.DeduplicationID}
	}
	return t.publish(ctx, pubs, errs)
}

// Publish publishes one message (Publish), which may carry a subject
// for the notification envelope. A failure of the message alone is in
// the result's Err, as with Send.
func (t *Topic) Publish(ctx context.Context, p Publication) (transport.SendResult, error) {
	if err := ctx.Err(); err != nil {
		return transport.SendResult{}, err
	}
	res, err := t.publish(ctx, []Publication{p}, make([]error, 1))
	if err != nil {
		return transport.SendResult{}, err
	}
	return res[0], nil
}

// notification is a message accepted by a topic, ready for delivery.
type notification struct {
	Publication
	messageID string
	seqNum    string
	dedupID   string
	timestamp time.Time
	// signature is made on the first wrapped delivery: SNS signs what
	// every subscription receives alike.
	signature string
}

// publish checks, deduplicates and delivers publications. errs holds
// failures already found, one per publication.
func (t *Topic) publish(ctx context.Context, pubs []Publication, errs []error) ([]transport.SendResult, error) {
	results := make([]transport.SendResult, len(pubs))
	for i, p := range pubs {
		if errs[i] == nil {
			errs[i] = t.check(&p)
			pubs[i] = p
		}
		results[i].Err = errs[i]
	}

	t.mu.Lock()
	if t.err != nil {
		err := t.err
		t.mu.Unlock()
		return nil, err
	}
	now := t.broker.clock.Now()
	var accepted []notification
	for i, p := range pubs {
		if errs[i] != nil {
			continue
		}
		n := notification{Publication: p, messageID: ids.UUID(), timestamp: now}
		if t.fifo {
			n.dedupID = p.DeduplicationID
			if n.dedupID == "" {
				n.dedupID = contentDedupID(p.Message)
			}
			if e, dup := t.dedup.lookup(n.dedupID, now); dup {
				results[i].MessageID, results[i].SequenceNumber = e.messageID, e.seqNum
				continue
			}
			t.seq++
			n.seqNum = sequenceNumber(t.seq)
			t.dedup.add(n.dedupID, n.messageID, n.seqNum, now)
		}
		results[i].MessageID, results[i].SequenceNumber = n.messageID, n.seqNum
		accepted = append(accepted, n)
	}
	subs := t.subs
	// Deliver under the topic's lock, so that two publishes to a FIFO
	// topic reach every queue in the order they were accepted. Queue
	// locks are taken inside; a queue never takes a topic's lock.
	defer t.mu.Unlock()
	for _, s := range subs {
		s.deliver(ctx, accepted)
	}
	return results, nil
}

// check checks a publication against the topic's rules.
func (t *Topic) check(p *Publication) error {
	o := transport.Outgoing{Body: p.Message, Attributes: p.Attributes, GroupID: p.GroupID, DeduplicationID: p.DeduplicationID}
	return transport.CheckPublish(o, p.Subject, t.rules())
}

// rules are the topic's additions to the rule book.
func (t *Topic) rules() transport.PublishRules {
	return transport.PublishRules{MaxSize: t.maxSize, FIFO: t.fifo, ContentDeduplication: t.cfg.ContentBasedDeduplication}
}

// deliver sends the notifications the subscription's filter accepts to
// its queue.
func (s *Subscription) deliver(ctx context.Context, ns []notification) {
	if !s.queue.loadPolicy().allows(s.topic.arn) {
		return // SNS is not allowed to send: the delivery fails unseen
	}
	batch := make([]transport.Outgoing, 0, len(ns))
	for i := range ns {
		n := &ns[i]
		if s.filter != nil && !s.filter.Match(n.Message, policyAttributes(n.Attributes)) {
			continue
		}
		var o transport.Outgoing
		if s.cfg.RawMessageDelivery {
			o = transport.Outgoing{Body: n.Message, Attributes: n.Attributes}
		} else {
			if n.signature == "" {
				n.signature = signature()
			}
			o = transport.Outgoing{Body: string(appendEnvelope(nil, n, s))}
		}
		o.GroupID = n.GroupID
		if s.queue.fifo {
			o.DeduplicationID = n.dedupID
		}
		batch = append(batch, o)
	}
	if len(batch) > 0 {
		// Enqueue entry by entry: the envelopes of a batch may together
		// exceed what one Send carries. A refusal is a missed delivery.
		for i := range batch {
			_, _ = s.queue.Send(context.WithoutCancel(ctx), batch[i:i+1])
		}
	}
}

// signingCert is the certificate name of the notification envelopes: as
// on AWS, one per region for a long time.
var signingCert = fmt.Sprintf("SimpleNotificationService-%016x%016x.pem", rand.Uint64(), rand.Uint64())

// policyAttributes gives message attributes to a filter policy.
type policyAttributes map[string]transport.Attribute

func (a policyAttributes) Attribute(name string) (dataType, stringValue string, ok bool) {
	at, ok := a[name]
	return at.DataType, at.StringValue, ok
}
