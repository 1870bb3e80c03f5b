package s3store_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sqs-mega/sqs-mega-go/internal/s3test"
	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/transport/s3store"
)

func TestNewRefusesClientOptions(t *testing.T) {
	_, err := s3store.New(&awss3.Client{}, s3store.WithEndpoint("http://127.0.0.1:1"))
	if err == nil || !strings.Contains(err.Error(), "WithEndpoint") {
		t.Fatalf("New with a client option: %v, want it refused by name", err)
	}
	if _, err := s3store.New(nil); err == nil {
		t.Fatal("New(nil) succeeded")
	}
	if _, err := s3store.New(&awss3.Client{}, s3store.WithSSES3(), s3store.WithSSEKMS("")); err == nil {
		t.Fatal("two encryption options accepted")
	}
	if _, err := s3store.Dial(context.Background(), s3store.WithEndpoint("127.0.0.1:5000")); err == nil {
		t.Fatal("Dial accepted an endpoint that is not a URL")
	}
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		opts []s3store.Option
	}{
		{"plain", nil},
		{"SSE-S3", []s3store.Option{s3store.WithSSES3()}},
		{"SSE-KMS", []s3store.Option{s3store.WithSSEKMS("")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store, client := s3test.Store(t, tt.opts...)
			bucket := s3test.Bucket(t, client)
			body := strings.Repeat("é", 600<<10) // 1.2 MB of UTF-8
			if err := store.Put(ctx, bucket, "mega/big", body); err != nil {
				t.Fatalf("Put: %v", err)
			}
			got, err := store.Get(ctx, bucket, "mega/big", int64(len(body)))
			if err != nil || got != body {
				t.Fatalf("Get: %d bytes, %v; want the %d bytes put", len(got), err, len(body))
			}
			if _, err := store.Get(ctx, bucket, "mega/big", int64(len(body)-1)); !errors.Is(err, offload.ErrTooLarge) {
				t.Fatalf("Get over the cap: %v, want ErrTooLarge", err)
			}
			if _, err := store.Get(ctx, bucket, "mega/none", 10); !errors.Is(err, offload.ErrNotFound) {
				t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
			}
			if _, err := store.Get(ctx, bucket+"-none", "k", 10); !errors.Is(err, offload.ErrNotFound) {
				t.Fatalf("Get from a missing bucket: %v, want ErrNotFound", err)
			}
			if err := store.Put(ctx, bucket+"-none", "k", "x"); !errors.Is(err, offload.ErrNotFound) {
				t.Fatalf("Put into a missing bucket: %v, want ErrNotFound", err)
			}
			if want := map[string]string{"SSE-S3": "AES256", "SSE-KMS": "aws:kms"}[tt.name]; want != "" {
				head, err := client.HeadObject(ctx, &awss3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String("mega/big")})
				if err != nil || string(head.ServerSideEncryption) != want {
					t.Errorf("HeadObject: encryption %q, %v; want %s", head.ServerSideEncryption, err, want)
				}
			}
			if err := store.Delete(ctx, bucket, "mega/big"); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if keys := s3test.Keys(t, client, bucket); len(keys) != 0 {
				t.Fatalf("objects left after Delete: %v", keys)
			}
		})
	}
}

func TestDialReachesEndpoint(t *testing.T) {
	_, client := s3test.Store(t)
	bucket := s3test.Bucket(t, client)
	endpoint := *client.Options().BaseEndpoint
	store, err := s3store.Dial(context.Background(), s3store.WithEndpoint(endpoint), s3store.WithRegion("us-east-1"),
		s3store.WithCredentials(client.Options().Credentials))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put(context.Background(), bucket, "k", "v"); err != nil {
		t.Fatalf("Put through a dialled client (path style): %v", err)
	}
}

// fakeAPI answers GetObject with a declared length and a body that fails
// the test when read.
type fakeAPI struct {
	s3store.API
	t      *testing.T
	length int64
}

type unreadable struct{ t *testing.T }

func (u unreadable) Read([]byte) (int, error) {
	u.t.Error("the body was read")
	return 0, io.EOF
}
func (unreadable) Close() error { return nil }

func (f fakeAPI) GetObject(context.Context, *awss3.GetObjectInput, ...func(*awss3.Options)) (*awss3.GetObjectOutput, error) {
	return &awss3.GetObjectOutput{ContentLength: aws.Int64(f.length), Body: unreadable{f.t}}, nil
}

func TestGetRefusesBeforeReading(t *testing.T) {
	store, err := s3store.New(fakeAPI{t: t, length: 3 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(context.Background(), "b", "k", 64<<20); !errors.Is(err, offload.ErrTooLarge) {
		t.Fatalf("Get of a 3 GiB object: %v, want ErrTooLarge", err)
	}
}
