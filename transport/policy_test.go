package transport_test

import (
	"slices"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

func TestSNSTopicsFromPolicy(t *testing.T) {
	const orders = "arn:aws:sns:us-east-1:123456789012:orders"
	tests := []struct {
		name   string
		policy string
		want   []string
		open   bool
		err    bool
	}{
		{name: "empty", policy: ""},
		{name: "console form", policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:123456789012:q","Condition":{"ArnEquals":{"aws:SourceArn":"` + orders + `"}}}]}`, want: []string{orders}},
		{name: "single statement, principal star, list of topics", policy: `{"Statement":{"Effect":"Allow","Principal":"*","Action":["sqs:SendMessage"],"Condition":{"ArnLike":{"aws:SourceArn":["` + orders + `","arn:aws:sns:us-east-1:123456789012:pay*"]}}}}`, want: []string{orders, "arn:aws:sns:us-east-1:123456789012:pay*"}},
		{name: "deny is not trust", policy: `{"Statement":[{"Effect":"Deny","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Condition":{"ArnEquals":{"aws:SourceArn":"` + orders + `"}}}]}`},
		{name: "another action", policy: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:ReceiveMessage","Condition":{"ArnEquals":{"aws:SourceArn":"` + orders + `"}}}]}`},
		{name: "sns without condition is open", policy: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:*"}]}`, open: true},
		{name: "another service", policy: `{"Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:events:us-east-1:1:rule/r"}}}]}`},
		{name: "not json", policy: `{"Statement": [`, err: true},
		{name: "statement of the wrong shape", policy: `{"Statement": 5}`, err: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, open, err := transport.SNSTopicsFromPolicy(tt.policy)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if !slices.Equal(got, tt.want) || open != tt.open {
				t.Fatalf("got %q open %v, want %q open %v", got, open, tt.want, tt.open)
			}
		})
	}
}
