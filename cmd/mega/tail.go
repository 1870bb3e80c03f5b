package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

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
With --delete, the printed messages are deleted, and only those. (On a
FIFO queue, the later messages of a group stay out of reach while tail
holds earlier ones: without --delete it sees the first few of each group.)

tail stops after --max printed messages, when no new message has arrived
for --wait seconds, or on Ctrl-C.

Credentials and region come from the standard AWS configuration chain;
--endpoint sends the requests to an SQS-compatible server instead of AWS.

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
	fs := newFlags(e, "tail", "--queue-url URL [--endpoint URL] [--region R] [-p PATTERN] [--delete] [--max N] [--wait SECONDS] [--sns-topic-arn ARN]...", tailHelp)
	queueURL := fs.String("queue-url", "", "the `URL` of the SQS queue to read (required)")
	pattern := fs.String("p", "", "print only the messages this pattern matches: JSON text, or @FILE")
	del := fs.Bool("delete", false, "delete the messages printed")
	maxN := fs.Int("max", 0, "stop after printing `N` messages (0: no limit)")
	wait := fs.Float64("wait", 5, "stop when no new message arrives for this many `seconds`")
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
	if *pattern != "" {
		f, err := compileFilter(*pattern)
		if err != nil {
			return usage("%v", err)
		}
		if f.eventErr != nil {
			fmt.Fprintf(e.stderr, "mega tail: the pattern is not an event pattern (%v): no MEGA event will match\n", f.eventErr)
		}
		t.filter = f
	}
	q, err := sqs.Dial(ctx, *queueURL, aws.sqsOptions()...)
	if err != nil {
		return usage("%v", err)
	}
	t.queue = q
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

	printed int
	// held are the messages received and not deleted, by message id: tail
	// keeps them invisible until it stops.
	held map[string]*heldMessage
	// seen are the ids of every message received, so that one whose
	// visibility ran out and that comes back is not printed twice.
	seen map[string]bool
}

type heldMessage struct {
	id, handle string
	until      time.Time // when it becomes visible unless extended
}

// run receives until it is time to stop, then gives back what it holds.
func (t *tailer) run(ctx context.Context) (status int) {
	defer func() {
		if err := t.releaseAll(); err != nil {
			fmt.Fprintf(t.e.stderr, "mega tail: giving back the messages held: %v\n", err)
			status = exitFailure
		}
	}()
	status = exitOK
	if t.visibility == 0 {
		t.visibility = tailVisibility
	}
	t.held = map[string]*heldMessage{}
	t.seen = map[string]bool{}
	idleSince := time.Now()
	for ctx.Err() == nil && (t.max == 0 || t.printed < t.max) {
		n := transport.MaxBatch
		if t.max > 0 {
			n = min(n, t.max-t.printed)
		}
		// Short polls, so that Ctrl-C is quick and held messages are
		// extended in time.
		poll := min(max(t.wait-time.Since(idleSince), 0), tailPoll, t.visibility/4)
		// The poll is not cancelled with ctx: messages an abandoned poll
		// took would stay invisible, out of reach of the release below.
		pollCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), poll+30*time.Second)
		msgs, err := t.queue.Receive(pollCtx, transport.ReceiveRequest{
			MaxMessages: n, WaitTime: poll, VisibilityTimeout: t.visibility,
		})
		cancel()
		if err != nil {
			fmt.Fprintf(t.e.stderr, "mega tail: %v\n", err)
			return exitFailure
		}
		fresh, err := t.take(ctx, msgs)
		if err != nil {
			fmt.Fprintf(t.e.stderr, "mega tail: %v\n", err)
			status = exitFailure
		}
		if fresh > 0 {
			idleSince = time.Now()
		} else if time.Since(idleSince) >= t.wait {
			break
		}
		if err := t.extend(); err != nil {
			fmt.Fprintf(t.e.stderr, "mega tail: %v\n", err)
			return exitFailure
		}
	}
	return status
}

// take prints the messages received that are new and pass the filter,
// deletes them with --delete, holds the others, and returns how many were
// new.
func (t *tailer) take(ctx context.Context, msgs []transport.Message) (fresh int, err error) {
	now := time.Now()
	var deletes []transport.Message
	for _, m := range msgs {
		hold := func() { t.held[m.ID] = &heldMessage{id: m.ID, handle: m.ReceiptHandle, until: now.Add(t.visibility)} }
		if t.seen[m.ID] {
			hold() // back after its visibility ended: keep the new receipt
			continue
		}
		t.seen[m.ID] = true
		fresh++
		dm, derr := t.dec.Decode(m.Body)
		if ctx.Err() != nil || (t.max > 0 && t.printed >= t.max) || !t.filter.match(dm, derr) {
			hold()
			continue
		}
		line, err := tailLine(m.ID, dm, derr, t.trusted, t.traceMessage(ctx, m, dm))
		if err != nil {
			return fresh, fmt.Errorf("message %s: %w", m.ID, err)
		}
		fmt.Fprintf(t.e.stdout, "%s\n", line)
		t.printed++
		if t.delete {
			deletes = append(deletes, m)
		} else {
			hold()
		}
	}
	if len(deletes) == 0 {
		return fresh, nil
	}
	handles := make([]string, len(deletes))
	for i, m := range deletes {
		handles[i] = m.ReceiptHandle
	}
	opCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	errs, err := t.queue.Delete(opCtx, handles)
	if err != nil {
		return fresh, fmt.Errorf("deleting %d messages: %w", len(deletes), err)
	}
	var failed []error
	for i, e := range errs {
		if e != nil {
			failed = append(failed, fmt.Errorf("message %s printed but not deleted: %w", deletes[i].ID, e))
		}
	}
	return fresh, errors.Join(failed...)
}

// extend keeps held messages invisible: those with less than half of
// their visibility timeout left get a new one.
func (t *tailer) extend() error {
	now := time.Now()
	var due []*heldMessage
	for _, h := range t.held {
		if h.until.Sub(now) < t.visibility/2 {
			due = append(due, h)
		}
	}
	return t.changeVisibility(due, t.visibility)
}

// releaseAll makes every held message visible again at once.
func (t *tailer) releaseAll() error {
	all := make([]*heldMessage, 0, len(t.held))
	for _, h := range t.held {
		all = append(all, h)
	}
	err := t.changeVisibility(all, 0)
	clear(t.held)
	return err
}

func (t *tailer) changeVisibility(msgs []*heldMessage, timeout time.Duration) error {
	var errs []error
	for len(msgs) > 0 {
		batch := msgs[:min(len(msgs), transport.MaxBatch)]
		msgs = msgs[len(batch):]
		changes := make([]transport.VisibilityChange, len(batch))
		for i, h := range batch {
			changes[i] = transport.VisibilityChange{ReceiptHandle: h.handle, Timeout: timeout}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		res, err := t.queue.ChangeVisibility(ctx, changes)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		until := time.Now().Add(timeout)
		for i, e := range res {
			switch {
			case e == nil:
				batch[i].until = until
			case errors.Is(e, transport.ErrReceiptInvalid):
				// Received again elsewhere, or deleted: no longer ours.
				delete(t.held, batch[i].id)
			default:
				errs = append(errs, fmt.Errorf("message %s: %w", batch[i].id, e))
			}
		}
	}
	return errors.Join(errs...)
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
