package mega

import (
	"errors"
	"fmt"
	"time"
)

// RetryError asks for the message to be delivered again later. It is not a
// failure: return it from a Process function with [Retry] when the message
// cannot be handled yet (the user it names does not exist yet, say).
type RetryError struct {
	// Delay before the message is delivered again; 0 means the consumer's
	// backoff for the message's receive count.
	Delay time.Duration
}

// Retry returns a *RetryError: the message is delivered again after delay,
// or after the consumer's backoff when delay is 0.
func Retry(delay time.Duration) error { return &RetryError{Delay: delay} }

func (e *RetryError) Error() string {
	if e.Delay > 0 {
		return fmt.Sprintf("mega: retry in %s", e.Delay)
	}
	return "mega: retry later"
}

// PermanentError marks a failure that retrying cannot fix: the message is
// sent to the dead-letter queue with the error as the reason, then deleted.
type PermanentError struct {
	Err error
}

// Permanent marks err as permanent. Every other error a Process function
// returns is retried.
func Permanent(err error) error { return &PermanentError{Err: err} }

func (e *PermanentError) Error() string {
	if e.Err == nil {
		return "mega: permanent failure"
	}
	return "mega: permanent failure: " + e.Err.Error()
}

// Unwrap returns the error that was marked permanent.
func (e *PermanentError) Unwrap() error { return e.Err }

// PanicError is the retriable error a handler's panic becomes.
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("mega: handler panicked: %v", e.Value) }

// Sentinel errors.
var (
	// ErrNoSubscribers: Run was called on a consumer without subscribers.
	ErrNoSubscribers = errors.New("mega: consumer has no subscribers")
	// ErrRunning: Run was called on a consumer that is already running.
	ErrRunning = errors.New("mega: consumer already running")
	// ErrInvalidSubscriber: a subscriber lacks a Process function or a
	// pattern, or its pattern is invalid.
	ErrInvalidSubscriber = errors.New("mega: invalid subscriber")
	// ErrInvalidOption: an option has a value out of range or conflicts
	// with another.
	ErrInvalidOption = errors.New("mega: invalid option")
)
