package transport

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limits of Amazon SQS that every transport enforces, so that code tested on
// the memory transport behaves the same against AWS.
const (
	// MaxBatch is the largest number of entries in one Send, Receive,
	// Delete or ChangeVisibility call.
	MaxBatch = 10
	// MaxWaitTime is the longest long-poll wait of one Receive.
	MaxWaitTime = 20 * time.Second
	// MaxBodySize is the largest message SQS accepts: 1 MiB, counting the
	// body and the names, types and values of its message attributes.
	MaxBodySize = 1 << 20
	// MaxAttributes is the number of message attributes one message may carry.
	MaxAttributes = 10
	// MaxVisibilityTimeout is the longest visibility timeout SQS allows.
	MaxVisibilityTimeout = 12 * time.Hour
	// MaxDelay is the longest delivery delay SQS allows.
	MaxDelay = 15 * time.Minute
)

// Sentinel errors. Transports wrap them so that callers can test with errors.Is.
var (
	// ErrQueueNotFound: the queue (or topic) does not exist.
	ErrQueueNotFound = errors.New("transport: queue does not exist")
	// ErrReceiptInvalid: a receipt handle is unknown or expired, usually
	// because the message was received again by someone else.
	ErrReceiptInvalid = errors.New("transport: receipt handle is invalid or expired")
	// ErrTooLarge: a message (body plus attributes) exceeds the queue's
	// maximum message size. It is never retried.
	ErrTooLarge = errors.New("transport: message too large")
	// ErrInvalidRequest: the request breaks a rule of the queue service
	// (batch size, wait time, a FIFO message without a group id, ...).
	ErrInvalidRequest = errors.New("transport: invalid request")
	// ErrClosed: the transport was closed.
	ErrClosed = errors.New("transport: closed")
	// ErrThrottled: the service refused the request because of the request
	// rate, after the client's own retries. Retrying later may succeed.
	ErrThrottled = errors.New("transport: request throttled")
)

// Attribute is an SQS/SNS message attribute.
type Attribute struct {
	// DataType is "String", "Number" or "Binary", optionally followed by a
	// custom type ("String.json").
	DataType    string
	StringValue string
	BinaryValue []byte
}

// StringAttribute returns a String attribute.
func StringAttribute(v string) Attribute { return Attribute{DataType: "String", StringValue: v} }

// Size is the number of bytes the attribute counts against MaxBodySize
// when carried under the given name.
func (a Attribute) Size(name string) int {
	return len(name) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
}

// Message is one message received from a queue.
type Message struct {
	// ID is the message id the queue service assigned when it was sent.
	ID string
	// ReceiptHandle identifies this receipt of the message: deleting it or
	// changing its visibility needs it.
	ReceiptHandle string
	// Body is the message body as sent.
	Body string
	// Attributes are the message attributes the sender attached.
	Attributes map[string]Attribute
	// ReceiveCount is how many times the message has been received,
	// this receipt included (SQS ApproximateReceiveCount).
	ReceiveCount int
	// SentAt is when the queue accepted the message.
	SentAt time.Time
	// GroupID, DeduplicationID and SequenceNumber are set on FIFO queues.
	GroupID         string
	DeduplicationID string
	SequenceNumber  string
	// System holds every system attribute the service returned, by its
	// SQS name (ApproximateReceiveCount, SentTimestamp, MessageGroupId, ...).
	System map[string]string
}

// Outgoing is a message to send.
type Outgoing struct {
	// ID identifies the entry within one Send call; transports fill it in
	// when empty. It is not the message id.
	ID         string
	Body       string
	Attributes map[string]Attribute
	// GroupID and DeduplicationID are for FIFO queues and topics.
	GroupID         string
	DeduplicationID string
	// Delay postpones delivery (standard queues only; at most MaxDelay).
	Delay time.Duration
}

// Size is the number of bytes the message counts against MaxBodySize.
func (o Outgoing) Size() int {
	n := len(o.Body)
	for k, a := range o.Attributes {
		n += a.Size(k)
	}
	return n
}

