package sns

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
)

// An Option configures a [Topic] ([New], [Dial]) or the client [Dial] and
// [NewClient] build. Options are applied once, by the constructor; an
// Option value may be reused and shared.
type Option func(*options) error

type options struct {
	maxSize   int
	topicOnly string // name of the first option that configures a Topic

	endpoint string
	region   string
	creds    aws.CredentialsProvider
	retryer  func() aws.Retryer
	http     aws.HTTPClient
	loadOpts []func(*config.LoadOptions) error
	dialOnly string // name of the first option that configures a client
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

func (o *options) markDial(name string) {
	if o.dialOnly == "" {
		o.dialOnly = name
	}
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
		o.markDial("WithEndpoint")
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("sns: WithEndpoint(%q): want an http or https URL", endpoint)
		}
		o.endpoint = endpoint
		return nil
	}
}

// WithRegion sets the AWS region. Without it, [Dial] uses the region of
// the topic's ARN. For [Dial] and [NewClient].
func WithRegion(region string) Option {
	return func(o *options) error {
		o.markDial("WithRegion")
		if region == "" {
			return errors.New("sns: WithRegion: empty region")
		}
		o.region = region
		return nil
	}
}

// WithCredentials sets the credentials, instead of the standard chain. For
// [Dial] and [NewClient].
func WithCredentials(p aws.CredentialsProvider) Option {
	return func(o *options) error {
		o.markDial("WithCredentials")
		if p == nil {
			return errors.New("sns: WithCredentials: nil provider")
		}
		o.creds = p
		return nil
	}
}

// WithRetryer replaces the SDK's standard retryer (3 attempts with
// exponential backoff). For [Dial] and [NewClient].
func WithRetryer(newRetryer func() aws.Retryer) Option {
	return func(o *options) error {
		o.markDial("WithRetryer")
		if newRetryer == nil {
			return errors.New("sns: WithRetryer: nil function")
		}
		o.retryer = newRetryer
		return nil
	}
}

// WithHTTPClient sets the HTTP client of the requests. It is set after the
// configuration is loaded, so it works where config.WithHTTPClient is
// refused (that one only takes the SDK's own client type when
// AWS_CA_BUNDLE is set). For [Dial] and [NewClient].
func WithHTTPClient(c aws.HTTPClient) Option {
	return func(o *options) error {
		o.markDial("WithHTTPClient")
		if c == nil {
			return errors.New("sns: WithHTTPClient: nil client")
		}
		o.http = c
		return nil
	}
}

// WithConfigOptions passes options to config.LoadDefaultConfig. For [Dial]
// and [NewClient].
func WithConfigOptions(fns ...func(*config.LoadOptions) error) Option {
	return func(o *options) error {
		o.markDial("WithConfigOptions")
		o.loadOpts = append(o.loadOpts, fns...)
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
	load := append([]func(*config.LoadOptions) error(nil), o.loadOpts...)
	switch {
	case o.region != "":
		load = append(load, config.WithRegion(o.region))
	case arnRegion != "":
		// The topic lives in its ARN's region, whatever the environment says.
		load = append(load, config.WithRegion(arnRegion))
	}
	if o.creds != nil {
		load = append(load, config.WithCredentialsProvider(o.creds))
	}
	if o.retryer != nil {
		load = append(load, config.WithRetryer(o.retryer))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("sns: loading AWS configuration: %w", err)
	}
	if o.http != nil {
		cfg.HTTPClient = o.http
	}
	if cfg.Region == "" && o.endpoint != "" {
		cfg.Region = "us-east-1" // local servers need a region to sign for, any will do
	}
	return awssns.NewFromConfig(cfg, func(co *awssns.Options) {
		if o.endpoint != "" {
			co.BaseEndpoint = aws.String(o.endpoint)
		}
	}), nil
}
