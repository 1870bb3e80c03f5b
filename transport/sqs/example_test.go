package sqs_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
	"github.com/sqs-mega/sqs-mega-go/transport/memory/sqsserver"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// Dial a queue of a local SQS endpoint (the one `mega serve` runs, here
// in process), then send, receive and delete through the SQS API.
func ExampleDial() {
	broker := memory.New()
	defer broker.Close()
	srv := sqsserver.New(broker)
	ep, err := sqsserver.Listen("127.0.0.1:0", srv)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ep.Close()
	if _, err := srv.CreateQueue("jobs", nil); err != nil {
		fmt.Println(err)
		return
	}

	ctx := context.Background()
	// The endpoint comes from the queue URL, whose host is not AWS's; a
	// local server takes any credentials.
	q, err := sqs.Dial(ctx, ep.QueueURL("jobs"),
		sqs.WithCredentials(credentials.NewStaticCredentialsProvider("test", "test", "")),
		sqs.WithHTTPClient(sqsserver.NewHTTPClient(nil)))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := q.Send(ctx, []transport.Outgoing{
		{Body: "resize image 1", Attributes: map[string]transport.Attribute{"size": {DataType: "Number", StringValue: "640"}}},
		{Body: "resize image 2"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sent", len(res), "messages")

	msgs, err := q.Receive(ctx, transport.ReceiveRequest{MaxMessages: 10, WaitTime: time.Second})
	if err != nil {
		fmt.Println(err)
		return
	}
	var handles []string
	for _, m := range msgs {
		fmt.Printf("%s (receive %d, size %q)\n", m.Body, m.ReceiveCount, m.Attributes["size"].StringValue)
		handles = append(handles, m.ReceiptHandle)
	}
	errs, err := q.Delete(ctx, handles)
	fmt.Println("deleted:", err == nil && errs[0] == nil && errs[1] == nil)
	info, _ := q.Describe(ctx)
	fmt.Println(info.ARN, info.VisibilityTimeout)
	// Output:
	// sent 2 messages
	// resize image 1 (receive 1, size "640")
	// resize image 2 (receive 1, size "")
	// deleted: true
	// arn:aws:sqs:us-east-1:000000000000:jobs 30s
}
