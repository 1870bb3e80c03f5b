package mega_test

import (
	"context"
	"errors"
	"testing"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/transport"
)

// FuzzResolve checks that Resolve never panics, leaves a message without
// the size attribute alone unless it is an SNS envelope naming it, and
// fails only with a permanent *OffloadError on a store that always
// answers.
func FuzzResolve(f *testing.F) {
	ptr := offload.Pointer{Bucket: bucket, Key: "k"}.Body()
	f.Add(ptr, "Number", "4", false)
	f.Add(ptr, "Number", "5", true)
	f.Add(`{"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:t","Timestamp":"t","Message":"[\"software.amazon.payloadoffloading.PayloadS3Pointer\",{\"s3BucketName\":\"mega-payloads\",\"s3Key\":\"k\"}]","MessageAttributes":{"ExtendedPayloadSize":{"Type":"Number","Value":"4"}}}`, "", "", false)
	f.Add(`{"a": 1}`, "String", "x", true)
	store := offload.NewMemory(bucket)
	store.Put(context.Background(), bucket, "k", "body")
	r, err := mega.NewResolver(store, mega.WithTrustedBuckets(bucket), mega.WithMaxPayloadSize(1<<10))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, dataType, value string, withAttr bool) {
		m := transport.Message{Body: body}
		if withAttr {
			m.Attributes = map[string]transport.Attribute{offload.SizeAttribute: {DataType: dataType, StringValue: value}}
		}
		got, ref, err := r.Resolve(context.Background(), m)
		if err != nil {
			var oe *mega.OffloadError
			var pe *mega.PermanentError
			if !errors.As(err, &pe) || !errors.As(err, &oe) {
				t.Fatalf("Resolve: %v, want a permanent *OffloadError", err)
			}
			return
		}
		if ref == nil && got != body {
			t.Fatalf("not offloaded, but the body changed: %q -> %q", body, got)
		}
		if ref != nil && (ref.Bucket != bucket || ref.Key != "k" || ref.Size != 4) {
			t.Fatalf("resolved %+v", ref)
		}
		if ref != nil && !ref.SNS && got != "body" {
			t.Fatalf("a direct pointer resolved to %q", got)
		}
	})
}
