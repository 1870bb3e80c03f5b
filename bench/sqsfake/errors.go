package sqsfake

import (
	"fmt"
	"net/http"
)

// Error is an error reply of the SQS API. Handlers of the server produce
// them; an intercept function (see [Server.SetIntercept]) may return one to
// make the server answer with it.
type Error struct {
	// Code is the error shape of the SQS model, such as
	// "QueueDoesNotExist", "RequestThrottled" or "InvalidParameterValue".
	Code string
	// Message is the human-readable message.
	Message string
	// Status is the HTTP status; zero means the status the SQS model gives
	// the code (400 when the model does not know it).
	Status int
}

// Error implements error.
func (e *Error) Error() string { return "sqsfake: " + e.Code + ": " + e.Message }

// errorInfo is what the SQS model says about an error shape: its HTTP status,
// its legacy query-protocol code (sent in x-amzn-query-error) and whether the
// sender or the service is at fault.
type errorInfo struct {
	status    int
	queryCode string
	fault     string
}

// errorTable follows the awsQueryError traits of the SQS Smithy model.
var errorTable = map[string]errorInfo{
	"BatchEntryIdsNotDistinct":     {400, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Sender"},
	"BatchRequestTooLong":          {400, "AWS.SimpleQueueService.BatchRequestTooLong", "Sender"},
	"EmptyBatchRequest":            {400, "AWS.SimpleQueueService.EmptyBatchRequest", "Sender"},
	"InvalidAddress":               {404, "InvalidAddress", "Sender"},
	"InvalidAttributeName":         {400, "InvalidAttributeName", "Sender"},
	"InvalidAttributeValue":        {400, "InvalidAttributeValue", "Sender"},
	"InvalidBatchEntryId":          {400, "AWS.SimpleQueueService.InvalidBatchEntryId", "Sender"},
	"InvalidMessageContents":       {400, "InvalidMessageContents", "Sender"},
	"InvalidParameterValue":        {400, "InvalidParameterValue", "Sender"},
	"MissingParameter":             {400, "MissingParameter", "Sender"},
	"MessageNotInflight":           {400, "AWS.SimpleQueueService.MessageNotInflight", "Sender"},
	"OverLimit":                    {403, "OverLimit", "Sender"},
	"PurgeQueueInProgress":         {403, "AWS.SimpleQueueService.PurgeQueueInProgress", "Sender"},
	"QueueDoesNotExist":            {400, "AWS.SimpleQueueService.NonExistentQueue", "Sender"},
	"QueueNameExists":              {400, "QueueAlreadyExists", "Sender"},
	"ReceiptHandleIsInvalid":       {404, "ReceiptHandleIsInvalid", "Sender"},
	"RequestThrottled":             {400, "RequestThrottled", "Sender"},
	"TooManyEntriesInBatchRequest": {400, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "Sender"},
	"UnsupportedOperation":         {400, "AWS.SimpleQueueService.UnsupportedOperation", "Sender"},
	"InternalError":                {500, "InternalError", "Receiver"},
	"ServiceUnavailable":           {503, "ServiceUnavailable", "Receiver"},
}

// Shapes that the AWS JSON protocol reports in a coral namespace rather than
// the SQS one.
var coralErrors = map[string]bool{
	"SerializationException":    true,
	"UnknownOperationException": true,
}

func (e *Error) info() errorInfo {
	info, ok := errorTable[e.Code]
	if !ok {
		info = errorInfo{400, e.Code, "Sender"}
	}
	if e.Status != 0 {
		info.status = e.Status
	}
	if info.status >= 500 {
		info.fault = "Receiver"
	}
	return info
}

// typeName is the value of __type in the JSON error body.
func (e *Error) typeName() string {
	if coralErrors[e.Code] {
		return "com.amazon.coral.service#" + e.Code
	}
	return "com.amazonaws.sqs#" + e.Code
}

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

func errQueueDoesNotExist() *Error {
	return &Error{Code: "QueueDoesNotExist", Message: "The specified queue does not exist."}
}

func errInvalidParameter(format string, args ...any) *Error {
	return errorf("InvalidParameterValue", format, args...)
}

func errMissing(name string) *Error {
	return errorf("MissingParameter", "The request must contain the parameter %s.", name)
}

func internalError(err error) *Error {
	return &Error{Code: "InternalError", Message: err.Error(), Status: http.StatusInternalServerError}
}
