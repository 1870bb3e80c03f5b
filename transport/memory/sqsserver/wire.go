package sqsserver

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"slices"
)

// Request and response shapes of the AWS JSON 1.0 protocol, named and
// spelled as in the SQS model. Optional numbers are pointers so that
// "absent" (use the queue's default) differs from zero.

type attributeValue struct {
	DataType         string   `json:"DataType"`
	StringValue      *string  `json:"StringValue,omitempty"`
	BinaryValue      []byte   `json:"BinaryValue,omitempty"`
	StringListValues []string `json:"StringListValues,omitempty"`
	BinaryListValues [][]byte `json:"BinaryListValues,omitempty"`
}

type createQueueInput struct {
	QueueName  string            `json:"QueueName"`
	Attributes map[string]string `json:"Attributes"`
}

type queueURLOutput struct {
	QueueURL string `json:"QueueUrl"`
}

type getQueueURLInput struct {
	QueueName              string `json:"QueueName"`
	QueueOwnerAWSAccountID string `json:"QueueOwnerAWSAccountId"`
}

// queueInput is the QueueUrl of a request on one queue.
type queueInput struct {
	QueueURL string `json:"QueueUrl"`
}

func (in *queueInput) queueURL() string { return in.QueueURL }

type getQueueAttributesInput struct {
	queueInput
	AttributeNames []string `json:"AttributeNames"`
}

type attributesOutput struct {
	Attributes map[string]string `json:"Attributes,omitempty"`
}

type setQueueAttributesInput struct {
	queueInput
	Attributes map[string]string `json:"Attributes"`
}

type listQueuesInput struct {
	QueueNamePrefix string `json:"QueueNamePrefix"`
	MaxResults      *int   `json:"MaxResults"`
	NextToken       string `json:"NextToken"`
}

type listQueuesOutput struct {
	QueueUrls []string `json:"QueueUrls,omitempty"`
	NextToken string   `json:"NextToken,omitempty"`
}

type listDeadLetterSourceQueuesInput struct {
	queueInput
	MaxResults *int   `json:"MaxResults"`
	NextToken  string `json:"NextToken"`
}

// listDeadLetterSourceQueuesOutput spells queueUrls in lower case, as
// the SQS model does for this action alone.
type listDeadLetterSourceQueuesOutput struct {
	QueueUrls []string `json:"queueUrls"`
	NextToken string   `json:"NextToken,omitempty"`
}

type sendMessageInput struct {
	queueInput
	MessageBody             *string                   `json:"MessageBody"`
	DelaySeconds            *int                      `json:"DelaySeconds"`
	MessageAttributes       map[string]attributeValue `json:"MessageAttributes"`
	MessageSystemAttributes map[string]attributeValue `json:"MessageSystemAttributes"`
	MessageGroupID          *string                   `json:"MessageGroupId"`
	MessageDeduplicationID  *string                   `json:"MessageDeduplicationId"`
}

type sendMessageOutput struct {
	MessageID                    string `json:"MessageId"`
	MD5OfMessageBody             string `json:"MD5OfMessageBody"`
	MD5OfMessageAttributes       string `json:"MD5OfMessageAttributes,omitempty"`
	MD5OfMessageSystemAttributes string `json:"MD5OfMessageSystemAttributes,omitempty"`
	SequenceNumber               string `json:"SequenceNumber,omitempty"`
}

type sendMessageBatchEntry struct {
	ID string `json:"Id"`
	sendMessageInput
}

type sendMessageBatchInput struct {
	queueInput
	Entries []sendMessageBatchEntry `json:"Entries"`
}

type sendMessageBatchResult struct {
	ID string `json:"Id"`
	sendMessageOutput
}

type batchError struct {
	ID          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message,omitempty"`
}

type sendMessageBatchOutput struct {
	Successful []sendMessageBatchResult `json:"Successful"`
	Failed     []batchError             `json:"Failed"`
}

type receiveMessageInput struct {
	queueInput
	AttributeNames              []string `json:"AttributeNames"`
	MessageSystemAttributeNames []string `json:"MessageSystemAttributeNames"`
	MessageAttributeNames       []string `json:"MessageAttributeNames"`
	MaxNumberOfMessages         *int     `json:"MaxNumberOfMessages"`
	VisibilityTimeout           *int     `json:"VisibilityTimeout"`
	WaitTimeSeconds             *int     `json:"WaitTimeSeconds"`
}

type messageOutput struct {
	MessageID              string                    `json:"MessageId"`
	ReceiptHandle          string                    `json:"ReceiptHandle"`
	MD5OfBody              string                    `json:"MD5OfBody"`
	Body                   string                    `json:"Body"`
	Attributes             map[string]string         `json:"Attributes,omitempty"`
	MD5OfMessageAttributes string                    `json:"MD5OfMessageAttributes,omitempty"`
	MessageAttributes      map[string]attributeValue `json:"MessageAttributes,omitempty"`
}

type receiveMessageOutput struct {
	Messages []messageOutput `json:"Messages,omitempty"`
}

type deleteMessageInput struct {
	queueInput
	ReceiptHandle string `json:"ReceiptHandle"`
}

type receiptEntry struct {
	ID                string `json:"Id"`
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int   `json:"VisibilityTimeout"`
}

type batchReceiptsInput struct {
	queueInput
	Entries []receiptEntry `json:"Entries"`
}

type batchID struct {
	ID string `json:"Id"`
}

type batchReceiptsOutput struct {
	Successful []batchID    `json:"Successful"`
	Failed     []batchError `json:"Failed"`
}

type changeVisibilityInput struct {
	queueInput
	ReceiptHandle     string `json:"ReceiptHandle"`
	VisibilityTimeout *int   `json:"VisibilityTimeout"`
}

type emptyOutput struct{}

// Transport types of the attribute checksum, as AWS defines them.
const (
	stringTransport     = 1
	binaryTransport     = 2
	stringListTransport = 3
	binaryListTransport = 4
)

// md5Hex is the hex MD5 of s: MD5OfMessageBody and MD5OfBody.
func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// attributesMD5 is MD5OfMessageAttributes as AWS computes it: for each
// attribute in byte order of its name, the name, the data type and the value
// each as a 4-byte big-endian length followed by the bytes, the value
// preceded by one byte naming its transport type. It is "" for no
// attributes: AWS leaves the field out then.
func attributesMD5(attrs map[string]attributeValue) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for name := range attrs {
		names = append(names, name)
	}
	slices.Sort(names)
	h := md5.New()
	for _, name := range names {
		a := attrs[name]
		writeField(h, []byte(name))
		writeField(h, []byte(a.DataType))
		switch {
		case a.StringValue != nil:
			h.Write([]byte{stringTransport})
			writeField(h, []byte(*a.StringValue))
		case a.BinaryValue != nil:
			h.Write([]byte{binaryTransport})
			writeField(h, a.BinaryValue)
		case a.StringListValues != nil:
			h.Write([]byte{stringListTransport})
			for _, v := range a.StringListValues {
				writeField(h, []byte(v))
			}
		case a.BinaryListValues != nil:
			h.Write([]byte{binaryListTransport})
			for _, v := range a.BinaryListValues {
				writeField(h, v)
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeField(h hash.Hash, b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	h.Write(n[:])
	h.Write(b)
}
