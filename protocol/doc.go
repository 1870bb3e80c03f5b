// Package protocol implements the MEGA event protocol, version 1, and the
// message bodies that carry it over Amazon SQS and SNS.
//
// [Decode] turns an SQS message body into a [Message]: a MEGA event
// ([Mega]), a data payload (any other JSON or BSON document), plain text,
// binary data, or nothing (SNS subscription confirmations). Bodies may be
// JSON, standard base64 of BSON, other base64, or text; SNS notifications
// delivered without raw message delivery are unwrapped transparently, and
// their envelope stays available in [Message.SNS]. A document that carries
// the MEGA header but breaks the protocol is an error that lists every
// problem with its field path ([ValidationError]); it is never downgraded
// to data.
//
// Anybody allowed to send to a queue can send a body shaped like an SNS
// envelope. A [Decoder] can therefore be restricted to trusted topics
// (TopicARNs, TrustedOnly) and given a Verify hook, such as the Verify
// method of package protocol/snsverify, which checks SNS signatures: an
// envelope of another topic, or one that fails verification, is decoded as
// the data document it is.
//
// [Decoder.Scan] reads a body into a reusable [Body] without decoding it:
// one pass over the JSON text (or the BSON document, or the message of an
// SNS notification) classifies it exactly as Decode would and validates a
// MEGA event, after which [Body.Lookup] reads the values of the document
// patterns apply to straight from the body, and [Body.Message] decodes
// the message when it is wanted. Decode itself is that scan followed by
// Message: the document is built from the scan in one pass, every map and
// slice sized beforehand.
//
// [Encoder] does the reverse for publishers, in JSON or BSON, refusing
// bodies over the SQS size limit before anything reaches the network.
//
// The decoded documents use the value model of package codec: numbers are
// json.Number with their exact decimal text, so that patterns compare them
// exactly.
package protocol
