package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects a decoder accepts.
// It is the limit of encoding/json's own scanner, applied to BSON as well.
const MaxDepth = 10000

// ErrMalformed is wrapped by every error about a document that is not
// well-formed.
var ErrMalformed = errors.New("codec: malformed document")

// DecodeJSON parses one JSON value that spans data, up to surrounding
// whitespace, with numbers kept as json.Number. data must be valid UTF-8.
func DecodeJSON(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("%w: JSON text is not valid UTF-8", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON value", ErrMalformed)
	}
	return v, nil
}

// EncodeJSON writes v as compact JSON without escaping HTML characters.
// Doc values keep their key order; maps are written with sorted keys.
// The output is that of an encoding/json Encoder with SetEscapeHTML(false),
// less its final newline, written in one pass by [AppendJSON].
func EncodeJSON(v any) ([]byte, error) {
	return AppendJSON(make([]byte, 0, 512), v)
}

// Field is one key and value of a Doc.
type Field struct {
	Key   string
	Value any
}

// Doc is a document whose keys keep the order they were given in, in JSON
// and in BSON.
type Doc []Field

// MarshalJSON writes the fields in order.
func (d Doc) MarshalJSON() ([]byte, error) {
	return AppendJSON(nil, d)
}
