package snsverify_test

import (
	"fmt"

	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/protocol/snsverify"
)

// The text SNS signs for a notification: name and value lines, in byte
// order of the names, Subject only when there is one.
func ExampleStringToSign() {
	text, _ := snsverify.StringToSign(&protocol.SNS{
		Type:      "Notification",
		MessageID: "4d4dc071-ddbf-465d-bba8-08f81c89da64",
		TopicARN:  "arn:aws:sns:us-east-2:123456789012:orders",
		Subject:   "My subject",
		Message:   "My Test Message",
		Timestamp: "2019-01-31T04:37:04.321Z",
	})
	fmt.Print(text)
	// Output:
	// Message
	// My Test Message
	// MessageId
	// 4d4dc071-ddbf-465d-bba8-08f81c89da64
	// Subject
	// My subject
	// Timestamp
	// 2019-01-31T04:37:04.321Z
	// TopicArn
	// arn:aws:sns:us-east-2:123456789012:orders
	// Type
	// Notification
}
