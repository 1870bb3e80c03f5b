package sns

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/sqs-mega/sqs-mega-go/transport/internal/awsconfig"
)

// An Option configures a [Topic] ([New], [Dial]) or the client [Dial] and
// [NewClient] build. Options are applied once, by the constructor; an
// Option value may be reused and shared.
type Option func(*options) error

type options struct {
	maxSize   int
	topicOnly string // name of the first option that configures a Topic

	client awsconfig.Config // what the client options set
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

// WithMaxMessageSize lowers the largest message, body and attributes, that
// Send lets through (default and maximum: [MaxMessageSize]); larger ones
// fail with [transport.ErrTooLarge] without a request. Use it when the
// subscribed queues take less than SNS does.
func WithMaxMessageSize(n int) Option {
	return func(o *options) error {
		if o.topicOnly == "" {
			o.topicOnly = "WithMaxMessageSize"
		}
		if n < 1 || n > MaxMessageSize {
			return fmt.Errorf("sns: WithMaxMessageSize(%d): want 1 to %d", n, MaxMessageSize)
		}
		o.maxSize = n
		return nil
	}
}

// WithEndpoint sends requests to an SNS-compatible server (LocalStack,
// moto) instead of AWS: it sets the client's BaseEndpoint, e.g.
// "http://127.0.0.1:4566". For [Dial] and [NewClient].
func WithEndpoint(endpoint string) Option {
	return func(o *options) error {
		return o.client.SetEndpoint("sns", endpoint)
	}
}

// WithRegion sets the AWS region. Without it, [Dial] uses the region of
// the topic's ARN. For [Dial] and [NewClient].
func WithRegion(region string) Option {
	return func(o *options) error {
		return o.client.SetRegion("sns", region)
	}
}

// WithCredentials sets the credentials, instead of the standard chain. For
// [Dial] and [NewClient].
func WithCredentials(p aws.CredentialsProvider) Option {
	return func(o *options) error {
		return o.client.SetCredentials("sns", p)
	}
}

// WithRetryer replaces the SDK's standard retryer (3 attempts with
// exponential backoff). For [Dial] and [NewClient].
func WithRetryer(newRetryer func() aws.Retryer) Option {
	return func(o *options) error {
		return o.client.SetRetryer("sns", newRetryer)
	}
}

// WithHTTPClient sets the HTTP client of the requests. It is set after the
// configuration is loaded, so it works where config.WithHTTPClient is
// refused (that one only takes the SDK's own client type when
// AWS_CA_BUNDLE is set). For [Dial] and [NewClient].
func WithHTTPClient(c aws.HTTPClient) Option {
	return func(o *options) error {
		return o.client.SetHTTPClient("sns", c)
	}
}

// WithConfigOptions passes options to config.LoadDefaultConfig. For [Dial]
// and [NewClient].
func WithConfigOptions(fns ...func(*config.LoadOptions) error) Option {
	return func(o *options) error {
		o.client.AddLoadOptions(fns)
		return nil
	}
}

// NewClient builds an SNS client from the standard configuration chain
// (config.LoadDefaultConfig) adjusted by the options. Topic options
// ([WithMaxMessageSize]) are rejected.
func NewClient(ctx context.Context, opts ...Option) (*awssns.Client, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.topicOnly != "" {
		return nil, fmt.Errorf("sns: NewClient: %s configures a Topic, not a client", o.topicOnly)
	}
	return newClient(ctx, o, "")
}

// Dial builds a client as [NewClient] does, in the topic's region unless
// [WithRegion] says otherwise, and returns the topic through it. It makes
// no request to the topic.
func Dial(ctx context.Context, topicARN string, opts ...Option) (*Topic, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	a, err := parseTopicARN(topicARN)
	if err != nil {
		return nil, err
	}
	client, err := newClient(ctx, o, a.Region)
	if err != nil {
		return nil, err
	}
	return newTopic(client, topicARN, o)
}

func newClient(ctx context.Context, o options, arnRegion string) (*awssns.Client, error) {
	// The topic lives in its ARN's region, whatever the environment says.
	cfg, err := o.client.Load(ctx, "sns", arnRegion, "")
	if err != nil {
		return nil, err
	}
	return awssns.NewFromConfig(cfg, func(co *awssns.Options) {
		co.BaseEndpoint = o.client.BaseEndpoint(co.BaseEndpoint, "")
	}), nil
}
