package sqs

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// wrapErr prefixes an error returned by the SDK with the operation and adds
// the transport sentinel that classifies it, if any. The SDK error stays in
// the chain, so callers can still use errors.As with the SDK's types or
// smithy.APIError.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if kind := classify(err); kind != nil {
		return fmt.Errorf("sqs: %s: %w: %w", op, kind, err)
	}
	return fmt.Errorf("sqs: %s: %w", op, err)
}

// classify maps an SDK error to a transport sentinel, or nil. It looks only
// at error types and codes, never at messages.
func classify(err error) error {
	var (
		notFound       *types.QueueDoesNotExist
		badReceipt     *types.ReceiptHandleIsInvalid
		notInflight    *types.MessageNotInflight
		tooLong        *types.BatchRequestTooLong
		throttled      *types.RequestThrottled
		kmsThrottled   *types.KmsThrottled
		tooMany        *types.TooManyEntriesInBatchRequest
		empty          *types.EmptyBatchRequest
		notDistinct    *types.BatchEntryIdsNotDistinct
		badEntryID     *types.InvalidBatchEntryId
		badAttrName    *types.InvalidAttributeName
		badAttrValue   *types.InvalidAttributeValue
		badContents    *types.InvalidMessageContents
		badIDFormat    *types.InvalidIdFormat
		unsupportedOp  *types.UnsupportedOperation
		invalidAddress *types.InvalidAddress
	)
	switch {
	case errors.As(err, &notFound):
		return transport.ErrQueueNotFound
	case errors.As(err, &badReceipt), errors.As(err, &notInflight), errors.As(err, &badIDFormat):
		return transport.ErrReceiptInvalid
	case errors.As(err, &tooLong):
		return transport.ErrTooLarge
	case errors.As(err, &throttled), errors.As(err, &kmsThrottled):
		return transport.ErrThrottled
	case errors.As(err, &tooMany), errors.As(err, &empty), errors.As(err, &notDistinct),
		errors.As(err, &badEntryID), errors.As(err, &badAttrName), errors.As(err, &badAttrValue),
		errors.As(err, &badContents), errors.As(err, &unsupportedOp), errors.As(err, &invalidAddress):
		return transport.ErrInvalidRequest
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return classifyCode(apiErr.ErrorCode())
	}
	return nil
}

// classifyCode maps an error code that has no SDK type (or a batch entry's
// code) to a transport sentinel, or nil.
func classifyCode(code string) error {
	if _, ok := retry.DefaultThrottleErrorCodes[code]; ok {
		return transport.ErrThrottled
	}
	switch code {
	case "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue":
		return transport.ErrQueueNotFound
	case "ReceiptHandleIsInvalid", "MessageNotInflight", "InvalidIdFormat":
		return transport.ErrReceiptInvalid
	case "BatchRequestTooLong":
		return transport.ErrTooLarge
	case "KmsThrottled", "KMS.ThrottlingException":
		return transport.ErrThrottled
	case "InvalidParameterValue", "MissingParameter", "InvalidParameterCombination",
		"ValidationError", "InvalidAttributeName", "InvalidAttributeValue",
		"InvalidMessageContents", "UnsupportedOperation", "InvalidAddress",
		"TooManyEntriesInBatchRequest", "EmptyBatchRequest", "BatchEntryIdsNotDistinct",
		"InvalidBatchEntryId":
		return transport.ErrInvalidRequest
	}
	return nil
}

// entryErr turns the failure of one batch entry into an error: an
// *transport.EntryError, wrapping the transport sentinel its code maps to.
// receiptOp is true for entries that carry a receipt handle (Delete,
// ChangeVisibility), whose parameter errors mean the handle is no good.
func entryErr(code, message string, senderFault, receiptOp bool) error {
	e := &transport.EntryError{Code: code, Message: message, SenderFault: senderFault}
	kind := classifyCode(code)
	if receiptOp && code == "InvalidParameterValue" {
		// SQS reports a receipt handle whose message was deleted or whose
		// visibility expired as an invalid parameter: the handle is the only
		// parameter of the entry that is not checked before the request.
		kind = transport.ErrReceiptInvalid
	}
	if kind == nil {
		return e
	}
	return fmt.Errorf("%w: %w", kind, e)
}
