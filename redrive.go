package mega

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// AttrPreviousDeadLetterReason is the message attribute in which
// [Redrive] keeps the reason a message was dead-lettered for, once it has
// moved the message back out of the dead-letter queue: the consumer reads
// AttrDeadLetterReason only on dead-lettered copies, and a message
// dead-lettered again gets a fresh reason beside the previous one.
const AttrPreviousDeadLetterReason = "mega.previous-dead-letter-reason"

// Defaults of [RedriveOptions].
const (
	// DefaultRedriveWait is how long a receive of Redrive waits for
	// messages before it takes the queue for empty.
	DefaultRedriveWait = 2 * time.Second
	// DefaultRedriveVisibility is how long the messages Redrive holds
	// stay invisible before it extends them.
	DefaultRedriveVisibility = time.Minute
)

// redriveOpTimeout bounds each send, delete and visibility change, which
// run to completion even when the caller's context is cancelled: a send
// abandoned halfway would leave it unknown whether the message moved.
const redriveOpTimeout = 30 * time.Second

// RedriveOptions configures [Redrive]. The zero value moves every message.
// It is a plain value; its functions are called from the goroutine that
// called Redrive, one at a time.
type RedriveOptions struct {
	// Max is the largest number of messages to move (with DryRun, to
	// show); 0 means no limit.
	Max int
	// Filter, when set, selects the messages to move. The others stay in
	// the source queue and are made visible again when Redrive returns
	// (their receive count goes up by one).
	Filter func(m transport.Message) bool
	// DryRun moves nothing: Redrive receives the messages, calls OnMove
	// for each one it would move, and makes every message it received
	// visible again when it returns. The destination may then be nil.
	DryRun bool
	// OnMove is called with each message once its copy was sent to the
	// destination (before it is deleted from the source), or, with
	// DryRun, with each message that would move.
	OnMove func(m transport.Message)
	// Progress, when set, is called after each batch with the counts so
	// far.
	Progress func(RedriveStats)
	// WaitTime is how long a receive waits for messages; a receive that
	// brings no new message ends the run. 0 means DefaultRedriveWait; at
	// most transport.MaxWaitTime.
	WaitTime time.Duration
	// VisibilityTimeout is how long the messages Redrive holds (those it
	// skips, and all of them with DryRun) stay invisible before it
	// extends them; if the process dies they come back after it. 0 means
	// DefaultRedriveVisibility.
	VisibilityTimeout time.Duration
}

// RedriveStats counts what [Redrive] did. It is a plain value.
type RedriveStats struct {
	// Received is the number of distinct messages received.
	Received int
	// Moved is the number of messages sent to the destination and deleted
	// from the source; with DryRun, of those that would have moved.
	Moved int
	// Skipped is the number of messages the filter left in place.
	Skipped int
	// Failed is the number of messages whose send failed: they are still
	// in the source queue, visible again.
	Failed int
	// NotDeleted is the number of messages sent to the destination whose
	// delete from the source failed: they are in both queues.
	NotDeleted int
}

