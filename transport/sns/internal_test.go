package sns

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"NotFound", &types.NotFoundException{}, transport.ErrQueueNotFound},
		{"BatchTooLong", &types.BatchRequestTooLongException{}, transport.ErrTooLarge},
		{"Throttled", &types.ThrottledException{}, transport.ErrThrottled},
		{"InvalidParameter", &types.InvalidParameterException{}, transport.ErrInvalidRequest},
		{"TooManyEntries", &types.TooManyEntriesInBatchRequestException{}, transport.ErrInvalidRequest},
		{"ThrottlingCode", &smithy.GenericAPIError{Code: "Throttling"}, transport.ErrThrottled},
		{"AuthorizationError", &types.AuthorizationErrorException{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := wrapErr("Op", &smithy.OperationError{ServiceID: "SNS", OperationName: "Op", Err: tc.err})
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("wrapErr = %v, want it to wrap %v", err, tc.want)
			}
			if tc.want == nil && classify(err) != nil {
				t.Errorf("wrapErr = %v, want no classification", err)
			}
			var op *smithy.OperationError
			if !errors.As(err, &op) {
				t.Errorf("the SDK error is not in the chain of %v", err)
			}
		})
	}
}

func TestAddTopicStatement(t *testing.T) {
	const (
		queueARN = "arn:aws:sqs:us-east-1:123456789012:q"
		topicARN = "arn:aws:sns:us-east-1:123456789012:t"
		other    = `{"Sid":"Other","Effect":"Allow","Principal":"*","Action":"sqs:ReceiveMessage","Resource":"*"}`
	)
	withOurs, _, err := addTopicStatement("", queueARN, topicARN)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		policy      string
		wantChanged bool
		wantSids    int
		wantErr     bool
	}{
		{"NoPolicy", "", true, 1, false},
		{"StatementArray", `{"Version":"2012-10-17","Id":"keep","Statement":[` + other + `]}`, true, 2, false},
		{"SingleStatement", `{"Version":"2012-10-17","Statement":` + other + `}`, true, 2, false},
		{"AlreadyAllowed", withOurs, false, 1, false},
		{"NotJSON", `Allow everyone`, false, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, changed, err := addTopicStatement(tc.policy, queueARN, topicARN)
			if (err != nil) != tc.wantErr || changed != tc.wantChanged {
				t.Fatalf("addTopicStatement = changed %v, err %v; want %v, error %v", changed, err, tc.wantChanged, tc.wantErr)
			}
			if err != nil {
				return
			}
			var doc struct {
				Version   string
				Id        string
				Statement []map[string]any
			}
			if err := json.Unmarshal([]byte(got), &doc); err != nil {
				t.Fatalf("result is not a policy: %v\n%s", err, got)
			}
			if len(doc.Statement) != tc.wantSids || doc.Version != "2012-10-17" {
				t.Errorf("got %d statements, version %q; want %d\n%s", len(doc.Statement), doc.Version, tc.wantSids, got)
			}
			if strings.Contains(tc.policy, `"Id":"keep"`) && doc.Id != "keep" {
				t.Errorf("the policy's other fields were lost:\n%s", got)
			}
			if !strings.Contains(got, topicARN) || !strings.Contains(got, "sns.amazonaws.com") {
				t.Errorf("no statement allows the topic:\n%s", got)
			}
		})
	}
}
