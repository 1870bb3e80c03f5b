package harness

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/match"
)

// Chaos describes handlers that misbehave at random, reproducibly: what
// a handler does with a message depends only on the seed, the message's
// key and its receive count. Zero fractions disable a behaviour.
type Chaos struct {
	// Seed makes another run of the same choices.
	Seed uint64
	// Permanent is the fraction of keys that fail permanently
	// (mega.Permanent) on every handling, chosen by key alone.
	Permanent float64
	// Fail, Panic and Slow are the fractions of handlings that return a
	// retriable error, panic, or work SlowWork before succeeding.
	Fail, Panic, Slow float64
	// SlowWork is how long a slow handling works.
	SlowWork time.Duration
}

// Behaviour is what a chaos handler does with one handling.
type Behaviour uint8

// The behaviours of a chaos handler.
const (
	Succeed Behaviour = iota
	Fail
	Panic
	Slow
	Refuse
)

var behaviourNames = [...]string{Succeed: "succeed", Fail: "fail", Panic: "panic", Slow: "slow", Refuse: "refuse"}

func (b Behaviour) String() string {
	if int(b) < len(behaviourNames) {
		return behaviourNames[b]
	}
	return fmt.Sprintf("behaviour(%d)", b)
}

// draw returns a number in [0, 1) fixed by the seed, the key and n.
func (c Chaos) draw(key string, n int) float64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	return rand.New(rand.NewPCG(c.Seed, h.Sum64()^uint64(n)*0x9e3779b97f4a7c15)).Float64()
}

// Refuses reports whether the handler fails permanently on key.
func (c Chaos) Refuses(key string) bool { return c.draw(key, -1) < c.Permanent }

// Choose returns what the handler does with key on its receiveCount-th
// receive.
func (c Chaos) Choose(key string, receiveCount int) Behaviour {
	if c.Refuses(key) {
		return Refuse
	}
	switch x := c.draw(key, receiveCount); {
	case x < c.Fail:
		return Fail
	case x < c.Fail+c.Panic:
		return Panic
	case x < c.Fail+c.Panic+c.Slow:
		return Slow
	}
	return Succeed
}

// ErrChaos is the error of a handling that fails on purpose.
var ErrChaos = errors.New("harness: chaos handler failed")

// Subscriber returns a subscriber to every test event, recorded by r,
// that behaves as c chooses: fails, panics, works SlowWork, fails
// permanently, or works the event's work time (at most maxWork) and
// succeeds. A handler whose context is cancelled fails.
func (c Chaos) Subscriber(r *Recorder, maxWork time.Duration) mega.Subscriber {
	return mega.Subscriber{
		Name:  "chaos",
		Event: match.Event{"name": EventName},
		Process: r.Wrap(func(ctx context.Context, m *mega.Message) error {
			switch b := c.Choose(Key(m), m.ReceiveCount); b {
			case Refuse:
				return mega.Permanent(fmt.Errorf("%s refused: %w", Key(m), ErrChaos))
			case Fail:
				return fmt.Errorf("%s on receive %d: %w", Key(m), m.ReceiveCount, ErrChaos)
			case Panic:
				panic(fmt.Sprintf("chaos handler panics on %s", Key(m)))
			case Slow:
				return work(ctx, c.SlowWork)
			}
			return work(ctx, min(Work(m), maxWork))
		}),
	}
}
