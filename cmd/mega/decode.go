package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sqs-mega/sqs-mega-go/protocol"
)

func init() {
	register("decode", "decode one message body and print it as JSON", cmdDecode)
}

const decodeHelp = `
Decodes one SQS message body (a file, or standard input with - or no
argument) and prints one JSON object:

  {"kind": "mega"|"data"|"text"|"binary"|"none", "payload": ..., "sns": {...}, "sns_trusted": true|false}

A body that looks like JSON but does not parse is plain text: decode says
so on standard error, with the parse error.

A MEGA event is printed in normalized form (defaults applied, timestamp in
RFC 3339); binary is {"$base64": ...}; text that is not UTF-8 is given as
"payload_base64". An invalid MEGA payload prints
{"kind": "invalid", "error": "..."} and exits with status 3.

"sns" and "sns_trusted" are present when the body was an SNS envelope,
which is unwrapped. Anybody allowed to send to a queue can send a body
shaped like an envelope, so a consumer unwraps envelopes only from the
topics it trusts: those the queue's access policy lets send, or those it
is given. Without --sns-topic-arn, decode unwraps every envelope and, since
it reads no queue policy, says "sns_trusted": false; 'mega tail' reads the
policy of the queue it reads. With --sns-topic-arn, decode does what such
a consumer does: envelopes of the topics given are unwrapped, with
"sns_trusted": true, and the others are data payloads.

With --s3-bucket (repeatable), a body that is a large-payload pointer of
the AWS extended clients (or an SNS envelope carrying one) is resolved
from S3 first, reading only from the buckets named, and the output has
"offloaded": {"bucket": ..., "key": ..., "size": ...}. A pointer that
cannot be resolved exits with status 3. --endpoint sends the S3 requests
to an S3-compatible server.
`

func cmdDecode(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "decode", "[--sns-topic-arn ARN]... [--s3-bucket B]... [--endpoint URL] [FILE|-]", decodeHelp)
	var topics stringList
	fs.Var(&topics, "sns-topic-arn", "trust this SNS topic (repeatable): unwrap only its envelopes; others are data")
	var buckets stringList
	fs.Var(&buckets, "s3-bucket", "resolve large-payload pointers into this S3 `bucket` (repeatable)")
	var aws awsFlags
	aws.add(fs)
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintln(e.stderr, "mega decode: one body at a time")
		return exitUsage
	}
	name := "-"
	if len(pos) == 1 {
		name = pos[0]
	}
	body, err := readInput(e, name)
	if err != nil {
		fmt.Fprintf(e.stderr, "mega decode: %v\n", err)
		return exitFailure
	}
	body, ref, code := resolveBody(ctx, e, &aws, buckets, body)
	if code != exitOK {
		return code
	}
	d := protocol.Decoder{TopicARNs: topics}
	m, decodeErr := d.Decode(string(body))
	out, err := inspectJSON(m, topics)
	if err == nil && ref != nil {
		out, err = appendField(out, "offloaded", map[string]any{"bucket": ref.Bucket, "key": ref.Key, "size": ref.Size, "sns": ref.SNS})
	}
	if err == nil && decodeErr != nil {
		// {"kind": "invalid", "sns": … when it came in an envelope, "error": …}
		out, err = appendField(out, "error", decodeErr.Error())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "mega decode: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s\n", out)
	if why := notJSON(body, m.Kind); why != "" {
		fmt.Fprintf(e.stderr, "mega decode: %s\n", why)
	}
	if decodeErr != nil {
		return exitUndecode
	}
	return exitOK
}

// notJSON explains a body that looks like a JSON document (it starts with
// { or [) but was not decoded as one: why it does not parse, and what it
// was taken for. It returns "" for any other body.
func notJSON(body []byte, kind protocol.Kind) string {
	t := bytes.TrimSpace(body)
	if len(t) == 0 || (t[0] != '{' && t[0] != '[') || kind != protocol.KindText {
		return ""
	}
	var v any
	err := json.Unmarshal(body, &v)
	if err == nil {
		return "" // an array: JSON, taken as text by the rules of SPEC §2
	}
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		line, col := lineCol(body, syntax.Offset)
		return fmt.Sprintf("the body is not JSON: %v (line %d, column %d); decoded as plain text", err, line, col)
	}
	return fmt.Sprintf("the body is not JSON: %v; decoded as plain text", err)
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(b []byte, offset int64) (line, col int) {
	offset = min(max(offset, 0), int64(len(b)))
	before := b[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - (bytes.LastIndexByte(before, '\n') + 1)
	return line, max(col, 1)
}

// inspectJSON writes a decoded message as the inspection commands print
// it: the form of protocol.Message's MarshalJSON, with "sns_trusted" after
// "sns" when the body was an envelope, true when its topic is one of
// trusted. (It is a key of its own: the "sns" object has the exact shape
// the conformance vectors compare.)
func inspectJSON(m protocol.Message, trusted []string) ([]byte, error) {
	b, err := json.Marshal(m)
	if err != nil || m.SNS == nil {
		return b, err
	}
	return appendField(b, "sns_trusted", protocol.TopicAllowed(trusted, m.SNS.TopicARN))
}
