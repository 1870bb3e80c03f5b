// Package megalambda runs the subscribers of a [mega.Router] in an AWS
// Lambda function, behind an SQS event source mapping or an SNS
// subscription, with the semantics of a [mega.Consumer] (SPEC §4).
//
//	r, _ := mega.NewRouter()
//	r.Subscribe(mega.Subscriber{Event: match.Event{"name": match.Prefix("user:")}, Process: process})
//	h, _ := megalambda.New(r, megalambda.WithSourceQueue(queue), megalambda.WithDeadLetterQueue(dlq))
//	lambda.Start(h.SQS)
//
// [Handler.SQS] answers an SQS event with the records that must come back
// (partial batch responses: the mapping needs ReportBatchItemFailures):
// retries, retriable errors, panics, records not finished a margin before
// the deadline, records that cannot be processed when no dead-letter
// queue took their copy, and unmatched records when the router keeps
// them. Every other record is done, and the mapping deletes it; a record
// that was not handled is never reported done.
//
// A retry's delay (from [mega.Retry], or the router's backoff for the
// record's ApproximateReceiveCount) is applied by changing the record's
// visibility on the queue given with [WithSourceQueue]; without one the
// record comes back when the queue's visibility timeout ends. Records
// that cannot be processed are copied, with the reason, to the queue
// given with [WithDeadLetterQueue] before they are reported done; without
// one they are reported as failures, so that the queue's redrive policy
// moves them.
//
// On FIFO queues the records of each message group are handled in order,
// and the first record of a group that is not done holds back the rest
// of its group (reported as failures, not handled); other groups go on.
//
// A router with [mega.WithPayloadResolver] reads offloaded payloads back,
// but the adapter never deletes them from the store: the event source
// mapping deletes a message only after the function has answered, so a
// payload deleted earlier could be missing when the message comes back.
// Let a lifecycle rule on the bucket expire them.
//
// [Handler.SNS] handles an SNS event and returns an error when a
// notification is not done, so that Lambda retries it. [Handler.Invoke]
// takes either event as raw JSON and checks it first, for
// lambda.StartHandler.
//
// The package is named megalambda so that it reads well beside
// github.com/aws/aws-lambda-go/lambda.
package megalambda
