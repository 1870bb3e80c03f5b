// Command lambda is an AWS Lambda function that runs a MEGA subscriber on
// the records of an SQS queue (or the notifications of an SNS topic). The
// subscriber takes the MEGA events whose name matches user:.* and asks
// for a retry when the event's attribute fail is true; every other event
// is done, and the event source mapping deletes it.
//
// Build it as bootstrap for the provided.al2023 runtime, zip it and create
// the function:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap ./examples/lambda
//	zip function.zip bootstrap
//	aws lambda create-function --function-name mega-users \
//	    --runtime provided.al2023 --architectures arm64 --handler bootstrap \
//	    --zip-file fileb://function.zip --role arn:aws:iam::123456789012:role/mega-users \
//	    --environment 'Variables={MEGA_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/users}'
//
// Then connect the queue with partial batch responses, so that only the
// records the function reports come back:
//
//	aws lambda create-event-source-mapping --function-name mega-users \
//	    --event-source-arn arn:aws:sqs:eu-west-1:123456789012:users \
//	    --batch-size 10 --function-response-types ReportBatchItemFailures
//
// The role needs sqs:ReceiveMessage, sqs:DeleteMessage and
// sqs:GetQueueAttributes on the queue (AWSLambdaSQSQueueExecutionRole),
// sqs:ChangeMessageVisibility for retry delays and sqs:SendMessage on the
// dead-letter queue if one is set. Give the queue a visibility timeout of
// at least six times the function's timeout, as AWS advises, and a redrive
// policy.
//
// Environment:
//
//	MEGA_QUEUE_URL  the queue the mapping reads: retries are delayed by
//	                changing the record's visibility (else the queue's
//	                visibility timeout applies)
//	MEGA_DLQ_URL    a dead-letter queue for records that cannot be
//	                processed (else they are reported as failures, for
//	                the queue's redrive policy)
//	MEGA_TOPIC_ARNS comma-separated SNS topics whose envelopes are trusted
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/megalambda"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

func main() {
	h, err := newHandler(context.Background())
	if err != nil {
		slog.Error("cannot start", "error", err)
		os.Exit(1)
	}
	// Invoke takes SQS and SNS events and rejects anything else.
	lambda.StartHandler(h)
}

func newHandler(ctx context.Context) (*megalambda.Handler, error) {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	var ropts []mega.Option
	ropts = append(ropts, mega.WithLogger(log))
	if arns := os.Getenv("MEGA_TOPIC_ARNS"); arns != "" {
		ropts = append(ropts, mega.WithTopicARNs(strings.Split(arns, ",")...))
	}
	router, err := mega.NewRouter(ropts...)
	if err != nil {
		return nil, err
	}
	err = router.Subscribe(mega.Subscriber{
		Name:  "users",
		Event: match.Event{"name": match.Regex(`user:.*`)},
		Process: func(ctx context.Context, m *mega.Message) error {
			if fail := m.Mega.Event.Attributes["fail"]; fail == true || fail == "true" {
				return mega.Retry(0)
			}
			log.Info("user event processed", "name", m.Mega.Event.Name, "subject", m.Mega.Event.Subject, "message_id", m.ID)
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	opts := []megalambda.Option{megalambda.WithLogger(log)}
	if u := os.Getenv("MEGA_QUEUE_URL"); u != "" {
		q, err := sqs.Dial(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("MEGA_QUEUE_URL: %w", err)
		}
		opts = append(opts, megalambda.WithSourceQueue(q))
	}
	if u := os.Getenv("MEGA_DLQ_URL"); u != "" {
		q, err := sqs.Dial(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("MEGA_DLQ_URL: %w", err)
		}
		opts = append(opts, megalambda.WithDeadLetterQueue(q))
	}
	return megalambda.New(router, opts...)
}