// Redrive moves messages from one queue, usually a dead-letter queue, to
// another: for each message it receives from from (up to opts.Max, those
// opts.Filter selects), it sends a copy to to and deletes the message from
// from only after that send succeeded, in batches of up to 10. It stops
// when a receive brings no new message, when opts.Max messages have moved,
// or when ctx is cancelled; then it makes every message it still holds
// visible again at once, and returns.
//
// A message is never lost: it is in from, in to, or, when a delete fails
// or the process dies between a send and its delete, briefly in both (it
// is then delivered twice, which at-least-once delivery allows). When ctx
// is cancelled, the batch already sent is deleted before Redrive returns.
//
// The copy keeps the body and the message attributes, except that
// [AttrDeadLetterReason] becomes [AttrPreviousDeadLetterReason], so that
// the number of attributes does not grow. On FIFO queues the copy keeps
// the message group id and the deduplication id: a run interrupted
// between a send and its delete and started again within the
// five-minute deduplication interval does not deliver the message twice.
// (A message SQS itself moved to the dead-letter queue keeps the
// deduplication id it was first sent with: moved back within five minutes
// of that send, SQS would take it for a duplicate and drop it. The
// consumer's dead-lettered copies carry their own deduplication id.)
//
// On a FIFO queue the later messages of a group stay out of reach while
// Redrive holds an earlier one it skipped (Filter, Max): they are not
// moved in that run. Within a batch, a message whose send fails stays
// behind while the later messages of its group move: a group keeps its
// order unless a send fails.
//
// The returned error joins the errors met (receives, failed sends and
// deletes), and ctx.Err() when ctx was cancelled; the stats count the
// messages each one concerned.
func Redrive(ctx context.Context, from transport.Queue, to transport.Sender, opts RedriveOptions) (RedriveStats, error) {
	var errs []error
	switch {
	case from == nil:
		errs = append(errs, errors.New("nil source queue"))
	case to == nil && !opts.DryRun:
		errs = append(errs, errors.New("nil destination (allowed only with DryRun)"))
	}
	if opts.Max < 0 {
		errs = append(errs, fmt.Errorf("Max %d is negative", opts.Max))
	}
	if opts.WaitTime < 0 || opts.WaitTime > transport.MaxWaitTime {
		errs = append(errs, fmt.Errorf("WaitTime %v is not between 0 and %v", opts.WaitTime, transport.MaxWaitTime))
	}
	if opts.VisibilityTimeout < 0 || opts.VisibilityTimeout > transport.MaxVisibilityTimeout {
		errs = append(errs, fmt.Errorf("VisibilityTimeout %v is not between 0 and %v", opts.VisibilityTimeout, transport.MaxVisibilityTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return RedriveStats{}, fmt.Errorf("%w: Redrive: %w", ErrInvalidOption, err)
	}
	r := &redriver{
		from: from, to: to, opts: opts,
		wait: opts.WaitTime, vis: opts.VisibilityTimeout,
		held: map[string]*heldReceipt{},
		seen: map[string]bool{},
		now:  time.Now,
	}
	if r.wait == 0 {
		r.wait = DefaultRedriveWait
	}
	if r.vis == 0 {
		r.vis = DefaultRedriveVisibility
	}
	if cs, ok := from.(transport.CancelSafe); ok {
		r.cancelSafe = cs.CancelSafe()
	}
	return r.run(ctx)
}

type redriver struct {
	from       transport.Queue
	to         transport.Sender
	opts       RedriveOptions
	wait, vis  time.Duration
	cancelSafe bool
	now        func() time.Time

	stats RedriveStats
	errs  []error
	// held are the messages received and still in the source queue, by
	// message id: kept invisible until the run ends.
	held map[string]*heldReceipt
	// seen are the ids of every message received, so that a message that
	// comes back is neither counted nor moved twice.
	seen map[string]bool
}

type heldReceipt struct {
	id, handle string
	until      time.Time
}

// maxRedriveErrors bounds the errors Redrive returns; the stats count
// every failure.
const maxRedriveErrors = 10

func (r *redriver) fail(err error) {
	if len(r.errs) < maxRedriveErrors {
		r.errs = append(r.errs, err)
	}
}

func (r *redriver) run(ctx context.Context) (RedriveStats, error) {
	for ctx.Err() == nil && (r.opts.Max == 0 || r.stats.Moved < r.opts.Max) {
		n := transport.MaxBatch
		if r.opts.Max > 0 {
			n = min(n, r.opts.Max-r.stats.Moved)
		}
		msgs, err := r.receive(ctx, n)
		if err != nil {
			if ctx.Err() == nil {
				r.fail(fmt.Errorf("receiving: %w", err))
			}
			break
		}
		var batch []transport.Message
		fresh := 0
		for _, m := range msgs {
			if r.seen[m.ID] {
				r.hold(m) // back after its visibility ended: keep the new receipt
				continue
			}
			r.seen[m.ID] = true
			fresh++
			r.stats.Received++
			switch {
			case ctx.Err() != nil, r.opts.Max > 0 && r.stats.Moved+len(batch) >= r.opts.Max:
				r.hold(m)
			case r.opts.Filter != nil && !r.opts.Filter(m):
				r.stats.Skipped++
				r.hold(m)
			default:
				batch = append(batch, m)
			}
		}
		if r.opts.DryRun {
			for _, m := range batch {
				if r.opts.OnMove != nil {
					r.opts.OnMove(m)
				}
				r.stats.Moved++
				r.hold(m)
			}
		} else if len(batch) > 0 {
			r.move(ctx, batch)
		}
		r.extend(ctx)
		if r.opts.Progress != nil {
			r.opts.Progress(r.stats)
		}
		if fresh == 0 {
			break
		}
	}
	r.releaseAll(ctx)
	if err := ctx.Err(); err != nil {
		r.errs = append(r.errs, err)
	}
	if len(r.errs) > 0 {
		return r.stats, fmt.Errorf("mega: Redrive: %w", errors.Join(r.errs...))
	}
	return r.stats, nil
}

// receive receives up to n messages. Over a transport whose Receive may
// take messages it never returns when cancelled, the poll is not
// cancelled with ctx: it is short, and what it takes is then given back
// at once.
func (r *redriver) receive(ctx context.Context, n int) ([]transport.Message, error) {
	req := transport.ReceiveRequest{MaxMessages: n, WaitTime: r.wait, VisibilityTimeout: r.vis}
	if r.cancelSafe {
		msgs, err := r.from.Receive(ctx, req)
		if err != nil && ctx.Err() != nil {
			return nil, nil
		}
		return msgs, err
	}
	pollCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.wait+redriveOpTimeout)
	defer cancel()
	return r.from.Receive(pollCtx, req)
}

func (r *redriver) hold(m transport.Message) {
	r.held[m.ID] = &heldReceipt{id: m.ID, handle: m.ReceiptHandle, until: r.now().Add(r.vis)}
}

// move sends copies of the batch to the destination, then deletes from
// the source the messages whose copy was sent.
func (r *redriver) move(ctx context.Context, batch []transport.Message) {
	opCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), redriveOpTimeout)
	defer cancel()
	outs := make([]transport.Outgoing, len(batch))
	for i, m := range batch {
		outs[i] = redriveCopy(m, true)
	}
	sent := r.send(opCtx, batch, outs, true)
	if len(sent) == 0 {
		return
	}
	handles := make([]string, len(sent))
	for i, m := range sent {
		handles[i] = m.ReceiptHandle
	}
	errs, err := r.from.Delete(opCtx, handles)
	if err == nil && len(errs) != len(handles) {
		err = fmt.Errorf("the queue answered %d results for %d deletes", len(errs), len(handles))
	}
	if err != nil {
		r.stats.NotDeleted += len(sent)
		r.fail(fmt.Errorf("%d messages sent but not deleted from the source, now in both queues: %w", len(sent), err))
		return
	}
	for i, e := range errs {
		if e == nil {
			r.stats.Moved++
			continue
		}
		r.stats.NotDeleted++
		r.fail(fmt.Errorf("message %s sent but not deleted from the source, now in both queues: %w", sent[i].ID, e))
	}
}

