package sqsfake

import (
	"encoding/json"
	"maps"
	"strconv"
)

// parseQueueAttributes applies the attributes of CreateQueue or
// SetQueueAttributes to base.
func parseQueueAttributes(in map[string]string, base queueAttributes) (queueAttributes, *Error) {
	out := base
	out.other = maps.Clone(base.other)
	for name, v := range in {
		var err *Error
		switch name {
		case "VisibilityTimeout":
			out.visibilitySecs, err = intAttribute(name, v, 0, 43200)
		case "DelaySeconds":
			out.delaySecs, err = intAttribute(name, v, 0, 900)
		case "ReceiveMessageWaitTimeSeconds":
			out.waitSecs, err = intAttribute(name, v, 0, 20)
		case "MaximumMessageSize":
			out.maxSize, err = intAttribute(name, v, 1024, 1<<20)
		case "MessageRetentionPeriod":
			out.retentionSecs, err = intAttribute(name, v, 60, 1209600)
		case "RedrivePolicy":
			err = out.setRedrivePolicy(v)
		case "Policy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled", "RedriveAllowPolicy":
			out.other[name] = v
		case "FifoQueue":
			if v == "true" {
				err = errorf("UnsupportedOperation", "sqsfake serves standard queues only")
			}
		default:
			err = errorf("InvalidAttributeName", "Unknown Attribute %s.", name)
		}
		if err != nil {
			return base, err
		}
	}
	return out, nil
}

func intAttribute(name, v string, lo, hi int) (int, *Error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errorf("InvalidAttributeValue", "Invalid value for the parameter %s: %q (must be an integer from %d to %d).", name, v, lo, hi)
	}
	return n, nil
}

func (a *queueAttributes) setRedrivePolicy(v string) *Error {
	if v == "" {
		a.redrivePolicy, a.dlqARN, a.maxReceiveCount = "", "", 0
		return nil
	}
	var p struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	bad := errorf("InvalidAttributeValue", "Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount.", v)
	if err := json.Unmarshal([]byte(v), &p); err != nil || p.DeadLetterTargetArn == "" || len(p.MaxReceiveCount) == 0 {
		return bad
	}
	raw := string(p.MaxReceiveCount)
	if s, err := strconv.Unquote(raw); err == nil {
		raw = s
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 1000 {
		return bad
	}
	a.redrivePolicy, a.dlqARN, a.maxReceiveCount = v, p.DeadLetterTargetArn, n
	return nil
}
