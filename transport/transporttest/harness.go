package transporttest

import (
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// QueueConfig is what a case asks of the queue the harness creates:
// plain data, passed by value.
type QueueConfig struct {
	// FIFO asks for a FIFO queue (its name ends in ".fifo" where the
	// service requires it).
	FIFO bool
	// VisibilityTimeout is the queue's default visibility timeout; zero
	// means the transport's default (30 s on SQS).
	VisibilityTimeout time.Duration
	// Delay is the queue's delivery delay (DelaySeconds); zero means none.
	Delay time.Duration
	// MaxReceiveCount, when positive, gives the queue a redrive policy
	// that moves a message to a fresh dead-letter queue (of the same
	// kind, FIFO or standard) once it has been received that many times.
	MaxReceiveCount int
	// ContentBasedDeduplication turns on content-based deduplication
	// (FIFO queues only).
	ContentBasedDeduplication bool
}

// Features says which optional behaviours a transport offers. A case
// that needs a feature the transport lacks is skipped, not failed.
// Features is plain data.
type Features struct {
	// FIFO: the transport offers FIFO queues (groups, ordering,
	// deduplication).
	FIFO bool
	// Delay: per-message and per-queue delivery delays.
	Delay bool
	// Redrive: redrive policies that move a message to a dead-letter
	// queue after MaxReceiveCount receives.
	Redrive bool
	// ExactReceive: concurrent receivers never get the same message while
	// it is invisible. SQS standard queues and some SQS-compatible servers
	// (moto) may hand the same message to two concurrent receives.
	ExactReceive bool
	// VisibilityGranularity is the coarsest unit in which the transport
	// honours visibility timeouts, delays and long-poll waits (1 s on SQS,
	// whose APIs count in whole seconds). Every time-based case counts in
	// multiples of it, so a fine granularity makes the suite fast. Zero
	// means one second.
	VisibilityGranularity time.Duration
	// Describe: the queues implement [transport.Describer].
	Describe bool
	// DeadLetterFinder: the queues implement [transport.DeadLetterFinder].
	DeadLetterFinder bool
}

// Harness connects the suite to a transport. Run calls NewQueue from
// one goroutine at a time (its cases run one after another), so NewQueue
// need not be safe for concurrent use.
type Harness struct {
	// Features describes the transport under test.
	Features Features
	// NewQueue creates a fresh, empty queue configured as cfg asks, and
	// removes it when the test ends (with t.Cleanup). It returns the
	// dead-letter queue too when cfg.MaxReceiveCount is positive, and nil
	// otherwise. It fails the test (t.Fatal) when it cannot.
	NewQueue func(t *testing.T, cfg QueueConfig) (q, dlq transport.Queue)
}

// need is a feature a case requires.
type need int

const (
	needNothing need = iota
	needFIFO
	needDelay
	needRedrive
	needDescribe
	needDeadLetterFinder
)

func (n need) String() string {
	switch n {
	case needFIFO:
		return "FIFO"
	case needDelay:
		return "Delay"
	case needRedrive:
		return "Redrive"
	case needDescribe:
		return "Describe"
	case needDeadLetterFinder:
		return "DeadLetterFinder"
	}
	return "nothing"
}

func (f Features) has(n need) bool {
	switch n {
	case needFIFO:
		return f.FIFO
	case needDelay:
		return f.Delay
	case needRedrive:
		return f.Redrive
	case needDescribe:
		return f.Describe
	case needDeadLetterFinder:
		return f.DeadLetterFinder
	}
	return true
}

// testCase is one case of the suite.
type testCase struct {
	name  string
	needs []need
	run   func(t *testing.T, s *suite)
}

// cases lists the suite in the order Run runs it.
var cases = []testCase{
	{name: "SendReceiveDelete", run: testSendReceiveDelete},
	{name: "SendBatch", run: testSendBatch},
	{name: "ReceiveMaxMessages", run: testReceiveMaxMessages},
	{name: "BatchLimits", run: testBatchLimits},
	{name: "TooLarge", run: testTooLarge},
	{name: "TooManyAttributes", run: testTooManyAttributes},
	{name: "InvalidReceiptHandle", run: testInvalidReceiptHandle},
	{name: "VisibilityTimeout", run: testVisibilityTimeout},
	{name: "ChangeVisibilityToZero", run: testChangeVisibilityToZero},
	{name: "ChangeVisibilityExtends", run: testChangeVisibilityExtends},
	{name: "LongPoll", run: testLongPoll},
	{name: "ContextCancel", run: testContextCancel},
	{name: "ConcurrentReceivers", run: testConcurrentReceivers},
	{name: "Delay", needs: []need{needDelay}, run: testDelay},
	{name: "Redrive", needs: []need{needRedrive}, run: testRedrive},
	{name: "FIFO", needs: []need{needFIFO}, run: testFIFO},
	{name: "Describe", needs: []need{needDescribe}, run: testDescribe},
	{name: "DeadLetterQueue", needs: []need{needRedrive, needDeadLetterFinder}, run: testDeadLetterQueue},
}

// Run runs the conformance suite against the transport h describes, each
// case as a subtest of t. Cases needing a feature the transport lacks are
// skipped.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.NewQueue == nil {
		t.Fatal("transporttest: Harness.NewQueue is nil")
	}
	s := &suite{h: h, unit: h.Features.VisibilityGranularity}
	if s.unit <= 0 {
		s.unit = time.Second
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Every case makes its own queues: they run side by side, which
			// keeps the suite short on servers with a per-request latency.
			t.Parallel()
			for _, n := range c.needs {
				if !h.Features.has(n) {
					t.Skipf("the transport does not offer %s", n)
				}
			}
			c.run(t, s)
		})
	}
}
