package sqsfake

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// actionNames are the actions the server implements, in the order of
// Server.counts.
var actionNames = [...]string{
	"CreateQueue",
	"GetQueueUrl",
	"GetQueueAttributes",
	"SetQueueAttributes",
	"ListQueues",
	"PurgeQueue",
	"DeleteQueue",
	"SendMessage",
	"SendMessageBatch",
	"ReceiveMessage",
	"DeleteMessage",
	"DeleteMessageBatch",
	"ChangeMessageVisibility",
	"ChangeMessageVisibilityBatch",
}

var actionIndex = func() map[string]int {
	m := map[string]int{}
	for i, n := range actionNames {
		m[n] = i
	}
	return m
}()

type handlerFunc func(s *Server, ctx context.Context, body []byte) (any, *Error)

var handlers map[string]handlerFunc

func init() {
	handlers = map[string]handlerFunc{
		"CreateQueue":                  (*Server).doCreateQueue,
		"GetQueueUrl":                  (*Server).doGetQueueURL,
		"GetQueueAttributes":           (*Server).doGetQueueAttributes,
		"SetQueueAttributes":           (*Server).doSetQueueAttributes,
		"ListQueues":                   (*Server).doListQueues,
		"PurgeQueue":                   (*Server).doPurgeQueue,
		"DeleteQueue":                  (*Server).doDeleteQueue,
		"SendMessage":                  (*Server).doSendMessage,
		"SendMessageBatch":             (*Server).doSendMessageBatch,
		"ReceiveMessage":               (*Server).doReceiveMessage,
		"DeleteMessage":                (*Server).doDeleteMessage,
		"DeleteMessageBatch":           (*Server).doDeleteMessageBatch,
		"ChangeMessageVisibility":      (*Server).doChangeMessageVisibility,
		"ChangeMessageVisibilityBatch": (*Server).doChangeMessageVisibilityBatch,
	}
}

func decode(body []byte, v any) *Error {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return errorf("SerializationException", "%v", err)
	}
	return nil
}

func (s *Server) seconds(n int) time.Duration { return time.Duration(n) * s.opts.Second }

// queueByURL finds a queue by the last path segment of its URL, so that
// URLs built by clients for another host still work.
func (s *Server) queueByURL(url string) (*queue, *Error) {
	if url == "" {
		return nil, errMissing("QueueUrl")
	}
	name := url[strings.LastIndexByte(url, '/')+1:]
	s.mu.RLock()
	q := s.queues[name]
	s.mu.RUnlock()
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return q, nil
}

func (s *Server) queueByARN(arn string) *queue {
	name := arn[strings.LastIndexByte(arn, ':')+1:]
	s.mu.RLock()
	q := s.queues[name]
	s.mu.RUnlock()
	if q == nil || q.arn != arn {
		return nil
	}
	return q
}

func validQueueName(name string) bool {
	if len(name) == 0 || len(name) > 80 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Server) createQueue(name string, attrs map[string]string) (*queue, *Error) {
	if strings.HasSuffix(name, ".fifo") || attrs["FifoQueue"] == "true" {
		return nil, errorf("UnsupportedOperation", "sqsfake serves standard queues only, not FIFO queue %q", name)
	}
	if !validQueueName(name) {
		return nil, errInvalidParameter("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q := s.queues[name]; q != nil {
		q.mu.Lock()
		defer q.mu.Unlock()
		current := q.attributes([]string{"All"}, time.Now())
		for k, v := range attrs {
			if current[k] != v {
				return nil, errorf("QueueNameExists", "A queue already exists with the same name and a different value for attribute %s", k)
			}
		}
		return q, nil
	}
	now := time.Now()
	q := newQueue(name,
		s.url+"/"+s.opts.AccountID+"/"+name,
		"arn:aws:sqs:"+s.opts.Region+":"+s.opts.AccountID+":"+name,
		rand.Uint64(), now)
	parsed, err := parseQueueAttributes(attrs, q.attrs)
	if err != nil {
		return nil, err
	}
	q.attrs = parsed
	s.queues[name] = q
	return q, nil
}

func (s *Server) doCreateQueue(_ context.Context, body []byte) (any, *Error) {
	var in createQueueInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissing("QueueName")
	}
	q, err := s.createQueue(in.QueueName, in.Attributes)
	if err != nil {
		return nil, err
	}
	return queueURLOutput{q.url}, nil
}

