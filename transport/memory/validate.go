package memory

import (
	"fmt"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// The rules of SQS and SNS on requests are transport's rule book
// (transport.CheckSend and the rest), so that a message the memory
// transport accepts is one AWS accepts too. What is here depends on the
// state of a queue.

// entryError is the failure of one batch entry: it wraps the transport
// sentinel (for errors.Is) and a *transport.EntryError carrying the code
// AWS would return (for errors.As).
func entryError(sentinel error, code, format string, args ...any) error {
	return fmt.Errorf("%w: %w", sentinel, &transport.EntryError{
		Code:        code,
		Message:     fmt.Sprintf(format, args...),
		SenderFault: true,
	})
}

// checkSendBatch checks the rules of a Send call as a whole, the sum of
// its messages' sizes at most maxTotal. Entries without an id get one
// from the transport, which never clashes.
func checkSendBatch(batch []transport.Outgoing, maxTotal int) error {
	if err := transport.CheckBatchSize(len(batch)); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	var ids []string
	total := 0
	for _, o := range batch {
		total += o.Size()
		if o.ID != "" {
			ids = append(ids, o.ID)
		}
	}
	if err := transport.CheckBatchEntryIDs(ids); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	if err := transport.CheckBatchRequestSize(total, maxTotal); err != nil {
		return fmt.Errorf("memory: %w", err)
	}
	return nil
}
