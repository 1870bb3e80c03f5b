package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	mega "github.com/sqs-mega/sqs-mega-go"
	"github.com/sqs-mega/sqs-mega-go/transport/s3store"
)

// s3Store builds an S3 store from the flags that say how to reach AWS:
// --endpoint (path-style addressing on a local server) and --region.
func (a *awsFlags) s3Store(ctx context.Context) (*s3store.Store, error) {
	var opts []s3store.Option
	if a.endpoint != "" {
		opts = append(opts, s3store.WithEndpoint(a.endpoint))
	}
	if a.region != "" {
		opts = append(opts, s3store.WithRegion(a.region))
	}
	return s3store.Dial(ctx, opts...)
}

// publishS3 holds the large-payload flags of mega publish.
type publishS3 struct {
	bucket, prefix string
	always         bool
}

func (p *publishS3) add(fs *flag.FlagSet) {
	fs.StringVar(&p.bucket, "s3-bucket", "", "send bodies too large for the queue or topic through this S3 `bucket`, as the AWS extended clients do")
	fs.BoolVar(&p.always, "s3-always", false, "with --s3-bucket, send every body through S3")
	fs.StringVar(&p.prefix, "s3-key-prefix", "", "with --s3-bucket, put this `prefix` before the objects' keys")
}

// bodyLimit is the largest body accepted, given the destination's limit.
func (p *publishS3) bodyLimit(limit int) int {
	if p.bucket == "" {
		return limit
	}
	return mega.DefaultMaxPayloadSize
}

// options returns the publisher option that offloads large bodies, if
// --s3-bucket was given.
func (p *publishS3) options(ctx context.Context, aws *awsFlags) ([]mega.PublisherOption, error) {
	if p.bucket == "" {
		if p.always || p.prefix != "" {
			return nil, errors.New("--s3-always and --s3-key-prefix need --s3-bucket")
		}
		return nil, nil
	}
	store, err := aws.s3Store(ctx)
	if err != nil {
		return nil, err
	}
	return []mega.PublisherOption{mega.WithLargePayloads(mega.LargePayloads{
		Store: store, Bucket: p.bucket, Always: p.always, KeyPrefix: p.prefix,
	})}, nil
}

// resolver returns a resolver trusting buckets, or nil when there are
// none.
func (a *awsFlags) resolver(ctx context.Context, buckets []string) (*mega.Resolver, error) {
	if len(buckets) == 0 {
		return nil, nil
	}
	store, err := a.s3Store(ctx)
	if err != nil {
		return nil, err
	}
	return mega.NewResolver(store, mega.WithTrustedBuckets(buckets...))
}

// resolveBody resolves a large-payload pointer for mega decode, when
// buckets are given. It returns the body to decode, where it came from,
// and exitOK, or the exit status after printing the error.
func resolveBody(ctx context.Context, e *env, aws *awsFlags, buckets []string, body []byte) ([]byte, *mega.Offloaded, int) {
	r, err := aws.resolver(ctx, buckets)
	if err != nil {
		fmt.Fprintf(e.stderr, "mega decode: %v\n", err)
		return nil, nil, exitUsage
	}
	if r == nil {
		return body, nil, exitOK
	}
	resolved, ref, err := r.ResolveBody(ctx, string(body))
	if err != nil {
		fmt.Fprintf(e.stderr, "mega decode: %v\n", err)
		var pe *mega.PermanentError
		if errors.As(err, &pe) {
			return nil, nil, exitUndecode
		}
		return nil, nil, exitFailure
	}
	return []byte(resolved), ref, exitOK
}
