// Package offload carries message bodies too large for a queue through an
// object store, in the wire form of the AWS SQS and SNS Extended Client
// libraries (amazon-sqs-java-extended-client-lib,
// amazon-sqs-extended-client for Python, amazon-sns-java-extended-client-lib,
// all built on payload-offloading-java-common-lib-for-aws), so that
// services in other languages read what this library writes and the other
// way round.
//
// An offloaded message has:
//
//   - the body [Pointer.Body]:
//     ["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "<bucket>", "s3Key": "<key>"}]
//   - the message attribute [SizeAttribute] ("ExtendedPayloadSize",
//     DataType Number): the size in bytes of the original body; older
//     clients wrote [LegacySizeAttribute] ("SQSLargePayloadSize");
//   - in the object store, the original body, byte for byte.
//
// The extended clients decide that a message is offloaded by the size
// attribute, not by the body; [ParsePointer] is strict on top of that: a
// body is a pointer only when it has exactly the shape above.
//
// A [Store] keeps the bodies: [Memory] in process, for tests and demos,
// and transport/s3store on Amazon S3 or any S3-compatible server.
//
// Some extended clients rewrite the receipt handles of offloaded messages
// to carry the pointer ([EmbedReceiptHandle], [SplitReceiptHandle]); the
// queue itself never sees those.
package offload
