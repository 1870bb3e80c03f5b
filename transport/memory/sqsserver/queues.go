package sqsserver

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/memory"
)

// queueMeta holds what SQS says about a queue that the broker does not
// keep. It is guarded by Server.mu.
type queueMeta struct {
	created, modified time.Time
	waitSecs          int
	retentionSecs     int
	other             map[string]string // Policy, KMS settings, ...: kept, not acted on
}

const defaultRetentionSecs = 345600 // 4 days, as on SQS

// meta returns the attributes the server keeps for q, creating them for
// a queue created on the broker directly.
func (s *Server) meta(q *memory.Queue) queueMeta {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.metaLocked(q)
}

func (s *Server) metaLocked(q *memory.Queue) *queueMeta {
	m := s.metas[q]
	if m == nil {
		now := s.broker.Clock().Now()
		m = &queueMeta{created: now, modified: now, retentionSecs: defaultRetentionSecs}
		s.metas[q] = m
	}
	return m
}

// queueAttributes is a queue's configuration as SQS attributes set it.
type queueAttributes struct {
	cfg  memory.QueueConfig
	meta queueMeta
}

// Attributes that the server keeps without acting on them.
var keptAttributes = map[string]bool{
	"Policy": true, "RedriveAllowPolicy": true, "KmsMasterKeyId": true,
	"KmsDataKeyReusePeriodSeconds": true, "SqsManagedSseEnabled": true,
	"DeduplicationScope": true, "FifoThroughputLimit": true,
}

// parseAttributes applies the attributes of CreateQueue or
// SetQueueAttributes to base. The broker checks the configuration
// itself; this only reads the wire's forms.
func (s *Server) parseAttributes(in map[string]string, base queueAttributes, fifo bool) (queueAttributes, *Error) {
	out := base
	out.meta.other = maps.Clone(base.meta.other)
	for name, v := range in {
		var err *Error
		switch name {
		case "VisibilityTimeout":
			var n int
			if n, err = intAttribute(name, v); err == nil {
				out.cfg.VisibilityTimeout = s.durationAttribute(n)
			}
		case "DelaySeconds":
			var n int
			n, err = intAttribute(name, v)
			out.cfg.Delay = s.seconds(n)
		case "MaximumMessageSize":
			// The broker reads zero as its default; SQS refuses it.
			if out.cfg.MaxMessageSize, err = intAttribute(name, v); err == nil && out.cfg.MaxMessageSize == 0 {
				err = badAttribute(name, v)
			}
		case "ReceiveMessageWaitTimeSeconds":
			if out.meta.waitSecs, err = intAttribute(name, v); err == nil && (out.meta.waitSecs < 0 || out.meta.waitSecs > 20) {
				err = badAttribute(name, v)
			}
		case "MessageRetentionPeriod":
			if out.meta.retentionSecs, err = intAttribute(name, v); err == nil && (out.meta.retentionSecs < 60 || out.meta.retentionSecs > 1209600) {
				err = badAttribute(name, v)
			}
		case "RedrivePolicy":
			out.cfg.Redrive, err = parseRedrivePolicy(v)
		case "FifoQueue":
			if v != strconv.FormatBool(fifo) {
				err = errInvalidParameter("FifoQueue is %q, but a FIFO queue is one whose name ends in .fifo, and only such a queue is", v)
			}
		case "ContentBasedDeduplication":
			out.cfg.ContentBasedDeduplication, err = boolAttribute(name, v)
		default:
			if !keptAttributes[name] {
				err = errorf("InvalidAttributeName", "Unknown Attribute %s.", name)
			}
			if out.meta.other == nil {
				out.meta.other = map[string]string{}
			}
			out.meta.other[name] = v
		}
		if err != nil {
			return base, err
		}
	}
	return out, nil
}

// durationAttribute converts a visibility timeout in API seconds. The
// broker reads a zero duration as its default, so SQS's zero, "visible
// again at once", is the shortest positive duration.
func (s *Server) durationAttribute(n int) time.Duration {
	if n == 0 {
		return time.Nanosecond
	}
	return s.seconds(n)
}

func badAttribute(name, v string) *Error {
	return errorf("InvalidAttributeValue", "Invalid value for the parameter %s: %q.", name, v)
}

func intAttribute(name, v string) (int, *Error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, badAttribute(name, v)
	}
	return n, nil
}

func boolAttribute(name, v string) (bool, *Error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badAttribute(name, v)
}

// parseRedrivePolicy reads a RedrivePolicy, whose maxReceiveCount may be
// a number or a string; "" removes the policy.
func parseRedrivePolicy(v string) (*memory.Redrive, *Error) {
	if v == "" {
		return nil, nil
	}
	var p struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	bad := errorf("InvalidAttributeValue", "Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount.", v)
	if err := json.Unmarshal([]byte(v), &p); err != nil || p.DeadLetterTargetArn == "" || len(p.MaxReceiveCount) == 0 {
		return nil, bad
	}
	raw := string(p.MaxReceiveCount)
	if unq, err := strconv.Unquote(raw); err == nil {
		raw = unq
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return nil, bad
	}
	return &memory.Redrive{DeadLetterQueue: p.DeadLetterTargetArn, MaxReceiveCount: n}, nil
}

