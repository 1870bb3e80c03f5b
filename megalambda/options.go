package megalambda

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/internal/lease"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Option configures a [Handler].
type Option func(*config) error

// VisibilityChanger changes the visibility of received messages: a
// *sqs.Queue of package transport/sqs for the queue the event source
// mapping reads, or any queue of package transport.
type VisibilityChanger interface {
	ChangeVisibility(ctx context.Context, changes []transport.VisibilityChange) (errs []error, err error)
}

type config struct {
	dlq         transport.Sender
	source      VisibilityChanger
	concurrency int
	margin      time.Duration
	clock       mega.Clock
	log         *slog.Logger
}

func defaults() config {
	return config{
		concurrency: 10,
		margin:      time.Second,
		clock:       lease.System{},
		log:         slog.Default(),
	}
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{mega.ErrInvalidOption}, args...)...)
}

// WithDeadLetterQueue sets where records that cannot be processed go
// (permanent failures, failed validations, invalid MEGA payloads, bodies
// that are not MEGA messages): a copy with the reason is sent there, and
// the record is reported as done only once the queue has accepted it.
//
// Without one such records are reported as failures, so that the source
// queue's redrive policy moves them to its dead-letter queue after its
// maxReceiveCount.
func WithDeadLetterQueue(q transport.Sender) Option {
	return func(c *config) error {
		if q == nil {
			return invalid("nil dead-letter queue")
		}
		c.dlq = q
		return nil
	}
}

// WithSourceQueue sets the queue the event source mapping reads, so that
// a record to retry becomes visible again after the delay its subscriber
// asked for with [mega.Retry], or after the router's backoff for its
// receive count: its visibility is changed with the receipt handle the
// record carries. Pass the *sqs.Queue of that queue (package
// transport/sqs).
//
// Without it a record to retry is only reported as a failure, and comes
// back when the queue's visibility timeout ends.
func WithSourceQueue(q VisibilityChanger) Option {
	return func(c *config) error {
		if q == nil {
			return invalid("nil source queue")
		}
		c.source = q
		return nil
	}
}

// WithConcurrency sets how many records are handled at once (default
// 10). Records of one FIFO message group are always handled one after
// the other.
func WithConcurrency(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return invalid("concurrency must be at least 1, not %d", n)
		}
		c.concurrency = n
		return nil
	}
}

// WithDeadlineMargin sets how long before the function's deadline the
// handlers' context is cancelled and the handler answers, reporting the
// records not finished by then as failures (default 1 s). It must leave
// the function the time to return its answer.
func WithDeadlineMargin(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalid("deadline margin must not be negative, not %s", d)
		}
		c.margin = d
		return nil
	}
}

// WithClock sets the clock the deadline margin follows (default: the
// system clock). Tests pass a manual one, such as the memory transport's
// ManualClock.
func WithClock(clock mega.Clock) Option {
	return func(c *config) error {
		if clock == nil {
			return invalid("nil clock")
		}
		c.clock = clock
		return nil
	}
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return invalid("nil logger")
		}
		c.log = l
		return nil
	}
}
