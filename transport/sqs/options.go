package sqs

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/internal/awsconfig"
)

// An Option configures a [Queue] ([New], [Dial]) or the client [Dial] and
// [NewClient] build. Options are applied once, by the constructor; an
// Option value may be reused and shared.
type Option func(*options) error

type options struct {
	maxSize   int
	queueOnly string // name of the first option that configures a Queue

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

// WithMaxMessageSize sets the largest message, body and attributes, that
// Send lets through; larger ones fail with [transport.ErrTooLarge] without
// a request. By default the limit is [transport.MaxBodySize], lowered to
// the queue's MaximumMessageSize once [Queue.Describe] has read it.
func WithMaxMessageSize(n int) Option {
	return func(o *options) error {
		if o.queueOnly == "" {
			o.queueOnly = "WithMaxMessageSize"
		}
		if n < 1 || n > transport.MaxBodySize {
			return fmt.Errorf("sqs: WithMaxMessageSize(%d): want 1 to %d", n, transport.MaxBodySize)
		}
		o.maxSize = n
		return nil
	}
}

// WithEndpoint sends requests to an SQS-compatible server (LocalStack,
// ElasticMQ, moto) instead of AWS: it sets the client's BaseEndpoint, e.g.
// "http://127.0.0.1:4566". Without it, [Dial] takes the endpoint from the
// queue URL when the URL's host is not an AWS one. For [Dial] and
// [NewClient].
func WithEndpoint(endpoint string) Option {
	return func(o *options) error {
		return o.client.SetEndpoint("sqs", endpoint)
	}
}

// WithRegion sets the AWS region, overriding the environment and shared
// configuration. For [Dial] and [NewClient].
func WithRegion(region string) Option {
	return func(o *options) error {
		return o.client.SetRegion("sqs", region)
	}
}

// WithCredentials sets the credentials, instead of the standard chain
// (environment, shared files, SSO, container or instance roles). Local
// servers accept any static credentials, for instance
// credentials.NewStaticCredentialsProvider("test", "test", ""). For [Dial]
// and [NewClient].
func WithCredentials(p aws.CredentialsProvider) Option {
	return func(o *options) error {
		return o.client.SetCredentials("sqs", p)
	}
}

// WithRetryer replaces the SDK's standard retryer (3 attempts with
// exponential backoff, throttling and transient errors retried), for
// instance with retry.AddWithMaxAttempts(retry.NewStandard(), 5) or
// aws.NopRetryer{}. For [Dial] and [NewClient].
func WithRetryer(newRetryer func() aws.Retryer) Option {
	return func(o *options) error {
		return o.client.SetRetryer("sqs", newRetryer)
	}
}

// WithHTTPClient sets the HTTP client of the requests. It is set after the
// configuration is loaded, so it works where config.WithHTTPClient is
// refused (that one only takes the SDK's own client type when
// AWS_CA_BUNDLE is set). For [Dial] and [NewClient].
func WithHTTPClient(c aws.HTTPClient) Option {
	return func(o *options) error {
		return o.client.SetHTTPClient("sqs", c)
	}
}

// WithConfigOptions passes options to config.LoadDefaultConfig, for what
// the other options do not cover (a profile, an HTTP client, ...). For
// [Dial] and [NewClient].
func WithConfigOptions(fns ...func(*config.LoadOptions) error) Option {
	return func(o *options) error {
		o.client.AddLoadOptions(fns)
		return nil
	}
}

// NewClient builds an SQS client from the standard configuration chain
// (config.LoadDefaultConfig: environment, shared files, roles) adjusted by
// the options. Queue options ([WithMaxMessageSize]) are rejected.
func NewClient(ctx context.Context, opts ...Option) (*awssqs.Client, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.queueOnly != "" {
		return nil, fmt.Errorf("sqs: NewClient: %s configures a Queue, not a client", o.queueOnly)
	}
	return newClient(ctx, o, "")
}

// Dial builds a client as [NewClient] does and returns the queue at
// queueURL through it. Unless [WithRegion] says otherwise, the region is
// the queue URL's (https://sqs.REGION.amazonaws.com/...). For a queue URL
// on a host that is not AWS's, the endpoint defaults to the URL's scheme
// and host, and the region, when none is configured, to us-east-1, so that
//
//	sqs.Dial(ctx, "http://127.0.0.1:4566/000000000000/jobs")
//
// reaches a local server. Dial makes no request to the queue.
func Dial(ctx context.Context, queueURL string, opts ...Option) (*Queue, error) {
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	if _, err := queueNameFromURL(queueURL); err != nil {
		return nil, err
	}
	client, err := newClient(ctx, o, queueURL)
	if err != nil {
		return nil, err
	}
	return newQueue(client, queueURL, o)
}

func newClient(ctx context.Context, o options, queueURL string) (*awssqs.Client, error) {
	// A queue on AWS lives in its URL's region, whatever the environment
	// says; one elsewhere is reached at its URL's host.
	urlEndpoint, urlRegion := endpointFromQueueURL(queueURL)
	cfg, err := o.client.Load(ctx, "sqs", urlRegion, urlEndpoint)
	if err != nil {
		return nil, err
	}
	if o.client.HTTP == nil {
		cfg.HTTPClient = poolConnections(cfg.HTTPClient)
	}
	return awssqs.NewFromConfig(cfg, func(co *awssqs.Options) {
		co.BaseEndpoint = o.client.BaseEndpoint(co.BaseEndpoint, urlEndpoint)
	}), nil
}

// endpointFromQueueURL returns, for a queue URL on AWS, its region, and for
// one elsewhere, its scheme and host as an endpoint.
func endpointFromQueueURL(queueURL string) (endpoint, region string) {
	if queueURL == "" {
		return "", ""
	}
	u, err := url.Parse(queueURL)
	if err != nil || u.Host == "" {
		return "", ""
	}
	host := u.Hostname()
	if region, ok := awsHost(host); ok {
		return "", region
	}
	return u.Scheme + "://" + u.Host, ""
}

// awsHost reports whether host is an SQS host of AWS, and its region when
// the host names one: sqs.REGION.amazonaws.com (also .com.cn, and the
// legacy REGION.queue.amazonaws.com and queue.amazonaws.com).
func awsHost(host string) (region string, ok bool) {
	for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn", ".api.aws"} {
		rest, found := strings.CutSuffix(host, suffix)
		if !found {
			continue
		}
		switch {
		case rest == "queue":
			return "us-east-1", true
		case strings.HasPrefix(rest, "sqs."):
			return strings.TrimPrefix(rest, "sqs."), true
		case strings.HasSuffix(rest, ".queue"):
			return strings.TrimSuffix(rest, ".queue"), true
		}
		return "", true
	}
	return "", false
}
