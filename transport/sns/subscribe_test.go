package sns_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// Subscribe says what it set, and the queue's policy then lets the topic
// send as consumers read it: the topic becomes trusted.
func TestSubscribeReportsWhatItSet(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tp := e.topic(t, sns.TopicConfig{})
	u, err := sqs.CreateQueue(t.Context(), e.sqs, testenv.Name(t), sqs.QueueConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		_ = sqs.DeleteQueue(ctx, e.sqs, u)
	})
	policy := func() string {
		out, err := e.sqs.GetQueueAttributes(t.Context(), &awssqs.GetQueueAttributesInput{QueueUrl: &u, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNamePolicy}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes["Policy"]
	}

	missing := tp.ARN() + "-gone"
	if _, err := sns.Subscribe(t.Context(), e.sns, e.sqs, missing, u, sns.QueueSubscription{}); !errors.Is(err, transport.ErrQueueNotFound) || !strings.Contains(err.Error(), "topic "+missing+" does not exist") {
		t.Errorf("Subscribe to a missing topic: %v; want an error naming the topic", err)
	}
	if p := policy(); p != "" {
		t.Errorf("the queue policy was written for a missing topic: %s", p)
	}

	sub := sns.QueueSubscription{RawMessageDelivery: true, FilterPolicy: `{"event":{"name":["a"]}}`, FilterPolicyScope: sns.FilterMessageBody}
	for i, wantChanged := range []bool{true, false} {
		s, err := sns.Subscribe(t.Context(), e.sns, e.sqs, tp.ARN(), u, sub)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s.ARN, tp.ARN()+":") || s.QueueURL != u || !strings.HasPrefix(s.QueueARN, "arn:aws:sqs:") || s.PolicyChanged != wantChanged {
			t.Errorf("call %d: %+v; want the subscription, the queue and PolicyChanged %v", i+1, s, wantChanged)
		}
		if s.Attributes["RawMessageDelivery"] != "true" || s.Attributes["FilterPolicy"] != sub.FilterPolicy || s.Attributes["FilterPolicyScope"] != sns.FilterMessageBody {
			t.Errorf("call %d: attributes %v", i+1, s.Attributes)
		}
	}
	topics, open, err := transport.SNSTopicsFromPolicy(policy())
	if err != nil || open || !slices.Equal(topics, []string{tp.ARN()}) {
		t.Errorf("the policy allows %v (open %v, %v); want exactly %s", topics, open, err, tp.ARN())
	}
}