// SendResult is the outcome of one entry of a Send call, in the order of
// the entries.
type SendResult struct {
	MessageID      string
	SequenceNumber string
	// Err is non-nil when this entry failed; it is an *EntryError, or wraps
	// one of the sentinel errors.
	Err error
}

// EntryError is the failure of one entry of a batch call.
type EntryError struct {
	Code    string
	Message string
	// SenderFault is true when retrying the same entry cannot succeed.
	SenderFault bool
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("transport: batch entry failed: %s: %s", e.Code, e.Message)
}

// Temporary reports whether retrying the entry may succeed.
func (e *EntryError) Temporary() bool { return !e.SenderFault }

// ReceiveRequest asks for messages.
type ReceiveRequest struct {
	// MaxMessages is 1..MaxBatch; 0 means 1.
	MaxMessages int
	// WaitTime is the long-poll wait, 0..MaxWaitTime.
	WaitTime time.Duration
	// VisibilityTimeout overrides the queue's default when non-zero.
	VisibilityTimeout time.Duration
}

// VisibilityChange sets a received message's remaining invisibility.
// A zero Timeout makes it visible again at once.
type VisibilityChange struct {
	ReceiptHandle string
	Timeout       time.Duration
}

// Sender sends messages: a queue, or a topic that fans them out.
type Sender interface {
	// Send sends up to MaxBatch messages. The returned error is non-nil
	// only when the call as a whole failed (nothing is known to be sent);
	// otherwise each entry's outcome is in its SendResult.
	Send(ctx context.Context, batch []Outgoing) ([]SendResult, error)
}

// Queue is the narrow interface the runtime needs from a queue service.
// Implementations are safe for concurrent use.
//
// Delivery is at-least-once: a received message stays in the queue,
// invisible for the visibility timeout, until it is deleted; when the
// timeout passes it is delivered again with a higher ReceiveCount.
type Queue interface {
	Sender
	// Receive waits up to req.WaitTime for messages and returns at most
	// req.MaxMessages of them; it returns an empty slice, not an error,
	// when none arrived. Cancelling ctx may abort the wait; messages a
	// cancelled call had already taken then become visible again only
	// when their visibility timeout ends, so callers that care finish the
	// call with a context that is not cancelled.
	Receive(ctx context.Context, req ReceiveRequest) ([]Message, error)
	// Delete deletes up to MaxBatch received messages. errs has one entry
	// per handle (nil on success); err is non-nil when the call failed as
	// a whole.
	Delete(ctx context.Context, receiptHandles []string) (errs []error, err error)
	// ChangeVisibility changes the visibility timeout of up to MaxBatch
	// received messages, with the same error convention as Delete.
	ChangeVisibility(ctx context.Context, changes []VisibilityChange) (errs []error, err error)
}

// QueueInfo describes a queue.
type QueueInfo struct {
	URL               string
	ARN               string
	FIFO              bool
	VisibilityTimeout time.Duration
	// MaxMessageSize is the queue's MaximumMessageSize in bytes.
	MaxMessageSize int
	// DeadLetterTargetARN and MaxReceiveCount come from the queue's
	// redrive policy; empty and 0 when it has none.
	DeadLetterTargetARN string
	MaxReceiveCount     int
	// Policy is the queue's access policy, a JSON IAM policy document;
	// empty when it has none. [SNSTopicsFromPolicy] reads the SNS topics
	// it allows to send.
	Policy string
}

// Describer is implemented by queues that can describe themselves.
type Describer interface {
	Describe(ctx context.Context) (QueueInfo, error)
}

// DeadLetterFinder is implemented by queues that can find the dead-letter
// queue their redrive policy names. It returns (nil, nil) when the queue
// has no redrive policy.
type DeadLetterFinder interface {
	DeadLetterQueue(ctx context.Context) (Queue, error)
}

// CancelSafe is implemented by queues whose Receive never takes a message
// when its context is cancelled: a cancelled Receive returns ctx.Err()
// with nothing taken, or returns what it took with a nil error. Consumers
// can then abandon a long poll at shutdown instead of waiting for it.
// (Over HTTP, a cancelled request may have taken messages that the
// client never sees, so the SQS transport is not cancel-safe.)
type CancelSafe interface {
	CancelSafe() bool
}