func (s *Server) doGetQueueURL(_ context.Context, body []byte) (any, *Error) {
	var in getQueueURLInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissing("QueueName")
	}
	s.mu.RLock()
	q := s.queues[in.QueueName]
	s.mu.RUnlock()
	if q == nil {
		return nil, errQueueDoesNotExist()
	}
	return queueURLOutput{q.url}, nil
}

var queueAttributeNames = map[string]bool{
	"All": true, "Policy": true, "VisibilityTimeout": true, "MaximumMessageSize": true,
	"MessageRetentionPeriod": true, "ApproximateNumberOfMessages": true,
	"ApproximateNumberOfMessagesNotVisible": true, "CreatedTimestamp": true,
	"LastModifiedTimestamp": true, "QueueArn": true, "ApproximateNumberOfMessagesDelayed": true,
	"DelaySeconds": true, "ReceiveMessageWaitTimeSeconds": true, "RedrivePolicy": true,
	"FifoQueue": true, "ContentBasedDeduplication": true, "KmsMasterKeyId": true,
	"KmsDataKeyReusePeriodSeconds": true, "DeduplicationScope": true, "FifoThroughputLimit": true,
	"RedriveAllowPolicy": true, "SqsManagedSseEnabled": true,
}

func (s *Server) doGetQueueAttributes(_ context.Context, body []byte) (any, *Error) {
	var in getQueueAttributesInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	for _, n := range in.AttributeNames {
		if !queueAttributeNames[n] {
			return nil, errorf("InvalidAttributeName", "Unknown Attribute %s.", n)
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return attributesOutput{q.attributes(in.AttributeNames, time.Now())}, nil
}

func (s *Server) doSetQueueAttributes(_ context.Context, body []byte) (any, *Error) {
	var in setQueueAttributesInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	parsed, err := parseQueueAttributes(in.Attributes, q.attrs)
	if err != nil {
		return nil, err
	}
	q.attrs = parsed
	q.modifiedAt = time.Now()
	return emptyOutput{}, nil
}

func (s *Server) doListQueues(_ context.Context, body []byte) (any, *Error) {
	var in listQueuesInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit := 1000
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 1000 {
			return nil, errInvalidParameter("MaxResults must be between 1 and 1000")
		}
		limit = *in.MaxResults
	}
	var out listQueuesOutput
	for _, name := range s.QueueNames() {
		if !strings.HasPrefix(name, in.QueueNamePrefix) || name <= in.NextToken {
			continue
		}
		if len(out.QueueUrls) == limit {
			if in.MaxResults != nil {
				out.NextToken = out.QueueUrls[limit-1][strings.LastIndexByte(out.QueueUrls[limit-1], '/')+1:]
			}
			break
		}
		s.mu.RLock()
		q := s.queues[name]
		s.mu.RUnlock()
		if q != nil {
			out.QueueUrls = append(out.QueueUrls, q.url)
		}
	}
	return out, nil
}

func (s *Server) doPurgeQueue(_ context.Context, body []byte) (any, *Error) {
	var in queueInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	q.purge()
	q.mu.Unlock()
	return emptyOutput{}, nil
}

func (s *Server) doDeleteQueue(_ context.Context, body []byte) (any, *Error) {
	var in queueInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.queues[q.name] == q {
		delete(s.queues, q.name)
	}
	s.mu.Unlock()
	q.mu.Lock()
	q.deleted = true
	q.purge()
	q.wake()
	q.mu.Unlock()
	return emptyOutput{}, nil
}

// newMessage validates a message to send and builds it.
func newMessage(in *sendMessageInput, maxSize int) (*message, int, *Error) {
	if in.MessageBody == nil || *in.MessageBody == "" {
		return nil, 0, errMissing("MessageBody")
	}
	body := *in.MessageBody
	if !validBody(body) {
		return nil, 0, errorf("InvalidMessageContents", "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF")
	}
	delay := -1
	if in.DelaySeconds != nil {
		delay = *in.DelaySeconds
		if delay < 0 || delay > 900 {
			return nil, 0, errInvalidParameter("Value %d for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.", delay)
		}
	}
	if len(in.MessageAttributes) > 10 {
		return nil, 0, errInvalidParameter("Number of message attributes [%d] exceeds the allowed maximum [10].", len(in.MessageAttributes))
	}
	size := len(body)
	for name, a := range in.MessageAttributes {
		if err := validateAttribute(name, a); err != nil {
			return nil, 0, err
		}
		size += attributeSize(name, a)
	}
	if size > maxSize {
		return nil, 0, errInvalidParameter("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", maxSize)
	}
	m := &message{
		id:     newUUID(),
		body:   body,
		attrs:  in.MessageAttributes,
		size:   size,
		sentAt: time.Now(),
	}
	for name, a := range in.MessageSystemAttributes {
		if name != "AWSTraceHeader" || a.DataType != "String" || a.StringValue == nil {
			return nil, 0, errInvalidParameter("Message system attribute %s is not supported; only AWSTraceHeader (String) is", name)
		}
		m.traceHeader = &a
	}
	return m, delay, nil
}

// validBody applies the character rule of SQS message bodies.
func validBody(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '\t' || r == '\n' || r == '\r':
		case r < 0x20:
			return false
		case r == utf8.RuneError && n == 1:
			return false
		case r >= 0xD800 && r <= 0xDFFF, r == 0xFFFE, r == 0xFFFF:
			return false
		}
	}
	return true
}

