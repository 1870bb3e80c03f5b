package memory_test

import (
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
	"github.com/sqs-mega/sqs-mega-go/transport/transporttest"
)

// TestConformance runs the shared transport suite with every feature on.
// The memory transport honours any duration, so the suite's time unit is
// short; the system clock keeps the suite honest about real waiting.
func TestConformance(t *testing.T) {
	transporttest.Run(t, transporttest.Harness{
		Features: transporttest.Features{
			FIFO:                  true,
			Delay:                 true,
			Redrive:               true,
			ExactReceive:          true,
			VisibilityGranularity: 100 * time.Millisecond,
			Describe:              true,
			DeadLetterFinder:      true,
		},
		NewQueue: func(t *testing.T, cfg transporttest.QueueConfig) (transport.Queue, transport.Queue) {
			b := memory.New()
			t.Cleanup(func() { _ = b.Close() })
			suffix := ""
			if cfg.FIFO {
				suffix = ".fifo"
			}
			qc := memory.QueueConfig{
				VisibilityTimeout:         cfg.VisibilityTimeout,
				Delay:                     cfg.Delay,
				ContentBasedDeduplication: cfg.ContentBasedDeduplication,
			}
			var dlq *memory.Queue
			if cfg.MaxReceiveCount > 0 {
				var err error
				if dlq, err = b.CreateQueue("dead-letters"+suffix, memory.QueueConfig{}); err != nil {
					t.Fatal(err)
				}
				qc.Redrive = &memory.Redrive{DeadLetterQueue: dlq.Name(), MaxReceiveCount: cfg.MaxReceiveCount}
			}
			q, err := b.CreateQueue("queue"+suffix, qc)
			if err != nil {
				t.Fatal(err)
			}
			if dlq == nil {
				return q, nil
			}
			return q, dlq
		},
	})
}
