package mega

import (
	"context"
	"fmt"

	"github.com/sqs-mega/sqs-mega-go/match"
)

// Subscriber selects messages with a pattern and processes them.
//
// Every subscriber whose pattern matches a message receives it. A
// subscriber has an event pattern, applied to MEGA events (see package
// match: "name", "domain", … look in the event, any other key in its
// attributes), a data pattern, applied to data payloads, or both. An empty
// pattern matches every message of its kind.
//
// Delivery is at least once: a message whose processing is retried is
// delivered again to every subscriber that matches it, including those
// that had finished with it. Process functions must be idempotent.
type Subscriber struct {
	// Name identifies the subscriber in logs, counters and dead-letter
	// reasons. It defaults to "subscriber-N", N its position.
	Name string
	// Event is the pattern MEGA events must match to reach Process; nil
	// means the subscriber takes no events.
	Event match.Event
	// Data is the pattern data payloads must match; nil means the
	// subscriber takes no data payloads.
	Data match.Data
	// Raw makes the subscriber receive plain-text and binary bodies as
	// well. Without a Raw subscriber such bodies are not MEGA messages and
	// go to the dead-letter queue.
	Raw bool
	// Validate, when set, checks a message before Process. An error is
	// permanent: the message goes to the dead-letter queue.
	Validate func(ctx context.Context, m *Message) error
	// Process handles a message. nil means done; [Retry] asks for a later
	// delivery; [Permanent] errors send the message to the dead-letter
	// queue; any other error, and a panic, is retried with backoff.
	Process func(ctx context.Context, m *Message) error
}

// compiled is a subscriber ready to run.
type compiled struct {
	Subscriber
	event, data *match.Matcher
}

func compile(s Subscriber, n int) (*compiled, error) {
	if s.Name == "" {
		s.Name = fmt.Sprintf("subscriber-%d", n)
	}
	c := &compiled{Subscriber: s}
	if s.Process == nil {
		return nil, fmt.Errorf("%w %q: no Process function", ErrInvalidSubscriber, s.Name)
	}
	if s.Event == nil && s.Data == nil && !s.Raw {
		return nil, fmt.Errorf("%w %q: no Event or Data pattern (use an empty pattern to take every message)", ErrInvalidSubscriber, s.Name)
	}
	var err error
	if s.Event != nil {
		if c.event, err = match.Compile(s.Event); err != nil {
			return nil, fmt.Errorf("%w %q: event pattern: %w", ErrInvalidSubscriber, s.Name, err)
		}
	}
	if s.Data != nil {
		if c.data, err = match.Compile(s.Data); err != nil {
			return nil, fmt.Errorf("%w %q: data pattern: %w", ErrInvalidSubscriber, s.Name, err)
		}
	}
	return c, nil
}
