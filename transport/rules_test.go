package transport_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// TestRuleErrors: every rule answers the code SQS answers, with the
// sentinel callers test for, as an entry error or a request error as
// SQS reports it.
func TestRuleErrors(t *testing.T) {
	str := transport.StringAttribute
	body := func(n int) string { return strings.Repeat("x", n) }
	fifo := transport.SendRules{FIFO: true}
	for _, tc := range []struct {
		name      string
		err       error
		sentinel  error
		code      string
		queryCode string
		entry     bool
	}{
		{"empty batch", transport.CheckBatchSize(0), transport.ErrInvalidRequest, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest", false},
		{"eleven entries", transport.CheckBatchSize(11), transport.ErrInvalidRequest, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", false},
		{"entry id with a space", transport.CheckBatchEntryIDs([]string{"a b"}), transport.ErrInvalidRequest, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", false},
		{"empty entry id", transport.CheckBatchEntryIDs([]string{""}), transport.ErrInvalidRequest, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", false},
		{"entry id of 81", transport.CheckBatchEntryIDs([]string{body(81)}), transport.ErrInvalidRequest, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId", false},
		{"entry ids alike", transport.CheckBatchEntryIDs([]string{"a", "b", "a"}), transport.ErrInvalidRequest, "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", false},
		{"batch too long", transport.CheckBatchRequestSize(transport.MaxBodySize+1, transport.MaxBodySize), transport.ErrTooLarge, "BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong", false},
		{"receive 11", transport.CheckReceive(transport.ReceiveRequest{MaxMessages: 11}), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", false},
		{"wait 21 s", transport.CheckReceive(transport.ReceiveRequest{WaitTime: 21 * time.Second}), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", false},
		{"visibility 13 h", transport.CheckReceive(transport.ReceiveRequest{VisibilityTimeout: 13 * time.Hour}), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", false},
		{"change visibility to -1 s", transport.CheckVisibilityTimeout(-time.Second), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"empty body", transport.CheckMessage(transport.Outgoing{}, 0), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"NUL in body", transport.CheckMessage(transport.Outgoing{Body: "a\x00"}, 0), transport.ErrInvalidRequest, "InvalidMessageContents", "InvalidMessageContents", true},
		{"body too long", transport.CheckMessage(transport.Outgoing{Body: body(transport.MaxBodySize + 1)}, 0), transport.ErrTooLarge, "InvalidParameterValue", "InvalidParameterValue", true},
		{"attributes make it too long", transport.CheckMessage(transport.Outgoing{Body: body(10), Attributes: map[string]transport.Attribute{"a": str("v")}}, 11), transport.ErrTooLarge, "InvalidParameterValue", "InvalidParameterValue", true},
		{"delay 16 min", transport.CheckMessage(transport.Outgoing{Body: "x", Delay: 16 * time.Minute}, 0), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"eleven attributes", transport.CheckAttributeCount(11), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"reserved attribute name", transport.CheckAttributeName("amazon.x"), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"attribute name of 257", transport.CheckAttributeName(body(257)), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"attribute name ending with a period", transport.CheckAttributeName("a."), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"number attribute Inf", transport.CheckAttribute("n", transport.Attribute{DataType: "Number", StringValue: "Inf"}), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"number attribute beyond range", transport.CheckAttribute("n", transport.Attribute{DataType: "Number", StringValue: "1e400"}), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"custom type without a name", transport.CheckAttribute("n", transport.Attribute{DataType: "String.", StringValue: "v"}), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"FIFO without group", transport.CheckSend(transport.Outgoing{Body: "x", DeduplicationID: "d"}, fifo), transport.ErrInvalidRequest, "MissingParameter", "MissingParameter", true},
		{"FIFO without dedup id", transport.CheckSend(transport.Outgoing{Body: "x", GroupID: "g"}, fifo), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"FIFO group of 129", transport.CheckSend(transport.Outgoing{Body: "x", GroupID: body(129), DeduplicationID: "d"}, fifo), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"dedup id on a standard queue", transport.CheckSend(transport.Outgoing{Body: "x", DeduplicationID: "d"}, transport.SendRules{}), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"delay on a topic", transport.CheckPublish(transport.Outgoing{Body: "x", Delay: time.Second}, "", transport.PublishRules{}), transport.ErrInvalidRequest, "InvalidParameterValue", "InvalidParameterValue", true},
		{"over SNS's 256 KiB", transport.CheckPublish(transport.Outgoing{Body: body(256<<10 + 1)}, "", transport.PublishRules{}), transport.ErrTooLarge, "InvalidParameterValue", "InvalidParameterValue", true},
		{"subject of 101", transport.CheckPublish(transport.Outgoing{Body: "x"}, body(101), transport.PublishRules{}), transport.ErrInvalidRequest, "InvalidParameter", "InvalidParameter", true},
		{"FIFO topic without group", transport.CheckPublish(transport.Outgoing{Body: "x"}, "", transport.PublishRules{FIFO: true, ContentDeduplication: true}), transport.ErrInvalidRequest, "InvalidParameter", "InvalidParameter", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var re *transport.RuleError
			if !errors.As(tc.err, &re) {
				t.Fatalf("err = %v, want a *RuleError", tc.err)
			}
			if !errors.Is(tc.err, tc.sentinel) || re.Code != tc.code || re.QueryCode() != tc.queryCode || re.Entry != tc.entry {
				t.Errorf("err = %#v (query code %q), want %v, code %q (%q), entry %v", re, re.QueryCode(), tc.sentinel, tc.code, tc.queryCode, tc.entry)
			}
			var ee *transport.EntryError
			if errors.As(tc.err, &ee) != tc.entry {
				t.Errorf("errors.As(*EntryError) = %v, want %v", !tc.entry, tc.entry)
			} else if tc.entry && (ee.Code != tc.code || ee.Temporary()) {
				t.Errorf("entry error %#v, want code %q, not temporary", ee, tc.code)
			}
		})
	}
}

func TestRulesAccept(t *testing.T) {
	attrs := map[string]transport.Attribute{
		"a.b-c_d":   transport.StringAttribute("v ✓"),
		"n":         {DataType: "Number.float", StringValue: "-1.5e3"},
		"bin":       {DataType: "Binary.gzip", BinaryValue: []byte{0}},
		"underflow": {DataType: "Number", StringValue: "1e-400"},
	}
	for name, err := range map[string]error{
		"one entry":               transport.CheckBatchSize(1),
		"ten entries":             transport.CheckBatchSize(transport.MaxBatch),
		"distinct ids":            transport.CheckBatchEntryIDs([]string{"a", "A", "a-b_c", strings.Repeat("z", 80)}),
		"no ids":                  transport.CheckBatchEntryIDs(nil),
		"batch at the limit":      transport.CheckBatchRequestSize(transport.MaxBodySize, transport.MaxBodySize),
		"receive at the limits":   transport.CheckReceive(transport.ReceiveRequest{MaxMessages: 10, WaitTime: 20 * time.Second, VisibilityTimeout: 12 * time.Hour}),
		"visibility 0":            transport.CheckVisibilityTimeout(0),
		"message at the limit":    transport.CheckMessage(transport.Outgoing{Body: strings.Repeat("x", transport.MaxBodySize), Delay: transport.MaxDelay}, 0),
		"attributes":              transport.CheckAttributes(attrs),
		"group id on standard":    transport.CheckSend(transport.Outgoing{Body: "x", GroupID: "tenant-1"}, transport.SendRules{}),
		"FIFO by content":         transport.CheckSend(transport.Outgoing{Body: "x", GroupID: "g"}, transport.SendRules{FIFO: true, ContentDeduplication: true}),
		"FIFO with dedup id":      transport.CheckSend(transport.Outgoing{Body: "x", GroupID: "g", DeduplicationID: strings.Repeat("~", 128)}, transport.SendRules{FIFO: true}),
		"publish with a subject":  transport.CheckPublish(transport.Outgoing{Body: "x"}, "Hello, world", transport.PublishRules{}),
		"publish to a FIFO topic": transport.CheckPublish(transport.Outgoing{Body: "x", GroupID: "g", DeduplicationID: "d"}, "", transport.PublishRules{FIFO: true}),
	} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	for dataType, base := range map[string]string{"String": "String", "Number.int": "Number", "Binary": "Binary", "Bool": "", "String.": "", "string": ""} {
		if got := transport.AttributeBaseType(dataType); got != base {
			t.Errorf("AttributeBaseType(%q) = %q, want %q", dataType, got, base)
		}
	}
	for s, want := range map[string]bool{"tab\tok": true, "\U0001F680": true, "\uFFFE": false, "\xff": false, "\x1f": false, "\uD7FF": true} {
		if transport.ValidMessageText(s) != want {
			t.Errorf("ValidMessageText(%q) = %v, want %v", s, !want, want)
		}
	}
}

// A server speaking the SQS protocol answers a broken rule with the
// error's codes.
func ExampleRuleError() {
	err := transport.CheckBatchEntryIDs([]string{"a", "a"})
	var re *transport.RuleError
	if errors.As(err, &re) {
		fmt.Println(re.Code, re.QueryCode(), re.Entry, errors.Is(err, transport.ErrInvalidRequest))
	}
	// Output:
	// BatchEntryIdsNotDistinct AWS.SimpleQueueService.BatchEntryIdsNotDistinct false true
}
