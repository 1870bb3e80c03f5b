package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
(--topic-arn). Each FILE is one message; with - (or no argument) standard
input holds one message per line (blank lines are skipped).

By default a message is a JSON document. A document with the MEGA header
("protocol": "mega", "version": 1) is a MEGA event: it is validated, and
event.timestamp defaults to now. Any other JSON object is published as a
data payload. In JSON, numbers are sent exactly as written; BSON has only
64-bit integers and doubles. With --text, each FILE (or line of standard
input) is sent as it is, as plain text; with --binary, each FILE (or the
whole of standard input) is one message of bytes, sent as base64. Every
input is read and checked before anything is sent: an input that is not a
JSON object, or not a valid MEGA event, stops the command with status 2 and
nothing published.

Messages go out in batches of up to 10, as JSON (or base64 BSON with
--bson). The message ids are printed one per line, in the order of the
inputs; a message that could not be sent leaves its line empty and is
named on standard error.

--attr adds a message attribute to every message (SQS message attributes,
or SNS message attributes on a topic, which filter policies on attributes
read): NAME=VALUE is a String, NAME:Number=42 a Number, NAME:Binary=BASE64
bytes, NAME:String.custom=VALUE a String of a custom type. A message
carries at most 10 attributes; MEGA events and data payloads spend one on
their encoding when there is room.

FIFO queues and topics (names ending in .fifo) need --group-id; the
deduplication id of each message is the SHA-256 of its body, as
content-based deduplication would make it, unless --dedup-id gives one (to
publish a single message). --delay postpones delivery on a standard queue.

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
    mega publish --topic-arn arn:aws:sns:eu-west-1:123456789012:events --attr source=shell -
  printf 'hello' | mega publish --queue-url "$URL" --text --delay 30 -
  mega publish --queue-url "$URL" --binary photo.jpg --attr kind:String.mime=image/jpeg
