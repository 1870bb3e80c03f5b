package protocol

import (
	"encoding/json"
	"strconv"
	"time"
)

// Kind says what a message body holds.
type Kind uint8

const (
	// KindNone: no payload (an SNS subscription or unsubscription
	// confirmation).
	KindNone Kind = iota
	// KindMega: a valid MEGA event.
	KindMega
	// KindData: a data payload, a document that is not a MEGA event.
	KindData
	// KindText: plain text.
	KindText
	// KindBinary: base64 of bytes that are not a BSON document.
	KindBinary
	// KindInvalid: a document detected as MEGA that fails validation. It
	// is a permanent error: such a message is never processed.
	KindInvalid
)

var kindNames = [...]string{"none", "mega", "data", "text", "binary", "invalid"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText writes the kind's name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Payload is the content of a message. Exactly one field beside Kind is
// meaningful, the one Kind names.
//
// A Payload is a value; share it between goroutines only for reading.
type Payload struct {
	Kind   Kind
	Mega   *Mega          // KindMega
	Data   map[string]any // KindData
	Text   string         // KindText
	Binary []byte         // KindBinary
}

// NewEvent returns a MEGA payload for ev, with optional object and extra
// data left empty; set them on the returned payload's Mega.
func NewEvent(ev Event) Payload {
	return Payload{Kind: KindMega, Mega: &Mega{Event: ev}}
}

// NewData returns a data payload. doc must not be nil.
func NewData(doc map[string]any) Payload { return Payload{Kind: KindData, Data: doc} }

// NewText returns a plain-text payload. Text passes through unchanged, so
// text that is itself JSON or base64 decodes as such on the other side.
func NewText(s string) Payload { return Payload{Kind: KindText, Text: s} }

// NewBinary returns a payload of bytes, sent as standard base64.
func NewBinary(b []byte) Payload { return Payload{Kind: KindBinary, Binary: b} }

// Document returns the document that patterns apply to: the normalized
// MEGA document for an event (see [Mega.Document]), the data document for
// a data payload, and nil otherwise. Treat it as read-only.
func (p *Payload) Document() map[string]any {
	switch p.Kind {
	case KindMega:
		if p.Mega != nil {
			return p.Mega.Document()
		}
	case KindData:
		return p.Data
	}
	return nil
}

// Message is a decoded message body: its payload and, when the body was
// an SNS notification delivered over SQS, the envelope it came in.
type Message struct {
	Payload
	// SNS is the envelope the payload was unwrapped from, or nil.
	SNS *SNS
}

// Mega is a MEGA event (protocol version 1).
type Mega struct {
	Event Event
	// Object is the state of the object the event is about, or nil.
	Object *Object
	// Extra holds data outside the event and the object.
	Extra map[string]any
}

// Event is the event part of a MEGA payload.
type Event struct {
	// Name is required.
	Name string
	// Timestamp is when the event happened; publishers set it to now (UTC)
	// when it is zero.
	Timestamp time.Time
	// Version of the event; 0 means 1.
	Version int
	// Domain, Subject and Publisher are optional; the empty string means
	// absent when publishing.
	Domain    string
	Subject   string
	Publisher string
	// Attributes of the event. Keys under "event" that the protocol does
	// not define are folded in here on decoding.
	Attributes map[string]any

	present fieldSet // optional strings present in a decoded document, even empty
}

// Object is the object part of a MEGA payload: the current state of what
// the event is about and, optionally, the previous one.
type Object struct {
	// Type and ID are optional.
	Type string
	ID   string
	// Version of the object; 0 means 1.
	Version int
	// Current is required and not empty.
	Current map[string]any
	// Previous is optional.
	Previous map[string]any

	present fieldSet
}

type fieldSet uint8

const (
	hasDomain fieldSet = 1 << iota
	hasSubject
	hasPublisher
	hasType
	hasID
)

func (s fieldSet) put(m map[string]any, bit fieldSet, key, v string) {
	if v != "" || s&bit != 0 {
		m[key] = v
	}
}

func version(v int) int {
	if v == 0 {
		return 1
	}
	return v
}

// Document returns the normalized MEGA document, the form patterns
// apply to and the one SPEC §1 describes: protocol and version, the event
// with its version defaulted to 1 and attributes to {}, the object (when
// present) with its version defaulted to 1, and extra (default {}). Numbers
// are json.Number, event.timestamp a time.Time, absent fields absent.
//
// It is built from the fields on each call (a decoder does not build it
// unless asked); the maps it shares with m (attributes, object states,
// extra) are read-only.
func (m *Mega) Document() map[string]any {
	ev := map[string]any{
		"name":       m.Event.Name,
		"timestamp":  m.Event.Timestamp,
		"version":    json.Number(strconv.Itoa(version(m.Event.Version))),
		"attributes": orEmpty(m.Event.Attributes),
	}
	m.Event.present.put(ev, hasDomain, "domain", m.Event.Domain)
	m.Event.present.put(ev, hasSubject, "subject", m.Event.Subject)
	m.Event.present.put(ev, hasPublisher, "publisher", m.Event.Publisher)
	doc := map[string]any{
		"protocol": "mega",
		"version":  json.Number("1"),
		"event":    ev,
		"extra":    orEmpty(m.Extra),
	}
	if o := m.Object; o != nil {
		obj := map[string]any{
			"version": json.Number(strconv.Itoa(version(o.Version))),
			"current": orEmpty(o.Current),
		}
		o.present.put(obj, hasType, "type", o.Type)
		o.present.put(obj, hasID, "id", o.ID)
		if o.Previous != nil {
			obj["previous"] = o.Previous
		}
		doc["object"] = obj
	}
	return doc
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// SNS is the envelope of an SNS notification delivered to an SQS queue
// without raw message delivery.
type SNS struct {
	// Type is Notification, SubscriptionConfirmation or
	// UnsubscribeConfirmation.
	Type      string
	MessageID string
	TopicARN  string
	// Subject is the notification's subject, empty when it has none.
	Subject string
	// Timestamp is the envelope's timestamp as written.
	Timestamp string
	// MessageAttributes are the SNS message attributes of the notification.
	MessageAttributes map[string]SNSAttribute

	// Message is the envelope's Message as written: the body a
	// notification carries, or the text of a confirmation.
	Message string
	// The fields below are what signature verification needs (see
	// package protocol/snsverify); each is empty when the envelope lacks
	// it. SignatureVersion is "1" (SHA1withRSA) or "2" (SHA256withRSA),
	// Signature the base64 signature, SigningCertURL where the signing
	// certificate is. Notifications carry UnsubscribeURL; confirmations
	// carry SubscribeURL and Token.
	SignatureVersion string
	Signature        string
	SigningCertURL   string
	UnsubscribeURL   string
	SubscribeURL     string
	Token            string
}

// SNSAttribute is an SNS message attribute as written in an envelope.
// Binary values are base64 text.
type SNSAttribute struct {
	Type  string
	Value string
}