// send sends the copies and returns the messages whose copy was sent.
// Those that failed are held, to be given back at the end. With
// shrink, a copy too large once the previous reason is added is sent
// again without it.
func (r *redriver) send(ctx context.Context, batch []transport.Message, outs []transport.Outgoing, shrink bool) []transport.Message {
	res, err := r.to.Send(ctx, outs)
	if err == nil && len(res) != len(outs) {
		// Which of them went is unknown: keep them all, at the price of
		// a duplicate when they are moved again.
		err = fmt.Errorf("the destination answered %d results for %d messages", len(res), len(outs))
	}
	if err != nil {
		for _, m := range batch {
			r.hold(m)
		}
		r.stats.Failed += len(batch)
		r.fail(fmt.Errorf("sending %d messages: %w", len(batch), err))
		return nil
	}
	var sent, retry []transport.Message
	for i, sr := range res {
		m := batch[i]
		switch {
		case sr.Err == nil:
			sent = append(sent, m)
			if r.opts.OnMove != nil {
				r.opts.OnMove(m)
			}
		case shrink && errors.Is(sr.Err, transport.ErrTooLarge) && hasAttr(m, AttrDeadLetterReason):
			retry = append(retry, m)
		default:
			r.hold(m)
			r.stats.Failed++
			r.fail(fmt.Errorf("message %s not sent: %w", m.ID, sr.Err))
		}
	}
	if len(retry) > 0 {
		outs := make([]transport.Outgoing, len(retry))
		for i, m := range retry {
			outs[i] = redriveCopy(m, false)
		}
		sent = append(sent, r.send(ctx, retry, outs, false)...)
	}
	return sent
}

