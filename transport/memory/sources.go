package memory

import (
	"context"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

var _ transport.DeadLetterSourceLister = (*Queue)(nil)

// DeadLetterSources returns the queues of the broker whose redrive policy
// names this queue as their dead-letter queue, sorted by name.
func (q *Queue) DeadLetterSources(ctx context.Context) ([]transport.Queue, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := q.alive(); err != nil {
		return nil, err
	}
	var out []transport.Queue
	for _, src := range q.broker.Queues() {
		if r := src.conf.Load().cfg.Redrive; r != nil && q.broker.resolveARN(r.DeadLetterQueue) == q.arn {
			out = append(out, src)
		}
	}
	return out, nil
}
