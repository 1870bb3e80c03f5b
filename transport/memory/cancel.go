package memory

import "github.com/sqs-mega/sqs-mega-go/transport"

var _ transport.CancelSafe = (*Queue)(nil)

// CancelSafe reports true: a Receive whose context is cancelled takes no
// message, so a consumer may abandon a long poll on this queue at once.
func (q *Queue) CancelSafe() bool { return true }