func hasAttr(m transport.Message, name string) bool {
	_, ok := m.Attributes[name]
	return ok
}

// redriveCopy is the message to send back: the body, the attributes with
// the dead-letter reason moved to AttrPreviousDeadLetterReason (when
// keepReason), and the FIFO ids.
func redriveCopy(m transport.Message, keepReason bool) transport.Outgoing {
	attrs := make(map[string]transport.Attribute, len(m.Attributes))
	for k, v := range m.Attributes {
		if k != AttrDeadLetterReason {
			attrs[k] = v
		}
	}
	if reason, ok := m.Attributes[AttrDeadLetterReason]; ok {
		// Replaces an older previous reason: the count cannot grow.
		delete(attrs, AttrPreviousDeadLetterReason)
		if keepReason {
			attrs[AttrPreviousDeadLetterReason] = reason
		}
	}
	if len(attrs) == 0 {
		attrs = nil
	}
	return transport.Outgoing{
		Body:            m.Body,
		Attributes:      attrs,
		GroupID:         m.GroupID,
		DeduplicationID: m.DeduplicationID,
	}
}

// extend keeps held messages invisible: those with less than half of
// their visibility timeout left get a new one.
func (r *redriver) extend(ctx context.Context) {
	now := r.now()
	var due []*heldReceipt
	for _, h := range r.held {
		if h.until.Sub(now) < r.vis/2 {
			due = append(due, h)
		}
	}
	if err := r.changeVisibility(ctx, due, r.vis); err != nil {
		r.fail(fmt.Errorf("keeping held messages invisible: %w", err))
	}
}

// releaseAll makes every held message visible again at once.
func (r *redriver) releaseAll(ctx context.Context) {
	all := make([]*heldReceipt, 0, len(r.held))
	for _, h := range r.held {
		all = append(all, h)
	}
	if err := r.changeVisibility(ctx, all, 0); err != nil {
		r.fail(fmt.Errorf("making the messages held visible again: %w", err))
	}
	clear(r.held)
}

func (r *redriver) changeVisibility(ctx context.Context, held []*heldReceipt, timeout time.Duration) error {
	var errs []error
	for len(held) > 0 {
		batch := held[:min(len(held), transport.MaxBatch)]
		held = held[len(batch):]
		changes := make([]transport.VisibilityChange, len(batch))
		for i, h := range batch {
			changes[i] = transport.VisibilityChange{ReceiptHandle: h.handle, Timeout: timeout}
		}
		opCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), redriveOpTimeout)
		res, err := r.from.ChangeVisibility(opCtx, changes)
		cancel()
		if err == nil && len(res) != len(changes) {
			err = fmt.Errorf("the queue answered %d results for %d changes", len(res), len(changes))
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		until := r.now().Add(timeout)
		for i, e := range res {
			switch {
			case e == nil:
				batch[i].until = until
			case errors.Is(e, transport.ErrReceiptInvalid):
				// Received again elsewhere, or gone: no longer ours.
				delete(r.held, batch[i].id)
			default:
				errs = append(errs, fmt.Errorf("message %s: %w", batch[i].id, e))
			}
		}
	}
	return errors.Join(errs...)
}
