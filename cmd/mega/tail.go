package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/internal/lease"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

func init() {
	register("tail", "print the messages of a queue as JSON lines", cmdTail)
}

const tailHelp = `
Receives messages from an SQS queue and prints each as one JSON line, in
the form of 'mega decode' with the SQS message id added:

  {"kind": "mega"|"data"|"text"|"binary"|"none", "payload": ..., "sns": {...}, "sns_trusted": true|false, "message_id": "..."}

An invalid MEGA payload prints {"kind": "invalid", "error": "...", ...}.

SNS envelopes are unwrapped, and "sns_trusted" says whether a consumer of
the queue would trust the envelope's topic: without --sns-topic-arn, tail
reads the queue's access policy (GetQueueAttributes) and trusts the topics
it lets send, as a consumer does; it unwraps every envelope, so that a
forged one shows as "sns_trusted": false. With --sns-topic-arn, only the
envelopes of the topics given are unwrapped, with "sns_trusted": true;
the others are data payloads, as a consumer configured with those topics
sees them.

With -p, only the messages the pattern matches are printed, as 'mega match'
decides: an event pattern for MEGA events, a data pattern for data
payloads; text, binary and invalid bodies never match.

Without --delete the queue is left as it was: tail keeps the messages it
receives invisible while it runs, so that it sees each one once, and makes
them all visible again when it stops (their receive count goes up by one).
With --delete, the printed messages are deleted, and only those, each once
its line was written: if writing fails (a closed pipe, a full disk), tail
stops with exit status 1 and gives back at once the message whose line
failed and every one it holds. (On a
FIFO queue, the later messages of a group stay out of reach while tail
holds earlier ones: without --delete it sees the first few of each group.)

tail stops after --max printed messages, when no new message has arrived
for --wait seconds, or on Ctrl-C.

Credentials and region come from the standard AWS configuration chain;
--endpoint sends the requests to an SQS-compatible server instead of AWS.

With --s3-bucket (repeatable), a message whose body points into a payload
store (large payloads offloaded to S3 by 'mega publish --s3-bucket' or by the
AWS SQS Extended Client libraries) prints with the payload read back from
one of those buckets; a pointer to another bucket, a missing object or a
size that differs prints as an error and is never deleted.

Exit status: 0 when done, 1 if talking to the queue failed, 2 for bad usage
or an invalid pattern.

Examples:
  mega tail --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/users --max 10
  mega tail --queue-url "$URL" -p '{"name": {"$prefix": "user:"}}' --delete --wait 20
`

const (
	// tailVisibility is how long a received message stays invisible
	// before tail extends it, or, if tail was killed, comes back.
	tailVisibility = 30 * time.Second
	// tailPoll is the longest single poll: Ctrl-C waits for it to end,
	// since abandoning a poll can leave messages invisible.
	tailPoll = 2 * time.Second
)

func cmdTail(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "tail", "--queue-url URL [--endpoint URL] [--region R] [-p PATTERN] [--delete] [--max N] [--wait SECONDS] [--sns-topic-arn ARN]... [--s3-bucket B]...", tailHelp)
	queueURL := fs.String("queue-url", "", "the `URL` of the SQS queue to read (required)")
	pattern := fs.String("p", "", "print only the messages this pattern matches: JSON text, or @FILE")
	del := fs.Bool("delete", false, "delete the messages printed")
	maxN := fs.Int("max", 0, "stop after printing `N` messages (0: no limit)")
	wait := fs.Float64("wait", 5, "stop when no new message arrives for this many `seconds`")
	var buckets stringList
	fs.Var(&buckets, "s3-bucket", "read large-payload pointers back from this S3 `bucket` (repeatable); pointers elsewhere print as errors")
	var topics stringList
	fs.Var(&topics, "sns-topic-arn", "trust this SNS topic (repeatable): unwrap only its envelopes; others are data (default: the topics the queue's policy allows; every envelope unwrapped)")
	var aws awsFlags
	aws.add(fs)
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	usage := func(format string, args ...any) int {
		fmt.Fprintf(e.stderr, "mega tail: "+format+"\n", args...)
		return exitUsage
	}
	switch {
	case len(pos) > 0:
		return usage("unexpected argument %q", pos[0])
	case *queueURL == "":
		return usage("--queue-url is required")
	case *maxN < 0:
		return usage("--max must not be negative")
	case !(*wait >= 0 && *wait <= 24*3600):
		return usage("--wait must be between 0 and 86400 seconds")
	}
	t := &tailer{
		e:       e,
		dec:     protocol.Decoder{TopicARNs: topics},
		trusted: topics,
		delete:  *del,
		max:     *maxN,
		wait:    time.Duration(*wait * float64(time.Second)),
	}
	f, err := optionalFilter(*pattern)
	if err != nil {
		return usage("%v", err)
	}
	if f != nil && f.eventErr != nil {
		fmt.Fprintf(e.stderr, "mega tail: the pattern is not an event pattern (%v): no MEGA event will match\n", f.eventErr)
	}
	t.filter = f
	q, err := sqs.Dial(ctx, *queueURL, aws.sqsOptions()...)
	if err != nil {
		return usage("%v", err)
	}
	t.queue = q
	if t.resolver, err = aws.resolver(ctx, buckets); err != nil {
		return usage("%v", err)
	}
	if len(topics) == 0 {
		t.trusted = policyTopics(ctx, e, q)
	}
	return t.run(ctx)
}

