package protocol

import (
	"encoding/base64"
	internalarn "github.com/sqs-mega/sqs-mega-go/internal/arn"
	"sync"
	"time"
	"unsafe"

	"github.com/sqs-mega/sqs-mega-go/codec"
)

// Decoder decodes SQS message bodies (SPEC §2). The zero value is ready to
// use and unwraps SNS envelopes from any topic. A Decoder is safe for
// concurrent use as long as its fields are not changed.
type Decoder struct {
	// TopicARNs, when not empty, restricts SNS unwrapping to envelopes
	// from these topics; an envelope from another topic is a data payload
	// like any other document, since anybody can send an SNS-shaped body
	// to a queue. An entry may use the wildcards * and ? of the ArnLike
	// condition of a queue policy.
	TopicARNs []string
	// TrustedOnly makes TopicARNs the whole list of trusted topics even
	// when it is empty: with TrustedOnly and no TopicARNs, no envelope is
	// unwrapped. Consumers set it (SPEC §2, trust); inspection tools that
	// unwrap every envelope leave it unset.
	TrustedOnly bool
	// Verify, when set, is called with every envelope the topic rules
	// above would unwrap; an envelope for which it returns an error is not
	// unwrapped but decoded as the data document it is, like any forged
	// envelope (package protocol/snsverify checks SNS signatures). It is
	// called from Decode, by as many goroutines as call Decode, and must
	// not change the envelope.
	Verify func(*SNS) error
}

// Decode decodes a body with the zero Decoder.
func Decode(body string) (Message, error) {
	var d Decoder
	return d.Decode(body)
}

// Decode decodes one message body, in the order of SPEC §2:
//
//  1. valid UTF-8 that parses as JSON: an object is a MEGA event or a data
//     payload (an SNS notification envelope is unwrapped first), a JSON
//     string is the text it holds, any other JSON value is the body as text;
//  2. strict standard base64 (padded, no whitespace) of a well-formed BSON
//     document: a MEGA event or a data payload; other base64 is binary;
//  3. anything else is plain text.
//
// It never fails but for a document that carries the MEGA header and is
// not a valid MEGA event: the message then has KindInvalid and the error,
// a *ValidationError, lists every problem.
//
// A JSON body is scanned once and decoded from the scan, with every map
// and slice sized beforehand; its strings share the body's memory.
func (d *Decoder) Decode(body string) (Message, error) {
	b := bodies.Get().(*Body)
	d.Scan(body, b)
	m, err := b.Message()
	b.release()
	bodies.Put(b)
	return m, err
}

// bodies holds scan buffers for Decode.
var bodies = sync.Pool{New: func() any { return new(Body) }}

// decode is Decode through codec.DecodeJSON: the reference the scanner is
// tested against, and the decoder of bodies the scanner leaves (BSON).
func (d *Decoder) decode(body string, unwrap bool) (Message, error) {
	if body == "" {
		return Message{Payload: NewText("")}, nil
	}
	b := unsafe.Slice(unsafe.StringData(body), len(body)) // read-only
	if maybeJSON(body) {
		if v, err := codec.DecodeJSON(b); err == nil {
			switch v := v.(type) {
			case map[string]any:
				if unwrap {
					if env, msg, ok := d.envelope(v); ok {
						return d.unwrap(env, msg)
					}
				}
				return document(v)
			case string:
				return Message{Payload: NewText(v)}, nil
			default:
				return Message{Payload: NewText(body)}, nil
			}
		}
	}
	if isBase64(body) {
		raw, err := base64.StdEncoding.DecodeString(body)
		if err == nil {
			if doc, err := codec.DecodeBSON(raw); err == nil {
				return document(doc)
			}
			return Message{Payload: NewBinary(raw)}, nil
		}
	}
	return Message{Payload: NewText(body)}, nil
}

// maybeJSON is a cheap test that skips the JSON parser for bodies that
// cannot be JSON.
func maybeJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[', '"', '-', 't', 'f', 'n':
			return true
		default:
			return c >= '0' && c <= '9'
		}
	}
	return false
}

