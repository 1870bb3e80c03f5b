package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/sqs-mega/sqs-mega-go/protocol"
)

func init() {
	register("decode", "decode one message body and print it as JSON", cmdDecode)
}

const decodeHelp = `
Decodes one SQS message body (a file, or standard input with - or no
argument) and prints one JSON object:

  {"kind": "mega"|"data"|"text"|"binary"|"none", "payload": ..., "sns": {...}}

A MEGA event is printed in normalized form (defaults applied, timestamp in
RFC 3339); binary is {"$base64": ...}; text that is not UTF-8 is given as
"payload_base64". "sns" is present when the body was an SNS notification
envelope, which is unwrapped. An invalid MEGA payload prints
{"kind": "invalid", "error": "..."} and exits with status 3.
`

func cmdDecode(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "decode", "[--sns-topic-arn ARN]... [FILE|-]", decodeHelp)
	var topics stringList
	fs.Var(&topics, "sns-topic-arn", "unwrap SNS envelopes only from this topic (repeatable); others are data")
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
	d := protocol.Decoder{TopicARNs: topics}
	m, decodeErr := d.Decode(string(body))
	out, err := json.Marshal(m)
	if err == nil && decodeErr != nil {
		// {"kind": "invalid", "sns": … when it came in an envelope, "error": …}
		out, err = appendField(out, "error", decodeErr.Error())
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "mega decode: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s\n", out)
	if decodeErr != nil {
		return exitUndecode
	}
	return exitOK
}
