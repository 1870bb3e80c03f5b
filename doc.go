// Package mega publishes and consumes MEGA events and data payloads over
// Amazon SQS and SNS, selecting what each subscriber processes with the
// patterns of package match. SPEC.md, at the repository's root, is the
// normative behaviour.
//
// A [Consumer] long-polls a queue, decodes each body (JSON or BSON, SNS
// envelopes from trusted topics unwrapped; see package protocol), hands the
// message to every [Subscriber] whose pattern matches it, and settles it by
// the rules of at-least-once delivery: deleted once every matching
// subscriber is done, made visible again after a backoff when one asks for
// a retry or fails, and sent to the dead-letter queue with the reason when
// one fails permanently, when the body is an invalid MEGA payload, or when
// it is not a MEGA message at all (kept in the queue, logged, when there is
// no dead-letter queue). One process never handles two copies of one
// message; a heartbeat keeps held messages invisible; shutdown is graceful
// ([Consumer.Drain]) or immediate ([Consumer.Stop]).
//
// A consumer's work is split by concern: a [Router] decodes a message and
// runs the matching subscribers, a pure decide step turns their results
// into a [Verdict], and the engine of one Run receives, dispatches to
// long-lived workers and settles through a receipt lease. A Router serves
// on its own where messages come some other way (the Lambda adapter).
//
// A [Publisher] sends events and data payloads to a queue or a topic, one
// at a time or in batches. [Redrive] moves messages out of a dead-letter
// queue, back to their queue once the cause is fixed, without losing any.
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
