package memory

import (
	"encoding/base64"
	"math/rand/v2"
	"slices"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// envelopeTimeFormat is the format of an envelope's Timestamp: UTC with
// milliseconds, as SNS writes it.
const envelopeTimeFormat = "2006-01-02T15:04:05.000Z"

// appendEnvelope appends the SNS notification envelope of n, as SNS
// delivers it to the queue of subscription s, to buf. The layout copies
// SNS's, spaces and line breaks included, so that bodies look exactly
// like those SNS delivers:
//
//	{
//	  "Type" : "Notification",
//	  "MessageId" : "…",
//	  "TopicArn" : "arn:aws:sns:…",
//	  "Subject" : "…",
//	  "Message" : "…",
//	  "Timestamp" : "2006-01-02T15:04:05.000Z",
//	  "SignatureVersion" : "1",
//	  "Signature" : "…",
//	  "SigningCertURL" : "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-….pem",
//	  "UnsubscribeURL" : "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=…",
//	  "MessageAttributes" : {
//	    "name" : {"Type":"String","Value":"…"}
//	  }
//	}
//
// Subject appears only when set, MessageAttributes only when there are
// some (Binary values in base64), and FIFO topics add SequenceNumber
// after MessageId. The signature is n.signature, random: nothing can
// verify it.
func appendEnvelope(buf []byte, n *notification, s *Subscription) []byte {
	size := 640 + len(n.Message) + len(n.Subject) + len(n.signature) + len(s.arn) + len(s.topic.arn)
	for k, a := range n.Attributes {
		size += 40 + a.Size(k) + len(a.BinaryValue)/2
	}
	buf = slices.Grow(buf, size)
	field := func(name, value string) {
		buf = append(buf, "  \""...)
		buf = append(buf, name...)
		buf = append(buf, "\" : "...)
		buf = appendJSONString(buf, value)
		buf = append(buf, ",\n"...)
	}
	buf = append(buf, "{\n"...)
	field("Type", "Notification")
	field("MessageId", n.messageID)
	if n.seqNum != "" {
		field("SequenceNumber", n.seqNum)
	}
	field("TopicArn", s.topic.arn)
	if n.Subject != "" {
		field("Subject", n.Subject)
	}
	field("Message", n.Message)
	field("Timestamp", n.timestamp.UTC().Format(envelopeTimeFormat))
	field("SignatureVersion", "1")
	field("Signature", n.signature)
	field("SigningCertURL", "https://sns."+region+".amazonaws.com/"+signingCert)
	field("UnsubscribeURL", "https://sns."+region+".amazonaws.com/?Action=Unsubscribe&SubscriptionArn="+s.arn)
	if len(n.Attributes) == 0 {
		buf = buf[:len(buf)-2] // drop the last ",\n"
		return append(buf, "\n}"...)
	}
	buf = append(buf, "  \"MessageAttributes\" : {\n"...)
	names := make([]string, 0, len(n.Attributes))
	for k := range n.Attributes {
		names = append(names, k)
	}
	slices.Sort(names)
	for i, k := range names {
		a := n.Attributes[k]
		value := a.StringValue
		if transport.AttributeBaseType(a.DataType) == "Binary" {
			value = base64.StdEncoding.EncodeToString(a.BinaryValue)
		}
		buf = append(buf, "    "...)
		buf = appendJSONString(buf, k)
		buf = append(buf, ` : {"Type":`...)
		buf = appendJSONString(buf, a.DataType)
		buf = append(buf, `,"Value":`...)
		buf = appendJSONString(buf, value)
		buf = append(buf, '}')
		if i < len(names)-1 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
	}
	return append(buf, "  }\n}"...)
}

// signature returns a random stand-in for an SNS signature: the base64
// of 256 bytes, the length of a SHA1withRSA signature.
func signature() string {
	var b [256]byte
	for i := 0; i < len(b); i += 8 {
		v := rand.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

// appendJSONString appends s as a JSON string. Like SNS, it escapes only
// what JSON requires: quotes, backslashes and control characters.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		buf = append(buf, s[start:i]...)
		switch c {
		case '"', '\\':
			buf = append(buf, '\\', c)
		case '\n':
			buf = append(buf, '\\', 'n')
		case '\r':
			buf = append(buf, '\\', 'r')
		case '\t':
			buf = append(buf, '\\', 't')
		default:
			buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
