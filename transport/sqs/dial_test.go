package sqs_test

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// isolateAWSEnv keeps the developer's AWS settings out of a test that uses
// the standard configuration chain, and keeps that chain off the network.
func isolateAWSEnv(t *testing.T) {
	for _, k := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SQS",
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestDial(t *testing.T) {
	endpoint := testenv.Endpoint(t)
	isolateAWSEnv(t)
	creds := sqs.WithCredentials(credentials.NewStaticCredentialsProvider("test", "test", ""))

	// A client from NewClient administers queues on the server.
	c, err := sqs.NewClient(t.Context(), sqs.WithEndpoint(endpoint), sqs.WithRegion(testenv.Region), creds)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	u := createQueue(t, c, sqs.QueueConfig{})

	tests := []struct {
		name string
		opts []sqs.Option
	}{
		// The queue URL is on the server: endpoint and region follow from it.
		{"FromQueueURL", []sqs.Option{creds}},
		{"ExplicitEndpoint", []sqs.Option{creds, sqs.WithEndpoint(endpoint), sqs.WithRegion(testenv.Region)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, err := sqs.Dial(t.Context(), u, tc.opts...)
			if err != nil {
				t.Fatalf("Dial: %v", err)
			}
			send(t, q, transport.Outgoing{Body: tc.name})
			got := receiveN(t, q, 1, transport.ReceiveRequest{}, 10*time.Second)
			if got[0].Body != tc.name {
				t.Errorf("received %q, want %q", got[0].Body, tc.name)
			}
			if errs, err := q.Delete(t.Context(), handles(got)); err != nil || errs[0] != nil {
				t.Errorf("Delete: %v %v", err, errs)
			}
		})
	}
}
