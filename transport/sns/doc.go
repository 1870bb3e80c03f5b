// Package sns is the Amazon SNS transport: a topic as a
// [transport.Sender], on aws-sdk-go-v2, for fan-out to SQS queues.
//
// [New] wraps an existing client; [Dial] builds one from the standard
// configuration chain, in the region of the topic's ARN:
//
//	t, err := sns.Dial(ctx, "arn:aws:sns:eu-west-1:123456789012:events")
//
// Send publishes with Publish for one message and PublishBatch for more,
// with per-entry results, FIFO group and deduplication ids and message
// attributes. Messages SNS would refuse (over [MaxMessageSize], a delay,
// a FIFO message without a group id) fail before the network with the
// [transport] sentinel errors; errors from SNS are classified by type and
// code into the same sentinels (a missing topic is
// [transport.ErrQueueNotFound]).
//
// A queue subscribed with [SubscribeQueue] receives either the published
// body itself (raw message delivery) or the SNS envelope, a JSON document
// whose Message field holds the body; the MEGA decoder unwraps both.
package sns
