package sqs

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// SourcesAPI is the part of the SQS client that [DeadLetterSourceQueues]
// uses. *sqs.Client implements it and is safe for concurrent use.
type SourcesAPI interface {
	ListDeadLetterSourceQueues(ctx context.Context, in *awssqs.ListDeadLetterSourceQueuesInput, optFns ...func(*awssqs.Options)) (*awssqs.ListDeadLetterSourceQueuesOutput, error)
}

var _ SourcesAPI = (*awssqs.Client)(nil)

// DeadLetterSourceQueues returns the URLs of the queues whose redrive
// policy names the queue at dlqURL as their dead-letter queue, following
// every page of ListDeadLetterSourceQueues.
func DeadLetterSourceQueues(ctx context.Context, client SourcesAPI, dlqURL string) ([]string, error) {
	in := &awssqs.ListDeadLetterSourceQueuesInput{QueueUrl: aws.String(dlqURL), MaxResults: aws.Int32(1000)}
	var urls []string
	for {
		out, err := client.ListDeadLetterSourceQueues(ctx, in)
		if err != nil {
			return nil, wrapErr("ListDeadLetterSourceQueues", err)
		}
		urls = append(urls, out.QueueUrls...)
		if aws.ToString(out.NextToken) == "" {
			return urls, nil
		}
		in.NextToken = out.NextToken
	}
}

var _ transport.DeadLetterSourceLister = (*Queue)(nil)

// DeadLetterSources returns the queues whose redrive policy names this
// queue as their dead-letter queue, reached through the same client and
// options. It fails with an error wrapping [errors.ErrUnsupported] when
// the client given to [New] has no ListDeadLetterSourceQueues method
// (clients made by [Dial] and [NewClient] have it).
func (q *Queue) DeadLetterSources(ctx context.Context) ([]transport.Queue, error) {
	lister, ok := q.client.(SourcesAPI)
	if !ok {
		return nil, fmt.Errorf("sqs: ListDeadLetterSourceQueues: the client does not offer it: %w", errors.ErrUnsupported)
	}
	urls, err := DeadLetterSourceQueues(ctx, lister, q.url)
	if err != nil {
		return nil, err
	}
	out := make([]transport.Queue, 0, len(urls))
	for _, u := range urls {
		src, err := newQueue(q.client, u, q.opts)
		if err != nil {
			return nil, err
		}
		out = append(out, src)
	}
	return out, nil
}
