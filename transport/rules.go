package transport

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The rule book: the rules Amazon SQS (and, for topics, Amazon SNS)
// applies to requests, which every transport checks before it sends or
// stores anything, so that what the memory transport accepts AWS accepts
// too. A server that speaks the SQS protocol can answer with them: each
// check returns a *RuleError carrying the code SQS answers.

// Limits of the rule book, beside those above.
const (
	// MaxBatchEntryIDLen is the longest id of a batch entry.
	MaxBatchEntryIDLen = 80
	// MaxAttributeNameLen is the longest message attribute name (and
	// the longest attribute data type).
	MaxAttributeNameLen = 256
	// MaxFIFOIDLen is the longest MessageGroupId or
	// MessageDeduplicationId.
	MaxFIFOIDLen = 128
	// MaxSubjectLen is the longest subject of an SNS message.
	MaxSubjectLen = 100
)

// RuleError is a request that breaks a rule of SQS or SNS, found before
// the request was made. It wraps ErrInvalidRequest or ErrTooLarge
// (errors.Is), and when the rule is about one entry of a batch it is
// also an *EntryError with the same code (errors.As). Every rule error
// is the sender's fault: SQS answers it with HTTP status 400, for the
// request or, when Entry is set, in the batch's failed entries.
type RuleError struct {
	// Code is the error SQS (or SNS) answers: the error shape of its
	// model, such as "TooManyEntriesInBatchRequest" or
	// "InvalidParameterValue". [RuleError.QueryCode] gives the code of
	// the query protocol.
	Code string
	// Message says what is wrong.
	Message string
	// Entry is true when the rule is about one entry of a batch: the
	// service reports it for that entry and goes on with the others.
	// Otherwise the request fails as a whole.
	Entry bool
	// Err is ErrInvalidRequest or ErrTooLarge.
	Err error
}

func (e *RuleError) Error() string { return "transport: " + e.Code + ": " + e.Message }

// Unwrap returns the transport sentinel.
func (e *RuleError) Unwrap() error { return e.Err }

// As makes an entry's RuleError an *EntryError, as the entries of a
// batch that SQS fails are.
func (e *RuleError) As(target any) bool {
	t, ok := target.(**EntryError)
	if ok && e.Entry {
		*t = &EntryError{Code: e.Code, Message: e.Message, SenderFault: true}
	}
	return ok && e.Entry
}

// QueryCode is the code of the error in SQS's query protocol (the
// x-amzn-query-error header of its JSON protocol):
// "AWS.SimpleQueueService.BatchEntryIdsNotDistinct" for
// BatchEntryIdsNotDistinct, say. Most codes are the same in both.
func (e *RuleError) QueryCode() string {
	switch e.Code {
	case "BatchEntryIdsNotDistinct", "BatchRequestTooLong", "EmptyBatchRequest", "InvalidBatchEntryId",
		"MessageNotInflight", "TooManyEntriesInBatchRequest", "UnsupportedOperation":
		return "AWS.SimpleQueueService." + e.Code
	}
	return e.Code
}

func requestRule(sentinel error, code, format string, args ...any) error {
	return &RuleError{Code: code, Message: fmt.Sprintf(format, args...), Err: sentinel}
}

func entryRule(sentinel error, code, format string, args ...any) error {
	return &RuleError{Code: code, Message: fmt.Sprintf(format, args...), Entry: true, Err: sentinel}
}

// CheckBatchSize checks the number of entries of a batch call: 1 to
// MaxBatch.
func CheckBatchSize(n int) error {
	if n == 0 {
		return requestRule(ErrInvalidRequest, "EmptyBatchRequest", "the batch has no entries")
	}
	if n < 0 || n > MaxBatch {
		return requestRule(ErrInvalidRequest, "TooManyEntriesInBatchRequest",
			"the batch has %d entries, more than %d", n, MaxBatch)
	}
	return nil
}

