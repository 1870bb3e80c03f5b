package transporttest

import (
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// describe calls Describe on q, failing the test when q is not a
// Describer or the call fails.
func describe(t *testing.T, s *suite, q transport.Queue) transport.QueueInfo {
	t.Helper()
	d, ok := q.(transport.Describer)
	if !ok {
		t.Fatalf("Features.Describe is set, but %T does not implement transport.Describer", q)
	}
	info, err := d.Describe(s.ctx(t))
	if err != nil {
		t.Fatalf("Describe: %v", err)
	}
	return info
}

// testDescribe: Describe reports the queue's kind, visibility timeout and
// redrive policy as configured.
func testDescribe(t *testing.T, s *suite) {
	kinds := []bool{false}
	if s.h.Features.FIFO {
		kinds = append(kinds, true)
	}
	for _, fifo := range kinds {
		name := "standard"
		if fifo {
			name = "FIFO"
		}
		t.Run(name, func(t *testing.T) {
			q, _ := s.newQueue(t, QueueConfig{FIFO: fifo, VisibilityTimeout: 45 * time.Second})
			info := describe(t, s, q)
			if info.URL == "" || info.ARN == "" {
				t.Errorf("URL %q, ARN %q: want both", info.URL, info.ARN)
			}
			if info.FIFO != fifo {
				t.Errorf("FIFO = %v, want %v", info.FIFO, fifo)
			}
			if info.VisibilityTimeout != 45*time.Second {
				t.Errorf("VisibilityTimeout = %v, want 45s", info.VisibilityTimeout)
			}
			if info.MaxMessageSize <= 0 || info.MaxMessageSize > transport.MaxBodySize {
				t.Errorf("MaxMessageSize = %d, want 1..%d", info.MaxMessageSize, transport.MaxBodySize)
			}
			if info.DeadLetterTargetARN != "" || info.MaxReceiveCount != 0 {
				t.Errorf("a queue without a redrive policy reports DeadLetterTargetARN %q, MaxReceiveCount %d", info.DeadLetterTargetARN, info.MaxReceiveCount)
			}

			if !s.h.Features.Redrive {
				return
			}
			q, dlq := s.newQueue(t, QueueConfig{FIFO: fifo, MaxReceiveCount: 3})
			info = describe(t, s, q)
			dlqInfo := describe(t, s, dlq)
			if info.DeadLetterTargetARN != dlqInfo.ARN || info.MaxReceiveCount != 3 {
				t.Errorf("DeadLetterTargetARN %q, MaxReceiveCount %d; want %q, 3", info.DeadLetterTargetARN, info.MaxReceiveCount, dlqInfo.ARN)
			}
			if info.ARN == dlqInfo.ARN || info.URL == dlqInfo.URL {
				t.Errorf("the queue and its dead-letter queue share an identifier: %+v, %+v", info, dlqInfo)
			}
			if dlqInfo.FIFO != fifo {
				t.Errorf("dead-letter queue FIFO = %v, want %v", dlqInfo.FIFO, fifo)
			}
		})
	}
}

// testDeadLetterQueue: DeadLetterQueue returns the queue the redrive
// policy names (a message sent through it arrives at the dead-letter
// queue), and nil for a queue without a redrive policy.
func testDeadLetterQueue(t *testing.T, s *suite) {
	ctx := s.ctx(t)
	finder := func(q transport.Queue) transport.DeadLetterFinder {
		t.Helper()
		f, ok := q.(transport.DeadLetterFinder)
		if !ok {
			t.Fatalf("Features.DeadLetterFinder is set, but %T does not implement transport.DeadLetterFinder", q)
		}
		return f
	}

	plain, _ := s.newQueue(t, QueueConfig{})
	found, err := finder(plain).DeadLetterQueue(ctx)
	if err != nil || found != nil {
		t.Errorf("DeadLetterQueue of a queue without a redrive policy = %v, %v; want nil, nil", found, err)
	}

	q, dlq := s.newQueue(t, QueueConfig{MaxReceiveCount: 3})
	found, err = finder(q).DeadLetterQueue(ctx)
	if err != nil {
		t.Fatalf("DeadLetterQueue: %v", err)
	}
	if found == nil {
		t.Fatal("DeadLetterQueue returned nil for a queue with a redrive policy")
	}
	res := sendOK(t, ctx, found, transport.Outgoing{Body: "via the finder"})
	m := s.collect(t, ctx, dlq, 1, transport.ReceiveRequest{})[0]
	if m.ID != res[0].MessageID {
		t.Errorf("the dead-letter queue received %q, want the message sent through DeadLetterQueue's result", m.Body)
	}
	deleteOK(t, ctx, dlq, m)
}