// policyTopics returns the SNS topics the queue's access policy lets send,
// which a consumer of the queue trusts. Failing to read them is not fatal
// to tail, which needs only to receive: it says why on stderr, and trusts
// no topic.
func policyTopics(ctx context.Context, e *env, q transport.Queue) []string {
	d, ok := q.(transport.Describer)
	if !ok {
		return nil
	}
	info, err := d.Describe(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "mega tail: cannot read the queue's policy, no SNS topic is trusted: %v\n", err)
		return nil
	}
	topics, open, err := transport.SNSTopicsFromPolicy(info.Policy)
	switch {
	case err != nil:
		fmt.Fprintf(e.stderr, "mega tail: no SNS topic is trusted: %v\n", err)
	case open:
		fmt.Fprintln(e.stderr, "mega tail: the queue's policy lets SNS send from any topic, which proves nothing of an envelope's origin: only the topics it names are trusted")
	}
	return topics
}

// filter is a pattern compiled both ways, as `mega match` compiles it.
type filter struct {
	data, event *match.Matcher
	eventErr    error // why the pattern is no event pattern
}

// optionalFilter compiles the pattern of a --pattern flag; an empty one
// gives no filter.
func optionalFilter(text string) (*filter, error) {
	if text == "" {
		return nil, nil
	}
	return compileFilter(text)
}

func compileFilter(text string) (*filter, error) {
	b := []byte(text)
	if name, ok := strings.CutPrefix(text, "@"); ok {
		var err error
		if b, err = os.ReadFile(name); err != nil {
			return nil, fmt.Errorf("reading the pattern: %w", err)
		}
	}
	dp, err := match.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("invalid pattern: %w", err)
	}
	f := &filter{}
	if f.data, err = match.Compile(dp); err != nil {
		return nil, fmt.Errorf("invalid pattern: %w", err)
	}
	ep, err := match.ParseEvent(b)
	if err == nil {
		f.event, err = match.Compile(ep)
	}
	f.eventErr = err
	return f, nil
}

// match reports whether a decoded message passes the filter.
func (f *filter) match(m protocol.Message, decodeErr error) bool {
	if f == nil {
		return true
	}
	if decodeErr != nil {
		return false
	}
	switch m.Kind {
	case protocol.KindMega:
		return f.event != nil && f.event.Match(m.Document())
	case protocol.KindData:
		return f.data.Match(m.Data)
	}
	return false
}

// tailer is one run of `mega tail`.
type tailer struct {
	e     *env
	queue transport.Queue
	dec   protocol.Decoder
	// trusted are the SNS topics a consumer of the queue trusts.
	trusted []string
	filter  *filter
	delete  bool
	max     int
	wait    time.Duration
	// visibility is how long held messages stay invisible before they
	// are extended; 0 means tailVisibility.
	visibility time.Duration

	// resolver reads large payloads back, when buckets are given.
	resolver *mega.Resolver

	printed int
	// lease holds what tail received and did not delete, keyed by message
	// id: it keeps them invisible until tail stops, so that tail sees each
	// once, and gives them back then.
	lease *lease.Lease
}

