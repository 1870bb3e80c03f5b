package sqsserver

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// outgoing converts a message to send; the broker checks it.
func (s *Server) outgoing(q *memory.Queue, id string, in *sendMessageInput) (transport.Outgoing, *Error) {
	if in.MessageBody == nil {
		return transport.Outgoing{}, errMissing("MessageBody")
	}
	o := transport.Outgoing{ID: id, Body: *in.MessageBody}
	if in.DelaySeconds != nil {
		if *in.DelaySeconds < 0 {
			return o, errInvalidParameter("Value %d for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.", *in.DelaySeconds)
		}
		o.Delay = s.seconds(*in.DelaySeconds)
		if o.Delay == 0 && q.Config().Delay != 0 {
			// The broker reads a zero delay as the queue's; SQS's zero is
			// no delay at all.
			o.Delay = time.Nanosecond
		}
	}
	if in.MessageGroupID != nil {
		o.GroupID = *in.MessageGroupID
	}
	if in.MessageDeduplicationID != nil {
		o.DeduplicationID = *in.MessageDeduplicationID
	}
	if len(in.MessageAttributes) > 0 {
		o.Attributes = make(map[string]transport.Attribute, len(in.MessageAttributes))
		for name, a := range in.MessageAttributes {
			if a.StringListValues != nil || a.BinaryListValues != nil {
				return o, errInvalidParameter("Message attribute %s: list values are not supported.", name)
			}
			v := transport.Attribute{DataType: a.DataType, BinaryValue: a.BinaryValue}
			if a.StringValue != nil {
				v.StringValue = *a.StringValue
			}
			o.Attributes[name] = v
		}
	}
	for name, a := range in.MessageSystemAttributes {
		if name != "AWSTraceHeader" || a.DataType != "String" || a.StringValue == nil {
			return o, errInvalidParameter("Message system attribute %s is not supported; only AWSTraceHeader (String) is.", name)
		}
	}
	return o, nil
}

// sent is the answer to one message sent.
func sent(in *sendMessageInput, r transport.SendResult) sendMessageOutput {
	out := sendMessageOutput{
		MessageID:              r.MessageID,
		MD5OfMessageBody:       md5Hex(*in.MessageBody),
		MD5OfMessageAttributes: attributesMD5(in.MessageAttributes),
		SequenceNumber:         r.SequenceNumber,
	}
	if len(in.MessageSystemAttributes) > 0 {
		out.MD5OfMessageSystemAttributes = attributesMD5(in.MessageSystemAttributes)
	}
	return out
}

func (s *Server) sendMessage(ctx context.Context, _ string, body []byte) (any, *Error) {
	var in sendMessageInput
	q, apiErr := s.decodeFor(body, &in)
	if apiErr != nil {
		return nil, apiErr
	}
	o, apiErr := s.outgoing(q, "", &in)
	if apiErr != nil {
		return nil, apiErr
	}
	res, err := q.Send(ctx, []transport.Outgoing{o})
	if err != nil {
		return nil, apiError(err)
	}
	if res[0].Err != nil {
		return nil, apiError(res[0].Err)
	}
	return sent(&in, res[0]), nil
}

// checkEntries applies the rules SQS has for the entries of a batch as a
// whole, their number and their ids (which only the wire carries), from
// the rule book of package transport, answering with SQS's error codes.
func checkEntries(n int, id func(int) string) *Error {
	if err := transport.CheckBatchSize(n); err != nil {
		return ruleError(err)
	}
	ids := make([]string, n)
	for i := range n {
		ids[i] = id(i)
	}
	if err := transport.CheckBatchEntryIDs(ids); err != nil {
		return ruleError(err)
	}
	return nil
}

// ruleError is the SQS error of a broken rule of the rule book.
func ruleError(err error) *Error {
	var r *transport.RuleError
	if errors.As(err, &r) {
		return errorf(r.Code, "%s", r.Message)
	}
	return errorf("InvalidParameterValue", "%v", err)
}

func failure(id string, e *Error) batchError {
	return batchError{ID: id, SenderFault: e.senderFault(), Code: e.Code, Message: e.Message}
}

