package protocol

import (
	"errors"
	"strings"
)

var (
	// ErrInvalidPayload is matched (errors.Is) by the error of a MEGA
	// payload that fails validation, on decoding or publishing.
	ErrInvalidPayload = errors.New("protocol: invalid MEGA payload")
	// ErrTooLarge is matched by the error of a body larger than the
	// encoder's limit.
	ErrTooLarge = errors.New("protocol: message body too large")
	// ErrNotPublishable is matched by the error of a payload that has no
	// body decoding back to it (a nil data document, a data document that
	// would be read as a MEGA event, KindNone, KindInvalid).
	ErrNotPublishable = errors.New("protocol: payload cannot be published")
)

// FieldError is one problem of a MEGA payload.
type FieldError struct {
	// Path is the field's dotted path, such as "event.timestamp".
	Path string
	// Reason says what is wrong.
	Reason string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Reason }

// ValidationError lists every problem of an invalid MEGA payload. It
// matches ErrInvalidPayload, and errors.As finds each *FieldError.
type ValidationError struct {
	Fields []*FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString(ErrInvalidPayload.Error())
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Error())
	}
	return b.String()
}

// Is reports whether target is ErrInvalidPayload.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidPayload }

// Unwrap returns the field errors.
func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Fields))
	for i, f := range e.Fields {
		errs[i] = f
	}
	return errs
}
