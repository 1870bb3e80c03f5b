// Package sqsfake is an in-process Amazon SQS endpoint for benchmarks and
// tests: the SQS endpoint of package sqsserver (the memory transport's
// queues behind the AWS JSON 1.0 protocol) with the instruments a
// measurement needs. It is a measuring instrument, not part of the SQS
// MEGA library.
//
// The queues are those of package memory, so that their behaviour is the
// library's own: visibility timeouts and receive counts, delays, long
// polls that return as soon as a message becomes available, FIFO queues,
// redrive to a dead-letter queue, and SQS's limits. Short polls
// (WaitTimeSeconds 0) sample as SQS's do and may return fewer messages
// than are available, or none (see package sqsserver); [Options] makes
// the draw deterministic or turns it off.
//
// For measurements, a server injects a fixed latency before answering each
// request ([Server.SetLatency]; a long poll's wait comes on top) and counts
// requests per API ([Server.Counts], [Server.Peaks]). [Options.Second]
// shrinks the API's second (visibility timeouts, delays, long-poll waits)
// so that tests of redelivery run in milliseconds. [Server.SetIntercept]
// injects errors.
//
// SDK clients should use [NewHTTPClient] as their HTTP client: it keeps a
// race of aws-sdk-go-v2 from losing answers of an endpoint that answers at
// once (see [HTTPClient]).
//
// The server listens on a loopback address only.
package sqsfake
