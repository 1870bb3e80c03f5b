// Package sqsfake is an in-process Amazon SQS endpoint for benchmarks and
// tests. It is a measuring instrument, not part of the SQS MEGA library.
//
// A [Server] speaks the AWS JSON 1.0 protocol that aws-sdk-go-v2 (and
// every SDK built on the current SQS model) uses: POST / with
// X-Amz-Target: AmazonSQS.<Action> and a JSON body. Errors come back as
// {"__type": "com.amazonaws.sqs#<Shape>", "message": ...} with the HTTP
// status of the SQS model and the x-amzn-query-error header, so SDKs
// surface the same typed errors and error codes as against AWS.
//
// Standard queues behave as SQS does where a client can tell:
//   - visibility timeouts, DelaySeconds, ApproximateReceiveCount and the
//     other system attributes (SenderId, SentTimestamp,
//     ApproximateFirstReceiveTimestamp, AWSTraceHeader) when requested;
//   - a new receipt handle on every receive; deleting with a stale handle
//     succeeds without deleting the message, as AWS documents;
//   - message attributes round trip, with MD5OfMessageBody and
//     MD5OfMessageAttributes computed as AWS computes them (the SDKs check);
//   - long polling that returns as soon as a message becomes available;
//   - a redrive policy moves a message to its dead-letter queue when it
//     would be received more than maxReceiveCount times.
//
// Every operation costs O(log n) in the queue depth at most, so queues of
// hundreds of thousands of messages stay fast.
//
// Deliberately absent: FIFO queues (rejected at creation), message
// retention expiry, the 60-second limits on PurgeQueue and on re-creating a
// deleted queue, permissions, tags, KMS and message move tasks.
//
// For measurements, a server injects a fixed latency before answering each
// request ([Server.SetLatency]; a long poll's wait comes on top) and counts
// requests per API ([Server.Counts]). [Options.Second] shrinks the API's
// second (visibility timeouts, delays, long-poll waits) so that tests of
// redelivery run in milliseconds. [Server.SetIntercept] injects errors.
//
// SDK clients should use [NewHTTPClient] as their HTTP client: it keeps a
// race of aws-sdk-go-v2 from losing answers of an endpoint that answers at
// once (see [HTTPClient]).
//
// The server listens on a loopback address only.
package sqsfake
