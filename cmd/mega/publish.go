package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/codec"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

func init() {
	register("publish", "publish MEGA events and data documents to a queue or a topic", cmdPublish)
}

const publishHelp = `
Publishes messages to an SQS queue (--queue-url) or an SNS topic
(--topic-arn). Each FILE is one message, a JSON document; with - (or no
argument) standard input holds one message per line (JSON lines; blank
lines are skipped).

A document with the MEGA header ("protocol": "mega", "version": 1) is a
MEGA event: it is validated, and event.timestamp defaults to now. Any other
JSON object is published as a data payload. In JSON, numbers are sent
exactly as written; BSON has only 64-bit integers and doubles. Every input
is read and checked before anything is sent: an input that is not a JSON
object, or not a valid MEGA event, stops the command with status 2 and
nothing published.

Messages go out in batches of up to 10, as JSON (or base64 BSON with
--bson). The message ids are printed one per line, in the order of the
inputs; a message that could not be sent leaves its line empty and is
named on standard error.

FIFO queues and topics (names ending in .fifo) need --group-id; the
deduplication id of each message is the SHA-256 of its body, as
content-based deduplication would make it.

Credentials and region come from the standard AWS configuration chain
(environment, shared files, SSO, roles); --endpoint sends the requests to
an SQS/SNS-compatible server such as LocalStack or moto instead of AWS.

With --s3-bucket, a message too large for the queue (its
MaximumMessageSize, 1 MiB) or the topic (256 KiB), or every message with
--s3-always, has its body put into that S3 bucket and is sent as a
pointer with the ExtendedPayloadSize attribute, the form of the AWS SQS
and SNS Extended Client libraries. --endpoint applies to S3 too.

Exit status: 0 if every message was sent, 1 if one was not, 2 for bad
usage or invalid input.

Examples:
  mega publish --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/users event.json
  echo '{"protocol": "mega", "version": 1, "event": {"name": "user:created"}}' |
    mega publish --topic-arn arn:aws:sns:eu-west-1:123456789012:events -
`

// awsFlags are the flags that say how to reach AWS.
type awsFlags struct {
	endpoint, region string
}

func (a *awsFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&a.endpoint, "endpoint", "", "send requests to this SQS/SNS-compatible server (LocalStack, moto) instead of AWS")
	fs.StringVar(&a.region, "region", "", "AWS region (default: the queue's or topic's, else the configured one)")
}

func (a *awsFlags) sqsOptions() []sqs.Option {
	var opts []sqs.Option
	if a.endpoint != "" {
		opts = append(opts, sqs.WithEndpoint(a.endpoint))
	}
	if a.region != "" {
		opts = append(opts, sqs.WithRegion(a.region))
	}
	return opts
}

func (a *awsFlags) snsOptions() []sns.Option {
	var opts []sns.Option
	if a.endpoint != "" {
		opts = append(opts, sns.WithEndpoint(a.endpoint))
	}
	if a.region != "" {
		opts = append(opts, sns.WithRegion(a.region))
	}
	return opts
}

// publishInput is one message to publish and where it came from.
type publishInput struct {
	name    string // the file, or "stdin line N"
	payload protocol.Payload
}

func cmdPublish(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "publish", "--queue-url URL | --topic-arn ARN [--bson] [--endpoint URL] [--region R] [--group-id G] [--s3-bucket B [--s3-always]] [FILE...|-]", publishHelp)
	queueURL := fs.String("queue-url", "", "the `URL` of the SQS queue to publish to")
	topicARN := fs.String("topic-arn", "", "the `ARN` of the SNS topic to publish to")
	useBSON := fs.Bool("bson", false, "encode the documents as BSON (base64) instead of JSON")
	groupID := fs.String("group-id", "", "message group id (required for FIFO queues and topics)")
	var aws awsFlags
	aws.add(fs)
	var s3 publishS3
	s3.add(fs)
	names, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	fail := func(err error) int {
		printErrors(e, "mega publish", err)
		return exitUsage
	}
	if (*queueURL == "") == (*topicARN == "") {
		return fail(errors.New("give one destination: --queue-url or --topic-arn"))
	}

	var (
		dest  transport.Sender
		fifo  bool
		limit int
	)
	if *queueURL != "" {
		q, err := sqs.Dial(ctx, *queueURL, aws.sqsOptions()...)
		if err != nil {
			return fail(err)
		}
		dest, fifo, limit = q, q.FIFO(), transport.MaxBodySize
	} else {
		t, err := sns.Dial(ctx, *topicARN, aws.snsOptions()...)
		if err != nil {
			return fail(err)
		}
		dest, fifo, limit = t, t.FIFO(), sns.MaxMessageSize
	}
	if fifo && *groupID == "" {
		return fail(errors.New("a FIFO destination needs --group-id"))
	}
	if len(names) == 0 {
		names = []string{"-"}
	}
	inputs, err := readPublishInputs(e, names)
	if err != nil {
		return fail(err)
	}
	enc := protocol.JSON
	if *useBSON {
		enc = protocol.BSON
	}
	entries, err := publishEntries(inputs, enc, s3.bodyLimit(limit), *groupID, fifo)
	if err != nil {
		return fail(err)
	}
	if len(entries) == 0 {
		return exitOK
	}

	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s3opts, err := s3.options(ctx, &aws)
	if err != nil {
		return fail(err)
	}
	p, err := mega.NewPublisher(dest, append([]mega.PublisherOption{mega.WithEncoding(enc), mega.WithMaxMessageSize(limit), mega.WithPublisherLogger(logger)}, s3opts...)...)
	if err != nil {
		return fail(err)
	}
	ids, err := p.PublishBatch(ctx, entries)
	for _, id := range ids {
		fmt.Fprintln(e.stdout, id)
	}
	if err == nil {
		return exitOK
	}
	var be *mega.BatchError
	if !errors.As(err, &be) {
		fmt.Fprintf(e.stderr, "mega publish: %v\n", err)
		return exitFailure
	}
	for _, f := range be.Failures {
		fmt.Fprintf(e.stderr, "mega publish: %s: not sent: %v\n", inputs[f.Index].name, f.Err)
	}
	fmt.Fprintf(e.stderr, "mega publish: %d of %d messages not sent\n", len(be.Failures), len(entries))
	return exitFailure
}

