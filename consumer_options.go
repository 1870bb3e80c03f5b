package mega

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/sqs-mega/sqs-mega-go/internal/lease"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Option configures a Consumer.
type Option func(*config) error

type config struct {
	pollers       int
	concurrency   int
	maxInFlight   int // 0: the default for the concurrency
	waitTime      time.Duration
	visibility    time.Duration
	backoffBase   time.Duration
	backoffMax    time.Duration
	grace         time.Duration
	flushInterval time.Duration
	deadLetter    transport.Sender
	keepUnmatched bool
	maxReceives   int
	topicARNs     []string
	trustAnyTopic bool
	verifySNS     func(*protocol.SNS) error
	discardPoison bool
	resolver      *Resolver
	clock         Clock
	logger        *slog.Logger
	tel           telemetryConfig // see telemetry.go
}

// Clock is the time source of a consumer: visibility deadlines,
// heartbeats, retry pauses and the grace period follow it. The default is
// the system clock; tests pass a manual one (the memory transport's
// ManualClock satisfies Clock, so one clock can drive a broker and a
// consumer). Implementations must be safe for concurrent use.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once d has passed; stop cancels the call and
	// reports whether it did.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

func defaults() config {
	return config{
		pollers:       64,
		concurrency:   10,
		waitTime:      transport.MaxWaitTime,
		backoffBase:   time.Second,
		backoffMax:    10 * time.Minute,
		grace:         30 * time.Second,
		flushInterval: 20 * time.Millisecond,
		clock:         lease.System{},
		logger:        slog.Default(),
	}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidOption}, args...)...)
}

// WithPollers sets how many goroutines may receive from the queue at once
// (default 64). Each asks for up to 10 messages per long poll. A consumer
// starts with one; it adds pollers while receives come back full, handlers
// wait for messages and there is room in flight, up to what the pipe
// needs (the settle rate times the shortest recent round trip of a
// receive, with room to grow), and retires one when a receive comes back
// empty or there are more than the pipe needs, so an idle queue costs a
// single long poll at a time and a busy one is not held back by the round
// trip of a receive.
func WithPollers(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return invalid("pollers must be at least 1, not %d", n)
		}
		c.pollers = n
		return nil
	}
}

// WithConcurrency sets how many messages are handled at once (default
// 10): each runs its subscribers in one goroutine.
func WithConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return invalid("concurrency must be at least 1, not %d", n)
		}
		c.concurrency = n
		return nil
	}
}

// WithMaxInFlight fixes the bound on the messages held at once: received
// (or asked for) and not yet settled, whether handled or waiting for a
// handler. Pollers stop receiving while it is reached.
//
// By default the bound adapts (Little's law): it starts at 100 and follows
// twice the settle rate times the round trip of a receive, plus the
// concurrency and a batch, up to 1,000 messages. Fast handlers on a slow
// network thus get a full pipe, slow handlers a short wait. Messages
// waiting for a handler stay invisible to other consumers (the heartbeat
// sees to it); one whose receipt expired while it waited is dropped, not
// handled, since the queue may have handed it to someone else.
func WithMaxInFlight(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return invalid("max in flight must be at least 1, not %d", n)
		}
		c.maxInFlight = n
		return nil
	}
}

// WithWaitTime sets the long-poll wait of each receive (default and
// maximum 20 s). Shutdown waits for polls under way, so a shorter wait
// makes it quicker on queues that cannot abandon a poll safely.
func WithWaitTime(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > transport.MaxWaitTime {
			return invalid("wait time must be between 0 and %s, not %s", transport.MaxWaitTime, d)
		}
		c.waitTime = d
		return nil
	}
}

// WithVisibilityTimeout sets the visibility timeout of received messages;
// by default it is the queue's. Handlers may run longer: a heartbeat
// extends the visibility of messages still being processed.
func WithVisibilityTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second || d > transport.MaxVisibilityTimeout {
			return invalid("visibility timeout must be between 1s and %s, not %s", transport.MaxVisibilityTimeout, d)
		}
		c.visibility = d.Truncate(time.Second)
		return nil
	}
}

// WithBackoff sets the retry backoff: a message retried after its n-th
// receive becomes visible again after about base·2^(n-1), at most max,
// with jitter (defaults 1 s and 10 min).
func WithBackoff(base, max time.Duration) Option {
	return func(c *config) error {
		if base <= 0 || max < base || max > transport.MaxVisibilityTimeout {
			return invalid("backoff needs 0 < base <= max <= %s, not %s and %s", transport.MaxVisibilityTimeout, base, max)
		}
		c.backoffBase, c.backoffMax = base, max
		return nil
	}
}

// WithGracePeriod sets how long shutdown waits for handlers under way
// (default 30 s). Their contexts are cancelled when it ends, and the
// messages they hold are made visible again at once.
func WithGracePeriod(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalid("grace period must not be negative, not %s", d)
		}
		c.grace = d
		return nil
	}
}

