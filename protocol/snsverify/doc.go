// Package snsverify checks the signatures of Amazon SNS envelopes
// (SignatureVersion 1, SHA1withRSA, and 2, SHA256withRSA), as AWS documents
// in "Verifying the signatures of Amazon SNS messages".
//
// An SQS queue subscribed to a topic receives the topic's notifications in
// an envelope that SNS signed; anybody allowed to send to the queue can
// also send a body shaped like one. Trusting only the topics a queue's
// policy allows (SPEC §2) is the first defence; verifying the signature is
// a second, for queues that other producers may write to.
//
// A [Verifier] rebuilds the string SNS signed from the envelope's fields,
// fetches the certificate named by SigningCertURL (which must be https on
// an sns.<region>.amazonaws.com host, or sns.<region>.amazonaws.com.cn in
// the China regions), caches it, and checks the signature with its public
// key. Its Verify method is the hook of [protocol.Decoder]:
//
//	v, err := snsverify.New()
//	...
//	d := protocol.Decoder{TopicARNs: topics, TrustedOnly: true, Verify: v.Verify}
//
// An envelope that fails verification is then decoded as the data
// document it is, like any forged envelope.
//
// The certificate is trusted because it comes over HTTPS (checked by TLS)
// from an SNS host; its own chain is not checked again, but its validity
// period is. Only AWS signs: local servers such as moto, and the memory
// transport, write envelopes whose signatures nothing verifies, so turn
// verification on only against AWS.
package snsverify