`

// publishInput is one message to publish and where it came from.
type publishInput struct {
	name    string // the file, or "stdin line N"
	payload protocol.Payload
}

// bodyKind says how publish reads its inputs.
type bodyKind int

const (
	bodyJSON   bodyKind = iota
	bodyText            // each input verbatim, as plain text
	bodyBinary          // each input as bytes, sent base64
)

// publishSettings are what every entry of one publish gets.
type publishSettings struct {
	enc            protocol.Encoding
	limit          int // the destination's largest message
	fifo           bool
	groupID, dedup string
	delay          time.Duration
	attrs          map[string]transport.Attribute
}

func cmdPublish(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "publish", "--queue-url URL | --topic-arn ARN [--bson | --text | --binary] [--attr NAME[:TYPE]=VALUE]... [--group-id G] [--dedup-id D] [--delay SECONDS] [--s3-bucket B [--s3-always]] [--endpoint URL] [--region R] [FILE...|-]", publishHelp)
	queueURL := fs.String("queue-url", "", "the `URL` of the SQS queue to publish to")
	topicARN := fs.String("topic-arn", "", "the `ARN` of the SNS topic to publish to")
	useBSON := fs.Bool("bson", false, "encode the documents as BSON (base64) instead of JSON")
	text := fs.Bool("text", false, "send each input as plain text (a FILE, or a line of standard input)")
	binary := fs.Bool("binary", false, "send each input as bytes, base64 (a FILE, or all of standard input)")
	var attrFlags stringList
	fs.Var(&attrFlags, "attr", "add the message attribute `NAME[:TYPE]=VALUE` (repeatable); TYPE String (default), Number or Binary (base64)")
	groupID := fs.String("group-id", "", "message group id (required for FIFO queues and topics)")
	dedupID := fs.String("dedup-id", "", "deduplication id of the message, on a FIFO destination (default: the SHA-256 of the body)")
	delay := fs.Float64("delay", 0, "postpone delivery by this many `seconds` (standard queues; at most 900)")
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
	kind := bodyJSON
	switch {
	case (*queueURL == "") == (*topicARN == ""):
		return fail(errors.New("give one destination: --queue-url or --topic-arn"))
	case btoi(*useBSON)+btoi(*text)+btoi(*binary) > 1:
		return fail(errors.New("give at most one of --bson, --text and --binary"))
	case *text:
		kind = bodyText
	case *binary:
		kind = bodyBinary
	}
	set := publishSettings{enc: protocol.JSON, groupID: *groupID, dedup: *dedupID}
	if *useBSON {
		set.enc = protocol.BSON
	}
	attrs, err := parseAttrs(attrFlags)
	if err != nil {
		return fail(err)
	}
	set.attrs = attrs
	if !(*delay >= 0 && *delay <= transport.MaxDelay.Seconds()) {
		return fail(fmt.Errorf("--delay must be between 0 and %v seconds", transport.MaxDelay.Seconds()))
	}
	set.delay = time.Duration(*delay * float64(time.Second))

	var dest transport.Sender
	if *queueURL != "" {
		q, err := sqs.Dial(ctx, *queueURL, aws.sqsOptions()...)
		if err != nil {
			return fail(err)
		}
		dest, set.fifo, set.limit = q, q.FIFO(), transport.MaxBodySize
	} else {
		if set.delay > 0 {
			return fail(errors.New("--delay is for queues: SNS topics deliver at once"))
		}
		t, err := sns.Dial(ctx, *topicARN, aws.snsOptions()...)
		if err != nil {
			return fail(err)
		}
		dest, set.fifo, set.limit = t, t.FIFO(), sns.MaxMessageSize
	}
	switch {
	case set.fifo && *groupID == "":
		return fail(errors.New("a FIFO destination needs --group-id"))
	case set.fifo && set.delay > 0:
		return fail(errors.New("FIFO queues take no per-message --delay (set the queue's DelaySeconds instead)"))
	case !set.fifo && *groupID != "", !set.fifo && *dedupID != "":
		return fail(errors.New("--group-id and --dedup-id are for FIFO queues and topics (names ending in .fifo)"))
	}
	if len(names) == 0 {
		names = []string{"-"}
	}
	inputs, err := readPublishInputs(e, names, kind)
	if err != nil {
		return fail(err)
	}
	if *dedupID != "" && len(inputs) > 1 {
		return fail(fmt.Errorf("--dedup-id names one message, and there are %d: leave it out to deduplicate each by its body", len(inputs)))
	}
	// With --s3-bucket, large bodies go through S3: the body limit is
	// then the publisher's, not the destination's.
	bodies := set
	bodies.limit = s3.bodyLimit(set.limit)
	entries, err := publishEntries(inputs, bodies)
	if err != nil {
		return fail(err)
	}
	if len(entries) == 0 {
		return exitOK
	}
	// The credentials were looked up once, when dest was made: without
	// any, say so once rather than once per message.
	if err := aws.checkCredentials(ctx); err != nil {
		return fail(err)
	}

	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s3opts, err := s3.options(ctx, &aws)
	if err != nil {
		return fail(err)
	}
	p, err := mega.NewPublisher(dest, append([]mega.PublisherOption{mega.WithEncoding(set.enc), mega.WithMaxMessageSize(set.limit), mega.WithPublisherLogger(logger)}, s3opts...)...)
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
	named := func(err error) error {
		if *queueURL != "" {
			return queueErr(*queueURL, err)
		}
		return topicErr(*topicARN, err)
	}
	var be *mega.BatchError
	if !errors.As(err, &be) {
		fmt.Fprintf(e.stderr, "mega publish: %v\n", named(err))
		return exitFailure
	}
	if len(be.Failures) == len(entries) && errors.Is(be.Failures[0].Err, transport.ErrQueueNotFound) {
		fmt.Fprintf(e.stderr, "mega publish: %v: nothing was sent\n", named(be.Failures[0].Err))
		return exitFailure
	}
	for _, f := range be.Failures {
		fmt.Fprintf(e.stderr, "mega publish: %s: not sent: %v\n", inputs[f.Index].name, named(f.Err))
	}
	fmt.Fprintf(e.stderr, "mega publish: %d of %d messages not sent\n", len(be.Failures), len(entries))
	return exitFailure
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseAttrs reads the --attr flags: NAME=VALUE or NAME:TYPE=VALUE.
func parseAttrs(flags []string) (map[string]transport.Attribute, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	attrs := make(map[string]transport.Attribute, len(flags))
	var errs []error
	for _, f := range flags {
		key, value, ok := strings.Cut(f, "=")
		if !ok || key == "" {
			errs = append(errs, fmt.Errorf("--attr %q: want NAME=VALUE or NAME:TYPE=VALUE", f))
			continue
		}
		name, typ, typed := strings.Cut(key, ":")
		if !typed {
			typ = "String"
		}
		if _, dup := attrs[name]; dup {
			errs = append(errs, fmt.Errorf("--attr %s given twice", name))
			continue
		}
		a := transport.Attribute{DataType: typ}
		base, _, _ := strings.Cut(typ, ".")
		switch base {
		case "String":
			a.StringValue = value
		case "Number":
			if _, err := strconv.ParseFloat(value, 64); err != nil {
				errs = append(errs, fmt.Errorf("--attr %s: %q is not a number", name, value))
				continue
			}
			a.StringValue = value
		case "Binary":
			b, err := base64.StdEncoding.DecodeString(value)
			if err != nil {
				errs = append(errs, fmt.Errorf("--attr %s: a Binary value is standard base64: %w", name, err))
				continue
			}
			a.BinaryValue = b
		default:
			errs = append(errs, fmt.Errorf("--attr %s: type %q: want String, Number or Binary (optionally .custom)", name, typ))
			continue
		}
		attrs[name] = a
	}
	if len(attrs) > transport.MaxAttributes {
		errs = append(errs, fmt.Errorf("%d attributes: a message carries at most %d", len(attrs), transport.MaxAttributes))
	}
	return attrs, errors.Join(errs...)
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
// "-" standard input as one message per line (all of it, for binary).
func readPublishInputs(e *env, names []string, kind bodyKind) ([]publishInput, error) {
	var inputs []publishInput
	var errs []error
	stdin := false
	for _, name := range names {
		if name == "-" {
			if stdin {
				return nil, errors.New("standard input (-) given twice")
			}
			stdin = true
			all, err := readInput(e, "-")
			if err != nil {
				return nil, fmt.Errorf("reading standard input: %w", err)
			}
			if kind == bodyBinary {
				inputs = append(inputs, publishInput{name: "stdin", payload: protocol.NewBinary(all)})
				continue
			}
			for i, line := range bytes.Split(all, []byte("\n")) {
				line = bytes.TrimSuffix(line, []byte("\r"))
				if len(bytes.TrimSpace(line)) == 0 {
					continue
				}
				in := publishInput{name: fmt.Sprintf("stdin line %d", i+1)}
				var err error
				if in.payload, err = parsePublishBody(line, kind); err != nil {
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
		if in.payload, err = parsePublishBody(b, kind); err != nil {
			if jsonLines(b) {
				err = fmt.Errorf("%w (a file holds one message; for JSON lines, use - and standard input)", err)
			}
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
		inputs = append(inputs, in)
	}
	return inputs, errors.Join(errs...)
}

// parsePublishBody turns one input into the payload to publish.
func parsePublishBody(b []byte, kind bodyKind) (protocol.Payload, error) {
	switch kind {
	case bodyText:
		if !utf8.Valid(b) {
			return protocol.Payload{}, errors.New("not UTF-8 text: publish it with --binary")
		}
		return protocol.NewText(string(b)), nil
	case bodyBinary:
		return protocol.NewBinary(b), nil
	}
	return parsePublishInput(b)
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
// given one, else the SHA-256 of its body.
func publishEntries(inputs []publishInput, set publishSettings) ([]mega.Entry, error) {
	entries := make([]mega.Entry, len(inputs))
	var errs []error
	for i, in := range inputs {
		attrs := maps.Clone(set.attrs)
		room := set.limit
		for k, a := range attrs {
			room -= a.Size(k)
		}
		if (in.payload.Kind == protocol.KindMega || in.payload.Kind == protocol.KindData) && len(attrs) < transport.MaxAttributes {
			// The publisher names the encoding in a message attribute:
			// leave room.
			room -= transport.StringAttribute(set.enc.String()).Size(mega.AttrEncoding)
		}
		encoder := protocol.Encoder{Encoding: set.enc, MaxSize: max(room, 1)}
		body, err := encoder.Encode(in.payload)
		if err == nil && room < 1 {
			err = fmt.Errorf("the message attributes alone take the %d bytes a message may have", set.limit)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", in.name, err))
			continue
		}
		entries[i] = mega.Entry{Payload: in.payload, GroupID: set.groupID, Attributes: attrs, Delay: set.delay}
		if set.fifo {
			entries[i].DeduplicationID = set.dedup
			if set.dedup == "" {
				sum := sha256.Sum256([]byte(body))
				entries[i].DeduplicationID = hex.EncodeToString(sum[:])
			}
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
