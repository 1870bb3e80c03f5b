package mega

import (
	"sync/atomic"

	"github.com/sqs-mega/sqs-mega-go/internal/lease"
)

// Stats are a consumer's counters since it was created.
type Stats struct {
	// Received counts messages received, redeliveries and copies included.
	Received int64
	// Processed counts messages that every matching subscriber finished
	// with success.
	Processed int64
	// Retried counts messages left for a later delivery: a subscriber
	// asked for a retry, returned an error or panicked, or the dead-letter
	// queue could not be reached.
	Retried int64
	// HandlerErrors counts retriable errors and panics of subscribers.
	HandlerErrors int64
	// DeadLettered counts messages sent to the dead-letter queue, or
	// discarded when there is none and [WithDiscardPoison] says so.
	DeadLettered int64
	// PoisonKept counts messages that could not be processed and, with no
	// dead-letter queue, were left in the queue for 12 hours.
	PoisonKept int64
	// Unmatched counts messages that no subscriber matched, and SNS
	// subscription confirmations.
	Unmatched int64
	// Deleted counts messages deleted from the queue.
	Deleted int64
	// Released counts messages made visible again at shutdown.
	Released int64
	// DeleteFailures counts deletes given up after retrying until the
	// message's visibility ended: those messages are delivered again.
	DeleteFailures int64
	// Duplicates counts copies of a message received while the consumer
	// held it: they are not handled (the newest receipt is kept).
	Duplicates int64
	// Expired counts messages dropped unhandled because their receipt
	// expired while they waited for a handler.
	Expired int64
	// Extended counts visibility extensions by the heartbeat.
	Extended int64
}

type counters struct {
	received, processed, retried, deadLettered, poisonKept, unmatched atomic.Int64
	lease                                                             lease.Counts // shared by the leases of every Run
}

func (c *counters) snapshot() Stats {
	return Stats{
		Received:       c.received.Load(),
		Processed:      c.processed.Load(),
		Retried:        c.retried.Load(),
		DeadLettered:   c.deadLettered.Load(),
		PoisonKept:     c.poisonKept.Load(),
		Unmatched:      c.unmatched.Load(),
		Deleted:        c.lease.Deleted.Load(),
		Released:       c.lease.Released.Load(),
		DeleteFailures: c.lease.DeleteFailures.Load(),
		Duplicates:     c.lease.Duplicates.Load(),
		Expired:        c.lease.Expired.Load(),
		Extended:       c.lease.Extended.Load(),
	}
}