func redrivePolicy(r *memory.Redrive) string {
	if r == nil {
		return ""
	}
	b, _ := json.Marshal(struct {
		DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		MaxReceiveCount     int    `json:"maxReceiveCount"`
	}{r.DeadLetterQueue, r.MaxReceiveCount})
	return string(b)
}

// configError maps an error of the broker about a queue's configuration.
func configError(err error) *Error {
	if errors.Is(err, transport.ErrQueueNotFound) {
		// A redrive policy naming a queue that does not exist.
		return errorf("InvalidParameterValue", "Value for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.")
	}
	return apiError(err)
}

// CreateQueue creates a queue as the CreateQueue action does, with
// attributes by their SQS names, and returns it. As on SQS, creating a
// queue that exists with the same attributes returns it, and with other
// attributes fails with the code QueueNameExists. Errors are *Error.
func (s *Server) CreateQueue(name string, attributes map[string]string) (*memory.Queue, error) {
	q, err := s.createQueue(name, attributes)
	if err != nil {
		return nil, err
	}
	return q, nil
}

func (s *Server) createQueue(name string, attrs map[string]string) (*memory.Queue, *Error) {
	if name == "" {
		return nil, errMissing("QueueName")
	}
	fifo := strings.HasSuffix(name, ".fifo")
	if q, err := s.broker.Queue(name); err == nil && q.Name() == name {
		current := s.attributes(q, []string{"All"})
		for k, v := range attrs {
			if current[k] != v && !(k == "RedrivePolicy" && sameRedrive(current[k], v)) {
				return nil, errorf("QueueNameExists", "A queue already exists with the same name and a different value for attribute %s", k)
			}
		}
		return q, nil
	}
	now := s.broker.Clock().Now()
	base := queueAttributes{meta: queueMeta{created: now, modified: now, retentionSecs: defaultRetentionSecs}}
	parsed, apiErr := s.parseAttributes(attrs, base, fifo)
	if apiErr != nil {
		return nil, apiErr
	}
	q, err := s.broker.CreateQueue(name, parsed.cfg)
	if err != nil {
		return nil, configError(err)
	}
	s.mu.Lock()
	if s.metas[q] == nil {
		m := parsed.meta
		s.metas[q] = &m
	}
	s.mu.Unlock()
	return q, nil
}

func sameRedrive(a, b string) bool {
	ra, errA := parseRedrivePolicy(a)
	rb, errB := parseRedrivePolicy(b)
	return errA == nil && errB == nil && (ra == nil) == (rb == nil) && (ra == nil || *ra == *rb)
}

func (s *Server) createQueueAction(_ context.Context, host string, body []byte) (any, *Error) {
	var in createQueueInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	q, err := s.createQueue(in.QueueName, in.Attributes)
	if err != nil {
		return nil, err
	}
	return queueURLOutput{QueueURL(host, q.Name())}, nil
}

func (s *Server) getQueueURL(_ context.Context, host string, body []byte) (any, *Error) {
	var in getQueueURLInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.QueueName == "" {
		return nil, errMissing("QueueName")
	}
	if in.QueueOwnerAWSAccountID != "" && in.QueueOwnerAWSAccountID != AccountID {
		return nil, errQueueDoesNotExist()
	}
	q, err := s.broker.Queue(in.QueueName)
	if err != nil || strings.HasPrefix(in.QueueName, "arn:") {
		return nil, errQueueDoesNotExist()
	}
	return queueURLOutput{QueueURL(host, q.Name())}, nil
}

// urls returns the URLs of a page of names (sorted) at host: those
// after token, up to maxResults (1000 when nil), and the token of the
// next page. Only a request with MaxResults is paged.
func urls(host string, names []string, maxResults *int, token string) ([]string, string, *Error) {
	limit := 1000
	if maxResults != nil {
		if limit = *maxResults; limit < 1 || limit > 1000 {
			return nil, "", errInvalidParameter("Value %d for parameter MaxResults is invalid. Reason: must be between 1 and 1000.", limit)
		}
	}
	i, _ := slices.BinarySearch(names, token)
	if token != "" && i < len(names) && names[i] == token {
		i++
	}
	names = names[i:]
	next := ""
	if len(names) > limit {
		names = names[:limit]
		if maxResults != nil {
			next = names[limit-1]
		}
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = QueueURL(host, n)
	}
	return out, next, nil
}

func (s *Server) listQueues(_ context.Context, host string, body []byte) (any, *Error) {
	var in listQueuesInput
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	var names []string
	for _, q := range s.broker.Queues() {
		if strings.HasPrefix(q.Name(), in.QueueNamePrefix) {
			names = append(names, q.Name())
		}
	}
	list, next, err := urls(host, names, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		list = nil // AWS leaves QueueUrls out then
	}
	return listQueuesOutput{QueueUrls: list, NextToken: next}, nil
}

