// Package awsconfig holds the client configuration that the options of
// the SQS and SNS transports set, and loads it into an aws.Config.
package awsconfig

import (
	"context"
	"fmt"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Config is what the client options set. Its setters check their
// argument and name the option, prefixed with the package (pkg), in their
// errors.
type Config struct {
	Endpoint string
	Region   string
	Creds    aws.CredentialsProvider
	Retryer  func() aws.Retryer
	HTTP     aws.HTTPClient
	LoadOpts []func(*config.LoadOptions) error

	// First is the name of the first option that set any of these, so
	// that a constructor that builds no client can refuse it.
	First string
}

func (c *Config) mark(option string) {
	if c.First == "" {
		c.First = option
	}
}

// SetEndpoint is WithEndpoint: an http or https URL.
func (c *Config) SetEndpoint(pkg, endpoint string) error {
	c.mark("WithEndpoint")
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: WithEndpoint(%q): want an http or https URL", pkg, endpoint)
	}
	c.Endpoint = endpoint
	return nil
}

// SetRegion is WithRegion.
func (c *Config) SetRegion(pkg, region string) error {
	c.mark("WithRegion")
	if region == "" {
		return fmt.Errorf("%s: WithRegion: empty region", pkg)
	}
	c.Region = region
	return nil
}

// SetCredentials is WithCredentials.
func (c *Config) SetCredentials(pkg string, p aws.CredentialsProvider) error {
	c.mark("WithCredentials")
	if p == nil {
		return fmt.Errorf("%s: WithCredentials: nil provider", pkg)
	}
	c.Creds = p
	return nil
}

// SetRetryer is WithRetryer.
func (c *Config) SetRetryer(pkg string, newRetryer func() aws.Retryer) error {
	c.mark("WithRetryer")
	if newRetryer == nil {
		return fmt.Errorf("%s: WithRetryer: nil function", pkg)
	}
	c.Retryer = newRetryer
	return nil
}

// SetHTTPClient is WithHTTPClient.
func (c *Config) SetHTTPClient(pkg string, client aws.HTTPClient) error {
	c.mark("WithHTTPClient")
	if client == nil {
		return fmt.Errorf("%s: WithHTTPClient: nil client", pkg)
	}
	c.HTTP = client
	return nil
}

// AddLoadOptions is WithConfigOptions.
func (c *Config) AddLoadOptions(fns []func(*config.LoadOptions) error) {
	c.mark("WithConfigOptions")
	c.LoadOpts = append(c.LoadOpts, fns...)
}

// Load loads the standard configuration chain (config.LoadDefaultConfig)
// adjusted by c. region, when c sets none, is the region of the resource
// the client is for: it wins over the environment's. When the client goes
// to a server that is not AWS (c's endpoint, or fallbackEndpoint) and no
// region is known, the region is us-east-1: local servers need one to
// sign for, any will do.
func (c *Config) Load(ctx context.Context, pkg, region, fallbackEndpoint string) (aws.Config, error) {
	load := append([]func(*config.LoadOptions) error(nil), c.LoadOpts...)
	switch {
	case c.Region != "":
		load = append(load, config.WithRegion(c.Region))
	case region != "":
		load = append(load, config.WithRegion(region))
	}
	if c.Creds != nil {
		load = append(load, config.WithCredentialsProvider(c.Creds))
	}
	if c.Retryer != nil {
		load = append(load, config.WithRetryer(c.Retryer))
	}
	cfg, err := config.LoadDefaultConfig(ctx, load...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("%s: loading AWS configuration: %w", pkg, err)
	}
	if c.HTTP != nil {
		cfg.HTTPClient = c.HTTP
	}
	if cfg.Region == "" && (c.Endpoint != "" || fallbackEndpoint != "") {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// BaseEndpoint returns the client's endpoint, given the one the loaded
// configuration set (nil for AWS's): c's endpoint wins, then the
// configured one, then fallback.
func (c *Config) BaseEndpoint(configured *string, fallback string) *string {
	switch {
	case c.Endpoint != "":
		return aws.String(c.Endpoint)
	case configured == nil && fallback != "":
		return aws.String(fallback)
	}
	return configured
}
