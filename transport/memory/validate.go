package memory

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// The checks in this file are those SQS and SNS make, so that a message
// the memory transport accepts is one AWS accepts too.

// entryError is the failure of one batch entry: it wraps the transport
// sentinel (for errors.Is) and a *transport.EntryError carrying the code
// AWS would return (for errors.As).
func entryError(sentinel error, code, format string, args ...any) error {
	return fmt.Errorf("%w: %w", sentinel, &transport.EntryError{
		Code:        code,
		Message:     fmt.Sprintf(format, args...),
		SenderFault: true,
	})
}

// requestError is the failure of a whole call.
func requestError(sentinel error, code, format string, args ...any) error {
	return fmt.Errorf("memory: %s: %w: %s", code, sentinel, fmt.Sprintf(format, args...))
}

var batchEntryID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// checkBatch checks the rules of a batch call as a whole.
func checkBatch(n int) error {
	if n == 0 {
		return requestError(transport.ErrInvalidRequest, "EmptyBatchRequest", "the batch has no entries")
	}
	if n > transport.MaxBatch {
		return requestError(transport.ErrInvalidRequest, "TooManyEntriesInBatchRequest",
			"the batch has %d entries, more than %d", n, transport.MaxBatch)
	}
	return nil
}

// checkSendBatch checks the rules of a Send call as a whole. Entries
// without an id get one from the transport, which never clashes.
func checkSendBatch(batch []transport.Outgoing, maxTotal int) error {
	if err := checkBatch(len(batch)); err != nil {
		return err
	}
	total := 0
	for i, o := range batch {
		total += o.Size()
		if o.ID == "" {
			continue
		}
		if !batchEntryID.MatchString(o.ID) {
			return requestError(transport.ErrInvalidRequest, "InvalidBatchEntryId",
				"entry id %q is not 1 to 80 letters, digits, hyphens and underscores", o.ID)
		}
		for _, prev := range batch[:i] {
			if prev.ID == o.ID {
				return requestError(transport.ErrInvalidRequest, "BatchEntryIdsNotDistinct",
					"two entries have the id %q", o.ID)
			}
		}
	}
	if total > maxTotal {
		return requestError(transport.ErrTooLarge, "BatchRequestTooLong",
			"the batch carries %d bytes, more than %d", total, maxTotal)
	}
	return nil
}

// validText reports whether s is valid UTF-8 made only of the characters
// SQS accepts: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD |
// #x10000 to #x10FFFF.
func validText(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
		i += size
	}
	return true
}

// checkMessage checks one outgoing message against the rules SQS applies
// to every entry, whatever the queue: body, attributes, delay.
func checkMessage(o transport.Outgoing, maxSize int) error {
	if o.Body == "" {
		return entryError(transport.ErrInvalidRequest, "InvalidParameterValue", "the message body is empty")
	}
	if !validText(o.Body) {
		return entryError(transport.ErrInvalidRequest, "InvalidMessageContents",
			"the message body contains characters outside the allowed set")
	}
	if err := checkAttributes(o.Attributes); err != nil {
		return err
	}
	if size := o.Size(); size > maxSize {
		return entryError(transport.ErrTooLarge, "InvalidParameterValue",
			"the message is %d bytes long, more than the %d allowed", size, maxSize)
	}
	if o.Delay < 0 || o.Delay > transport.MaxDelay {
		return entryError(transport.ErrInvalidRequest, "InvalidParameterValue",
			"delay %v is not between 0 and %v", o.Delay, transport.MaxDelay)
	}
	return nil
}

// checkAttributes checks message attributes as SQS does.
func checkAttributes(attrs map[string]transport.Attribute) error {
	if len(attrs) > transport.MaxAttributes {
		return entryError(transport.ErrInvalidRequest, "InvalidParameterValue",
			"the message has %d attributes, more than %d", len(attrs), transport.MaxAttributes)
	}
	for name, a := range attrs {
		if err := checkAttributeName(name); err != nil {
			return err
		}
		if err := checkAttributeValue(name, a); err != nil {
			return err
		}
	}
	return nil
}

func checkAttributeName(name string) error {
	bad := func(why string) error {
		return entryError(transport.ErrInvalidRequest, "InvalidParameterValue", "attribute name %q %s", name, why)
	}
	if name == "" || len(name) > 256 {
		return bad("must be 1 to 256 characters long")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return bad("may hold only letters, digits, '_', '-' and '.'")
		}
	}
	if name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..") {
		return bad("may not start or end with a period or hold two in a row")
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return bad("uses a prefix reserved by AWS")
	}
	return nil
}

// attributeBase returns the base type of an attribute data type
// ("String" for "String.json"), or "" when the type is invalid.
func attributeBase(dataType string) string {
	base, custom, hasCustom := strings.Cut(dataType, ".")
	switch base {
	case "String", "Number", "Binary":
	default:
		return ""
	}
	if hasCustom && (custom == "" || len(dataType) > 256) {
		return ""
	}
	return base
}

func checkAttributeValue(name string, a transport.Attribute) error {
	bad := func(format string, args ...any) error {
		return entryError(transport.ErrInvalidRequest, "InvalidParameterValue",
			"attribute %q: %s", name, fmt.Sprintf(format, args...))
	}
	switch attributeBase(a.DataType) {
	case "String":
		if a.StringValue == "" {
			return bad("a String attribute needs a non-empty StringValue")
		}
		if !validText(a.StringValue) {
			return bad("the value contains characters outside the allowed set")
		}
	case "Number":
		if !validNumber(a.StringValue) {
			return bad("%q is not a number SQS accepts", a.StringValue)
		}
	case "Binary":
		if len(a.BinaryValue) == 0 {
			return bad("a Binary attribute needs a non-empty BinaryValue")
		}
	default:
		return bad("data type %q is not String, Number or Binary, optionally with a custom suffix", a.DataType)
	}
	return nil
}

// validNumber reports whether s is a number SQS accepts in a Number
// attribute: a decimal, optionally with an exponent, within its range.
func validNumber(s string) bool {
	if s == "" || strings.ContainsAny(s, "_xXpPnNiI") {
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return false
	}
	return !math.IsInf(f, 0) && !math.IsNaN(f)
}

// validFIFOID reports whether s is a valid MessageGroupId or
// MessageDeduplicationId: 1 to 128 ASCII letters, digits or punctuation.
func validFIFOID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
