// Package transport defines the narrow interface between the SQS MEGA
// runtime and a queue service, modelled on Amazon SQS.
//
// A [Queue] sends, receives, deletes and changes the visibility of
// messages in batches of at most [MaxBatch]. Optional capabilities
// ([Describer], [DeadLetterFinder], [DeadLetterSourceLister]) are found by
// type assertion, in the manner of database/sql/driver.
//
// The rule book ([CheckSend], [CheckPublish], [CheckReceive],
// [CheckBatchSize], ...) holds the rules SQS and SNS apply to requests:
// every transport checks them before it sends or stores anything, so that
// what one accepts the others, and AWS, accept too. A broken rule is a
// [*RuleError] carrying the code SQS answers, for a server that speaks
// its protocol.
//
// Two implementations ship with the module: transport/memory, in-process
// with SQS semantics, and transport/sqs (with transport/sns for topics),
// on aws-sdk-go-v2. Both pass the conformance suite in
// transport/transporttest.
package transport
