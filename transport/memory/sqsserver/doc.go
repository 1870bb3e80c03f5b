// Package sqsserver serves the queues of a [memory.Broker] over the
// Amazon SQS API: a local SQS endpoint that any SDK or the AWS CLI can
// talk to, with the memory transport's queue semantics. `mega serve`
// runs it.
//
// A [Server] is an http.Handler speaking the AWS JSON 1.0 protocol of
// SQS, the one aws-sdk-go-v2 and every SDK built on the current SQS model
// use: POST with X-Amz-Target: AmazonSQS.<Action> and a JSON body. Errors
// come back as SQS sends them, {"__type": "com.amazonaws.sqs#<Code>",
// "message": ...} with the HTTP status of the SQS model and the
// x-amzn-query-error header, so that SDKs raise the same typed errors as
// against AWS. [Listen] serves it on a loopback address:
//
//	srv := sqsserver.New(memory.New())
//	ep, err := sqsserver.Listen("127.0.0.1:9324", srv)
//	...
//	defer ep.Close()
//	// aws --endpoint-url http://127.0.0.1:9324 sqs create-queue --queue-name jobs
//
// The actions served are CreateQueue, GetQueueUrl, ListQueues,
// DeleteQueue, GetQueueAttributes, SetQueueAttributes, PurgeQueue,
// ListDeadLetterSourceQueues, SendMessage, SendMessageBatch,
// ReceiveMessage, DeleteMessage, DeleteMessageBatch,
// ChangeMessageVisibility and ChangeMessageVisibilityBatch. The broker
// does the queueing and checks every request as SQS does: visibility
// timeouts, receive counts, delays, long polls, FIFO groups and
// deduplication, redrive to a dead-letter queue, and SQS's limits; the
// server maps its errors to SQS error codes in one table. MD5OfMessageBody
// and MD5OfMessageAttributes are computed as AWS computes them (SDKs
// check them).
//
// Short polls (WaitTimeSeconds 0) sample, as on SQS, where a short poll
// asks only some of the servers holding the queue: each available message
// is found with probability 1/2, so that a short poll may return fewer
// messages than are available, or none, the more likely the fewer there
// are. [WithShortPollSampling] makes the draw deterministic, or turns it
// off.
//
// Deliberately absent: message retention (MessageRetentionPeriod is kept
// but messages never expire), the AWSTraceHeader system attribute (its
// checksum is answered, its value not kept), permissions, tags, KMS,
// message move tasks, and SNS. Policies and KMS settings are kept as
// attributes and not acted on. Queue URLs name the host the client
// reached; the server finds a queue by the last segment of its URL.
//
// [WithSecond] shrinks the API's second, in which visibility timeouts,
// delays and waits count, so that tests of redelivery run in
// milliseconds; a broker made with a [memory.ManualClock] makes them
// exact.
package sqsserver
