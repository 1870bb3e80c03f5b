package offload_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/offload"
)

func TestPointerBody(t *testing.T) {
	p := offload.Pointer{Bucket: "my-bucket", Key: "mega/0b5c<&>\"é"}
	want := `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"my-bucket","s3Key":"mega/0b5c<&>\"é"}]`
	if got := p.Body(); got != want {
		t.Fatalf("Body() = %s\nwant     %s", got, want)
	}
	back, err := offload.ParsePointer(p.Body())
	if err != nil || back != p {
		t.Fatalf("ParsePointer(Body()) = %+v, %v; want %+v", back, err, p)
	}
}

func TestParsePointer(t *testing.T) {
	ok := offload.Pointer{Bucket: "bucket-1", Key: "a/b c"}
	tests := []struct {
		name string
		body string
		want *offload.Pointer // nil: not a pointer
	}{
		{"java", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":"a/b c"}]`, &ok},
		{"python", `["software.amazon.payloadoffloading.PayloadS3Pointer", {"s3BucketName": "bucket-1", "s3Key": "a/b c"}]`, &ok},
		{"members reversed", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3Key":"a/b c","s3BucketName":"bucket-1"}]`, &ok},
		{"whitespace around", " \n[\"software.amazon.payloadoffloading.PayloadS3Pointer\" , {\"s3BucketName\" : \"bucket-1\" , \"s3Key\" : \"a/b c\"} ]\n", &ok},
		{"legacy class", `["com.amazon.sqs.javamessaging.MessageS3Pointer",{"s3BucketName":"bucket-1","s3Key":"a/b c"}]`, &ok},
		{"escaped key", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":"a\/b\u0020c"}]`, &ok},

		{"empty", ``, nil},
		{"object", `{"s3BucketName":"bucket-1","s3Key":"k"}`, nil},
		{"other class", `["software.amazon.payloadoffloading.PayloadS3Pointerx",{"s3BucketName":"bucket-1","s3Key":"k"}]`, nil},
		{"class case", `["SOFTWARE.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":"k"}]`, nil},
		{"one element", `["software.amazon.payloadoffloading.PayloadS3Pointer"]`, nil},
		{"three elements", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":"k"},1]`, nil},
		{"extra member", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":"k","x":"y"}]`, nil},
		{"missing key", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1"}]`, nil},
		{"duplicate bucket", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3BucketName":"bucket-2"}]`, nil},
		{"duplicate key", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":"k","s3Key":"k"}]`, nil},
		{"number key", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":1}]`, nil},
		{"null key", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":null}]`, nil},
		{"empty key", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":""}]`, nil},
		{"control in key", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":"a\nb"}]`, nil},
		{"bad bucket", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b/x","s3Key":"k"}]`, nil},
		{"short bucket", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"k"}]`, nil},
		{"trailing text", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":"k"}] x`, nil},
		{"two arrays", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":"k"}][]`, nil},
		{"unclosed", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":"k"}`, nil},
		{"missing comma", `["software.amazon.payloadoffloading.PayloadS3Pointer" {"s3BucketName":"bucket-1","s3Key":"k"}]`, nil},
		{"not UTF-8", "[\"software.amazon.payloadoffloading.PayloadS3Pointer\",{\"s3BucketName\":\"bucket-1\",\"s3Key\":\"\xff\"}]", nil},
		{"key too long", `["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"bucket-1","s3Key":"` + strings.Repeat("k", offload.MaxKeyLen+1) + `"}]`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := offload.ParsePointer(tt.body)
			if tt.want == nil {
				if !errors.Is(err, offload.ErrMalformed) {
					t.Fatalf("ParsePointer = %+v, %v; want ErrMalformed", p, err)
				}
				return
			}
			if err != nil || p != *tt.want {
				t.Fatalf("ParsePointer = %+v, %v; want %+v", p, err, *tt.want)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		dataType, value string
		want            int64 // -1: malformed
	}{
		{"Number", "1258291", 1258291},
		{"Number", "0", 0},
		{"Number.bytes", "42", 42},
		{"String", "42", -1},
		{"Numbers", "42", -1},
		{"Number", "", -1},
		{"Number", "-1", -1},
		{"Number", "+1", -1},
		{"Number", "042", -1},
		{"Number", "1.0", -1},
		{"Number", "1e3", -1},
		{"Number", " 1", -1},
		{"Number", "99999999999999999999", -1},
	}
	for _, tt := range tests {
		n, err := offload.ParseSize(tt.dataType, tt.value)
		if tt.want < 0 {
			if !errors.Is(err, offload.ErrMalformed) {
				t.Errorf("ParseSize(%q, %q) = %d, %v; want ErrMalformed", tt.dataType, tt.value, n, err)
			}
			continue
		}
		if err != nil || n != tt.want {
			t.Errorf("ParseSize(%q, %q) = %d, %v; want %d", tt.dataType, tt.value, n, err, tt.want)
		}
		if s := offload.FormatSize(n); s != tt.value {
			t.Errorf("FormatSize(%d) = %q, want %q", n, s, tt.value)
		}
	}
}

func TestReceiptHandle(t *testing.T) {
	p := offload.Pointer{Bucket: "bucket-1", Key: "mega/123"}
	h := offload.EmbedReceiptHandle(p, "AQEBzbV...==")
	if want := "-..s3BucketName..-bucket-1-..s3BucketName..--..s3Key..-mega/123-..s3Key..-AQEBzbV...=="; h != want {
		t.Fatalf("EmbedReceiptHandle = %s, want %s", h, want)
	}
	got, handle, ok := offload.SplitReceiptHandle(h)
	if !ok || got != p || handle != "AQEBzbV...==" {
		t.Fatalf("SplitReceiptHandle = %+v, %q, %v", got, handle, ok)
	}
	for _, plain := range []string{"AQEBzbV...==", "", "-..s3BucketName..-b", "-..s3BucketName..-b-..s3BucketName..-x", "-..s3BucketName..-b-..s3BucketName..--..s3Key..-k-..s3Key..-"} {
		if _, handle, ok := offload.SplitReceiptHandle(plain); ok || handle != plain {
			t.Errorf("SplitReceiptHandle(%q) = %q, %v; want it unmarked", plain, handle, ok)
		}
	}
}
