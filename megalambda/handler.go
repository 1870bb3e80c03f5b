package megalambda

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Sentinel errors.
var (
	// ErrInvalidEvent: the invocation's payload is not an SQS or SNS event
	// as Lambda sends it (not JSON, no Records, a record of another event
	// source, a record without a message id). Nothing was handled.
	ErrInvalidEvent = errors.New("megalambda: not an SQS or SNS event")
	// ErrNoRecords: the event holds no record.
	ErrNoRecords = errors.New("megalambda: event has no records")
	// ErrNotProcessed: an SNS notification was not processed (a retry,
	// a retriable failure, a panic, the deadline, or a message that cannot
	// be processed and no dead-letter queue): the error makes Lambda
	// retry the invocation.
	ErrNotProcessed = errors.New("megalambda: notification not processed")
)

// maxExcerpt bounds the excerpt of a body logged for a record that cannot
// be processed.
const maxExcerpt = 256

// Handler runs a [mega.Router]'s subscribers on the records of SQS and
// SNS events. Its methods are handlers for lambda.Start: [Handler.SQS]
// for an SQS event source mapping with ReportBatchItemFailures,
// [Handler.SNS] for an SNS subscription; [Handler.Invoke] takes either
// kind of event as raw JSON, for lambda.StartHandler.
//
// A Handler is safe for concurrent use.
type Handler struct {
	router *mega.Router
	cfg    config

	stats        counters
	warnedTopics sync.Map // SNS topics whose envelopes were not trusted, warned about once
}

// New returns a handler that routes records through router, which holds
// the subscribers and the decoding and deciding options ([mega.NewRouter]:
// topics trusted, backoff, maximum receives, unmatched records kept). An
// invalid option is an error matching [mega.ErrInvalidOption].
func New(router *mega.Router, opts ...Option) (*Handler, error) {
	if router == nil {
		return nil, invalid("nil router")
	}
	cfg := defaults()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	return &Handler{router: router, cfg: cfg}, nil
}

// SQS handles an SQS event and answers which records must come back: its
// batchItemFailures name the records that are not done, and the event
// source mapping deletes the others. The mapping must have
// ReportBatchItemFailures among its FunctionResponseTypes, or Lambda
// ignores the answer and every record of a successful invocation is
// deleted.
//
// Each record is decoded and handed to every matching subscriber, as a
// [mega.Consumer] would (SPEC §4), up to [WithConcurrency] records at
// once. A record is reported as done when every matching subscriber
// finished with success or a permanent error, when no subscriber matched
// (unless the router keeps unmatched messages), or when it cannot be
// processed and the dead-letter queue has accepted its copy. It is
// reported as a failure when a subscriber asked for a retry, failed or
// panicked (with [WithSourceQueue], its visibility is changed to the
// delay asked for or the backoff), when it cannot be processed and there
// is no dead-letter queue or sending to it failed, when it is kept
// unmatched, when it carries no body or receipt handle, and when it was
// not finished a margin before the function's deadline
// ([WithDeadlineMargin]).
//
// On a FIFO queue (an event source ARN ending in .fifo) the records of
// one message group are handled in order: after the first that is not
// done, it and every later record of its group are reported as failures
// without being handled, so that the group keeps its order; other groups
// go on.
//
// An event without records, or with a record of another source or
// without a message id, is an error ([ErrNoRecords], [ErrInvalidEvent]):
// Lambda then retries the whole batch and nothing is deleted.
func (h *Handler) SQS(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	if len(ev.Records) == 0 {
		return resp, ErrNoRecords
	}
	for i := range ev.Records {
		r := &ev.Records[i]
		if r.EventSource != "" && r.EventSource != "aws:sqs" {
			return resp, fmt.Errorf("%w: record %d comes from %q, not aws:sqs", ErrInvalidEvent, i, r.EventSource)
		}
		if r.MessageId == "" {
			return resp, fmt.Errorf("%w: record %d has no messageId", ErrInvalidEvent, i)
		}
	}
	ctx, cancel := h.withMargin(ctx)
	defer cancel()

	groups := make([][]int, 0, len(ev.Records))
	var byGroup map[string]int // FIFO group key → index in groups
	for i := range ev.Records {
		r := &ev.Records[i]
		if !isFIFO(r.EventSourceARN) {
			groups = append(groups, []int{i})
			continue
		}
		if byGroup == nil {
			byGroup = make(map[string]int)
		}
		key := r.EventSourceARN + "\x00" + r.Attributes["MessageGroupId"]
		g, ok := byGroup[key]
		if !ok {
			g = len(groups)
			byGroup[key] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], i)
	}
	done := h.run(ctx, len(ev.Records), groups, func(ctx context.Context, i int) bool {
		return h.handleSQS(ctx, &ev.Records[i])
	})
	for i, ok := range done {
		if !ok {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ev.Records[i].MessageId})
		}
	}
	h.stats.failures.Add(int64(len(resp.BatchItemFailures)))
	return resp, nil
}

