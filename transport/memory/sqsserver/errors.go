package sqsserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/sqs-mega/sqs-mega-go/transport"
)

// Error is an error answer of the SQS API. The server answers with one
// when a request fails; a handler in front of a [Server] (one injecting
// faults, say) writes its own with [WriteError]. It is plain data.
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
func (e *Error) Error() string { return "sqsserver: " + e.Code + ": " + e.Message }

// errorInfo is what the SQS model says about an error shape: its HTTP
// status, its legacy query-protocol code (sent in x-amzn-query-error,
// which SDKs read as the error code) and whether the sender or the
// service is at fault.
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

// Shapes that the AWS JSON protocol reports in a coral namespace rather
// than the SQS one.
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

// senderFault reports whether the client is to blame, as batch entries
// say in SenderFault.
func (e *Error) senderFault() bool { return e.info().fault == "Sender" }

// WriteError writes e as SQS does in the AWS JSON 1.0 protocol: the HTTP
// status of its code, a body {"__type": "com.amazonaws.sqs#<Code>",
// "message": ...}, and the x-amzn-query-error header with the legacy
// code, from which SDKs take the error code.
func WriteError(w http.ResponseWriter, e *Error) {
	info := e.info()
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}{e.typeName(), e.Message})
	h := w.Header()
	h.Set("X-Amzn-Query-Error", info.queryCode+";"+info.fault)
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	h["X-Amzn-Requestid"] = []string{newRequestID()}
	w.WriteHeader(info.status)
	w.Write(b)
}

// codes maps the errors of the memory transport to SQS error codes: an
// error carrying a *transport.EntryError takes its code; the others are
// classified by the sentinel they wrap, in this order.
var codes = []struct {
	err  error
	code string
}{
	{transport.ErrQueueNotFound, "QueueDoesNotExist"},
	{transport.ErrReceiptInvalid, "ReceiptHandleIsInvalid"},
	{transport.ErrTooLarge, "BatchRequestTooLong"},
	{transport.ErrInvalidRequest, "InvalidParameterValue"},
	{transport.ErrThrottled, "RequestThrottled"},
	{transport.ErrClosed, "ServiceUnavailable"},
	{context.Canceled, "RequestCanceled"},
	{context.DeadlineExceeded, "RequestCanceled"},
}

// apiError turns an error of the memory transport into the SQS error the
// wire carries.
func apiError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	var entry *transport.EntryError
	if errors.As(err, &entry) {
		return &Error{Code: entry.Code, Message: entry.Message}
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			if c.code == "QueueDoesNotExist" {
				return errQueueDoesNotExist()
			}
			return &Error{Code: c.code, Message: err.Error()}
		}
	}
	return &Error{Code: "InternalError", Message: err.Error(), Status: http.StatusInternalServerError}
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
