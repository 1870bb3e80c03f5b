package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"

	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

// awsFlags are the flags that say how to reach AWS.
type awsFlags struct {
	endpoint, region string
	// creds are the credentials found by checkCredentials, shared by
	// every client the command makes so that they are looked up once;
	// credErr says why there are none.
	creds   aws.CredentialsProvider
	credErr error
	checked bool
}

func (a *awsFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&a.endpoint, "endpoint", "", "send requests to this SQS/SNS-compatible server (LocalStack, moto) instead of AWS")
	fs.StringVar(&a.region, "region", "", "AWS region (default: the queue's or topic's, else the configured one)")
}

// credentialsTimeout bounds the lookup of credentials: the chain ends in
// the instance metadata service, which does not answer off AWS.
const credentialsTimeout = 10 * time.Second

// errNoCredentials is what a command says when the configuration chain
// yields no credentials: once, instead of a warning per request retried.
var errNoCredentials = errors.New("no usable AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE (against a local server with --endpoint, any values do)")

// checkCredentials finds the credentials of the standard configuration
// chain once, before any request, so that a machine without any fails at
// once with one clear line.
func (a *awsFlags) checkCredentials(ctx context.Context) error {
	if !a.checked {
		a.checked = true
		a.creds, a.credErr = findCredentials(ctx, a.region)
	}
	return a.credErr
}

func findCredentials(ctx context.Context, region string) (aws.CredentialsProvider, error) {
	ctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	load := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{}), config.WithClientLogMode(0)}
	if region != "" {
		load = append(load, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Credentials == nil {
		return nil, errNoCredentials
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w (looking them up took over %v)", errNoCredentials, credentialsTimeout)
	case err != nil && credentialsConfigured():
		// Credentials are configured but do not work (an expired SSO
		// session, a role that cannot be assumed): the cause matters.
		return nil, fmt.Errorf("the AWS credentials configured cannot be used: %w", err)
	case err != nil || !creds.HasKeys():
		return nil, errNoCredentials
	}
	return cfg.Credentials, nil
}

// credentialsConfigured reports whether the environment or the shared
// credentials file names credentials, as opposed to a machine with none.
func credentialsConfigured() bool {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		if os.Getenv(k) != "" {
			return true
		}
	}
	file := os.Getenv("AWS_SHARED_CREDENTIALS_FILE")
	if file == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return false
		}
		file = filepath.Join(home, ".aws", "credentials")
	}
	_, err := os.Stat(file)
	return err == nil
}

// credentials returns the provider every client of the command shares:
// the credentials found, or, when there are none, one that fails every
// request at once with the reason (no lookup, and no warning, per request).
func (a *awsFlags) credentials() aws.CredentialsProvider {
	if err := a.checkCredentials(context.Background()); err != nil {
		return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return aws.Credentials{}, err })
	}
	return a.creds
}

func (a *awsFlags) sqsOptions() []sqs.Option {
	var opts []sqs.Option
	if a.endpoint != "" {
		opts = append(opts, sqs.WithEndpoint(a.endpoint))
	}
	if a.region != "" {
		opts = append(opts, sqs.WithRegion(a.region))
	}
	return append(opts, sqs.WithCredentials(a.credentials()))
}

func (a *awsFlags) snsOptions() []sns.Option {
	var opts []sns.Option
	if a.endpoint != "" {
		opts = append(opts, sns.WithEndpoint(a.endpoint))
	}
	if a.region != "" {
		opts = append(opts, sns.WithRegion(a.region))
	}
	return append(opts, sns.WithCredentials(a.credentials()))
}

// dialQueue checks the credentials and that the queue exists, so that a
// wrong URL is named as such before anything else happens.
func (a *awsFlags) dialQueue(ctx context.Context, queueURL string) (*sqs.Queue, transport.QueueInfo, error) {
	if err := a.checkCredentials(ctx); err != nil {
		return nil, transport.QueueInfo{}, err
	}
	q, err := sqs.Dial(ctx, queueURL, a.sqsOptions()...)
	if err != nil {
		return nil, transport.QueueInfo{}, err
	}
	info, err := q.Describe(ctx)
	if err != nil {
		return nil, transport.QueueInfo{}, queueErr(queueURL, err)
	}
	return q, info, nil
}

// queueErr names a missing queue as one.
func queueErr(queueURL string, err error) error {
	if errors.Is(err, transport.ErrQueueNotFound) {
		return fmt.Errorf("the SQS queue %s does not exist (or is in another account or region)", queueURL)
	}
	return err
}

// topicErr names a missing topic as one: SNS and the transport call it
// not found, as they do queues.
func topicErr(topicARN string, err error) error {
	if errors.Is(err, transport.ErrQueueNotFound) {
		return fmt.Errorf("the SNS topic %s does not exist (or is in another account or region)", topicARN)
	}
	return err
}

// queueClientOptions are the options of an SQS client for the queue at
// queueURL, as sqs.Dial would make it: in the URL's region, and to the
// URL's host when it is not AWS's.
func (a *awsFlags) queueClientOptions(queueURL string) []sqs.Option {
	opts := a.sqsOptions()
	u, err := url.Parse(queueURL)
	if err != nil || u.Host == "" {
		return opts
	}
	host := u.Hostname()
	if region, ok := strings.CutPrefix(host, "sqs."); ok && strings.HasSuffix(region, ".amazonaws.com") {
		if a.region == "" {
			opts = append(opts, sqs.WithRegion(strings.TrimSuffix(region, ".amazonaws.com")))
		}
		return opts
	}
	if a.endpoint == "" {
		opts = append(opts, sqs.WithEndpoint(u.Scheme+"://"+u.Host))
	}
	return opts
}

// topicClientOptions are the options of an SNS client for the topic: in
// its region, as sns.Dial would make it.
func (a *awsFlags) topicClientOptions(topicARN string) []sns.Option {
	opts := a.snsOptions()
	if parsed, err := arn.Parse(topicARN); err == nil && a.region == "" && parsed.Region != "" {
		opts = append(opts, sns.WithRegion(parsed.Region))
	}
	return opts
}
