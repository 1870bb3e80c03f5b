// Package s3store is an [offload.Store] on Amazon S3 (aws-sdk-go-v2), for
// the bodies of messages too large for SQS or SNS, in the wire form of
// the AWS extended clients (see package offload).
//
// [New] wraps an existing client; [Dial] builds one from the standard
// configuration chain:
//
//	store, err := s3store.Dial(ctx, s3store.WithSSEKMS(""))
//
// [WithEndpoint] reaches an S3-compatible server (moto, LocalStack,
// MinIO) and turns on path-style addressing, which such servers need on
// a bare host and port.
//
// Errors are classified by the SDK's types and codes: a missing bucket
// or key wraps [offload.ErrNotFound]; every other failure is transient
// for the caller, after the SDK's own retries.
package s3store
