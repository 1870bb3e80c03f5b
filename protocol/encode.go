package protocol

import (
	"encoding/base64"
	"encoding/json"

	"fmt"
	"strconv"
	"time"

	"github.com/sqs-mega/sqs-mega-go/codec"
)

// MaxBodySize is the largest body Amazon SQS accepts: 1 MiB.
const MaxBodySize = 1 << 20

// Encoding is the wire format of data and MEGA payloads.
type Encoding uint8

const (
	// JSON text, the default.
	JSON Encoding = iota
	// BSON as standard base64, smaller for documents with many numbers or
	// binary-safe contents.
	BSON
)

func (e Encoding) String() string {
	if e == BSON {
		return "bson"
	}
	return "json"
}

// Encoder encodes payloads into message bodies. The zero value encodes
// JSON with the SQS size limit. An Encoder is safe for concurrent use as
// long as its fields are not changed.
type Encoder struct {
	Encoding Encoding
	// MaxSize is the largest body the encoder produces, in bytes; 0 means
	// MaxBodySize. Set it to a queue's MaximumMessageSize, less the size of
	// the message attributes you add.
	MaxSize int
}

// Encode encodes a payload with the zero Encoder.
func Encode(p Payload) (string, error) {
	var e Encoder
	return e.Encode(p)
}

// Encode returns the body for p: data and MEGA payloads in the encoder's
// encoding, text as is, bytes as standard base64. A MEGA event is
// validated first; its timestamp defaults to now (UTC) and its versions to
// 1. The body is refused with ErrTooLarge when it exceeds the limit, and
// with ErrNotPublishable or ErrInvalidPayload when no body would decode
// back to p.
func (e *Encoder) Encode(p Payload) (string, error) {
	var body string
	switch p.Kind {
	case KindText:
		body = p.Text
	case KindBinary:
		body = base64.StdEncoding.EncodeToString(p.Binary)
	case KindData:
		if p.Data == nil {
			return "", fmt.Errorf("%w: a data payload is a JSON object, not null", ErrNotPublishable)
		}
		if looksMega(p.Data) {
			return "", fmt.Errorf("%w: the data document has the MEGA header (protocol \"mega\", version 1) and would be read as an event: publish it as one (see ParseMega)", ErrNotPublishable)
		}
		b, err := e.document(p.Data)
		if err != nil {
			return "", err
		}
		body = b
	case KindMega:
		if p.Mega == nil {
			return "", fmt.Errorf("%w: a MEGA payload without its event", ErrNotPublishable)
		}
		doc, err := p.Mega.wire(time.Now().UTC())
		if err != nil {
			return "", err
		}
		b, err := e.document(doc)
		if err != nil {
			return "", err
		}
		body = b
	default:
		return "", fmt.Errorf("%w: a payload of kind %s", ErrNotPublishable, p.Kind)
	}
	max := e.MaxSize
	if max <= 0 {
		max = MaxBodySize
	}
	if len(body) > max {
		return "", fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(body), max)
	}
	return body, nil
}

func (e *Encoder) document(doc any) (string, error) {
	if e.Encoding == BSON {
		b, err := codec.EncodeBSON(doc)
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(b), nil
	}
	b, err := codec.EncodeJSON(doc)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// looksMega is IsMega for documents built in Go, whose version may be any
// number type.
func looksMega(doc map[string]any) bool {
	if doc["protocol"] != "mega" {
		return false
	}
	switch v := doc["version"].(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		return err == nil && f == 1
	case int:
		return v == 1
	case int32:
		return v == 1
	case int64:
		return v == 1
	case float64:
		return v == 1
	case float32:
		return v == 1
	case uint:
		return v == 1
	}
	return false
}

// wire returns the document a MEGA event is sent as: null and empty
// fields omitted, versions always written.
func (m *Mega) wire(now time.Time) (codec.Doc, error) {
	var errs []*FieldError
	if m.Event.Name == "" {
		errs = append(errs, &FieldError{Path: "event.name", Reason: "required"})
	}
	if m.Object != nil && len(m.Object.Current) == 0 {
		errs = append(errs, &FieldError{Path: "object.current", Reason: "required when object is present"})
	}
	if len(errs) > 0 {
		return nil, &ValidationError{Fields: errs}
	}
	ts := m.Event.Timestamp
	if ts.IsZero() {
		ts = now
	}
	ev := codec.Doc{
		{Key: "name", Value: m.Event.Name},
		{Key: "timestamp", Value: FormatTimestamp(ts)},
		{Key: "version", Value: version(m.Event.Version)},
	}
	ev = m.Event.present.add(ev, hasDomain, "domain", m.Event.Domain)
	ev = m.Event.present.add(ev, hasSubject, "subject", m.Event.Subject)
	ev = m.Event.present.add(ev, hasPublisher, "publisher", m.Event.Publisher)
	if len(m.Event.Attributes) > 0 {
		ev = append(ev, codec.Field{Key: "attributes", Value: m.Event.Attributes})
	}
	doc := codec.Doc{
		{Key: "protocol", Value: "mega"},
		{Key: "version", Value: 1},
		{Key: "event", Value: ev},
	}
	if o := m.Object; o != nil {
		var obj codec.Doc
		obj = o.present.add(obj, hasType, "type", o.Type)
		obj = o.present.add(obj, hasID, "id", o.ID)
		obj = append(obj, codec.Field{Key: "version", Value: version(o.Version)})
		obj = append(obj, codec.Field{Key: "current", Value: o.Current})
		if len(o.Previous) > 0 {
			obj = append(obj, codec.Field{Key: "previous", Value: o.Previous})
		}
		doc = append(doc, codec.Field{Key: "object", Value: obj})
	}
	if len(m.Extra) > 0 {
		doc = append(doc, codec.Field{Key: "extra", Value: m.Extra})
	}
	return doc, nil
}

func (s fieldSet) add(d codec.Doc, bit fieldSet, key, v string) codec.Doc {
	if v != "" || s&bit != 0 {
		d = append(d, codec.Field{Key: key, Value: v})
	}
	return d
}