func validateAttribute(name string, a attributeValue) *Error {
	if name == "" || len(name) > 256 || name[0] == '.' || name[len(name)-1] == '.' || strings.Contains(name, "..") {
		return errorf("InvalidParameterValue", "Message (user) attribute name '%s' is invalid.", name)
	}
	lower := strings.ToLower(name)
	if strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.") {
		return errorf("InvalidParameterValue", "Message (user) attribute name '%s' uses a reserved prefix.", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return errorf("InvalidParameterValue", "Message (user) attribute name '%s' is invalid.", name)
		}
	}
	base, _, _ := strings.Cut(a.DataType, ".")
	switch base {
	case "String", "Number":
		if a.StringValue == nil || *a.StringValue == "" {
			return errorf("InvalidParameterValue", "Message (user) attribute '%s' must contain a non-empty value of type '%s'.", name, base)
		}
		if base == "Number" {
			if _, err := strconv.ParseFloat(*a.StringValue, 64); err != nil {
				return errorf("InvalidParameterValue", "Can't cast the value of message (user) attribute '%s' to a number.", name)
			}
		}
		if !validBody(*a.StringValue) {
			return errorf("InvalidParameterValue", "Message (user) attribute '%s' contains invalid characters.", name)
		}
	case "Binary":
		if len(a.BinaryValue) == 0 {
			return errorf("InvalidParameterValue", "Message (user) attribute '%s' must contain a non-empty value of type 'Binary'.", name)
		}
	default:
		return errorf("InvalidParameterValue", "The type of message (user) attribute '%s' is invalid. You must use only the following supported type prefixes: Binary, Number, String.", name)
	}
	return nil
}

func attributeSize(name string, a attributeValue) int {
	n := len(name) + len(a.DataType) + len(a.BinaryValue)
	if a.StringValue != nil {
		n += len(*a.StringValue)
	}
	return n
}

func (s *Server) doSendMessage(_ context.Context, body []byte) (any, *Error) {
	var in sendMessageInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	maxSize, delaySecs := q.attrs.maxSize, q.attrs.delaySecs
	q.mu.Unlock()
	m, delay, err := newMessage(&in, maxSize)
	if err != nil {
		return nil, err
	}
	if delay < 0 {
		delay = delaySecs
	}
	out := sendOutput(m)
	q.mu.Lock()
	if q.deleted {
		q.mu.Unlock()
		return nil, errQueueDoesNotExist()
	}
	q.add(m, s.seconds(delay), time.Now())
	q.mu.Unlock()
	return out, nil
}

