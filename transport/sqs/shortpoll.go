package sqs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// withShortPoll makes a ReceiveMessage request carry WaitTimeSeconds 0.
//
// The SDK drops a zero WaitTimeSeconds from the request (the field is not a
// pointer: aws-sdk-go-v2 issue 1704), and SQS then waits for the queue's
// ReceiveMessageWaitTimeSeconds, up to 20 seconds, where the caller asked
// not to wait at all. This adds the field back to the serialized JSON
// request, before it is signed.
func withShortPoll(o *awssqs.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Serialize.Insert(shortPoll{}, "OperationSerializer", middleware.After)
	})
}

type shortPoll struct{}

func (shortPoll) ID() string { return "MegaShortPoll" }

func (shortPoll) HandleSerialize(ctx context.Context, in middleware.SerializeInput, next middleware.SerializeHandler) (middleware.SerializeOutput, middleware.Metadata, error) {
	req, ok := in.Request.(*smithyhttp.Request)
	if !ok || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-amz-json-") {
		return next.HandleSerialize(ctx, in) // another protocol: leave it alone
	}
	stream := req.GetStream()
	if stream == nil {
		return next.HandleSerialize(ctx, in)
	}
	body, err := io.ReadAll(stream)
	if err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("sqs: short poll: reading request: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("sqs: short poll: request is not a JSON object: %w", err)
	}
	if _, set := fields["WaitTimeSeconds"]; !set {
		fields["WaitTimeSeconds"] = json.RawMessage("0")
		if body, err = json.Marshal(fields); err != nil {
			return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("sqs: short poll: %w", err)
		}
	}
	r, err := req.SetStream(bytes.NewReader(body))
	if err != nil {
		return middleware.SerializeOutput{}, middleware.Metadata{}, fmt.Errorf("sqs: short poll: %w", err)
	}
	in.Request = r
	return next.HandleSerialize(ctx, in)
}
