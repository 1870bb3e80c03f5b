// Package transporttest is the conformance suite that every
// [transport.Queue] implementation runs, so that code tested against one
// transport (usually transport/memory) behaves the same against another
// (transport/sqs on Amazon SQS or an SQS-compatible server).
//
// A transport's own test calls [Run] with a [Harness] that creates fresh
// queues and a [Features] value that says which optional behaviours the
// transport offers and how coarse its clock is:
//
//	func TestConformance(t *testing.T) {
//		transporttest.Run(t, transporttest.Harness{
//			Features: transporttest.Features{FIFO: true, Delay: true, Redrive: true},
//			NewQueue: func(t *testing.T, cfg transporttest.QueueConfig) (q, dlq transport.Queue) {
//				// create fresh queues, remove them in t.Cleanup
//			},
//		})
//	}
//
// Each case is a subtest with its own queues. Cases that wait for time to
// pass (visibility timeouts, delays, long polls) count in multiples of
// [Features.VisibilityGranularity], and judge an early delivery only by
// what the clock proves: a message that reappears is a failure only when
// it reappears before its timeout could have ended, so a slow machine
// makes a case slower, not flaky.
//
// The suite checks only what Amazon SQS guarantees and the memory
// transport reproduces. Where SQS is lenient (deleting with the stale
// receipt handle of a message received again, for one) the suite is
// silent, and the memory transport documents its own, stricter rule.
package transporttest
