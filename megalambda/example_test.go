package megalambda_test

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/megalambda"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// A subscriber of user events in a Lambda function behind an SQS event
// source mapping: in main, lambda.Start(h.SQS). The record asking for a
// retry comes back; the record that is not a MEGA message goes to the
// dead-letter queue and, like the processed one, is done.
func Example() {
	router, _ := mega.NewRouter(mega.WithLogger(quiet))
	_ = router.Subscribe(mega.Subscriber{
		Name:  "users",
		Event: match.Event{"name": match.Regex(`user:.*`)},
		Process: func(ctx context.Context, m *mega.Message) error {
			if m.Mega.Event.Attributes["fail"] == true {
				return mega.Retry(0)
			}
			fmt.Println("processed", m.Mega.Event.Name, m.Mega.Event.Subject)
			return nil
		},
	})
	broker := memory.New()
	defer broker.Close()
	dlq, _ := broker.CreateQueue("users-dlq", memory.QueueConfig{})
	h, _ := megalambda.New(router, megalambda.WithDeadLetterQueue(dlq), megalambda.WithLogger(quiet))

	record := func(id, body string) events.SQSMessage {
		return events.SQSMessage{
			MessageId: id, ReceiptHandle: "receipt-" + id, Body: body,
			Attributes:  map[string]string{"ApproximateReceiveCount": "1"},
			EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:users",
		}
	}
	resp, err := h.SQS(context.Background(), events.SQSEvent{Records: []events.SQSMessage{
		record("1", `{"protocol":"mega","version":1,"event":{"name":"user:created","timestamp":"2024-05-01T10:00:00Z","subject":"42"}}`),
		record("2", `{"protocol":"mega","version":1,"event":{"name":"user:deleted","timestamp":"2024-05-01T10:00:00Z","attributes":{"fail":true}}}`),
		record("3", `hello`),
	}})
	fmt.Println("batchItemFailures:", resp.BatchItemFailures, err)
	st := h.Stats()
	fmt.Println("processed:", st.Processed, "retried:", st.Retried, "dead-lettered:", st.DeadLettered)
	// Output:
	// processed user:created 42
	// batchItemFailures: [{2}] <nil>
	// processed: 1 retried: 1 dead-lettered: 1
}
