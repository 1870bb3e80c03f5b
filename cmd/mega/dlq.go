package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/protocol"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

func init() {
	register("dlq", "show the messages of a dead-letter queue and why they are there", cmdDLQ)
}

const dlqHelp = `
Shows the messages of a dead-letter queue, one JSON line each, in the form
of 'mega decode' with what the queue and the consumer say about them:

  {"kind": ..., "payload": ..., "message_id": "...", "receive_count": 6,
   "sent": "...", "first_received": "...", "dead_letter_reason": "..."}

receive_count is the count SQS reports, this look included; sent is when
the message entered the dead-letter queue (or, for one SQS moved there by
the redrive policy, when it was first sent); dead_letter_reason is the
reason the consumer attached (absent when SQS itself moved the message
after too many receives). group_id is added on FIFO queues and
previous_dead_letter_reason on messages redriven before.

Nothing is deleted: dlq keeps the messages it receives invisible while it
runs, so that it sees each one once, and makes them visible again at once
when it stops (their receive count goes up by one). On a FIFO queue it
sees the first messages of each group only.

With -p, only the messages the pattern matches are shown, as 'mega match'
decides. At the end, a summary on standard error counts the messages shown
by class of reason. dlq stops after --max messages, when a receive brings
no new message within --wait seconds, or on Ctrl-C.

Exit status: 0 when done, 1 if talking to the queue failed, 2 for bad usage.

Example:
  mega dlq --queue-url https://sqs.eu-west-1.amazonaws.com/123456789012/users-dlq --max 20
`

func cmdDLQ(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "dlq", "--queue-url URL [-p PATTERN] [--max N] [--wait SECONDS] [--endpoint URL] [--region R]", dlqHelp)
	queueURL := fs.String("queue-url", "", "the `URL` of the dead-letter queue (required)")
	pattern := fs.String("p", "", "show only the messages this pattern matches: JSON text, or @FILE")
	maxN := fs.Int("max", 0, "show at most `N` messages (0: all)")
	wait := fs.Float64("wait", 2, "stop when a receive brings no new message within this many `seconds` (at most 20)")
	var aws awsFlags
	aws.add(fs)
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	usage := usageFunc(e, "dlq")
	switch {
	case len(pos) > 0:
		return usage("unexpected argument %q", pos[0])
	case *queueURL == "":
		return usage("--queue-url is required")
	case *maxN < 0:
		return usage("--max must not be negative")
	case !(*wait > 0 && *wait <= transport.MaxWaitTime.Seconds()):
		return usage("--wait must be more than 0 and at most %v seconds", transport.MaxWaitTime.Seconds())
	}
	f, err := optionalFilter(*pattern)
	if err != nil {
		return usage("%v", err)
	}
	q, info, err := aws.dialQueue(ctx, *queueURL)
	if err != nil {
		return usage("%v", err)
	}
	v := newDLQView(e, f)
	stats, err := mega.Redrive(ctx, q, nil, mega.RedriveOptions{
		DryRun:   true,
		Max:      *maxN,
		Filter:   v.filter,
		OnMove:   v.show,
		WaitTime: seconds(*wait),
	})
	fmt.Fprintf(e.stderr, "mega dlq: %d messages shown", stats.Moved)
	v.summary(e.stderr)
	if info.FIFO {
		fmt.Fprintln(e.stderr, fifoPeekNote)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(e.stderr, "mega dlq: %v\n", err)
		return exitFailure
	}
	if v.err != nil {
		fmt.Fprintf(e.stderr, "mega dlq: %v\n", v.err)
		return exitFailure
	}
	return exitOK
}

// fifoPeekNote says why a look at a FIFO queue may miss messages.
const fifoPeekNote = "(a FIFO queue: while the first messages of a group are held, SQS delivers no later ones, so only those first ones are seen without moving them)"

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// usageFunc returns a function that reports bad usage of a command.
func usageFunc(e *env, name string) func(format string, args ...any) int {
	return func(format string, args ...any) int {
		fmt.Fprintf(e.stderr, "mega "+name+": "+format+"\n", args...)
		return exitUsage
	}
}

