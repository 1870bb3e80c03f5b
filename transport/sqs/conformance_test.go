package sqs_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
	"github.com/sqs-mega/sqs-mega-go/transport/memory/sqsserver"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
	"github.com/sqs-mega/sqs-mega-go/transport/transporttest"
)

// TestConformance runs the shared transport suite against SQS (moto in CI).
func TestConformance(t *testing.T) {
	// Standard queues may hand one message to two concurrent receives
	// (moto does it readily).
	conformance(t, client(t), false)
}

// TestConformanceInProcess runs the shared transport suite against the
// SQS endpoint of package sqsserver, in this process: the memory
// transport's queues behind the SQS API, reached through the SDK.
func TestConformanceInProcess(t *testing.T) {
	b := memory.New()
	t.Cleanup(func() { b.Close() })
	ep, err := sqsserver.Listen("127.0.0.1:0", sqsserver.New(b))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	c := awssqs.New(awssqs.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(ep.URL()),
		HTTPClient:   sqsserver.NewHTTPClient(nil),
	})
	conformance(t, c, true)
}

func conformance(t *testing.T, c *awssqs.Client, exact bool) {
	transporttest.Run(t, transporttest.Harness{
		Features: transporttest.Features{
			FIFO:                  true,
			Delay:                 true,
			Redrive:               true,
			ExactReceive:          exact,
			VisibilityGranularity: time.Second, // SQS counts in whole seconds
			Describe:              true,
			DeadLetterFinder:      true,
		},
		NewQueue: func(t *testing.T, cfg transporttest.QueueConfig) (transport.Queue, transport.Queue) {
			qc := sqs.QueueConfig{
				FIFO:                      cfg.FIFO,
				ContentBasedDeduplication: cfg.ContentBasedDeduplication,
				VisibilityTimeout:         cfg.VisibilityTimeout,
				Delay:                     cfg.Delay,
				// The suite sends messages of exactly MaxBodySize.
				MaxMessageSize: transport.MaxBodySize,
				// A default long-poll wait that every receive asking for
				// no wait must override (the SDK alone would not).
				Attributes: map[string]string{"ReceiveMessageWaitTimeSeconds": "5"},
			}
			var dlq transport.Queue
			if cfg.MaxReceiveCount > 0 {
				dlqURL := createQueue(t, c, sqs.QueueConfig{FIFO: cfg.FIFO})
				arn, err := sqs.QueueARN(t.Context(), c, dlqURL)
				if err != nil {
					t.Fatalf("QueueARN: %v", err)
				}
				qc.DeadLetter = sqs.RedrivePolicy{DeadLetterTargetARN: arn, MaxReceiveCount: cfg.MaxReceiveCount}
				if dlq, err = sqs.New(c, dlqURL); err != nil {
					t.Fatal(err)
				}
			}
			q, err := sqs.New(c, createQueue(t, c, qc))
			if err != nil {
				t.Fatal(err)
			}
			return q, dlq
		},
	})
}
