package protocol

import (
	"encoding/base64"
	"math"
	"unicode/utf8"

	"github.com/sqs-mega/sqs-mega-go/codec"
)

// MarshalJSON writes the message in the form `mega decode` prints:
//
//	{"kind": "mega"|"data"|"text"|"binary"|"none"|"invalid", "payload": …, "sns": {…}}
//
// The payload is the normalized MEGA document (timestamp in RFC 3339),
// the data document, the text, or {"$base64": …} for binary; it is left
// out for none and invalid. Text that is not valid UTF-8 is written as
// "payload_base64" instead, the standard base64 of its bytes. "sns" is there only when an envelope was
// unwrapped: {type, topic_arn, message_id, timestamp, subject (when the
// envelope has one)}.
func (m Message) MarshalJSON() ([]byte, error) {
	out := codec.Doc{{Key: "kind", Value: m.Kind.String()}}
	switch m.Kind {
	case KindMega:
		out = append(out, codec.Field{Key: "payload", Value: ordered(m.Document())})
	case KindData:
		out = append(out, codec.Field{Key: "payload", Value: m.Data})
	case KindText:
		if utf8.ValidString(m.Text) {
			out = append(out, codec.Field{Key: "payload", Value: m.Text})
		} else {
			out = append(out, codec.Field{Key: "payload_base64", Value: base64.StdEncoding.EncodeToString([]byte(m.Text))})
		}
	case KindBinary:
		out = append(out, codec.Field{Key: "payload", Value: map[string]string{"$base64": base64.StdEncoding.EncodeToString(m.Binary)}})
	}
	if s := m.SNS; s != nil {
		env := codec.Doc{
			{Key: "type", Value: s.Type},
			{Key: "topic_arn", Value: s.TopicARN},
			{Key: "message_id", Value: s.MessageID},
			{Key: "timestamp", Value: s.Timestamp},
		}
		if s.Subject != "" {
			env = append(env, codec.Field{Key: "subject", Value: s.Subject})
		}
		out = append(out, codec.Field{Key: "sns", Value: env})
	}
	b, err := codec.EncodeJSON(out)
	if err != nil {
		// JSON has no text for NaN and the infinities a BSON double may
		// hold: write them as strings rather than fail.
		return codec.EncodeJSON(finite(out))
	}
	return b, nil
}

// finite replaces NaN and infinite floats by their names.
func finite(v any) any {
	switch x := v.(type) {
	case float64:
		if math.IsNaN(x) {
			return "NaN"
		}
		if math.IsInf(x, 1) {
			return "Infinity"
		}
		if math.IsInf(x, -1) {
			return "-Infinity"
		}
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = finite(e)
		}
		return c
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = finite(e)
		}
		return c
	case codec.Doc:
		c := make(codec.Doc, len(x))
		for i, f := range x {
			c[i] = codec.Field{Key: f.Key, Value: finite(f.Value)}
		}
		return c
	}
	return v
}

// ordered writes a normalized MEGA document in the protocol's own key
// order, which reads better than the sorted order of a map.
func ordered(doc map[string]any) codec.Doc {
	pick := func(m map[string]any, keys ...string) codec.Doc {
		d := make(codec.Doc, 0, len(keys))
		for _, k := range keys {
			if v, ok := m[k]; ok {
				d = append(d, codec.Field{Key: k, Value: v})
			}
		}
		return d
	}
	out := pick(doc, "protocol", "version")
	if ev, ok := doc["event"].(map[string]any); ok {
		out = append(out, codec.Field{Key: "event", Value: pick(ev, "name", "timestamp", "version", "domain", "subject", "publisher", "attributes")})
	}
	if obj, ok := doc["object"].(map[string]any); ok {
		out = append(out, codec.Field{Key: "object", Value: pick(obj, "type", "id", "version", "current", "previous")})
	}
	return append(out, pick(doc, "extra")...)
}