func (s *Server) sendMessageBatch(ctx context.Context, _ string, body []byte) (any, *Error) {
	var in sendMessageBatchInput
	q, apiErr := s.decodeFor(body, &in)
	if apiErr != nil {
		return nil, apiErr
	}
	if apiErr := checkEntries(len(in.Entries), func(i int) string { return in.Entries[i].ID }); apiErr != nil {
		return nil, apiErr
	}
	out := sendMessageBatchOutput{Successful: []sendMessageBatchResult{}, Failed: []batchError{}}
	var batch []transport.Outgoing
	var entries []int // entry of each message in batch
	for i := range in.Entries {
		e := &in.Entries[i]
		o, apiErr := s.outgoing(q, e.ID, &e.sendMessageInput)
		if apiErr != nil {
			out.Failed = append(out.Failed, failure(e.ID, apiErr))
			continue
		}
		batch = append(batch, o)
		entries = append(entries, i)
	}
	if len(batch) == 0 {
		return out, nil
	}
	res, err := q.Send(ctx, batch)
	if err != nil {
		return nil, apiError(err)
	}
	for j, r := range res {
		e := &in.Entries[entries[j]]
		if r.Err != nil {
			out.Failed = append(out.Failed, failure(e.ID, apiError(r.Err)))
			continue
		}
		out.Successful = append(out.Successful, sendMessageBatchResult{ID: e.ID, sendMessageOutput: sent(&e.sendMessageInput, r)})
	}
	return out, nil
}

func (s *Server) receiveMessage(ctx context.Context, _ string, body []byte) (any, *Error) {
	var in receiveMessageInput
	q, apiErr := s.decodeFor(body, &in)
	if apiErr != nil {
		return nil, apiErr
	}
	req := transport.ReceiveRequest{MaxMessages: 1}
	if in.MaxNumberOfMessages != nil {
		if n := *in.MaxNumberOfMessages; n < 1 || n > transport.MaxBatch {
			return nil, errInvalidParameter("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", n)
		}
		req.MaxMessages = *in.MaxNumberOfMessages
	}
	wait := s.meta(q).waitSecs
	if in.WaitTimeSeconds != nil {
		wait = *in.WaitTimeSeconds
	}
	if wait < 0 || wait > 20 {
		return nil, errInvalidParameter("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", wait)
	}
	req.WaitTime = s.seconds(wait)
	if in.VisibilityTimeout != nil {
		if *in.VisibilityTimeout < 0 {
			return nil, errInvalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", *in.VisibilityTimeout)
		}
		req.VisibilityTimeout = s.durationAttribute(*in.VisibilityTimeout)
	}
	if wait == 0 {
		if req.MaxMessages = s.sample(q, req.MaxMessages); req.MaxMessages == 0 {
			return receiveMessageOutput{}, nil
		}
	}
	msgs, err := q.Receive(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			// The client is gone, or the server is closing.
			return receiveMessageOutput{}, nil
		}
		return nil, apiError(err)
	}
	sys := wantedSystemAttributes(in.AttributeNames, in.MessageSystemAttributeNames)
	out := receiveMessageOutput{Messages: make([]messageOutput, 0, len(msgs))}
	for i := range msgs {
		out.Messages = append(out.Messages, messageFor(&msgs[i], sys, in.MessageAttributeNames))
	}
	return out, nil
}

// sample decides how many messages a short poll returns. SQS answers a
// short poll from a random subset of its servers, so that it may return
// fewer messages than are available, or none, most often when few are;
// the server finds each available message with probability 1/2, up to
// max.
func (s *Server) sample(q *memory.Queue, max int) int {
	s.randMu.Lock()
	defer s.randMu.Unlock()
	if s.rand == nil {
		return max
	}
	visible := q.Stats().Visible
	n := 0
	for i := 0; i < visible && n < max; i++ {
		if s.rand.IntN(2) == 0 {
			n++
		}
	}
	return n
}

// wantedSystemAttributes merges the deprecated AttributeNames with
// MessageSystemAttributeNames; nil means none, and "All" all.
func wantedSystemAttributes(lists ...[]string) map[string]bool {
	var want map[string]bool
	for _, l := range lists {
		for _, n := range l {
			if want == nil {
				want = map[string]bool{}
			}
			want[n] = true
		}
	}
	return want
}

func messageFor(m *transport.Message, sys map[string]bool, attrNames []string) messageOutput {
	out := messageOutput{
		MessageID:     m.ID,
		ReceiptHandle: m.ReceiptHandle,
		MD5OfBody:     md5Hex(m.Body),
		Body:          m.Body,
	}
	if len(sys) > 0 {
		out.Attributes = make(map[string]string, len(m.System))
		for k, v := range m.System {
			if sys["All"] || sys[k] {
				out.Attributes[k] = v
			}
		}
	}
	out.MessageAttributes = selectAttributes(m.Attributes, attrNames)
	out.MD5OfMessageAttributes = attributesMD5(out.MessageAttributes)
	return out
}

