// Package lease holds received SQS messages on behalf of whoever handles
// them: it keeps them invisible while they are held (a heartbeat extends
// their visibility in batches, early enough), knows each message once
// whatever the number of its copies received (the newest receipt handle
// settles it), and settles them (delete, change of visibility, release)
// in batches, trying transient failures again for as long as it matters.
//
// It is used by the consumer of the root package, by `mega tail` and by
// the Lambda adapter; it is not API.
package lease