func sendOutput(m *message) sendMessageOutput {
	out := sendMessageOutput{
		MessageID:              m.id,
		MD5OfMessageBody:       md5Hex(m.body),
		MD5OfMessageAttributes: attributesMD5(m.attrs),
	}
	if m.traceHeader != nil {
		out.MD5OfMessageSystemAttributes = attributesMD5(map[string]attributeValue{"AWSTraceHeader": *m.traceHeader})
	}
	return out
}

// validateBatch applies the rules SQS has for the entry ids of a batch.
func validateBatch(n int, id func(int) string) *Error {
	if n == 0 {
		return errorf("EmptyBatchRequest", "There should be at least one entry in the request.")
	}
	if n > 10 {
		return errorf("TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent %d.", n)
	}
	seen := make(map[string]bool, n)
	for i := range n {
		v := id(i)
		if v == "" || len(v) > 80 || !validQueueName(v) {
			return errorf("InvalidBatchEntryId", "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[v] {
			return errorf("BatchEntryIdsNotDistinct", "Id %s repeated.", v)
		}
		seen[v] = true
	}
	return nil
}

func failure(id string, e *Error) batchError {
	return batchError{ID: id, SenderFault: true, Code: e.Code, Message: e.Message}
}

func (s *Server) doSendMessageBatch(_ context.Context, body []byte) (any, *Error) {
	var in sendMessageBatchInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := validateBatch(len(in.Entries), func(i int) string { return in.Entries[i].ID }); err != nil {
		return nil, err
	}
	q.mu.Lock()
	maxSize, delaySecs := q.attrs.maxSize, q.attrs.delaySecs
	q.mu.Unlock()
	out := sendMessageBatchOutput{Successful: []sendMessageBatchResult{}, Failed: []batchError{}}
	type accepted struct {
		m     *message
		delay int
	}
	var ok []accepted
	total := 0
	for i := range in.Entries {
		e := &in.Entries[i]
		m, delay, err := newMessage(&e.sendMessageInput, maxSize)
		if err != nil {
			out.Failed = append(out.Failed, failure(e.ID, err))
			continue
		}
		if delay < 0 {
			delay = delaySecs
		}
		total += m.size
		ok = append(ok, accepted{m, delay})
		out.Successful = append(out.Successful, sendMessageBatchResult{ID: e.ID, sendMessageOutput: sendOutput(m)})
	}
	if total > maxSize {
		return nil, errorf("BatchRequestTooLong", "Batch requests cannot be longer than %d bytes. You have sent %d bytes.", maxSize, total)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.deleted {
		return nil, errQueueDoesNotExist()
	}
	now := time.Now()
	for _, a := range ok {
		q.add(a.m, s.seconds(a.delay), now)
	}
	return out, nil
}

// System attributes a receive may ask for.
var systemAttributeNames = []string{
	"SenderId", "SentTimestamp", "ApproximateReceiveCount",
	"ApproximateFirstReceiveTimestamp", "AWSTraceHeader",
}

type receivedCopy struct {
	id, body, receipt string
	attrs             map[string]attributeValue
	traceHeader       *attributeValue
	recvCount         int
	sentAt, firstRecv time.Time
}

func (s *Server) doReceiveMessage(ctx context.Context, body []byte) (any, *Error) {
	var in receiveMessageInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	maxN := 1
	if in.MaxNumberOfMessages != nil {
		maxN = *in.MaxNumberOfMessages
		if maxN < 1 || maxN > 10 {
			return nil, errInvalidParameter("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", maxN)
		}
	}
	if in.WaitTimeSeconds != nil && (*in.WaitTimeSeconds < 0 || *in.WaitTimeSeconds > 20) {
		return nil, errInvalidParameter("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", *in.WaitTimeSeconds)
	}
	if in.VisibilityTimeout != nil && (*in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200) {
		return nil, errInvalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided.", *in.VisibilityTimeout)
	}
	sysNames := wantedSystemAttributes(in.AttributeNames, in.MessageSystemAttributeNames)

	var deadline time.Time
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var got []receivedCopy
	for first := true; ; first = false {
		now := time.Now()
		q.mu.Lock()
		if q.deleted {
			q.mu.Unlock()
			return nil, errQueueDoesNotExist()
		}
		if first {
			wait := q.attrs.waitSecs
			if in.WaitTimeSeconds != nil {
				wait = *in.WaitTimeSeconds
			}
			deadline = now.Add(s.seconds(wait))
		}
		visSecs := q.attrs.visibilitySecs
		if in.VisibilityTimeout != nil {
			visSecs = *in.VisibilityTimeout
		}
		msgs, dead := q.take(maxN, s.seconds(visSecs), now)
		for _, m := range msgs {
			got = append(got, receivedCopy{
				id: m.id, body: m.body, receipt: q.receiptHandle(m),
				attrs: m.attrs, traceHeader: m.traceHeader, recvCount: m.recvCount,
				sentAt: m.sentAt, firstRecv: m.firstRecvAt,
			})
		}
		dlqARN := q.attrs.dlqARN
		if len(got) > 0 || !now.Before(deadline) {
			q.mu.Unlock()
			s.moveToDLQ(q, dlqARN, dead)
			break
		}
		q.waiters++
		notify := q.notify
		wake := deadline
		if len(q.hidden) > 0 && q.hidden[0].visibleAt.Before(wake) {
			wake = q.hidden[0].visibleAt
		}
		q.mu.Unlock()
		s.moveToDLQ(q, dlqARN, dead)
		d := max(time.Until(wake), 0)
		if timer == nil {
			timer = time.NewTimer(d)
		} else {
			timer.Reset(d)
		}
		select {
		case <-notify:
		case <-timer.C:
		case <-ctx.Done():
			return receiveMessageOutput{}, nil
		case <-s.done:
			return receiveMessageOutput{}, nil
		}
	}
	out := receiveMessageOutput{Messages: make([]messageOutput, 0, len(got))}
	for i := range got {
		out.Messages = append(out.Messages, s.messageOutput(&got[i], sysNames, in.MessageAttributeNames))
	}
	return out, nil
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
			if n == "All" {
				for _, a := range systemAttributeNames {
					want[a] = true
				}
				continue
			}
			want[n] = true
		}
	}
	return want
}

