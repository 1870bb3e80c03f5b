package memory

import (
	"fmt"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Totals counts what happened to a queue's messages since it was
// created: plain data. While the queue lives, Sent - Removed is the
// number of messages in it.
type Totals struct {
	// Sent counts the messages the queue accepted, and those a redrive
	// policy moved into it; FIFO duplicates dropped are not counted.
	Sent uint64
	// Received counts deliveries: a message received twice counts twice.
	Received uint64
	// Removed counts the messages deleted, purged or moved to a
	// dead-letter queue.
	Removed uint64
}

// Totals returns the queue's counts since it was created.
func (q *Queue) Totals() Totals {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.totals
}

// Config returns the queue's configuration: a copy, whose Redrive names
// the dead-letter queue by its ARN.
func (q *Queue) Config() QueueConfig {
	cfg := q.conf.Load().cfg
	if cfg.Redrive != nil {
		r := *cfg.Redrive
		cfg.Redrive = &r
	}
	return cfg
}

// SetConfig replaces the queue's configuration, as SQS's
// SetQueueAttributes does: the rules of [Broker.CreateQueue] apply, and
// on error the configuration stays as it was. Messages already in the
// queue keep their delays and visibility timeouts; the new settings apply
// to the next send and receive, and a new redrive policy to the next
// receive.
func (q *Queue) SetConfig(cfg QueueConfig) error {
	b := q.broker
	cfg, err := b.checkConfig(q.name, q.fifo, cfg)
	if err != nil {
		return err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return fmt.Errorf("memory: queue %q: %w", q.name, transport.ErrClosed)
	}
	if err := b.resolveRedriveLocked(q.name, q.fifo, cfg.Redrive); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.conf.Store(newConf(b, cfg))
	return nil
}
