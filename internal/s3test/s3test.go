package s3test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/transport/s3store"
)

// Client returns an S3 client for the test server, with path-style
// addressing, or ends the test as testenv.Endpoint does.
func Client(t testing.TB) *awss3.Client {
	t.Helper()
	return awss3.NewFromConfig(testenv.AWSConfig(t), func(o *awss3.Options) { o.UsePathStyle = true })
}

// Store returns a store on the test server.
func Store(t testing.TB, opts ...s3store.Option) (*s3store.Store, *awss3.Client) {
	t.Helper()
	c := Client(t)
	s, err := s3store.New(c, opts...)
	if err != nil {
		t.Fatalf("s3store.New: %v", err)
	}
	return s, c
}

// Bucket creates a bucket named after the test, emptied and deleted when
// the test ends.
func Bucket(t testing.TB, c *awss3.Client) string {
	t.Helper()
	name := strings.ToLower(strings.ReplaceAll(testenv.Name(t), "_", "-"))
	if len(name) > 63 {
		name = name[len(name)-63:]
	}
	name = strings.Trim(name, "-")
	if _, err := c.CreateBucket(context.Background(), &awss3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("CreateBucket(%s): %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, k := range Keys(t, c, name) {
			if _, err := c.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(name), Key: aws.String(k)}); err != nil {
				t.Errorf("DeleteObject(%s/%s): %v", name, k, err)
			}
		}
		if _, err := c.DeleteBucket(ctx, &awss3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Errorf("DeleteBucket(%s): %v", name, err)
		}
	})
	return name
}

// Keys lists the keys of a bucket's objects.
func Keys(t testing.TB, c *awss3.Client, bucket string) []string {
	t.Helper()
	var keys []string
	p := awss3.NewListObjectsV2Paginator(c, &awss3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		out, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatalf("ListObjectsV2(%s): %v", bucket, err)
		}
		for _, o := range out.Contents {
			keys = append(keys, aws.ToString(o.Key))
		}
	}
	return keys
}
