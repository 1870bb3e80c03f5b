package offload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Names of the wire form, as the extended clients write and read them.
const (
	// PointerClass is the first element of a pointer body: the Java class
	// name that payload-offloading-java-common-lib-for-aws serializes the
	// pointer under (Jackson's default typing, as a wrapper array).
	PointerClass = "software.amazon.payloadoffloading.PayloadS3Pointer"
	// LegacyPointerClass is the class name of the pointers written by
	// version 1 of amazon-sqs-java-extended-client-lib and by the Python
	// client in its legacy mode. It is read, never written.
	LegacyPointerClass = "com.amazon.sqs.javamessaging.MessageS3Pointer"
	// SizeAttribute is the message attribute (DataType Number) holding the
	// size in bytes of an offloaded body. The extended clients reserve it:
	// a message carrying it is offloaded, and they refuse to send
	// attributes of this name from their users.
	SizeAttribute = "ExtendedPayloadSize"
	// LegacySizeAttribute is the size attribute of older clients. It is
	// read, never written, and reserved like SizeAttribute.
	LegacySizeAttribute = "SQSLargePayloadSize"
	// SizeDataType is the DataType of the size attribute.
	SizeDataType = "Number"
)

// Limits of the names a pointer may carry.
const (
	// MaxKeyLen is the longest object key, in bytes (S3's limit).
	MaxKeyLen = 1024
	// maxBucketLen is the longest bucket name accepted: 63 for buckets
	// created today, 255 for the oldest ones of us-east-1.
	maxBucketLen = 255
	// maxPointerLen bounds the bodies ParsePointer looks at: a pointer
	// with the longest names, every character escaped, fits.
	maxPointerLen = 16 << 10
)

// Pointer names the object holding an offloaded body.
type Pointer struct {
	Bucket string
	Key    string
}

// Body returns the message body that points at p, exactly as the Java
// extended clients write it (compact JSON, no HTML escaping):
//
//	["software.amazon.payloadoffloading.PayloadS3Pointer",{"s3BucketName":"b","s3Key":"k"}]
func (p Pointer) Body() string {
	var b strings.Builder
	b.Grow(len(PointerClass) + len(p.Bucket) + len(p.Key) + 40)
	b.WriteString(`["` + PointerClass + `",{"s3BucketName":`)
	writeJSONString(&b, p.Bucket)
	b.WriteString(`,"s3Key":`)
	writeJSONString(&b, p.Key)
	b.WriteString("}]")
	return b.String()
}

func writeJSONString(b *strings.Builder, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

// Validate checks the bucket and key names: a bucket of 3 to 255 letters,
// digits, '.', '-' and '_' (S3's rules, with the leniency its oldest
// buckets need), and a key of 1 to [MaxKeyLen] bytes of UTF-8 without
// control characters.
func (p Pointer) Validate() error {
	if n := len(p.Bucket); n < 3 || n > maxBucketLen {
		return fmt.Errorf("%w: bucket name of %d characters", ErrMalformed, n)
	}
	for i := 0; i < len(p.Bucket); i++ {
		c := p.Bucket[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return fmt.Errorf("%w: bucket name %q", ErrMalformed, p.Bucket)
		}
	}
	if n := len(p.Key); n == 0 || n > MaxKeyLen {
		return fmt.Errorf("%w: object key of %d bytes", ErrMalformed, n)
	}
	if !utf8.ValidString(p.Key) {
		return fmt.Errorf("%w: object key is not UTF-8", ErrMalformed)
	}
	for _, r := range p.Key {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: object key %q has a control character", ErrMalformed, p.Key)
		}
	}
	return nil
}