// printErrors prints err on standard error, each of the errors it joins
// on a line of its own.
func printErrors(e *env, cmd string, err error) {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, err := range errs {
		fmt.Fprintf(e.stderr, "%s: %v\n", cmd, err)
	}
}

// readPublishInputs reads and parses every input: a file is one message,
// "-" standard input as JSON lines.
func readPublishInputs(e *env, names []string) ([]publishInput, error) {
	var inputs []publishInput
	var errs []error
	stdin := false
	for _, name := range names {
		if name == "-" {
			if stdin {
				return nil, errors.New("standard input (-) given twice")
			}
			stdin = true
			lines, err := readInput(e, "-")
			if err != nil {
				return nil, fmt.Errorf("reading standard input: %w", err)
			}
			for i, line := range bytes.Split(lines, []byte("\n")) {
				if len(bytes.TrimSpace(line)) == 0 {
					continue
				}
				in := publishInput{name: fmt.Sprintf("stdin line %d", i+1)}
				var err error
				if in.payload, err = parsePublishInput(line); err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", in.name, err))
				}
				inputs = append(inputs, in)
			}
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		in := publishInput{name: name}
		if in.payload, err = parsePublishInput(b); err != nil {
			if jsonLines(b) {
				err = fmt.Errorf("%w (a file holds one message; for JSON lines, use - and standard input)", err)
			}
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		inputs = append(inputs, in)
	}
	return inputs, errors.Join(errs...)
}

// parsePublishInput turns one JSON document into the payload to publish:
// a MEGA event when it has the MEGA header (validated, timestamp defaulting
// to now), else a data payload.
func parsePublishInput(b []byte) (protocol.Payload, error) {
	v, err := codec.DecodeJSON(b)
	if err != nil {
		return protocol.Payload{}, fmt.Errorf("not JSON: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return protocol.Payload{}, fmt.Errorf("a message is a JSON object, not %s", jsonKind(v))
	}
	if !protocol.IsMega(doc) {
		return protocol.NewData(doc), nil
	}
	m, err := protocol.ParseMega(doc)
	if err != nil {
		return protocol.Payload{}, err
	}
	return protocol.Payload{Kind: protocol.KindMega, Mega: m}, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case []any:
		return "an array"
	default:
		return "a number"
	}
}

// publishEntries encodes every payload once, to refuse before sending
// anything what the publisher would refuse, and returns the entries to
// publish. On a FIFO destination each entry's deduplication id is the
// SHA-256 of its body.
func publishEntries(inputs []publishInput, enc protocol.Encoding, limit int, groupID string, fifo bool) ([]mega.Entry, error) {
	// The publisher names the encoding in a message attribute: leave room.
	room := limit - transport.StringAttribute(enc.String()).Size(mega.AttrEncoding)
	encoder := protocol.Encoder{Encoding: enc, MaxSize: room}
	entries := make([]mega.Entry, len(inputs))
	var errs []error
	for i, in := range inputs {
		body, err := encoder.Encode(in.payload)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", in.name, err))
			continue
		}
		entries[i] = mega.Entry{Payload: in.payload, GroupID: groupID}
		if fifo {
			sum := sha256.Sum256([]byte(body))
			entries[i].DeduplicationID = hex.EncodeToString(sum[:])
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return entries, nil
}

// jsonLines reports whether b looks like several JSON documents, one per
// line: its first line is a JSON value and more follows.
func jsonLines(b []byte) bool {
	first, rest, _ := bytes.Cut(bytes.TrimSpace(b), []byte("\n"))
	if len(bytes.TrimSpace(rest)) == 0 {
		return false
	}
	_, err := codec.DecodeJSON(first)
	return err == nil
}
