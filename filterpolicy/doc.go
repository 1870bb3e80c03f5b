// Package filterpolicy models Amazon SNS subscription filter policies:
// it builds them, parses and validates them, and decides which messages
// they let through.
//
// It is the one place where this module states what a filter policy
// means. The match package generates policies with [Build] when it
// pushes a pattern down to SNS, and the memory transport evaluates
// subscriptions' policies with [Parse] and [Policy.Match], so a pattern
// pushed down is proven against the same evaluator the memory transport
// runs.
//
// # Semantics
//
// A policy is a JSON object. Each key names a message attribute (scope
// MessageAttributes) or a property of a JSON message body (scope
// MessageBody, where objects nest like the body); its value is a list of
// conditions, one of which must hold; every key must hold, and so must
// one branch of each "$or". The conditions are those of SNS: exact
// strings, numbers, booleans and null; "prefix", "suffix",
// "equals-ignore-case", "anything-but" (of values, or of a prefix or
// suffix), "numeric" (=, <, <=, >, >=, or a range), "exists" and "cidr".
//
// A key is matched against the leaf values at its path: an array holds
// several leaf values and the key holds when one of them does; an object
// is not a leaf value. Where AWS's documentation leaves a case open, the
// evaluator takes the reading under which SNS delivers the least, so
// that a policy proven to deliver a message here delivers it on AWS
// under every reading:
//
//   - prefix, suffix, equals-ignore-case and cidr match strings only;
//   - anything-but matches strings other than "" and numbers, and only
//     values of a kind its list holds (a list of strings never matches a
//     number); its prefix and suffix forms match non-empty strings only;
//   - numeric matches numbers within ±1e9 only, and must hold both on the
//     exact value and on the value rounded to five decimals; a numeric
//     string such as "42" is a string;
//   - exists:true needs a leaf value that is neither null nor "";
//     exists:false holds only when the key is absent.
//
// In the MessageAttributes scope, String attributes are strings, Number
// attributes numbers, String.Array and Number.Array attributes arrays
// of their JSON elements, and Binary attributes are ignored.
package filterpolicy