// selectAttributes applies MessageAttributeNames: "All" or ".*" for all,
// "prefix.*" for a prefix, or exact names.
func selectAttributes(attrs map[string]transport.Attribute, names []string) map[string]attributeValue {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	all := slices.Contains(names, "All") || slices.Contains(names, ".*")
	var out map[string]attributeValue
	for name, a := range attrs {
		if !all && !slices.ContainsFunc(names, func(n string) bool {
			prefix, isPrefix := strings.CutSuffix(n, ".*")
			return n == name || isPrefix && strings.HasPrefix(name, prefix+".")
		}) {
			continue
		}
		if out == nil {
			out = map[string]attributeValue{}
		}
		v := attributeValue{DataType: a.DataType}
		if strings.HasPrefix(a.DataType, "Binary") {
			v.BinaryValue = a.BinaryValue
		} else {
			sv := a.StringValue
			v.StringValue = &sv
		}
		out[name] = v
	}
	return out
}

func (s *Server) deleteMessage(ctx context.Context, _ string, body []byte) (any, *Error) {
	var in deleteMessageInput
	q, apiErr := s.decodeFor(body, &in)
	if apiErr != nil {
		return nil, apiErr
	}
	if in.ReceiptHandle == "" {
		return nil, errMissing("ReceiptHandle")
	}
	return single(q.Delete(ctx, []string{in.ReceiptHandle}))
}

// single answers an action on one message from the broker's answer to a
// batch of one.
func single(errs []error, err error) (any, *Error) {
	if err == nil {
		err = errs[0]
	}
	if err != nil {
		return nil, apiError(err)
	}
	return emptyOutput{}, nil
}

// receiptBatch decodes a batch of receipt handles and finds its queue.
func (s *Server) receiptBatch(body []byte) (*memory.Queue, []receiptEntry, *Error) {
	var in batchReceiptsInput
	q, apiErr := s.decodeFor(body, &in)
	if apiErr == nil {
		apiErr = checkEntries(len(in.Entries), func(i int) string { return in.Entries[i].ID })
	}
	return q, in.Entries, apiErr
}

func (s *Server) deleteMessageBatch(ctx context.Context, _ string, body []byte) (any, *Error) {
	q, entries, apiErr := s.receiptBatch(body)
	if apiErr != nil {
		return nil, apiErr
	}
	handles := make([]string, len(entries))
	for i, e := range entries {
		handles[i] = e.ReceiptHandle
	}
	errs, err := q.Delete(ctx, handles)
	if err != nil {
		return nil, apiError(err)
	}
	return batchAnswer(entries, errs), nil
}

func batchAnswer(entries []receiptEntry, errs []error) batchReceiptsOutput {
	out := batchReceiptsOutput{Successful: []batchID{}, Failed: []batchError{}}
	for i, e := range entries {
		if errs[i] != nil {
			out.Failed = append(out.Failed, failure(e.ID, apiError(errs[i])))
			continue
		}
		out.Successful = append(out.Successful, batchID{e.ID})
	}
	return out
}

// visibility converts a VisibilityTimeout to change to; zero makes the
// message visible at once.
func (s *Server) visibility(v *int) (time.Duration, *Error) {
	if v == nil {
		return 0, errMissing("VisibilityTimeout")
	}
	if *v < 0 {
		return 0, errInvalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200.", *v)
	}
	return s.seconds(*v), nil
}

func (s *Server) changeMessageVisibility(ctx context.Context, _ string, body []byte) (any, *Error) {
	var in changeVisibilityInput
	q, apiErr := s.decodeFor(body, &in)
	if apiErr != nil {
		return nil, apiErr
	}
	if in.ReceiptHandle == "" {
		return nil, errMissing("ReceiptHandle")
	}
	d, apiErr := s.visibility(in.VisibilityTimeout)
	if apiErr != nil {
		return nil, apiErr
	}
	return single(q.ChangeVisibility(ctx, []transport.VisibilityChange{{ReceiptHandle: in.ReceiptHandle, Timeout: d}}))
}

func (s *Server) changeMessageVisibilityBatch(ctx context.Context, _ string, body []byte) (any, *Error) {
	q, entries, apiErr := s.receiptBatch(body)
	if apiErr != nil {
		return nil, apiErr
	}
	errs := make([]error, len(entries))
	var changes []transport.VisibilityChange
	var sent []int
	for i, e := range entries {
		if e.VisibilityTimeout == nil { // optional in a batch entry: zero
			e.VisibilityTimeout = new(int)
		}
		d, apiErr := s.visibility(e.VisibilityTimeout)
		if apiErr != nil {
			errs[i] = apiErr
			continue
		}
		changes = append(changes, transport.VisibilityChange{ReceiptHandle: e.ReceiptHandle, Timeout: d})
		sent = append(sent, i)
	}
	if len(changes) > 0 {
		changed, err := q.ChangeVisibility(ctx, changes)
		if err != nil {
			return nil, apiError(err)
		}
		for j, i := range sent {
			errs[i] = changed[j]
		}
	}
	return batchAnswer(entries, errs), nil
}
