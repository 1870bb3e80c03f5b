package memory

import (
	"encoding/base64"
	"encoding/binary"
)

// Identifiers that make queues and notifications look like AWS's, so
// that code parsing them (an SNS envelope's TopicArn, a queue URL) is
// exercised as in production.
const (
	region    = "us-east-1"
	accountID = "000000000000"
)

func queueURL(name string) string {
	return "https://sqs." + region + ".amazonaws.com/" + accountID + "/" + name
}
func queueARN(name string) string { return "arn:aws:sqs:" + region + ":" + accountID + ":" + name }
func topicARN(name string) string { return "arn:aws:sns:" + region + ":" + accountID + ":" + name }

// A receipt handle names one receive of one message: the queue
// incarnation, the message's position in the queue, and how many times
// it had been received. It needs no table: a handle is current when the
// message it names is still in the queue and has been received exactly
// that many times.
const receiptLen = 8 + 8 + 4

type receipt struct {
	queue    uint64
	seq      uint64
	receives uint32
}

func (r receipt) String() string {
	var b [receiptLen]byte
	binary.BigEndian.PutUint64(b[0:], r.queue)
	binary.BigEndian.PutUint64(b[8:], r.seq)
	binary.BigEndian.PutUint32(b[16:], r.receives)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// parseReceipt decodes a receipt handle; ok is false when s is not one.
func parseReceipt(s string) (r receipt, ok bool) {
	if base64.RawURLEncoding.DecodedLen(len(s)) != receiptLen {
		return receipt{}, false
	}
	var b [receiptLen]byte
	if n, err := base64.RawURLEncoding.Decode(b[:], []byte(s)); err != nil || n != receiptLen {
		return receipt{}, false
	}
	return receipt{
		queue:    binary.BigEndian.Uint64(b[0:]),
		seq:      binary.BigEndian.Uint64(b[8:]),
		receives: binary.BigEndian.Uint32(b[16:]),
	}, true
}
