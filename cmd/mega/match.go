package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
)

func init() {
	register("match", "test a pattern against message bodies", cmdMatch)
}

const matchHelp = `
Tests a pattern (JSON text, or @FILE) against message bodies: each FILE, or
standard input with - or no argument, is one body, decoded as a consumer
decodes it. A MEGA event is matched with event-pattern semantics ("name",
"domain", … look in the event; any other key in its attributes), a data
payload with data-pattern semantics (the pattern applies to the document).

Prints one line per input, "match" or "no match". Exit status: 0 if every
input matched, 1 if one did not, 2 for an invalid pattern or bad usage,
3 if an input is an invalid MEGA payload or not a document at all.

With --sns-policy, prints instead the SNS filter policy (scope MessageBody)
that the event pattern pushes down to SNS, and the keys it leaves to the
client.

Example:
  mega match -p '{"name": {"$match": "user:"}, "version": {"$gte": 2}}' event.json
`

func cmdMatch(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "match", "-p PATTERN [--sns-policy] [--sns-topic-arn ARN]... [FILE...|-]", matchHelp)
	pattern := fs.String("p", "", "the pattern: JSON text, or @FILE to read it from a file (required)")
	snsPolicy := fs.Bool("sns-policy", false, "print the SNS filter policy the event pattern pushes down, and what remains client-side")
	var topics stringList
	fs.Var(&topics, "sns-topic-arn", "unwrap SNS envelopes only from this topic (repeatable)")
	inputs, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	if *pattern == "" {
		fmt.Fprintln(e.stderr, "mega match: -p PATTERN is required")
		return exitUsage
	}
	text := []byte(*pattern)
	if name, ok := strings.CutPrefix(*pattern, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(e.stderr, "mega match: reading the pattern: %v\n", err)
			return exitUsage
		}
		text = b
	}
	if *snsPolicy {
		return printSNSPolicy(e, text)
	}
	// The pattern is compiled both ways up front: as a data pattern and,
	// when it is an object, as an event pattern.
	dataPattern, err := match.Parse(text)
	if err != nil {
		fmt.Fprintf(e.stderr, "mega match: invalid pattern: %v\n", err)
		return exitUsage
	}
	dataMatcher, err := match.Compile(dataPattern)
	if err != nil {
		fmt.Fprintf(e.stderr, "mega match: invalid pattern: %v\n", err)
		return exitUsage
	}
	var eventMatcher *match.Matcher
	eventPattern, eventErr := match.ParseEvent(text)
	if eventErr == nil {
		eventMatcher, eventErr = match.Compile(eventPattern)
	}

	if len(inputs) == 0 {
		inputs = []string{"-"}
	}
	dec := protocol.Decoder{TopicARNs: topics}
	status := exitOK
	for _, in := range inputs {
		body, err := readInput(e, in)
		if err != nil {
			fmt.Fprintf(e.stderr, "mega match: %v\n", err)
			return exitFailure
		}
		m, err := dec.Decode(string(body))
		var matched bool
		switch {
		case err != nil:
			fmt.Fprintf(e.stderr, "mega match: %s: %v\n", in, err)
			fmt.Fprintln(e.stdout, "error")
			status = exitUndecode
			continue
		case m.Kind == protocol.KindMega:
			if eventMatcher == nil {
				fmt.Fprintf(e.stderr, "mega match: invalid event pattern: %v\n", eventErr)
				return exitUsage
			}
			matched = eventMatcher.Match(m.Document())
		case m.Kind == protocol.KindData:
			matched = dataMatcher.Match(m.Data)
		default:
			fmt.Fprintf(e.stderr, "mega match: %s: the body is %s, not a JSON or BSON document\n", in, m.Kind)
			fmt.Fprintln(e.stdout, "error")
			status = exitUndecode
			continue
		}
		if matched {
			fmt.Fprintln(e.stdout, "match")
		} else {
			fmt.Fprintln(e.stdout, "no match")
			if status == exitOK {
				status = exitFailure
			}
		}
	}
	return status
}

// printSNSPolicy prints the SNS filter policy an event pattern pushes down
// (a pattern that is not an object is taken as a data pattern).
func printSNSPolicy(e *env, text []byte) int {
	var m *match.Matcher
	p, err := match.ParseEvent(text)
	if err == nil {
		m, err = match.Compile(p)
	} else if dp, derr := match.Parse(text); derr == nil && !isObject(text) {
		m, err = match.Compile(dp)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "mega match: invalid pattern: %v\n", err)
		return exitUsage
	}
	out, err := json.MarshalIndent(m.SNSFilter(), "", "  ")
	if err != nil {
		fmt.Fprintf(e.stderr, "mega match: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(e.stdout, "%s\n", out)
	return exitOK
}

func isObject(text []byte) bool {
	t := bytes.TrimSpace(text)
	return len(t) > 0 && t[0] == '{'
}