func (s *Server) listDeadLetterSourceQueues(_ context.Context, host string, body []byte) (any, *Error) {
	var in listDeadLetterSourceQueuesInput
	dlq, apiErr := s.decodeFor(body, &in)
	if apiErr != nil {
		return nil, apiErr
	}
	var names []string
	for _, q := range s.broker.Queues() {
		if r := q.Config().Redrive; r != nil && r.DeadLetterQueue == dlq.ARN() {
			names = append(names, q.Name())
		}
	}
	list, next, apiErr := urls(host, names, in.MaxResults, in.NextToken)
	if apiErr != nil {
		return nil, apiErr
	}
	return listDeadLetterSourceQueuesOutput{QueueUrls: list, NextToken: next}, nil
}

func (s *Server) deleteQueue(_ context.Context, _ string, body []byte) (any, *Error) {
	var in queueInput
	q, apiErr := s.decodeFor(body, &in)
	if apiErr != nil {
		return nil, apiErr
	}
	if err := s.broker.DeleteQueue(q.Name()); err != nil {
		return nil, apiError(err)
	}
	s.mu.Lock()
	delete(s.metas, q)
	s.mu.Unlock()
	return emptyOutput{}, nil
}

func (s *Server) purgeQueue(_ context.Context, _ string, body []byte) (any, *Error) {
	var in queueInput
	q, apiErr := s.decodeFor(body, &in)
	if apiErr != nil {
		return nil, apiErr
	}
	if err := q.Purge(); err != nil {
		return nil, apiError(err)
	}
	return emptyOutput{}, nil
}

// queueAttributeNames are the names GetQueueAttributes accepts.
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

// attributes renders q's attributes by their SQS names, those named or
// all of them for "All"; attributes without a value are left out.
func (s *Server) attributes(q *memory.Queue, names []string) map[string]string {
	cfg := q.Config()
	info, _ := q.Describe(context.Background())
	meta := s.meta(q)
	st := q.Stats()
	all := map[string]string{
		"QueueArn":                              q.ARN(),
		"ApproximateNumberOfMessages":           strconv.Itoa(st.Visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(st.InFlight),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(st.Delayed),
		"CreatedTimestamp":                      strconv.FormatInt(meta.created.Unix(), 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(meta.modified.Unix(), 10),
		"VisibilityTimeout":                     strconv.Itoa(s.toSeconds(info.VisibilityTimeout)),
		"MaximumMessageSize":                    strconv.Itoa(info.MaxMessageSize),
		"MessageRetentionPeriod":                strconv.Itoa(meta.retentionSecs),
		"DelaySeconds":                          strconv.Itoa(s.toSeconds(cfg.Delay)),
		"ReceiveMessageWaitTimeSeconds":         strconv.Itoa(meta.waitSecs),
		"SqsManagedSseEnabled":                  "false",
	}
	if cfg.Redrive != nil {
		all["RedrivePolicy"] = redrivePolicy(cfg.Redrive)
	}
	if q.FIFO() {
		all["FifoQueue"] = "true"
		all["ContentBasedDeduplication"] = strconv.FormatBool(cfg.ContentBasedDeduplication)
	}
	maps.Copy(all, meta.other)
	if slices.Contains(names, "All") {
		return all
	}
	out := make(map[string]string, len(names))
	for _, n := range names {
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out
}

func (s *Server) getQueueAttributes(_ context.Context, _ string, body []byte) (any, *Error) {
	var in getQueueAttributesInput
	q, apiErr := s.decodeFor(body, &in)
	if apiErr != nil {
		return nil, apiErr
	}
	for _, n := range in.AttributeNames {
		if !queueAttributeNames[n] {
			return nil, errorf("InvalidAttributeName", "Unknown Attribute %s.", n)
		}
	}
	return attributesOutput{s.attributes(q, in.AttributeNames)}, nil
}

func (s *Server) setQueueAttributes(_ context.Context, _ string, body []byte) (any, *Error) {
	var in setQueueAttributesInput
	q, apiErr := s.decodeFor(body, &in)
	if apiErr != nil {
		return nil, apiErr
	}
	if len(in.Attributes) == 0 {
		return nil, errMissing("Attributes")
	}
	// One SetQueueAttributes at a time, so that two do not both start
	// from the same configuration.
	s.mu.Lock()
	defer s.mu.Unlock()
	meta := s.metaLocked(q)
	parsed, apiErr := s.parseAttributes(in.Attributes, queueAttributes{cfg: q.Config(), meta: *meta}, q.FIFO())
	if apiErr != nil {
		return nil, apiErr
	}
	if err := q.SetConfig(parsed.cfg); err != nil {
		return nil, configError(err)
	}
	parsed.meta.modified = s.broker.Clock().Now()
	*meta = parsed.meta
	return emptyOutput{}, nil
}
