package mega

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sqs-mega/sqs-mega-go/internal/lease"
	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// maxExcerpt bounds the excerpt of a body logged for a message that cannot
// be processed.
const maxExcerpt = 256

// settle carries a verdict out on a held message. It reports whether the
// message is done with: false when it stays for a later delivery, or was
// released at shutdown while its handlers ran.
func (e *engine) settle(m *lease.Msg, v Verdict) bool {
	switch v.Action {
	case ActionDelete:
		var after func()
		if res := e.cfg.resolver; res != nil && v.Message != nil && v.Message.Offloaded != nil {
			ref := v.Message.Offloaded
			after = func() {
				// Only once the queue confirmed the delete: before, the
				// message could still come back and need its payload.
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				if err := res.Delete(ctx, ref); err != nil {
					e.log.Warn("mega: deleting a processed message's large payload failed; the object stays", "message_id", m.Message.ID, "error", err)
				}
			}
		}
		if !m.DeleteThen(after) {
			return false
		}
		if v.Matched == 0 {
			e.stats.unmatched.Add(1)
		} else {
			e.stats.processed.Add(1)
		}
		return true
	case ActionLeave:
		if !m.Forget() {
			return false
		}
		e.stats.unmatched.Add(1)
		return true
	case ActionRetry:
		if m.ChangeVisibility(min(v.Delay, transport.MaxVisibilityTimeout), "retry") {
			e.stats.retried.Add(1)
		}
		return false
	case ActionPoison:
		return e.poison(m, v.Reason)
	}
	panic(fmt.Sprintf("mega: unknown action %v", v.Action))
}

// poison settles a message that cannot be processed (SPEC §4): a copy with
// the reason goes to the dead-letter queue while the message is still
// held, then the message is deleted; without a dead-letter queue it is
// logged and left in the queue for as long as SQS allows, or deleted when
// WithDiscardPoison says so.
func (e *engine) poison(m *lease.Msg, reason string) bool {
	tm := m.Message
	if len(reason) > maxReasonLen {
		reason = truncate(reason, maxReasonLen)
	}
	if e.dlq == nil {
		excerpt := truncate(tm.Body, maxExcerpt)
		if e.cfg.discardPoison {
			if !m.Delete() {
				return false
			}
			e.stats.deadLettered.Add(1)
			e.log.Error("mega: discarding a message that cannot be processed (no dead-letter queue)",
				"message_id", tm.ID, "receive_count", tm.ReceiveCount, "reason", reason, "body_excerpt", excerpt)
			return true
		}
		if !m.ChangeVisibility(transport.MaxVisibilityTimeout, "poison") {
			return false
		}
		e.stats.poisonKept.Add(1)
		e.log.Error("mega: a message cannot be processed and there is no dead-letter queue: it stays in the queue, invisible for up to 12 hours",
			"message_id", tm.ID, "receive_count", tm.ReceiveCount, "reason", reason, "body_excerpt", excerpt)
		return false
	}
	if !m.Cover() {
		return false
	}
	if err := e.deadLetter(tm, reason); err != nil {
		e.log.Error("mega: sending to the dead-letter queue failed; the message will be retried",
			"message_id", tm.ID, "reason", reason, "error", err)
		if m.ChangeVisibility(backoff(tm.ReceiveCount, e.cfg.backoffBase, e.cfg.backoffMax), "retry") {
			e.stats.retried.Add(1)
		}
		return false
	}
	e.stats.deadLettered.Add(1)
	m.Delete()
	return true
}

// truncate cuts s to at most n bytes, on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// deadLetter sends a copy of the message, with the reason, to the
// dead-letter queue.
func (e *engine) deadLetter(tm transport.Message, reason string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.c.router.DeadLetter(ctx, e.dlq, tm, reason, e.fifo)
}

// DeadLetter sends a copy of a message that cannot be processed to the
// dead-letter queue dlq, as a [Consumer] does with the reason of an
// ActionPoison verdict (SPEC §4): the body as received, the message
// attributes (the size attribute of an offloaded payload first, then in
// name order, as many as fit beside the reason within the 10 SQS allows),
// the reason (cut to 1 KiB) in the [AttrDeadLetterReason]
// attribute and, when fifo is set, the message's group with its message
// id as deduplication id. A copy too large for the reason is sent without
// it; the reason is then only in the log. DeadLetter returns nil once dlq
// has accepted the copy: only then may the message be deleted.
func (r *Router) DeadLetter(ctx context.Context, dlq transport.Sender, tm transport.Message, reason string, fifo bool) error {
	if len(reason) > maxReasonLen {
		reason = truncate(reason, maxReasonLen)
	}
	out := transport.Outgoing{
		Body:       tm.Body,
		Attributes: make(map[string]transport.Attribute, len(tm.Attributes)+1),
	}
	names := make([]string, 0, len(tm.Attributes))
	for k := range tm.Attributes {
		names = append(names, k)
	}
	// The size attribute of a large payload goes first: without it the
	// copy's pointer can no longer be read back, by us or by the AWS
	// extended clients.
	slices.SortFunc(names, func(a, b string) int {
		if pa, pb := isSizeAttribute(a), isSizeAttribute(b); pa != pb {
			if pa {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	for i, k := range names {
		if i == transport.MaxAttributes-1 {
			r.log.Warn("mega: the dead-lettered copy leaves out attributes to make room for the reason",
				"message_id", tm.ID, "left_out", names[i:])
			break
		}
		out.Attributes[k] = tm.Attributes[k]
	}
	out.Attributes[AttrDeadLetterReason] = transport.StringAttribute(reason)
	if fifo {
		out.GroupID = tm.GroupID
		out.DeduplicationID = tm.ID
	}
	r.log.Warn("mega: sending a message to the dead-letter queue", "message_id", tm.ID, "reason", reason)
	err := sendOne(ctx, dlq, out)
	if errors.Is(err, transport.ErrTooLarge) {
		// No room for the reason: send the message as it came, the reason
		// stays in the log above.
		delete(out.Attributes, AttrDeadLetterReason)
		err = sendOne(ctx, dlq, out)
	}
	return err
}

func sendOne(ctx context.Context, s transport.Sender, out transport.Outgoing) error {
	res, err := s.Send(ctx, []transport.Outgoing{out})
	if err != nil {
		return err
	}
	if len(res) != 1 {
		return fmt.Errorf("mega: queue answered %d results for 1 message", len(res))
	}
	return res[0].Err
}

func isSizeAttribute(name string) bool {
	return name == offload.SizeAttribute || name == offload.LegacySizeAttribute
}
