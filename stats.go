package mega

import "sync/atomic"

// Stats are a consumer's counters since it was created.
type Stats struct {
	// Received counts messages received, redeliveries included.
	Received int64
	// Processed counts messages that every matching subscriber finished
	// with success.
	Processed int64
	// Retried counts messages left for a later delivery: a subscriber
	// asked for a retry, returned an error or panicked.
	Retried int64
	// HandlerErrors counts retriable errors and panics of subscribers.
	HandlerErrors int64
	// DeadLettered counts messages sent to the dead-letter queue, or
	// logged and dropped when there is none.
	DeadLettered int64
	// Unmatched counts messages that no subscriber matched.
	Unmatched int64
	// Deleted counts messages deleted from the queue.
	Deleted int64
	// Released counts messages made visible again at shutdown.
	Released int64
	// DeleteFailures counts deletes given up after retrying until the
	// message's visibility ended: those messages are delivered again.
	DeleteFailures int64
}

type counters struct {
	received, processed, retried, handlerErrors, deadLettered, unmatched, deleted, released, deleteFailures atomic.Int64
}

func (c *counters) snapshot() Stats {
	return Stats{
		Received:       c.received.Load(),
		Processed:      c.processed.Load(),
		Retried:        c.retried.Load(),
		HandlerErrors:  c.handlerErrors.Load(),
		DeadLettered:   c.deadLettered.Load(),
		Unmatched:      c.unmatched.Load(),
		Deleted:        c.deleted.Load(),
		Released:       c.released.Load(),
		DeleteFailures: c.deleteFailures.Load(),
	}
}