// WithFlushInterval sets how long deletes and visibility changes wait to
// fill a batch of 10 before they are sent anyway (default 20 ms).
func WithFlushInterval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 || d > time.Second {
			return invalid("flush interval must be in (0, 1s], not %s", d)
		}
		c.flushInterval = d
		return nil
	}
}

// WithDeadLetterQueue sets where permanent failures, invalid MEGA payloads
// and bodies that are not MEGA messages go. By default it is the queue
// named by the queue's redrive policy, when the transport can find it.
//
// Without a dead-letter queue such messages are not deleted: they are
// logged at error level with the reason and an excerpt of the body, and
// made invisible for as long as SQS allows (12 hours), so that the queue's
// retention or redrive policy decides; see [WithDiscardPoison].
func WithDeadLetterQueue(q transport.Sender) Option {
	return func(c *config) error {
		if q == nil {
			return invalid("nil dead-letter queue")
		}
		c.deadLetter = q
		return nil
	}
}

// WithKeepUnmatched leaves messages that no subscriber matches in the
// queue, for another consumer, instead of deleting them. They come back
// when their visibility timeout ends, and end in the dead-letter queue
// through the queue's redrive policy.
func WithKeepUnmatched() Option {
	return func(c *config) error {
		c.keepUnmatched = true
		return nil
	}
}

// WithMaxReceives dead-letters a message on its n-th receive if it is
// retried again, for queues without a redrive policy (0, the default, leaves
// it to the queue).
func WithMaxReceives(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return invalid("max receives must not be negative, not %d", n)
		}
		c.maxReceives = n
		return nil
	}
}

// WithTopicARNs sets the SNS topics whose envelopes are trusted: unwrapped,
// and honoured as subscription confirmations. An envelope from another
// topic is a data payload, since anybody allowed to send to the queue can
// forge one (SPEC §2). An ARN may use the wildcards * and ?.
//
// By default a consumer trusts the topics its queue's access policy allows
// to send (the aws:SourceArn conditions of the statements for
// sns.amazonaws.com), read once when Run starts; a router (and so the
// Lambda adapter) trusts none by default.
func WithTopicARNs(arns ...string) Option {
	return func(c *config) error {
		for _, a := range arns {
			if a == "" {
				return invalid("empty topic ARN")
			}
		}
		if c.trustAnyTopic {
			return invalid("WithTopicARNs conflicts with WithTrustAnyTopic")
		}
		c.topicARNs = append(c.topicARNs, arns...)
		return nil
	}
}

// WithTrustAnyTopic unwraps SNS envelopes from any topic. Use it only when
// nobody but SNS can send to the queue: a plain SQS message shaped like an
// SNS envelope is then unwrapped, with the topic and attributes its sender
// chose.
func WithTrustAnyTopic() Option {
	return func(c *config) error {
		if len(c.topicARNs) > 0 {
			return invalid("WithTrustAnyTopic conflicts with WithTopicARNs")
		}
		c.trustAnyTopic = true
		return nil
	}
}

// WithSNSVerification checks the signature of every SNS envelope from a
// trusted topic with verify (for example (*snsverify.Verifier).Verify of
// package protocol/snsverify) before unwrapping it; an envelope that fails
// is a data payload, as a forged one is. Local servers (moto, the memory
// transport) do not sign their envelopes: use it against AWS only.
func WithSNSVerification(verify func(*protocol.SNS) error) Option {
	return func(c *config) error {
		if verify == nil {
			return invalid("nil SNS verification")
		}
		c.verifySNS = verify
		return nil
	}
}

// WithDiscardPoison deletes messages that cannot be processed when there
// is no dead-letter queue, after logging them at error level with the
// reason and an excerpt of the body. Without it they stay in the queue
// (see [WithDeadLetterQueue]).
func WithDiscardPoison() Option {
	return func(c *config) error {
		c.discardPoison = true
		return nil
	}
}

// WithPayloadResolver reads back the bodies of messages that point into a
// payload store (large payloads offloaded to S3 by [WithLargePayloads] or
// by the AWS SQS and SNS Extended Client libraries) before decoding them:
// subscribers and patterns see the real payload, and [Message.Offloaded]
// says where it was. A pointer the resolver refuses (an untrusted bucket,
// a missing object, a size that differs) makes the message poison, dead-
// lettered with the reason; a store that cannot be read now makes it a
// retry. The object is deleted once the message was deleted from the
// queue, never before, and kept when the message is dead-lettered.
func WithPayloadResolver(r *Resolver) Option {
	return func(c *config) error {
		if r == nil {
			return invalid("nil payload resolver")
		}
		c.resolver = r
		return nil
	}
}

// WithClock sets the consumer's clock (default: the system clock).
func WithClock(clock Clock) Option {
	return func(c *config) error {
		if clock == nil {
			return invalid("nil clock")
		}
		c.clock = clock
		return nil
	}
}

// WithLogger sets the logger (default slog.Default()). Message bodies are
// logged at debug level only.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return invalid("nil logger")
		}
		c.logger = l
		return nil
	}
}