func (s *Server) messageOutput(c *receivedCopy, sys map[string]bool, attrNames []string) messageOutput {
	out := messageOutput{
		MessageID:     c.id,
		ReceiptHandle: c.receipt,
		MD5OfBody:     md5Hex(c.body),
		Body:          c.body,
	}
	if len(sys) > 0 {
		out.Attributes = map[string]string{}
		if sys["SenderId"] {
			out.Attributes["SenderId"] = s.opts.AccountID
		}
		if sys["SentTimestamp"] {
			out.Attributes["SentTimestamp"] = strconv.FormatInt(c.sentAt.UnixMilli(), 10)
		}
		if sys["ApproximateReceiveCount"] {
			out.Attributes["ApproximateReceiveCount"] = strconv.Itoa(c.recvCount)
		}
		if sys["ApproximateFirstReceiveTimestamp"] {
			out.Attributes["ApproximateFirstReceiveTimestamp"] = strconv.FormatInt(c.firstRecv.UnixMilli(), 10)
		}
		if sys["AWSTraceHeader"] && c.traceHeader != nil {
			out.Attributes["AWSTraceHeader"] = *c.traceHeader.StringValue
		}
	}
	out.MessageAttributes = selectAttributes(c.attrs, attrNames)
	out.MD5OfMessageAttributes = attributesMD5(out.MessageAttributes)
	return out
}

