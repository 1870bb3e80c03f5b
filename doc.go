// Package mega publishes and consumes MEGA events and data payloads over
// Amazon SQS and SNS, selecting what each subscriber processes with the
// patterns of package match.
//
// A [Consumer] long-polls a queue, decodes each body (JSON or BSON, SNS
// envelopes unwrapped; see package protocol), hands the message to every
// [Subscriber] whose pattern matches it, and settles it by the rules of
// at-least-once delivery: deleted once every matching subscriber is done,
// made visible again after a backoff when one asks for a retry or fails,
// and sent to the dead-letter queue with the reason when one fails
// permanently, when the body is an invalid MEGA payload, or when it is not
// a MEGA message at all. A heartbeat keeps long handlers' messages
// invisible; shutdown is graceful.
//
// A [Publisher] sends events and data payloads to a queue or a topic, one
// at a time or in batches.
//
// Both emit OpenTelemetry traces and metrics (see [WithTracerProvider],
// [WithPublisherTracerProvider] and [MessageCarrier]): the trace context
// travels in the traceparent and tracestate message attributes, and each
// subscriber's ctx carries its process span. With no provider
// configured, nothing is recorded.
//
// Queues and topics come from the transports: transport/memory, in
// process, for tests and demos, and transport/sqs and transport/sns on
// AWS (or any SQS-compatible server).
package mega