// dlqView prints dead-lettered messages as JSON lines and counts their
// reasons.
type dlqView struct {
	e       *env
	dec     protocol.Decoder
	pattern *filter
	reasons map[string]int
	err     error // the first message that could not be printed
}

func newDLQView(e *env, f *filter) *dlqView {
	return &dlqView{e: e, pattern: f, reasons: map[string]int{}}
}

// filter applies the pattern to a message's decoded body.
func (v *dlqView) filter(m transport.Message) bool {
	if v.pattern == nil {
		return true
	}
	dm, err := v.dec.Decode(m.Body)
	return v.pattern.match(dm, err)
}

// show prints a message and counts its reason.
func (v *dlqView) show(m transport.Message) {
	v.reasons[reasonClass(m)]++
	line, err := dlqLine(v.dec, m)
	if err != nil {
		if v.err == nil {
			v.err = fmt.Errorf("message %s: %w", m.ID, err)
		}
		return
	}
	fmt.Fprintf(v.e.stdout, "%s\n", line)
}

// summary ends the line the caller began with the count of messages by
// class of reason, one class a line.
func (v *dlqView) summary(w io.Writer) {
	if len(v.reasons) == 0 {
		fmt.Fprintln(w)
		return
	}
	fmt.Fprintln(w, ", by reason:")
	classes := make([]string, 0, len(v.reasons))
	for c := range v.reasons {
		classes = append(classes, c)
	}
	sort.Slice(classes, func(i, j int) bool {
		a, b := classes[i], classes[j]
		if v.reasons[a] != v.reasons[b] {
			return v.reasons[a] > v.reasons[b]
		}
		return a < b
	})
	for _, c := range classes {
		fmt.Fprintf(w, "  %6d  %s\n", v.reasons[c], c)
	}
}

// reasonClass sorts a dead-letter reason into a few classes: the reasons
// the consumer writes start with what failed.
func reasonClass(m transport.Message) string {
	a, ok := m.Attributes[mega.AttrDeadLetterReason]
	if !ok {
		return "no reason attached (moved by the queue's redrive policy after too many receives)"
	}
	r := a.StringValue
	switch {
	case strings.HasPrefix(r, "retried "):
		return "retried until the consumer's limit"
	case strings.Contains(r, "invalid MEGA payload"):
		return "invalid MEGA payload"
	case strings.HasPrefix(r, "not a MEGA message"):
		return "not a MEGA message (plain text or binary)"
	case strings.HasPrefix(r, "subscriber "):
		name, _, _ := strings.Cut(strings.TrimPrefix(r, "subscriber "), ":")
		return "failed in subscriber " + name
	}
	return "other"
}

// dlqLine is the line printed for a dead-lettered message.
func dlqLine(dec protocol.Decoder, m transport.Message) ([]byte, error) {
	dm, derr := dec.Decode(m.Body)
	line, err := json.Marshal(dm)
	if err != nil {
		return nil, err
	}
	add := func(k string, v any) {
		if err == nil {
			line, err = appendField(line, k, v)
		}
	}
	if derr != nil {
		add("error", derr.Error())
	}
	add("message_id", m.ID)
	add("receive_count", m.ReceiveCount)
	if !m.SentAt.IsZero() {
		add("sent", m.SentAt.UTC().Format(time.RFC3339Nano))
	}
	if ms, perr := strconv.ParseInt(m.System["ApproximateFirstReceiveTimestamp"], 10, 64); perr == nil && ms > 0 {
		add("first_received", time.UnixMilli(ms).UTC().Format(time.RFC3339Nano))
	}
	if m.GroupID != "" {
		add("group_id", m.GroupID)
	}
	if a, ok := m.Attributes[mega.AttrDeadLetterReason]; ok {
		add("dead_letter_reason", a.StringValue)
	}
	if a, ok := m.Attributes[mega.AttrPreviousDeadLetterReason]; ok {
		add("previous_dead_letter_reason", a.StringValue)
	}
	return line, err
}
