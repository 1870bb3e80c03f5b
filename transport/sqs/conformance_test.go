package sqs_test

import (
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
	"github.com/sqs-mega/sqs-mega-go/transport/transporttest"
)

// TestConformance runs the shared transport suite against SQS (moto in CI).
func TestConformance(t *testing.T) {
	c := client(t)
	transporttest.Run(t, transporttest.Harness{
		Features: transporttest.Features{
			FIFO:    true,
			Delay:   true,
			Redrive: true,
			// Standard queues may hand one message to two concurrent
			// receives (moto does it readily).
			ExactReceive:          false,
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
