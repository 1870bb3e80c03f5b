package megalambda

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// FromSQS returns the message an SQS record carries, as the SQS
// transport would have received it: id, receipt handle, body, message
// attributes (string, number and binary), the system attributes by name
// (ApproximateReceiveCount, SentTimestamp, MessageGroupId, …) and the
// fields read from them.
func FromSQS(r events.SQSMessage) transport.Message {
	m := transport.Message{
		ID:              r.MessageId,
		ReceiptHandle:   r.ReceiptHandle,
		Body:            r.Body,
		System:          r.Attributes,
		GroupID:         r.Attributes["MessageGroupId"],
		DeduplicationID: r.Attributes["MessageDeduplicationId"],
		SequenceNumber:  r.Attributes["SequenceNumber"],
	}
	if n, err := strconv.Atoi(r.Attributes["ApproximateReceiveCount"]); err == nil {
		m.ReceiveCount = n
	}
	if ms, err := strconv.ParseInt(r.Attributes["SentTimestamp"], 10, 64); err == nil {
		m.SentAt = time.UnixMilli(ms).UTC()
	}
	if len(r.MessageAttributes) > 0 {
		m.Attributes = make(map[string]transport.Attribute, len(r.MessageAttributes))
		for k, a := range r.MessageAttributes {
			v := transport.Attribute{DataType: a.DataType, BinaryValue: a.BinaryValue}
			if a.StringValue != nil {
				v.StringValue = *a.StringValue
			}
			m.Attributes[k] = v
		}
	}
	return m
}

// snsTimestamp is how SNS writes the timestamp of an envelope; the
// signature covers it as written.
const snsTimestamp = "2006-01-02T15:04:05.000Z"

// FromSNS returns the message an SNS record carries: its body is the SNS
// envelope, as SNS delivers it to an SQS queue without raw message
// delivery, so that a [mega.Router] decodes it by the same rules
// (unwrapped only when its topic is trusted). The message id is the SNS
// message id; there is no receipt handle, and the receive count is 1.
func FromSNS(r events.SNSEventRecord) transport.Message {
	e := r.SNS
	env := map[string]any{
		"Type":             e.Type,
		"MessageId":        e.MessageID,
		"TopicArn":         e.TopicArn,
		"Message":          e.Message,
		"Timestamp":        e.Timestamp.UTC().Format(snsTimestamp),
		"SignatureVersion": e.SignatureVersion,
		"Signature":        e.Signature,
		"SigningCertURL":   e.SigningCertURL,
		"UnsubscribeURL":   e.UnsubscribeURL,
	}
	if e.Subject != "" {
		env["Subject"] = e.Subject
	}
	if len(e.MessageAttributes) > 0 {
		env["MessageAttributes"] = e.MessageAttributes
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	// Strings, times and values decoded from JSON always encode.
	_ = enc.Encode(env)
	return transport.Message{
		ID:           e.MessageID,
		Body:         string(bytes.TrimSuffix(b.Bytes(), []byte("\n"))),
		ReceiveCount: 1,
		SentAt:       e.Timestamp,
	}
}
