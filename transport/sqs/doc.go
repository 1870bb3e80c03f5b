// Package sqs is the Amazon SQS transport: a [transport.Queue] on
// aws-sdk-go-v2, for AWS and for SQS-compatible servers (LocalStack,
// ElasticMQ, moto).
//
// [New] wraps an existing client; [Dial] builds one from the standard
// configuration chain (environment, shared files, SSO, roles) and the
// options, with [WithEndpoint] for a local server:
//
//	q, err := sqs.Dial(ctx, "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs")
//
// Calls map one to one onto the SQS API: Receive is ReceiveMessage (asking
// for every system and message attribute), Send is SendMessage or
// SendMessageBatch, Delete and ChangeVisibility are the batch calls, with
// per-entry results. Requests SQS would refuse (too many entries, a message
// over the size limit, a FIFO message without a group id) fail before the
// network with the [transport] sentinel errors; errors from SQS are
// classified by their types and codes into the same sentinels, with the
// SDK's error kept in the chain for errors.As. The client's retryer (the
// SDK's standard one unless configured with [WithRetryer]) retries
// throttling and transient failures before an error is returned.
//
// Cancelling the context of a Receive aborts its long poll, but SQS may
// already have handed the aborted call some messages: they stay invisible
// until their visibility timeout ends. A consumer that shuts down should
// finish its last poll with a context that is not cancelled.
//
// The administration helpers ([CreateQueue], [DeleteQueue], [QueueURL],
// [QueueARN], [SetRedrivePolicy]) are for demos, tests and tools; in
// production, queues are usually made by infrastructure code.
package sqs
