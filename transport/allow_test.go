package transport_test

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

func TestPolicyAllowingTopic(t *testing.T) {
	const (
		queueARN = "arn:aws:sqs:us-east-1:123456789012:q"
		orders   = "arn:aws:sns:us-east-1:123456789012:orders"
		payments = "arn:aws:sns:us-east-1:123456789012:payments"
		other    = `{"Sid":"Other","Effect":"Allow","Principal":"*","Action":"sqs:ReceiveMessage","Resource":"*"}`
	)
	withOrders, changed, err := transport.PolicyAllowingTopic("", queueARN, orders)
	if err != nil || !changed {
		t.Fatalf("changed %v, err %v", changed, err)
	}
	tests := []struct {
		name        string
		policy      string
		topic       string
		wantChanged bool
		wantTopics  []string
		wantErr     bool
	}{
		{"no policy", "", orders, true, []string{orders}, false},
		{"statement array kept", `{"Version":"2012-10-17","Id":"keep","Statement":[` + other + `]}`, orders, true, []string{orders}, false},
		{"single statement kept", `{"Statement":` + other + `}`, orders, true, []string{orders}, false},
		{"already allowed", withOrders, orders, false, []string{orders}, false},
		{"a second topic", withOrders, payments, true, []string{orders, payments}, false},
		{"allowed by a wildcard", `{"Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sns:us-east-1:123456789012:*"}}}]}`,
			orders, false, []string{"arn:aws:sns:us-east-1:123456789012:*"}, false},
		{"not JSON", `Allow everyone`, orders, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed, err := transport.PolicyAllowingTopic(tt.policy, queueARN, tt.topic)
			if tt.wantErr {
				if !errors.Is(err, transport.ErrInvalidRequest) {
					t.Fatalf("err %v, want ErrInvalidRequest", err)
				}
				return
			}
			if err != nil || changed != tt.wantChanged {
				t.Fatalf("changed %v, err %v; want changed %v", changed, err, tt.wantChanged)
			}
			if !changed && got != tt.policy {
				t.Errorf("unchanged, but the policy was rewritten:\n%s", got)
			}
			// The policy now lets the topic send, as the consumer reads it.
			topics, open, err := transport.SNSTopicsFromPolicy(got)
			if err != nil || open || !slices.Equal(topics, tt.wantTopics) {
				t.Fatalf("SNSTopicsFromPolicy = %q, open %v, %v; want %q\n%s", topics, open, err, tt.wantTopics, got)
			}
			var doc struct {
				Version   string
				ID        string `json:"Id"`
				Statement json.RawMessage
			}
			if err := json.Unmarshal([]byte(got), &doc); err != nil || (changed && doc.Version == "") {
				t.Fatalf("not a policy document (%v): %s", err, got)
			}
			if strings.Contains(tt.policy, `"Id":"keep"`) && doc.ID != "keep" {
				t.Errorf("the policy's other fields were lost: %s", got)
			}
			if strings.Contains(tt.policy, `"Sid":"Other"`) && !strings.Contains(got, `"Sid":"Other"`) {
				t.Errorf("the other statement was lost: %s", got)
			}
		})
	}
}