// isBase64 reports whether s is strict standard base64: the standard
// alphabet, a length that is a multiple of 4, '=' only as final padding,
// no whitespace. Like Python's b64decode(validate=True), the unused bits
// of the last character are not checked.
func isBase64(s string) bool {
	if len(s) == 0 || len(s)%4 != 0 {
		return false
	}
	pad := 0
	if s[len(s)-1] == '=' {
		pad++
		if s[len(s)-2] == '=' {
			pad++
		}
	}
	var bad byte
	for i := 0; i < len(s)-pad; i++ {
		bad |= notBase64[s[i]]
	}
	return bad == 0
}

// notBase64 is 1 for the bytes outside the standard base64 alphabet.
var notBase64 = func() (t [256]byte) {
	for c := range t {
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			t[c] = 1
		}
	}
	return t
}()

// document classifies a decoded document as MEGA (valid or not) or data.
func document(doc map[string]any) (Message, error) {
	if !IsMega(doc) {
		return Message{Payload: NewData(doc)}, nil
	}
	m, err := parseMega(doc, time.Time{})
	if err != nil {
		return Message{Payload: Payload{Kind: KindInvalid}}, err
	}
	return Message{Payload: Payload{Kind: KindMega, Mega: m}}, nil
}

// envelope reports whether doc is an SNS envelope this decoder unwraps:
// string Type, MessageId, TopicArn, Timestamp and Message, a Type of
// Notification, SubscriptionConfirmation or UnsubscribeConfirmation, a
// topic the decoder is not restricted away from, and, with Verify, a
// signature that verifies. It returns the envelope and the message it
// carries.
func (d *Decoder) envelope(doc map[string]any) (*SNS, string, bool) {
	var f [5]string
	for i, k := range [...]string{"Type", "MessageId", "TopicArn", "Timestamp", "Message"} {
		s, ok := doc[k].(string)
		if !ok {
			return nil, "", false
		}
		f[i] = s
	}
	switch f[0] {
	case "Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation":
	default:
		return nil, "", false
	}
	if (len(d.TopicARNs) > 0 || d.TrustedOnly) && !TopicAllowed(d.TopicARNs, f[2]) {
		return nil, "", false
	}
	env := &SNS{Type: f[0], MessageID: f[1], TopicARN: f[2], Timestamp: f[3], Message: f[4]}
	env.Subject, _ = doc["Subject"].(string)
	env.SignatureVersion, _ = doc["SignatureVersion"].(string)
	env.Signature, _ = doc["Signature"].(string)
	env.SigningCertURL, _ = doc["SigningCertURL"].(string)
	env.UnsubscribeURL, _ = doc["UnsubscribeURL"].(string)
	env.SubscribeURL, _ = doc["SubscribeURL"].(string)
	env.Token, _ = doc["Token"].(string)
	if attrs, ok := doc["MessageAttributes"].(map[string]any); ok {
		env.MessageAttributes = make(map[string]SNSAttribute, len(attrs))
		for k, a := range attrs {
			a, _ := a.(map[string]any)
			t, _ := a["Type"].(string)
			v, _ := a["Value"].(string)
			env.MessageAttributes[k] = SNSAttribute{Type: t, Value: v}
		}
	}
	if d.Verify != nil && d.Verify(env) != nil {
		return nil, "", false
	}
	return env, f[4], true
}

func (d *Decoder) unwrap(env *SNS, body string) (Message, error) {
	if env.Type != "Notification" {
		return Message{SNS: env}, nil
	}
	// A notification's message is decoded like a body, but an envelope
	// inside it is data: SNS does not nest envelopes.
	m, err := d.decode(body, false)
	m.SNS = env
	return m, err
}

// TopicAllowed reports whether the topic arn is one of allowed, where an
// allowed entry may use the wildcards * (any run of characters) and ? (one
// character), as the ArnLike condition of a queue policy does.
func TopicAllowed(allowed []string, arn string) bool { return internalarn.Allowed(allowed, arn) }