// run receives until it is time to stop, then gives back what it holds.
func (t *tailer) run(ctx context.Context) (status int) {
	if t.visibility == 0 {
		t.visibility = tailVisibility
	}
	t.lease = lease.New(lease.Config{
		Queue:      t.queue,
		Visibility: t.visibility,
		Logger:     slog.New(slog.NewTextHandler(t.e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	defer func() {
		// Whatever was not deleted goes back at once; the deletes asked
		// for are sent before tail exits.
		t.lease.ReleaseAll()
		t.lease.Close(30 * time.Second)
		if n := t.lease.Counts.DeleteFailures.Load(); n > 0 {
			fmt.Fprintf(t.e.stderr, "mega tail: %d printed messages could not be deleted; they will be delivered again\n", n)
			status = exitFailure
		}
	}()
	idleSince := time.Now()
	for ctx.Err() == nil && (t.max == 0 || t.printed < t.max) {
		n := transport.MaxBatch
		if t.max > 0 {
			n = min(n, t.max-t.printed)
		}
		// Short polls, so that Ctrl-C is quick.
		poll := min(max(t.wait-time.Since(idleSince), 0), tailPoll, t.visibility/4)
		// The poll is not cancelled with ctx: messages an abandoned poll
		// took would stay invisible, out of reach of the release.
		pollCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), poll+30*time.Second)
		sent := t.lease.Now()
		msgs, err := t.queue.Receive(pollCtx, transport.ReceiveRequest{
			MaxMessages: n, WaitTime: poll, VisibilityTimeout: t.visibility,
		})
		cancel()
		if err != nil {
			fmt.Fprintf(t.e.stderr, "mega tail: %v\n", err)
			return exitFailure
		}
		fresh := t.lease.Hold(msgs, sent)
		if err := t.take(ctx, fresh); err != nil {
			fmt.Fprintf(t.e.stderr, "mega tail: %v\n", err)
			return exitFailure
		}
		if len(fresh) > 0 {
			idleSince = time.Now()
		} else if time.Since(idleSince) >= t.wait {
			break
		}
	}
	return exitOK
}

// take prints the messages received that pass the filter and deletes
// them with --delete, each only once its line is written; the others stay
// held. A failed write stops tail: the message it was for, and every one
// not yet printed, go back to the queue.
func (t *tailer) take(ctx context.Context, msgs []*lease.Msg) error {
	for _, h := range msgs {
		m := h.Message
		body := m.Body
		if t.resolver != nil {
			var err error
			if body, _, err = t.resolver.Resolve(ctx, m); err != nil {
				if t.filter != nil {
					continue // no pattern matches what cannot be read
				}
				// Printed as an invalid message would be: the pointer is
				// left in the queue, as any message tail does not delete.
				line, lerr := tailLine(m.ID, protocol.Message{Payload: protocol.Payload{Kind: protocol.KindInvalid}}, err, t.trusted, "")
				if lerr != nil {
					return lerr
				}
				if werr := t.write(append(line, '\n')); werr != nil {
					return fmt.Errorf("writing the line of message %s: %w", m.ID, werr)
				}
				t.printed++
				continue
			}
		}
		dm, derr := t.dec.Decode(body)
		if ctx.Err() != nil || (t.max > 0 && t.printed >= t.max) || !t.filter.match(dm, derr) {
			continue // held until tail stops
		}
		line, err := tailLine(m.ID, dm, derr, t.trusted, t.traceMessage(ctx, m, dm))
		if err != nil {
			return fmt.Errorf("message %s: %w", m.ID, err)
		}
		if err := t.write(append(line, '\n')); err != nil {
			return fmt.Errorf("writing the line of message %s: %w; it and the messages not printed go back to the queue", m.ID, err)
		}
		t.printed++
		if t.delete {
			h.Delete()
		}
	}
	return nil
}

// write writes a line and flushes it to the output, so that a message is
// deleted only once its line left the process.
func (t *tailer) write(b []byte) error {
	if _, err := t.e.stdout.Write(b); err != nil {
		return err
	}
	if f, ok := t.e.stdout.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}

// tailLine is the line printed for a message: the `mega decode` form of
// the decoded body, trusting the given topics, with the message id added,
// and the trace id of the trace context it carries, if any.
func tailLine(id string, m protocol.Message, decodeErr error, trusted []string, traceID string) ([]byte, error) {
	b, err := inspectJSON(m, trusted)
	if err != nil {
		return nil, err
	}
	if decodeErr != nil {
		if b, err = appendField(b, "error", decodeErr.Error()); err != nil {
			return nil, err
		}
	}
	if b, err = appendField(b, "message_id", id); err != nil || traceID == "" {
		return b, err
	}
	return appendField(b, "trace_id", traceID)
}