func isFIFO(eventSourceARN string) bool { return strings.HasSuffix(eventSourceARN, ".fifo") }

func (h *Handler) handleSQS(ctx context.Context, r *events.SQSMessage) bool {
	h.stats.records.Add(1)
	if r.Body == "" || r.ReceiptHandle == "" {
		// SQS bodies are never empty: this is not a record SQS delivered.
		h.cfg.log.Error("megalambda: a record has no body or no receipt handle; it is reported as a failure",
			"message_id", r.MessageId, "has_body", r.Body != "", "has_receipt_handle", r.ReceiptHandle != "")
		return false
	}
	tm := FromSQS(*r)
	v := h.router.Route(ctx, tm)
	done, err := h.settle(ctx, tm, v, isFIFO(r.EventSourceARN))
	h.router.RecordSettle(ctx, v, err) // telemetry: retries, dead letters, unmatched, settle spans
	return done
}

// settle carries out a verdict, as far as a Lambda function can, and
// reports whether the record is done.
func (h *Handler) settle(ctx context.Context, tm transport.Message, v mega.Verdict, fifo bool) (bool, error) {
	switch v.Action {
	case mega.ActionDelete:
		if v.Matched == 0 {
			h.stats.unmatched.Add(1)
		} else {
			h.stats.processed.Add(1)
		}
		return true, nil
	case mega.ActionLeave:
		h.stats.unmatched.Add(1)
		return false, nil
	case mega.ActionRetry:
		h.stats.retried.Add(1)
		if h.cfg.source != nil && tm.ReceiptHandle != "" && ctx.Err() == nil {
			h.changeVisibility(ctx, tm, min(v.Delay, transport.MaxVisibilityTimeout))
		}
		return false, nil
	case mega.ActionPoison:
		if h.cfg.dlq == nil {
			h.cfg.log.Error("megalambda: a message cannot be processed and there is no dead-letter queue: it is reported as a failure, for the queue's redrive policy",
				"message_id", tm.ID, "receive_count", tm.ReceiveCount, "reason", v.Reason, "body_excerpt", excerpt(tm.Body))
			return false, errNoDeadLetterQueue
		}
		if err := h.router.DeadLetter(ctx, h.cfg.dlq, tm, v.Reason, fifo); err != nil {
			h.cfg.log.Error("megalambda: sending to the dead-letter queue failed; the record is reported as a failure",
				"message_id", tm.ID, "reason", v.Reason, "error", err)
			return false, err
		}
		h.stats.deadLettered.Add(1)
		return true, nil
	}
	h.cfg.log.Error("megalambda: unknown verdict; the record is reported as a failure", "message_id", tm.ID, "action", v.Action)
	return false, fmt.Errorf("megalambda: unknown verdict %v", v.Action)
}

// errNoDeadLetterQueue: a poison record is reported as a failure, for the
// queue's redrive policy, since there is no dead-letter queue to send it to.
var errNoDeadLetterQueue = errors.New("megalambda: no dead-letter queue: reported as a failure")

