package s3store

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/sqs-mega/sqs-mega-go/transport/internal/awsconfig"
)

// An Option configures a [Store] ([New], [Dial]) or the client [Dial]
// builds.
type Option func(*options) error

type options struct {
	sse       types.ServerSideEncryption
	kmsKey    string
	pathStyle *bool
	client    awsconfig.Config
}

func buildOptions(opts []Option) (options, error) {
	var o options
	var errs []error
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			errs = append(errs, err)
		}
	}
	return o, errors.Join(errs...)
}

// WithSSES3 encrypts the objects with S3-managed keys (SSE-S3, AES256).
// Buckets encrypt by default anyway; this makes it explicit per object.
func WithSSES3() Option {
	return func(o *options) error {
		if o.sse != "" {
			return errors.New("s3store: WithSSES3: encryption already set")
		}
		o.sse = types.ServerSideEncryptionAes256
		return nil
	}
}

// WithSSEKMS encrypts the objects with an AWS KMS key (SSE-KMS): keyID is
// its id, ARN or alias, or empty for the AWS managed key of S3. Readers
// then need kms:Decrypt on the key.
func WithSSEKMS(keyID string) Option {
	return func(o *options) error {
		if o.sse != "" {
			return errors.New("s3store: WithSSEKMS: encryption already set")
		}
		o.sse = types.ServerSideEncryptionAwsKms
		o.kmsKey = keyID
		return nil
	}
}

// WithEndpoint sends requests to an S3-compatible server (moto,
// LocalStack, MinIO) instead of AWS, e.g. "http://127.0.0.1:5000", with
// path-style addressing unless [WithPathStyle] says otherwise. For
// [Dial].
func WithEndpoint(endpoint string) Option {
	return func(o *options) error {
		return o.client.SetEndpoint("s3store", endpoint)
	}
}

// WithPathStyle sets path-style addressing (https://host/bucket/key)
// instead of virtual-hosted style (https://bucket.host/key). By default it
// is on with [WithEndpoint] and off on AWS. For [Dial].
func WithPathStyle(on bool) Option {
	return func(o *options) error {
		if o.client.First == "" {
			o.client.First = "WithPathStyle"
		}
		o.pathStyle = &on
		return nil
	}
}

// WithRegion sets the AWS region. For [Dial].
func WithRegion(region string) Option {
	return func(o *options) error {
		return o.client.SetRegion("s3store", region)
	}
}

// WithCredentials sets the credentials, instead of the standard chain.
// For [Dial].
func WithCredentials(p aws.CredentialsProvider) Option {
	return func(o *options) error {
		return o.client.SetCredentials("s3store", p)
	}
}

// WithHTTPClient sets the HTTP client of the requests. For [Dial].
func WithHTTPClient(c aws.HTTPClient) Option {
	return func(o *options) error {
		return o.client.SetHTTPClient("s3store", c)
	}
}

// WithConfigOptions passes options to config.LoadDefaultConfig. For
// [Dial].
func WithConfigOptions(fns ...func(*config.LoadOptions) error) Option {
	return func(o *options) error {
		o.client.AddLoadOptions(fns)
		return nil
	}
}

// Dial builds an S3 client from the standard configuration chain
// (config.LoadDefaultConfig: environment, shared files, roles) adjusted
// by the options, and returns a store on it. It makes no request.
func Dial(ctx context.Context, opts ...Option) (*Store, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	cfg, err := o.client.Load(ctx, "s3store", "", "")
	if err != nil {
		return nil, err
	}
	pathStyle := o.client.Endpoint != ""
	if o.pathStyle != nil {
		pathStyle = *o.pathStyle
	}
	client := awss3.NewFromConfig(cfg, func(co *awss3.Options) {
		co.BaseEndpoint = o.client.BaseEndpoint(co.BaseEndpoint, "")
		co.UsePathStyle = pathStyle
	})
	return newStore(client, o), nil
}

// check that the client implements API.
var _ API = (*awss3.Client)(nil)