// selectAttributes applies MessageAttributeNames: "All" or ".*" for all,
// "prefix.*" for a prefix, or exact names.
func selectAttributes(attrs map[string]attributeValue, names []string) map[string]attributeValue {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	if slices.Contains(names, "All") || slices.Contains(names, ".*") {
		return attrs
	}
	var out map[string]attributeValue
	for name, a := range attrs {
		for _, n := range names {
			prefix, isPrefix := strings.CutSuffix(n, ".*")
			if n == name || isPrefix && strings.HasPrefix(name, prefix+".") {
				if out == nil {
					out = map[string]attributeValue{}
				}
				out[name] = a
				break
			}
		}
	}
	return out
}

// moveToDLQ puts messages that exceeded maxReceiveCount in the dead-letter
// queue, keeping their id, body, attributes and sent time; their receive
// count starts again at zero. If the dead-letter queue is gone they go back
// to their queue.
func (s *Server) moveToDLQ(from *queue, arn string, dead []*message) {
	if len(dead) == 0 {
		return
	}
	to := s.queueByARN(arn)
	if to == nil {
		to = from
	}
	to.mu.Lock()
	defer to.mu.Unlock()
	if to.deleted {
		return
	}
	now := time.Now()
	for _, m := range dead {
		to.add(&message{
			id: m.id, body: m.body, attrs: m.attrs, traceHeader: m.traceHeader,
			size: m.size, sentAt: m.sentAt,
		}, 0, now)
	}
}

func (s *Server) doDeleteMessage(_ context.Context, body []byte) (any, *Error) {
	var in deleteMessageInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if in.ReceiptHandle == "" {
		return nil, errMissing("ReceiptHandle")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.delete(in.ReceiptHandle); err != nil {
		return nil, err
	}
	return emptyOutput{}, nil
}

func (s *Server) doDeleteMessageBatch(_ context.Context, body []byte) (any, *Error) {
	var in batchReceiptsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := validateBatch(len(in.Entries), func(i int) string { return in.Entries[i].ID }); err != nil {
		return nil, err
	}
	out := batchReceiptsOutput{Successful: []batchID{}, Failed: []batchError{}}
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, e := range in.Entries {
		if err := q.delete(e.ReceiptHandle); err != nil {
			out.Failed = append(out.Failed, failure(e.ID, err))
			continue
		}
		out.Successful = append(out.Successful, batchID{e.ID})
	}
	return out, nil
}

func visibilityArg(v *int) (int, *Error) {
	if v == nil {
		return 0, errMissing("VisibilityTimeout")
	}
	if *v < 0 || *v > 43200 {
		return 0, errInvalidParameter("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200.", *v)
	}
	return *v, nil
}

func (s *Server) doChangeMessageVisibility(_ context.Context, body []byte) (any, *Error) {
	var in changeVisibilityInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	vis, err := visibilityArg(in.VisibilityTimeout)
	if err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if err := q.changeVisibility(in.ReceiptHandle, s.seconds(vis), time.Now()); err != nil {
		return nil, err
	}
	return emptyOutput{}, nil
}

func (s *Server) doChangeMessageVisibilityBatch(_ context.Context, body []byte) (any, *Error) {
	var in batchReceiptsInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.queueByURL(in.QueueURL)
	if err != nil {
		return nil, err
	}
	if err := validateBatch(len(in.Entries), func(i int) string { return in.Entries[i].ID }); err != nil {
		return nil, err
	}
	out := batchReceiptsOutput{Successful: []batchID{}, Failed: []batchError{}}
	now := time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, e := range in.Entries {
		if e.VisibilityTimeout == nil { // optional in a batch entry
			e.VisibilityTimeout = new(int)
		}
		vis, err := visibilityArg(e.VisibilityTimeout)
		if err == nil {
			err = q.changeVisibility(e.ReceiptHandle, s.seconds(vis), now)
		}
		if err != nil {
			out.Failed = append(out.Failed, failure(e.ID, err))
			continue
		}
		out.Successful = append(out.Successful, batchID{e.ID})
	}
	return out, nil
}
