package megalambda

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
)

// Invoke handles an invocation's raw payload, an SQS or an SNS event, so
// that a Handler is a lambda.Handler for lambda.StartHandler and one
// function can serve both triggers. It checks the payload before
// handling anything: a payload that is not a JSON object with a Records
// array, or whose records do not all come from aws:sqs or all from
// aws:sns, is an error matching [ErrInvalidEvent]; an empty Records
// array is [ErrNoRecords]. An SQS event is answered with
// [Handler.SQS]'s response as JSON; an SNS event with null, or
// [Handler.SNS]'s error.
func (h *Handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(payload, &top); err != nil || top == nil {
		return nil, fmt.Errorf("%w: the payload is not a JSON object (%.40q)", ErrInvalidEvent, payload)
	}
	raw, ok := top["Records"]
	if !ok {
		return nil, fmt.Errorf("%w: the payload has no Records", ErrInvalidEvent)
	}
	var recs []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &recs); err != nil {
		return nil, fmt.Errorf("%w: Records is not an array of objects: %w", ErrInvalidEvent, err)
	}
	if len(recs) == 0 {
		return nil, ErrNoRecords
	}
	var source string
	for i, r := range recs {
		s := stringField(r, "eventSource") // SQS spells it so
		if s == "" {
			s = stringField(r, "EventSource") // SNS so
		}
		if s != "aws:sqs" && s != "aws:sns" {
			return nil, fmt.Errorf("%w: record %d comes from %q, not aws:sqs or aws:sns", ErrInvalidEvent, i, s)
		}
		if source != "" && s != source {
			return nil, fmt.Errorf("%w: records from both %s and %s", ErrInvalidEvent, source, s)
		}
		source = s
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if source == "aws:sns" {
		var ev events.SNSEvent
		if err := dec.Decode(&ev); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
		}
		if err := h.SNS(ctx, ev); err != nil {
			return nil, err
		}
		return []byte("null"), nil
	}
	var ev events.SQSEvent
	if err := dec.Decode(&ev); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidEvent, err)
	}
	resp, err := h.SQS(ctx, ev)
	if err != nil {
		return nil, err
	}
	return json.Marshal(resp)
}

func stringField(obj map[string]json.RawMessage, key string) string {
	var s string
	if raw, ok := obj[key]; ok {
		_ = json.Unmarshal(raw, &s) // not a string: ""
	}
	return s
}
