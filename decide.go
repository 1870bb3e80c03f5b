package mega

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// decision is everything the verdict on a message depends on, beside the
// error of an invalid MEGA body: what its body decoded to and what each
// matching subscriber returned. It holds no pointer but results, so that
// results may live on the router's stack.
type decision struct {
	kind         protocol.Kind
	receiveCount int
	matched      int         // subscribers that matched
	results      []subResult // of those that ran, in order
	cancelled    bool        // the context ended before every match ran
}

type subResult struct {
	name string
	err  error
}

// rules are the settings a verdict follows.
type rules struct {
	keepUnmatched bool
	maxReceives   int
	backoff       func(receiveCount int) time.Duration
}

func (c *config) decideRules() rules {
	base, ceiling := c.backoffBase, c.backoffMax
	return rules{
		keepUnmatched: c.keepUnmatched,
		maxReceives:   c.maxReceives,
		backoff:       func(n int) time.Duration { return backoff(n, base, ceiling) },
	}
}

// decide turns a decision into a verdict (SPEC §4); decodeErr says what is
// wrong with a KindInvalid body. It is a pure function of its arguments
// (and of the backoff function's jitter): the message is
// deleted only when every matching subscriber finished with success or a
// permanent error; a retry asked for, an error or a panic leaves it for a
// later delivery; permanent failures and bodies that cannot be processed
// are poison, to be dead-lettered with the reason.
func decide(d decision, decodeErr error, r rules) Verdict {
	v := Verdict{Matched: d.matched}
	switch d.kind {
	case protocol.KindInvalid:
		v.Action, v.Reason = ActionPoison, fmt.Sprint(decodeErr)
		return v
	case protocol.KindNone:
		// An SNS subscription (un)confirmation from a trusted topic:
		// nothing to process.
		v.Action = ActionDelete
		return v
	case protocol.KindText, protocol.KindBinary:
		if d.matched == 0 {
			v.Action = ActionPoison
			v.Reason = fmt.Sprintf("not a MEGA message: the body is %s, not a JSON or BSON document", describeKind(d.kind))
			return v
		}
	}
	if d.matched == 0 {
		v.Action = ActionDelete
		if r.keepUnmatched {
			v.Action = ActionLeave
		}
		return v
	}
	var (
		retry   = d.cancelled
		delay   time.Duration
		reasons []string
	)
	for _, res := range d.results {
		if res.err == nil {
			continue
		}
		var rq *RetryError
		switch {
		case errors.As(res.err, &rq):
			retry = true
			delay = max(delay, rq.Delay)
		case isPermanent(res.err):
			reasons = append(reasons, fmt.Sprintf("subscriber %s: %v", res.name, res.err))
		default:
			retry = true
			v.Err = res.err
		}
	}
	switch {
	case retry && r.maxReceives > 0 && d.receiveCount >= r.maxReceives:
		reason := fmt.Sprintf("retried %d times", d.receiveCount)
		if v.Err != nil {
			reason += ": last error: " + v.Err.Error()
		}
		v.Action, v.Reason = ActionPoison, strings.Join(append(reasons, reason), "; ")
	case retry:
		v.Action, v.Delay = ActionRetry, delay
		if delay == 0 {
			v.Delay = r.backoff(d.receiveCount)
		}
	case len(reasons) > 0:
		v.Action, v.Reason = ActionPoison, strings.Join(reasons, "; ")
	default:
		v.Action = ActionDelete
	}
	return v
}

func describeKind(k protocol.Kind) string {
	if k == protocol.KindBinary {
		return "binary data"
	}
	return "plain text"
}
