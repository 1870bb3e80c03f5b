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
)

// An Option configures a [Queue] ([New], [Dial]) or the client [Dial] and
// [NewClient] build. Options are applied once, by the constructor; an
// Option value may be reused and shared.
type Option func(*options) error

type options struct {
	maxSize   int
	queueOnly string // name of the first option that configures a Queue

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
		o.markDial("WithEndpoint")
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("sqs: WithEndpoint(%q): want an http or https URL", endpoint)
		}
		o.endpoint = endpoint
		return nil
	}
}

// WithRegion sets the AWS region, overriding the environment and shared
// configuration. For [Dial] and [NewClient].
func WithRegion(region string) Option {
	return func(o *options) error {
		o.markDial("WithRegion")
		if region == "" {
			return errors.New("sqs: WithRegion: empty region")
		}
		o.region = region
		return nil
	}
}

// WithCredentials sets the credentials, instead of the standard chain
// (environment, shared files, SSO, container or instance roles). Local
// servers accept any static credentials, for instance
// credentials.NewStaticCredentialsProvider("test", "test", ""). For [Dial]
// and [NewClient].
func WithCredentials(p aws.CredentialsProvider) Option {
	return func(o *options) error {
		o.markDial("WithCredentials")
		if p == nil {
			return errors.New("sqs: WithCredentials: nil provider")
		}
		o.creds = p
		return nil
	}
}

// WithRetryer replaces the SDK's standard retryer (3 attempts with
// exponential backoff, throttling and transient errors retried), for
// instance with retry.AddWithMaxAttempts(retry.NewStandard(), 5) or
// aws.NopRetryer{}. For [Dial] and [NewClient].
func WithRetryer(newRetryer func() aws.Retryer) Option {
	return func(o *options) error {
		o.markDial("WithRetryer")
		if newRetryer == nil {
			return errors.New("sqs: WithRetryer: nil function")
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
			return errors.New("sqs: WithHTTPClient: nil client")
		}
		o.http = c
		return nil
	}
}

// WithConfigOptions passes options to config.LoadDefaultConfig, for what
// the other options do not cover (a profile, an HTTP client, ...). For
// [Dial] and [NewClient].
func WithConfigOptions(fns ...func(*config.LoadOptions) error) Option {
	return func(o *options) error {
		o.markDial("WithConfigOptions")
		o.loadOpts = append(o.loadOpts, fns...)
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
	urlEndpoint, urlRegion := endpointFromQueueURL(queueURL)
	load := append([]func(*config.LoadOptions) error(nil), o.loadOpts...)
	switch {
	case o.region != "":
		load = append(load, config.WithRegion(o.region))
	case urlRegion != "":
		// The queue lives in its URL's region, whatever the environment says.
		load = append(load, config.WithRegion(urlRegion))
	}
	if o.creds != nil {
		load = append(load, config.WithCredentialsProvider(o.creds))
	}
	if o.retryer != nil {
		load = append(load, config.WithRetryer(o.retryer))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("sqs: loading AWS configuration: %w", err)
	}
	if o.http != nil {
		cfg.HTTPClient = o.http
	}
	endpoint := o.endpoint
	if cfg.Region == "" && (endpoint != "" || urlEndpoint != "") {
		cfg.Region = "us-east-1" // local servers need a region to sign for, any will do
	}
	return awssqs.NewFromConfig(cfg, func(co *awssqs.Options) {
		switch {
		case endpoint != "":
			co.BaseEndpoint = aws.String(endpoint)
		case co.BaseEndpoint == nil && urlEndpoint != "":
			co.BaseEndpoint = aws.String(urlEndpoint)
		}
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
