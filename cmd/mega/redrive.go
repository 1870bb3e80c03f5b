package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

func init() {
	register("redrive", "move messages from a dead-letter queue back to a queue", cmdRedrive)
}

const redriveHelp = `
Moves messages from a dead-letter queue (--from) back to a queue (--to, by
default the one queue whose redrive policy names the dead-letter queue),
and prints each message moved as 'mega dlq' does.

Each message is sent to --to first and deleted from --from only once the
send succeeded, in batches of up to 10: a message is in one queue or,
briefly, in both, never in neither. Its body and message attributes are
kept, except the consumer's mega.dead-letter-reason, which becomes
mega.previous-dead-letter-reason; on FIFO queues the message group id and
deduplication id are kept.

With -p, only the messages the pattern matches move ('mega match' rules);
the others stay, visible again when redrive stops. --max bounds the number
moved. --dry-run moves nothing: it shows what would move and, like
'mega dlq', makes what it looked at visible again at once.

Progress goes to standard error every few seconds, and a summary at the
end. Ctrl-C stops after the batch in hand: its messages are deleted from
--from if they were sent, and every message held is made visible again.

Exit status: 0 when every selected message moved, 1 if one did not (it is
still in --from) or the run was interrupted, 2 for bad usage.

Examples:
  mega redrive --from https://sqs.eu-west-1.amazonaws.com/123456789012/users-dlq --dry-run
  mega redrive --from "$DLQ" --to "$QUEUE" -p '{"name": {"$prefix": "user:"}}' --max 100
`

// redriveProgressEvery is how often progress is reported.
const redriveProgressEvery = 5 * time.Second

func cmdRedrive(ctx context.Context, e *env, args []string) int {
	fs := newFlags(e, "redrive", "--from DLQ_URL [--to QUEUE_URL] [-p PATTERN] [--max N] [--dry-run] [--wait SECONDS] [--endpoint URL] [--region R]", redriveHelp)
	from := fs.String("from", "", "the `URL` of the dead-letter queue to move messages from (required)")
	to := fs.String("to", "", "the `URL` of the queue to move them to (default: the queue whose redrive policy names --from)")
	pattern := fs.String("p", "", "move only the messages this pattern matches: JSON text, or @FILE")
	maxN := fs.Int("max", 0, "move at most `N` messages (0: all)")
	dryRun := fs.Bool("dry-run", false, "move nothing: show what would move")
	wait := fs.Float64("wait", 2, "stop when a receive brings no new message within this many `seconds` (at most 20)")
	var aws awsFlags
	aws.add(fs)
	pos, code, ok := parse(e, fs, args)
	if !ok {
		return code
	}
	usage := usageFunc(e, "redrive")
	switch {
	case len(pos) > 0:
		return usage("unexpected argument %q", pos[0])
	case *from == "":
		return usage("--from is required")
	case *from == *to:
		return usage("--from and --to are the same queue")
	case *maxN < 0:
		return usage("--max must not be negative")
	case !(*wait > 0 && *wait <= transport.MaxWaitTime.Seconds()):
		return usage("--wait must be more than 0 and at most %v seconds", transport.MaxWaitTime.Seconds())
	}
	f, err := optionalFilter(*pattern)
	if err != nil {
		return usage("%v", err)
	}
	dlq, dlqInfo, err := aws.dialQueue(ctx, *from)
	if err != nil {
		return usage("%v", err)
	}
	dest, err := redriveTarget(ctx, &aws, dlq, *to)
	if err != nil {
		return usage("%v", err)
	}
	destInfo, err := dest.Describe(ctx)
	if err != nil {
		return usage("%v", queueErr(dest.URL(), err))
	}
	if dlqInfo.FIFO != destInfo.FIFO {
		return usage("%s is %s and %s is not: messages cannot move between them", *from, fifoWord(dlqInfo.FIFO), dest.URL())
	}

	v := newDLQView(e, f)
	verb := "moved"
	if *dryRun {
		verb = "would move"
	}
	dry := ""
	if *dryRun {
		dry = " (dry run: nothing moves)"
	}
	fmt.Fprintf(e.stderr, "mega redrive: from %s to %s%s\n", *from, dest.URL(), dry)
	start := time.Now()
	lastReport := start
	stats, err := mega.Redrive(ctx, dlq, dest, mega.RedriveOptions{
		DryRun:   *dryRun,
		Max:      *maxN,
		Filter:   v.filter,
		OnMove:   v.show,
		WaitTime: seconds(*wait),
		Progress: func(s mega.RedriveStats) {
			if now := time.Now(); now.Sub(lastReport) >= redriveProgressEvery {
				lastReport = now
				fmt.Fprintf(e.stderr, "mega redrive: %d %s, %d skipped, %d received (%.0f messages/s)\n",
					s.Moved, verb, s.Skipped, s.Received, float64(s.Received)/now.Sub(start).Seconds())
			}
		},
	})
	elapsed := time.Since(start)
	fmt.Fprintf(e.stderr, "mega redrive: %d %s in %v (%d received, %d skipped by the pattern", stats.Moved, verb, elapsed.Round(time.Millisecond), stats.Received, stats.Skipped)
	if stats.Failed > 0 {
		fmt.Fprintf(e.stderr, ", %d not sent and left in %s", stats.Failed, *from)
	}
	if stats.NotDeleted > 0 {
		fmt.Fprintf(e.stderr, ", %d sent but not deleted: in both queues", stats.NotDeleted)
	}
	fmt.Fprint(e.stderr, ")")
	v.summary(e.stderr)
	if dlqInfo.FIFO && (*dryRun || stats.Skipped > 0 || *maxN > 0) {
		fmt.Fprintln(e.stderr, fifoPeekNote)
	}
	switch {
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(e.stderr, "mega redrive: interrupted: the messages not moved are still in %s\n", *from)
		return exitFailure
	case err != nil:
		fmt.Fprintf(e.stderr, "mega redrive: %v\n", err)
		return exitFailure
	case v.err != nil:
		fmt.Fprintf(e.stderr, "mega redrive: %v\n", v.err)
		return exitFailure
	}
	return exitOK
}

func fifoWord(fifo bool) string {
	if fifo {
		return "a FIFO queue"
	}
	return "a standard queue"
}

// redriveTarget dials --to, or finds the one queue whose redrive policy
// names the dead-letter queue.
func redriveTarget(ctx context.Context, aws *awsFlags, dlq *sqs.Queue, to string) (*sqs.Queue, error) {
	if to != "" {
		return sqs.Dial(ctx, to, aws.sqsOptions()...)
	}
	sources, err := dlq.DeadLetterSources(ctx)
	if err != nil {
		return nil, fmt.Errorf("finding the queue whose redrive policy names %s (give --to): %w", dlq.URL(), err)
	}
	switch len(sources) {
	case 0:
		return nil, fmt.Errorf("no queue names %s as its dead-letter queue: give --to", dlq.URL())
	case 1:
		return sources[0].(*sqs.Queue), nil
	}
	urls := make([]string, len(sources))
	for i, s := range sources {
		urls[i] = s.(*sqs.Queue).URL()
	}
	return nil, fmt.Errorf("%d queues name %s as their dead-letter queue: give --to, one of %s", len(sources), dlq.URL(), strings.Join(urls, ", "))
}