// changeVisibility makes a record to retry visible again after d. A
// failure is logged: the record then comes back when the queue's
// visibility timeout ends.
func (h *Handler) changeVisibility(ctx context.Context, tm transport.Message, d time.Duration) {
	errs, err := h.cfg.source.ChangeVisibility(ctx, []transport.VisibilityChange{{ReceiptHandle: tm.ReceiptHandle, Timeout: d}})
	if err == nil && len(errs) > 0 {
		err = errs[0]
	}
	if err != nil {
		h.cfg.log.Warn("megalambda: changing the visibility of a record to retry failed; it comes back after the queue's visibility timeout",
			"message_id", tm.ID, "delay", d, "error", err)
	}
}

func excerpt(s string) string {
	if len(s) <= maxExcerpt {
		return s
	}
	return strings.ToValidUTF8(s[:maxExcerpt], "") + "…"
}

// run handles the records of groups, each group in order and stopping at
// its first record not done, at most the configured concurrency of groups
// at once. It returns which records are done: those whose handle returned
// true before ctx ended. Handlers that ignore ctx may outlive the call;
// what they return then is not reported.
func (h *Handler) run(ctx context.Context, n int, groups [][]int, handle func(ctx context.Context, i int) bool) []bool {
	done := make([]bool, n)
	results := make(chan int, n) // never blocks, so that late handlers can exit
	jobs := make(chan []int, len(groups))
	for _, g := range groups {
		jobs <- g
	}
	close(jobs)
	workers := min(h.cfg.concurrency, len(groups))
	var wg sync.WaitGroup
	wg.Add(workers)
	for range workers {
		go func() {
			defer wg.Done()
			for g := range jobs {
				for _, i := range g {
					if ctx.Err() != nil || !handle(ctx, i) {
						break
					}
					results <- i
				}
			}
		}()
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-ctx.Done():
	}
	for {
		select {
		case i := <-results:
			done[i] = true
		default:
			left := 0
			for _, ok := range done {
				if !ok {
					left++
				}
			}
			if ctx.Err() != nil && left > 0 {
				h.cfg.log.Warn("megalambda: the deadline margin ended the invocation; records not done are reported as failures",
					"records", n, "not_done", left, "error", context.Cause(ctx))
			}
			return done
		}
	}
}

// errMargin is the cause of the handlers' context when the deadline
// margin ends an invocation.
var errMargin = errors.New("megalambda: the function's deadline is near")

// withMargin returns a context cancelled the deadline margin before ctx's
// deadline, on the configured clock.
func (h *Handler) withMargin(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	ctx, cancel := context.WithCancelCause(ctx)
	if !ok {
		return ctx, func() { cancel(context.Canceled) }
	}
	left := deadline.Sub(h.cfg.clock.Now()) - h.cfg.margin
	if left <= 0 {
		cancel(errMargin)
		return ctx, func() {}
	}
	stop := h.cfg.clock.AfterFunc(left, func() { cancel(errMargin) })
	return ctx, func() {
		stop()
		cancel(context.Canceled)
	}
}

// Stats are a handler's counters since it was made.
type Stats struct {
	// Records is the number of records handled (those skipped after a
	// failure in their FIFO group, or not started before the deadline
	// margin, are not counted).
	Records int64
	// Processed: every matching subscriber was done with the record.
	Processed int64
	// Unmatched: no subscriber matched (done, or kept with
	// [mega.WithKeepUnmatched]).
	Unmatched int64
	// Retried: a subscriber asked for a retry, failed or panicked.
	Retried int64
	// DeadLettered: the record could not be processed and its copy went
	// to the dead-letter queue.
	DeadLettered int64
	// Failures: records reported as not done (batchItemFailures, or SNS
	// notifications answered with an error).
	Failures int64
}

type counters struct {
	records, processed, unmatched, retried, deadLettered, failures atomic.Int64
}

// Stats returns the handler's counters.
func (h *Handler) Stats() Stats {
	c := &h.stats
	return Stats{
		Records:      c.records.Load(),
		Processed:    c.processed.Load(),
		Unmatched:    c.unmatched.Load(),
		Retried:      c.retried.Load(),
		DeadLettered: c.deadLettered.Load(),
		Failures:     c.failures.Load(),
	}
}