// CheckBatchEntryIDs checks the ids of a batch's entries: each 1 to
// MaxBatchEntryIDLen letters, digits, hyphens and underscores, and no two
// alike. (Transports fill in the ids callers leave empty: they pass only
// the others.)
func CheckBatchEntryIDs(ids []string) error {
	for i, id := range ids {
		if !ValidBatchEntryID(id) {
			return requestRule(ErrInvalidRequest, "InvalidBatchEntryId",
				"entry id %q is not 1 to %d letters, digits, hyphens and underscores", id, MaxBatchEntryIDLen)
		}
		for _, prev := range ids[:i] {
			if prev == id {
				return requestRule(ErrInvalidRequest, "BatchEntryIdsNotDistinct", "two entries have the id %q", id)
			}
		}
	}
	return nil
}

// ValidBatchEntryID reports whether id is a valid batch entry id.
func ValidBatchEntryID(id string) bool {
	if id == "" || len(id) > MaxBatchEntryIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// CheckBatchRequestSize checks the size of a whole send batch, the sum
// of its messages' sizes, against limit (MaxBodySize for SQS).
func CheckBatchRequestSize(size, limit int) error {
	if size > limit {
		return requestRule(ErrTooLarge, "BatchRequestTooLong", "the batch carries %d bytes, more than %d", size, limit)
	}
	return nil
}

// CheckReceive checks a receive request: MaxMessages 0 to MaxBatch (0
// means 1), WaitTime 0 to MaxWaitTime, VisibilityTimeout 0 to
// MaxVisibilityTimeout.
func CheckReceive(req ReceiveRequest) error {
	switch {
	case req.MaxMessages < 0 || req.MaxMessages > MaxBatch:
		return requestRule(ErrInvalidRequest, "InvalidParameterValue",
			"MaxMessages %d is not between 1 and %d", req.MaxMessages, MaxBatch)
	case req.WaitTime < 0 || req.WaitTime > MaxWaitTime:
		return requestRule(ErrInvalidRequest, "InvalidParameterValue",
			"WaitTime %v is not between 0 and %v", req.WaitTime, MaxWaitTime)
	case req.VisibilityTimeout < 0 || req.VisibilityTimeout > MaxVisibilityTimeout:
		return requestRule(ErrInvalidRequest, "InvalidParameterValue",
			"VisibilityTimeout %v is not between 0 and %v", req.VisibilityTimeout, MaxVisibilityTimeout)
	}
	return nil
}

// CheckVisibilityTimeout checks the timeout of one ChangeVisibility
// entry: 0 to MaxVisibilityTimeout.
func CheckVisibilityTimeout(d time.Duration) error {
	if d < 0 || d > MaxVisibilityTimeout {
		return entryRule(ErrInvalidRequest, "InvalidParameterValue",
			"visibility timeout %v is not between 0 and %v", d, MaxVisibilityTimeout)
	}
	return nil
}

// SendRules are what a queue adds to the rules of SQS for the messages
// sent to it.
type SendRules struct {
	// MaxSize is the queue's MaximumMessageSize; 0 means MaxBodySize.
	MaxSize int
	// FIFO is true for a FIFO queue.
	FIFO bool
	// ContentDeduplication lets a message to a FIFO queue go without a
	// deduplication id: set it when the queue deduplicates by content,
	// or when the caller cannot tell.
	ContentDeduplication bool
}

// CheckSend checks one message sent to a queue: the rules of
// CheckMessage, then those of group and deduplication ids. A standard
// queue takes a group id (SQS fair queues) but no deduplication id; a
// FIFO queue needs a group id and a deduplication id (unless it
// deduplicates by content), and takes no per-message delay.
func CheckSend(o Outgoing, r SendRules) error {
	if err := CheckMessage(o, r.MaxSize); err != nil {
		return err
	}
	return checkGroup(o, r.FIFO, r.ContentDeduplication, "InvalidParameterValue", "queue")
}

// checkGroup checks the group and deduplication ids of a message sent
// to a queue or published to a topic (where), failing with code: a
// standard one takes a group id but no deduplication id; a FIFO one
// needs a group id and a deduplication id, unless it deduplicates by
// content, and takes no per-message delay.
func checkGroup(o Outgoing, fifo, contentDedup bool, code, where string) error {
	if o.GroupID != "" && !ValidFIFOID(o.GroupID) {
		return entryRule(ErrInvalidRequest, code,
			"MessageGroupId %q is not 1 to %d ASCII letters, digits or punctuation", o.GroupID, MaxFIFOIDLen)
	}
	if !fifo {
		if o.DeduplicationID != "" {
			return entryRule(ErrInvalidRequest, code, "MessageDeduplicationId is valid only on FIFO %ss", where)
		}
		return nil
	}
	switch {
	case o.GroupID == "":
		missing := code
		if where == "queue" {
			missing = "MissingParameter"
		}
		return entryRule(ErrInvalidRequest, missing, "a message to a FIFO %s needs a MessageGroupId", where)
	case o.Delay != 0:
		return entryRule(ErrInvalidRequest, code, "FIFO %ss take no per-message delay", where)
	case o.DeduplicationID != "":
		if !ValidFIFOID(o.DeduplicationID) {
			return entryRule(ErrInvalidRequest, code,
				"MessageDeduplicationId %q is not 1 to %d ASCII letters, digits or punctuation", o.DeduplicationID, MaxFIFOIDLen)
		}
	case !contentDedup:
		return entryRule(ErrInvalidRequest, code,
			"the %s should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly", where)
	}
	return nil
}

// PublishRules are what a topic adds to the rules for the messages
// published to it.
type PublishRules struct {
	// MaxSize is the topic's largest message; 0 means 256 KiB, SNS's
	// limit.
	MaxSize int
	// FIFO is true for a FIFO topic.
	FIFO bool
	// ContentDeduplication lets a message to a FIFO topic go without a
	// deduplication id: set it when the topic deduplicates by content,
	// or when the caller cannot tell.
	ContentDeduplication bool
}

// CheckPublish checks one message published to a topic, with its
// subject ("" for none): the rules of CheckMessage (a message SNS
// accepts must reach SQS subscribers), no delay, a subject of at most
// MaxSubjectLen printable ASCII characters, and the group and
// deduplication ids as for queues, with SNS's code InvalidParameter.
func CheckPublish(o Outgoing, subject string, r PublishRules) error {
	if r.MaxSize == 0 {
		r.MaxSize = 256 << 10
	}
	if err := CheckMessage(o, r.MaxSize); err != nil {
		return err
	}
	if o.Delay != 0 {
		return entryRule(ErrInvalidRequest, "InvalidParameterValue", "topics take no delay (give the subscribed queue one)")
	}
	if len(subject) > MaxSubjectLen {
		return entryRule(ErrInvalidRequest, "InvalidParameter", "the subject is longer than %d characters", MaxSubjectLen)
	}
	for i := 0; i < len(subject); i++ {
		if c := subject[i]; c < ' ' || c > '~' {
			return entryRule(ErrInvalidRequest, "InvalidParameter", "the subject may hold only printable ASCII characters")
		}
	}
	return checkGroup(o, r.FIFO, r.ContentDeduplication, "InvalidParameter", "topic")
}

// CheckMessage checks one message against the rules SQS applies to
// every message, whatever the queue: a non-empty body of the characters
// SQS accepts, valid attributes (CheckAttributes), a size (body and
// attributes) of at most maxSize (0 means MaxBodySize), and a delay of
// 0 to MaxDelay.
func CheckMessage(o Outgoing, maxSize int) error {
	if maxSize == 0 {
		maxSize = MaxBodySize
	}
	if o.Body == "" {
		return entryRule(ErrInvalidRequest, "InvalidParameterValue", "the message body is empty")
	}
	if !ValidMessageText(o.Body) {
		return entryRule(ErrInvalidRequest, "InvalidMessageContents",
			"the message body contains characters outside the allowed set")
	}
	if err := CheckAttributes(o.Attributes); err != nil {
		return err
	}
	if size := o.Size(); size > maxSize {
		return entryRule(ErrTooLarge, "InvalidParameterValue",
			"the message is %d bytes long, more than the %d allowed", size, maxSize)
	}
	if o.Delay < 0 || o.Delay > MaxDelay {
		return entryRule(ErrInvalidRequest, "InvalidParameterValue",
			"delay %v is not between 0 and %v", o.Delay, MaxDelay)
	}
	return nil
}

// CheckAttributeCount checks the number of a message's attributes: at
// most MaxAttributes.
func CheckAttributeCount(n int) error {
	if n > MaxAttributes {
		return entryRule(ErrInvalidRequest, "InvalidParameterValue",
			"the message has %d attributes, more than %d", n, MaxAttributes)
	}
	return nil
}

// CheckAttributes checks a message's attributes: their number
// (CheckAttributeCount), names (CheckAttributeName) and values
// (CheckAttribute).
func CheckAttributes(attrs map[string]Attribute) error {
	if err := CheckAttributeCount(len(attrs)); err != nil {
		return err
	}
	for name, a := range attrs {
		if err := CheckAttributeName(name); err != nil {
			return err
		}
		if err := CheckAttribute(name, a); err != nil {
			return err
		}
	}
	return nil
}

// CheckAttributeName checks a message attribute name: 1 to
// MaxAttributeNameLen letters, digits, '_', '-' and '.', neither
// starting nor ending with a period nor holding two in a row, and
// without the prefixes AWS reserves ("AWS.", "Amazon.", in any case).
func CheckAttributeName(name string) error {
	bad := func(why string) error {
		return entryRule(ErrInvalidRequest, "InvalidParameterValue", "attribute name %q %s", name, why)
	}
	if name == "" || len(name) > MaxAttributeNameLen {
		return bad(fmt.Sprintf("must be 1 to %d characters long", MaxAttributeNameLen))
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

// CheckAttribute checks the value of the attribute called name: a
// String needs a non-empty value of the characters SQS accepts, a
// Number a decimal within range, a Binary a non-empty value; the data
// type is one of those, optionally with a custom suffix.
func CheckAttribute(name string, a Attribute) error {
	bad := func(format string, args ...any) error {
		return entryRule(ErrInvalidRequest, "InvalidParameterValue",
			"attribute %q: %s", name, fmt.Sprintf(format, args...))
	}
	switch AttributeBaseType(a.DataType) {
	case "String":
		if a.StringValue == "" {
			return bad("a String attribute needs a non-empty StringValue")
		}
		if !ValidMessageText(a.StringValue) {
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

// AttributeBaseType returns the base type of an attribute data type
// ("String" for "String.json"): "String", "Number" or "Binary", or ""
// when the type is invalid.
func AttributeBaseType(dataType string) string {
	base, custom, hasCustom := strings.Cut(dataType, ".")
	switch base {
	case "String", "Number", "Binary":
	default:
		return ""
	}
	if hasCustom && (custom == "" || len(dataType) > MaxAttributeNameLen) {
		return ""
	}
	return base
}

// ValidMessageText reports whether s is valid UTF-8 made only of the
// characters SQS accepts in bodies and String attributes: #x9 | #xA |
// #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
func ValidMessageText(s string) bool {
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

// ValidFIFOID reports whether s is a valid MessageGroupId or
// MessageDeduplicationId: 1 to MaxFIFOIDLen ASCII letters, digits or
// punctuation.
func ValidFIFOID(s string) bool {
	if s == "" || len(s) > MaxFIFOIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
