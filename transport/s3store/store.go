package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/sqs-mega/sqs-mega-go/offload"
)

// API is the part of the S3 client the store uses; *s3.Client
// implements it.
type API interface {
	PutObject(ctx context.Context, in *awss3.PutObjectInput, optFns ...func(*awss3.Options)) (*awss3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *awss3.GetObjectInput, optFns ...func(*awss3.Options)) (*awss3.GetObjectOutput, error)
	DeleteObject(ctx context.Context, in *awss3.DeleteObjectInput, optFns ...func(*awss3.Options)) (*awss3.DeleteObjectOutput, error)
}

// Store is an [offload.Store] on S3. It is safe for concurrent use.
type Store struct {
	client API
	sse    types.ServerSideEncryption
	kmsKey string
}

var _ offload.Store = (*Store)(nil)

// New returns a store on an existing client. Client options
// ([WithEndpoint], ...) are refused: they are for [Dial].
func New(client API, opts ...Option) (*Store, error) {
	if client == nil {
		return nil, errors.New("s3store: New: nil client")
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.client.First != "" {
		return nil, fmt.Errorf("s3store: New: %s configures a client; use Dial", o.client.First)
	}
	return newStore(client, o), nil
}

func newStore(client API, o options) *Store {
	return &Store{client: client, sse: o.sse, kmsKey: o.kmsKey}
}

// Put uploads body as the object key of bucket, encrypted as the options
// say.
func (s *Store) Put(ctx context.Context, bucket, key, body string) error {
	in := &awss3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          strings.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		// The extended clients store the body as UTF-8 text.
		ContentType: aws.String("text/plain; charset=utf-8"),
	}
	if s.sse != "" {
		in.ServerSideEncryption = s.sse
		if s.kmsKey != "" {
			in.SSEKMSKeyId = aws.String(s.kmsKey)
		}
	}
	if _, err := s.client.PutObject(ctx, in); err != nil {
		return wrapErr("PutObject", bucket, key, err)
	}
	return nil
}

// Get downloads the object key of bucket. An object whose length exceeds
// maxSize is refused with [offload.ErrTooLarge] from the response's
// Content-Length, before its content is read; the read itself stops at
// maxSize bytes too.
func (s *Store) Get(ctx context.Context, bucket, key string, maxSize int64) (string, error) {
	out, err := s.client.GetObject(ctx, &awss3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return "", wrapErr("GetObject", bucket, key, err)
	}
	defer out.Body.Close()
	n := aws.ToInt64(out.ContentLength)
	if n > maxSize {
		return "", fmt.Errorf("s3store: s3://%s/%s: %w: %d bytes, at most %d accepted", bucket, key, offload.ErrTooLarge, n, maxSize)
	}
	var b strings.Builder
	if n > 0 {
		b.Grow(int(n))
	}
	read, err := io.Copy(&b, io.LimitReader(out.Body, maxSize+1))
	if err != nil {
		return "", fmt.Errorf("s3store: GetObject s3://%s/%s: reading: %w", bucket, key, err)
	}
	if read > maxSize {
		return "", fmt.Errorf("s3store: s3://%s/%s: %w: more than %d bytes", bucket, key, offload.ErrTooLarge, maxSize)
	}
	return b.String(), nil
}

// Delete deletes the object key of bucket.
func (s *Store) Delete(ctx context.Context, bucket, key string) error {
	if _, err := s.client.DeleteObject(ctx, &awss3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		return wrapErr("DeleteObject", bucket, key, err)
	}
	return nil
}

// wrapErr names the operation and the object, and adds
// offload.ErrNotFound for a missing bucket or key. The SDK error stays in
// the chain for errors.As.
func wrapErr(op, bucket, key string, err error) error {
	if notFound(err) {
		return fmt.Errorf("s3store: %s s3://%s/%s: %w: %w", op, bucket, key, offload.ErrNotFound, err)
	}
	return fmt.Errorf("s3store: %s s3://%s/%s: %w", op, bucket, key, err)
}

func notFound(err error) bool {
	var (
		noKey    *types.NoSuchKey
		noBucket *types.NoSuchBucket
		nf       *types.NotFound
	)
	if errors.As(err, &noKey) || errors.As(err, &noBucket) || errors.As(err, &nf) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NoSuchBucket", "NotFound":
			return true
		}
	}
	return false
}
