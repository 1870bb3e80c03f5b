package mega

import (
	"time"

	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Message is a received message as subscribers see it: the decoded payload
// (protocol.Message: Kind, Mega, Data, Text, Binary, and SNS for an SNS
// envelope) and what the queue says about it.
//
// A Message is shared by every subscriber that matches it: treat it as
// read-only.
type Message struct {
	protocol.Message

	// ID is the queue's message id (the SNS message id is in SNS).
	ID string
	// Body is the body as received, or, for a message that came through a
	// payload store, the body read back from it.
	Body string
	// Offloaded says where the body was when the message came through a
	// payload store ([WithPayloadResolver]); nil otherwise.
	Offloaded *Offloaded
	// ReceiveCount is how many times the message has been received, this
	// time included: 1 on the first delivery.
	ReceiveCount int
	// Attributes are the SQS message attributes.
	Attributes map[string]transport.Attribute
	// System holds the SQS system attributes by name.
	System map[string]string
	// GroupID is the message group of a FIFO queue.
	GroupID string
	// SentAt is when the queue accepted the message.
	SentAt time.Time
}
