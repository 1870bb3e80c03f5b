package transport

import "context"

// DeadLetterSourceLister is implemented by queues that can list the queues
// whose redrive policy names them as their dead-letter queue (SQS
// ListDeadLetterSourceQueues). A dead-letter queue that no queue names
// returns an empty slice. Tools that move messages back out of a
// dead-letter queue use it to find where they came from.
type DeadLetterSourceLister interface {
	DeadLetterSources(ctx context.Context) ([]Queue, error)
}
