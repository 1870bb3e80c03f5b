package sns

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/aws/smithy-go"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// wrapErr prefixes an error returned by the SDK with the operation and adds
// the transport sentinel that classifies it, if any. The SDK error stays in
// the chain for errors.As.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if kind := classify(err); kind != nil {
		return fmt.Errorf("sns: %s: %w: %w", op, kind, err)
	}
	return fmt.Errorf("sns: %s: %w", op, err)
}

// classify maps an SDK error to a transport sentinel, or nil, by type and
// code, never by message.
func classify(err error) error {
	var (
		notFound     *types.NotFoundException
		tooLong      *types.BatchRequestTooLongException
		throttled    *types.ThrottledException
		kmsThrottled *types.KMSThrottlingException
		badParam     *types.InvalidParameterException
		badValue     *types.InvalidParameterValueException
		validation   *types.ValidationException
		empty        *types.EmptyBatchRequestException
		tooMany      *types.TooManyEntriesInBatchRequestException
		notDistinct  *types.BatchEntryIdsNotDistinctException
		badEntryID   *types.InvalidBatchEntryIdException
	)
	switch {
	case errors.As(err, &notFound):
		return transport.ErrQueueNotFound
	case errors.As(err, &tooLong):
		return transport.ErrTooLarge
	case errors.As(err, &throttled), errors.As(err, &kmsThrottled):
		return transport.ErrThrottled
	case errors.As(err, &badParam), errors.As(err, &badValue), errors.As(err, &validation),
		errors.As(err, &empty), errors.As(err, &tooMany), errors.As(err, &notDistinct), errors.As(err, &badEntryID):
		return transport.ErrInvalidRequest
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return classifyCode(apiErr.ErrorCode())
	}
	return nil
}

// classifyCode maps an error code without an SDK type (or a batch entry's
// code) to a transport sentinel, or nil.
func classifyCode(code string) error {
	if _, ok := retry.DefaultThrottleErrorCodes[code]; ok {
		return transport.ErrThrottled
	}
	switch code {
	case "NotFound":
		return transport.ErrQueueNotFound
	case "BatchRequestTooLong":
		return transport.ErrTooLarge
	case "Throttled", "KMSThrottling":
		return transport.ErrThrottled
	case "InvalidParameter", "InvalidParameterValue", "ParameterValueInvalid", "ValidationError",
		"MissingParameter", "EmptyBatchRequest", "TooManyEntriesInBatchRequest",
		"BatchEntryIdsNotDistinct", "InvalidBatchEntryId":
		return transport.ErrInvalidRequest
	}
	return nil
}

// entryErr turns the failure of one batch entry into an
// *transport.EntryError, wrapping the sentinel its code maps to.
func entryErr(code, message string, senderFault bool) error {
	e := &transport.EntryError{Code: code, Message: message, SenderFault: senderFault}
	if kind := classifyCode(code); kind != nil {
		return fmt.Errorf("%w: %w", kind, e)
	}
	return e
}
