package match

import "errors"

// ErrInvalidPattern is the sentinel for every pattern rejected by [Parse],
// [ParseEvent] or [Compile]. Test for it with errors.Is; use errors.As with
// a *[PatternError] to learn where and why.
var ErrInvalidPattern = errors.New("match: invalid pattern")

// PatternError describes an invalid pattern: Path says where (keys and
// operators from the root, such as "timestamp" or "user.$not.$in[2]"; empty
// for the root) and Reason says why.
//
// A *PatternError matches [ErrInvalidPattern] under errors.Is. It is a plain
// value, safe to share between goroutines.
type PatternError struct {
	Path   string
	Reason string
	// Err is an underlying cause, such as a regular expression syntax
	// error; it may be nil.
	Err error
}

// Error returns "match: invalid pattern at PATH: REASON".
func (e *PatternError) Error() string {
	if e.Path == "" {
		return "match: invalid pattern: " + e.Reason
	}
	return "match: invalid pattern at " + e.Path + ": " + e.Reason
}

// Is reports whether target is [ErrInvalidPattern].
func (e *PatternError) Is(target error) bool { return target == ErrInvalidPattern }

// Unwrap returns the underlying cause, if any.
func (e *PatternError) Unwrap() error { return e.Err }
