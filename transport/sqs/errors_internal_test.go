package sqs

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

func TestClassify(t *testing.T) {
	api := func(code string) error { return &smithy.GenericAPIError{Code: code, Message: "whatever the text"} }
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"QueueDoesNotExist", &types.QueueDoesNotExist{}, transport.ErrQueueNotFound},
		{"NonExistentQueueCode", api("AWS.SimpleQueueService.NonExistentQueue"), transport.ErrQueueNotFound},
		{"ReceiptHandleIsInvalid", &types.ReceiptHandleIsInvalid{}, transport.ErrReceiptInvalid},
		{"MessageNotInflight", &types.MessageNotInflight{}, transport.ErrReceiptInvalid},
		{"BatchRequestTooLong", &types.BatchRequestTooLong{}, transport.ErrTooLarge},
		{"RequestThrottled", &types.RequestThrottled{}, transport.ErrThrottled},
		{"ThrottlingExceptionCode", api("ThrottlingException"), transport.ErrThrottled},
		{"KmsThrottledCode", api("KMS.ThrottlingException"), transport.ErrThrottled},
		{"TooManyEntries", &types.TooManyEntriesInBatchRequest{}, transport.ErrInvalidRequest},
		{"EmptyBatch", &types.EmptyBatchRequest{}, transport.ErrInvalidRequest},
		{"InvalidParameterValueCode", api("InvalidParameterValue"), transport.ErrInvalidRequest},
		{"MissingParameterCode", api("MissingParameter"), transport.ErrInvalidRequest},
		{"AccessDenied", api("AccessDenied"), nil},
		{"NotAnAPIError", errors.New("connection reset"), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The SDK wraps service errors in an operation error.
			sdkErr := &smithy.OperationError{ServiceID: "SQS", OperationName: "Op", Err: tc.err}
			err := wrapErr("Op", sdkErr)
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("wrapErr(%v) = %v, want it to wrap %v", tc.err, err, tc.want)
			}
			for _, s := range []error{transport.ErrQueueNotFound, transport.ErrReceiptInvalid, transport.ErrTooLarge, transport.ErrThrottled, transport.ErrInvalidRequest} {
				if s != tc.want && errors.Is(err, s) {
					t.Errorf("wrapErr(%v) also wraps %v", tc.err, s)
				}
			}
			var op *smithy.OperationError
			if !errors.As(err, &op) {
				t.Errorf("the SDK error is not in the chain of %v", err)
			}
		})
	}
}

func TestEntryErr(t *testing.T) {
	tests := []struct {
		name      string
		code      string
		receiptOp bool
		want      error
	}{
		{"ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid", true, transport.ErrReceiptInvalid},
		{"InvalidParameterValueOnReceipt", "InvalidParameterValue", true, transport.ErrReceiptInvalid},
		{"InvalidParameterValueOnSend", "InvalidParameterValue", false, transport.ErrInvalidRequest},
		{"InternalError", "InternalError", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := entryErr(tc.code, "text", tc.want != nil, tc.receiptOp)
			var e *transport.EntryError
			if !errors.As(err, &e) || e.Code != tc.code || e.Message != "text" {
				t.Fatalf("entryErr = %#v, want an *EntryError with code %s", err, tc.code)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("entryErr = %v, want it to wrap %v", err, tc.want)
			}
			if e.Temporary() != (tc.want == nil) {
				t.Errorf("Temporary() = %v for sender fault %v", e.Temporary(), e.SenderFault)
			}
		})
	}
}

func TestEndpointFromQueueURL(t *testing.T) {
	tests := []struct {
		url, endpoint, region string
	}{
		{"https://sqs.eu-west-1.amazonaws.com/123456789012/jobs", "", "eu-west-1"},
		{"https://sqs.cn-north-1.amazonaws.com.cn/123456789012/jobs", "", "cn-north-1"},
		{"https://eu-west-1.queue.amazonaws.com/123456789012/jobs", "", "eu-west-1"},
		{"https://queue.amazonaws.com/123456789012/jobs", "", "us-east-1"},
		{"https://sqs.us-east-2.api.aws/123456789012/jobs", "", "us-east-2"},
		{"https://vpce-1a2b.sqs.us-east-1.vpce.amazonaws.com/123456789012/jobs", "", ""},
		{"http://127.0.0.1:4566/000000000000/jobs", "http://127.0.0.1:4566", ""},
		{"http://localhost:9324/queue/jobs", "http://localhost:9324", ""},
		{"", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			ep, region := endpointFromQueueURL(tc.url)
			if ep != tc.endpoint || region != tc.region {
				t.Errorf("endpointFromQueueURL = %q, %q; want %q, %q", ep, region, tc.endpoint, tc.region)
			}
		})
	}
}

func TestParseRedrivePolicy(t *testing.T) {
	const dlq = "arn:aws:sqs:us-east-1:123456789012:dlq"
	tests := []struct {
		name, in string
		want     RedrivePolicy
		wantErr  bool
	}{
		{"CountAsString", `{"deadLetterTargetArn":"` + dlq + `","maxReceiveCount":"5"}`, RedrivePolicy{dlq, 5}, false},
		{"CountAsNumber", `{"deadLetterTargetArn":"` + dlq + `","maxReceiveCount":5}`, RedrivePolicy{dlq, 5}, false},
		{"NoCount", `{"deadLetterTargetArn":"` + dlq + `"}`, RedrivePolicy{dlq, 0}, false},
		{"BadCount", `{"deadLetterTargetArn":"` + dlq + `","maxReceiveCount":"five"}`, RedrivePolicy{}, true},
		{"NotJSON", `deadLetterTargetArn=` + dlq, RedrivePolicy{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseRedrivePolicy(tc.in)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseRedrivePolicy = %+v, %v; want %+v, error %v", got, err, tc.want, tc.wantErr)
			}
			if err == nil {
				back, err := parseRedrivePolicy(got.marshal())
				if err != nil || back != got {
					t.Errorf("marshal does not round-trip: %+v, %v", back, err)
				}
			}
		})
	}
}

func TestSeconds(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int32
	}{{"0s", 0}, {"-1s", 0}, {"1ns", 1}, {"1s", 1}, {"1.5s", 2}, {"20s", 20}, {"12h", 43200}} {
		d, err := time.ParseDuration(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := seconds(d); got != tc.want {
			t.Errorf("seconds(%s) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
