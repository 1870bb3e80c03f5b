package offload_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/sqs-mega/sqs-mega-go/offload"
)

// FuzzParsePointer checks ParsePointer against encoding/json: whatever it
// accepts is a two-element JSON array of the pointer class and an object
// holding exactly the two names it returned, and the body it writes for
// them parses back to the same pointer.
func FuzzParsePointer(f *testing.F) {
	for _, s := range []string{
		offload.Pointer{Bucket: "bucket-1", Key: "k"}.Body(),
		`["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "bucket-1", "s3Key": "a/b"}]`,
		`["com.amazon.sqs.javamessaging.MessageS3Pointer",{"s3Key":"k","s3BucketName":"b.b"}]`,
		`["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":"k","s3Key":"j"}]`,
		`[]`, `{}`, `"x"`, ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		p, err := offload.ParsePointer(body)
		if err != nil {
			return
		}
		if !utf8.ValidString(body) {
			t.Fatalf("accepted a body that is not UTF-8: %q", body)
		}
		var arr []json.RawMessage
		if err := json.Unmarshal([]byte(body), &arr); err != nil || len(arr) != 2 {
			t.Fatalf("accepted %q, which is not a two-element array (%v)", body, err)
		}
		var class string
		if err := json.Unmarshal(arr[0], &class); err != nil || (class != offload.PointerClass && class != offload.LegacyPointerClass) {
			t.Fatalf("accepted %q with class %q", body, class)
		}
		var obj map[string]string
		if err := json.Unmarshal(arr[1], &obj); err != nil || len(obj) != 2 || obj["s3BucketName"] != p.Bucket || obj["s3Key"] != p.Key {
			t.Fatalf("accepted %q as %+v; encoding/json reads %v (%v)", body, p, obj, err)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted %q with invalid names: %v", body, err)
		}
		back, err := offload.ParsePointer(p.Body())
		if err != nil || back != p {
			t.Fatalf("Body() of %+v parses to %+v, %v", p, back, err)
		}
	})
}

// FuzzSplitReceiptHandle checks that a marked handle splits into what
// marking it again gives back.
func FuzzSplitReceiptHandle(f *testing.F) {
	f.Add("-..s3BucketName..-b-..s3BucketName..--..s3Key..-k-..s3Key..-h")
	f.Add("AQEB")
	f.Fuzz(func(t *testing.T, h string) {
		p, handle, ok := offload.SplitReceiptHandle(h)
		if !ok {
			if handle != h {
				t.Fatalf("unmarked %q returned as %q", h, handle)
			}
			return
		}
		if again := offload.EmbedReceiptHandle(p, handle); again != h {
			t.Fatalf("%q split into %+v, %q, which mark as %q", h, p, handle, again)
		}
	})
}
