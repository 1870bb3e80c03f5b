// Package memory is an in-process transport with the semantics of
// Amazon SQS and SNS: the embedded transport of `mega demo` and the one
// to use in unit tests of subscribers.
//
// A [Broker] holds queues and topics. A [Queue] implements
// [transport.Queue] with SQS's behaviour: visibility timeouts and
// receive counts, delivery delays, long polling, redrive to a
// dead-letter queue, FIFO message groups and deduplication, receipt
// handles that expire when a message is received again, and SQS's
// limits on batches, sizes and attributes. A [Topic] fans messages out
// to subscribed queues as SNS does, in SNS's notification envelope or
// raw, through optional filter policies, to the queues whose access
// policy lets the topic send ([Queue.SetPolicy]; [Broker.Subscribe] adds
// the statement a topic needs, as a real setup does).
//
// Tests can inspect queues without receiving from them ([Queue.Stats],
// [Queue.Messages]) and make time pass at will with a [ManualClock].
//
// The subpackage sqsserver serves a broker's queues over the SQS API, for SDKs
// and tools in other processes (`mega serve`).
//
// Every type of the package is safe for concurrent use. The transport
// passes the conformance suite of package transporttest.
package memory