// ParsePointer reads a pointer body. It is strict: the body is a JSON
// array (whitespace around tokens allowed, as the Python client writes
// it) of exactly two elements, the string [PointerClass] (or
// [LegacyPointerClass]) and an object with exactly the two string members
// s3BucketName and s3Key, each once, naming a valid bucket and key
// ([Pointer.Validate]). Anything else, however similar, fails with an
// error wrapping [ErrMalformed].
func ParsePointer(body string) (Pointer, error) {
	var p Pointer
	if len(body) > maxPointerLen {
		return p, fmt.Errorf("%w: a pointer body of %d bytes", ErrMalformed, len(body))
	}
	if !utf8.ValidString(body) {
		return p, fmt.Errorf("%w: a pointer body that is not UTF-8", ErrMalformed)
	}
	dec := json.NewDecoder(strings.NewReader(body))
	next := func() json.Token {
		t, err := dec.Token()
		if err != nil {
			return nil
		}
		return t
	}
	bad := func(what string) (Pointer, error) {
		return Pointer{}, fmt.Errorf("%w: not a pointer body: %s", ErrMalformed, what)
	}
	if next() != json.Delim('[') {
		return bad("not a JSON array")
	}
	switch next() {
	case PointerClass, LegacyPointerClass:
	default:
		return bad("the first element is not the pointer class")
	}
	if next() != json.Delim('{') {
		return bad("the second element is not an object")
	}
	var haveBucket, haveKey bool
	for range 2 {
		name, _ := next().(string)
		value, ok := next().(string)
		if !ok {
			return bad("a member that is not a string")
		}
		switch {
		case name == "s3BucketName" && !haveBucket:
			p.Bucket, haveBucket = value, true
		case name == "s3Key" && !haveKey:
			p.Key, haveKey = value, true
		default:
			return bad("members other than s3BucketName and s3Key")
		}
	}
	if next() != json.Delim('}') {
		return bad("members other than s3BucketName and s3Key")
	}
	if next() != json.Delim(']') {
		return bad("more than two elements")
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("text after the array")
	}
	if err := p.Validate(); err != nil {
		return Pointer{}, err
	}
	return p, nil
}

// FormatSize returns the value of the size attribute for a body of n
// bytes.
func FormatSize(n int64) string { return strconv.FormatInt(n, 10) }

// ParseSize reads a size attribute: a DataType of Number (or a custom
// Number type, "Number.x") and a value of decimal digits without sign,
// leading zeros, fraction or exponent.
func ParseSize(dataType, value string) (int64, error) {
	if dataType != SizeDataType && !strings.HasPrefix(dataType, SizeDataType+".") {
		return 0, fmt.Errorf("%w: size attribute of type %q, want %s", ErrMalformed, dataType, SizeDataType)
	}
	ok := value != "" && len(value) <= 18 && (value == "0" || value[0] != '0')
	for i := 0; ok && i < len(value); i++ {
		ok = '0' <= value[i] && value[i] <= '9'
	}
	if !ok {
		return 0, fmt.Errorf("%w: size attribute %q is not a byte count", ErrMalformed, value)
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: size attribute %q: %w", ErrMalformed, value, err)
	}
	return n, nil
}

// Markers of a receipt handle that carries a pointer.
const (
	bucketMarker = "-..s3BucketName..-"
	keyMarker    = "-..s3Key..-"
)

// EmbedReceiptHandle returns handle marked with p as the Java and Python
// SQS extended clients mark the receipt handles of offloaded messages, so
// that deleting by receipt handle alone can delete the object too:
//
//	-..s3BucketName..-<bucket>-..s3BucketName..--..s3Key..-<key>-..s3Key..-<handle>
func EmbedReceiptHandle(p Pointer, handle string) string {
	return bucketMarker + p.Bucket + bucketMarker + keyMarker + p.Key + keyMarker + handle
}

// SplitReceiptHandle undoes [EmbedReceiptHandle]: it returns the pointer
// and the queue's own receipt handle of a marked handle, and ok false for
// a handle that is not marked (the queue's handles never are). A marked
// handle must start with the bucket marker; the bucket and the key end at
// the next occurrence of their marker, as the extended clients read them.
func SplitReceiptHandle(h string) (p Pointer, handle string, ok bool) {
	rest, found := strings.CutPrefix(h, bucketMarker)
	if !found {
		return Pointer{}, h, false
	}
	bucket, rest, found := strings.Cut(rest, bucketMarker)
	if !found {
		return Pointer{}, h, false
	}
	rest, found = strings.CutPrefix(rest, keyMarker)
	if !found {
		return Pointer{}, h, false
	}
	key, handle, found := strings.Cut(rest, keyMarker)
	if !found || handle == "" {
		return Pointer{}, h, false
	}
	return Pointer{Bucket: bucket, Key: key}, handle, true
}
