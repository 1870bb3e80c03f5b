package protocol

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Body is a message body scanned once and decoded only on demand. [Decoder.Scan]
// classifies the body (SPEC §2) and validates a MEGA event without
// building it; [Body.Lookup] and [Body.LookupString] then read values of
// the document that patterns apply to (the normalized MEGA document, or
// the data document) straight from the body, and [Body.Message] decodes
// the whole message the first time it is called. So a consumer can decide
// which subscribers want a message before paying for its decoding.
//
// The zero Body is ready for Scan. Each Scan reuses the Body's buffers:
// the values Lookup and Message returned stay valid, the strings
// LookupString returned may not. A Body is not safe for concurrent use;
// give each goroutine its own.
type Body struct {
	dec  *Decoder
	body string
	kind Kind

	outer, inner tape
	t            *tape    // the tape holding the payload document, or nil
	root         int32    // the payload document on t
	sns          bool     // the body is an SNS envelope, at the root of outer
	mega         bool     // the document is a valid MEGA event on t
	rk           [5]int32 // the members of the document, by rootSlots
	ek           [7]int32 // a MEGA event's event members, by eventSlots
	ok           [5]int32 // a MEGA event's object members, by objectSlots
	env          [5]int32 // the outer document's envelope members
	outerKeys    bool     // rk and env hold the outer root's members
	txtTape      *tape    // a text payload that is a JSON string literal
	txt          string

	done bool // msg and err hold the decoded message
	msg  Message
	err  error
	doc  map[string]any // msg's normalized MEGA document, once built

	sbuf []byte // LookupString's escaped strings
	raw  []byte // a BSON body, decoded from base64
}

// Scan scans body into b and returns its kind, the kind [Decoder.Decode]
// gives it. The body is read as it is; it must not change while b is in
// use.
func (d *Decoder) Scan(body string, b *Body) Kind {
	// Clear b in place, keeping its buffers: building the new Body aside
	// would copy all of it twice.
	outer, inner, sbuf, raw := b.outer.toks, b.inner.toks, b.sbuf[:0], b.raw
	*b = Body{}
	b.dec, b.body, b.outer.toks, b.inner.toks, b.sbuf, b.raw = d, body, outer, inner, sbuf, raw
	b.kind = b.scan()
	return b.kind
}

// Reset drops what b refers to (the body, the decoded message), keeping
// its buffers for the next Scan, down to a reasonable size after a huge
// body: for a Body kept in a pool. What Message returned stays valid.
func (b *Body) Reset() { b.release() }

// release drops what b refers to, keeping its buffers, and returns the
// buffers to a reasonable size after a huge body.
func (b *Body) release() {
	const keep = 1 << 14
	if cap(b.outer.toks) > keep {
		b.outer.toks = nil
	}
	if cap(b.inner.toks) > keep {
		b.inner.toks = nil
	}
	if cap(b.raw) > keep {
		b.raw = nil
	}
	*b = Body{outer: tape{toks: b.outer.toks[:0]}, inner: tape{toks: b.inner.toks[:0]}, sbuf: b.sbuf[:0], raw: b.raw}
}

// Kind returns the kind of the scanned body.
func (b *Body) Kind() Kind { return b.kind }

// decoded records the message of the reference decoding, for bodies the
// scanner does not read itself (BSON of rare element types, malformed
// BSON, bodies over 2 GiB).
func (b *Body) decoded() Kind {
	b.t = nil
	b.msg, b.err = b.dec.decode(b.body, true)
	b.done = true
	return b.msg.Kind
}

func (b *Body) scan() Kind {
	body := b.body
	switch {
	case body == "":
		return KindText
	case len(body) > maxTape:
		return b.decoded() // beyond what a tape indexes, and SQS carries
	}
	if maybeJSON(body) && b.outer.scanJSON(body) {
		t := &b.outer
		switch t.toks[0].kind {
		case tObject:
			var f [envMessage + 1]int32
			t.members(0, &outerSlots, f[:])
			copy(b.rk[:], f[:envType])
			copy(b.env[:], f[envType:])
			b.outerKeys = true
			if b.envelope() {
				if b.dec.Verify != nil {
					// Verification needs the whole envelope, which the
					// reference decoding builds before it calls Verify.
					return b.decoded()
				}
				if t.str(b.env[0]) != "Notification" {
					return KindNone
				}
				return b.notification(t.str(b.env[4]))
			}
			return b.document(t, 0)
		case tString, tEscaped:
			b.txtTape = t
			return KindText
		}
		b.txt = body
		return KindText
	}
	if len(body)%4 == 0 {
		return b.bson(body, &b.outer)
	}
	b.txt = body
	return KindText
}

// bson scans a base64 body as a BSON document into t, or leaves it to the
// reference decoder when the scanner cannot read it.
func (b *Body) bson(s string, t *tape) Kind {
	n := base64.StdEncoding.DecodedLen(len(s))
	if cap(b.raw) < n {
		b.raw = make([]byte, n)
	}
	n, ok := decodeBase64(b.raw[:n], s)
	if !ok {
		b.txt = s
		return KindText
	}
	if !t.scanBSON(unsafe.String(unsafe.SliceData(b.raw), n)) {
		return b.decoded()
	}
	return b.document(t, 0)
}

// notification scans the message of an SNS notification, which is
// decoded like a body but never unwrapped again.
func (b *Body) notification(s string) Kind {
	if s == "" {
		return KindText
	}
	if maybeJSON(s) && b.inner.scanJSON(s) {
		switch b.inner.toks[0].kind {
		case tObject:
			return b.document(&b.inner, 0)
		case tString, tEscaped:
			b.txtTape = &b.inner
			return KindText
		}
		b.txt = s
		return KindText
	}
	if len(s)%4 == 0 {
		return b.bson(s, &b.inner)
	}
	b.txt = s
	return KindText
}

// envelope reports whether the outer document is an SNS envelope the
// decoder unwraps, as Decoder.envelope decides on the decoded document.
func (b *Body) envelope() bool {
	t := &b.outer
	f := b.env
	for _, i := range f {
		if i < 0 || !isStr(t, i) {
			return false
		}
	}
	switch t.str(f[0]) {
	case "Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation":
	default:
		return false
	}
	if d := b.dec; (len(d.TopicARNs) > 0 || d.TrustedOnly) && !TopicAllowed(d.TopicARNs, t.str(f[2])) {
		return false
	}
	b.sns = true
	return true
}

// The members looked up on every document, event and object, in one pass
// each. Their keys are numbered (the switch in members); a keySlots maps
// each number to the index+1 of the member in an array of a Body, or to
// 0. An outer document's members are those of a MEGA document followed by
// those of an SNS envelope (from envType on).

const (
	kOther = iota
	kProtocol
	kVersion
	kEvent
	kObject
	kExtra
	kType
	kMessageID
	kTopicARN
	kTimestamp
	kMessage
	kName
	kEventTimestamp
	kDomain
	kSubject
	kPublisher
	kAttributes
	kCurrent
	kPrevious
	kObjectType
	kID
	nKeys
)

type keySlots [nKeys]int8

var (
	rootSlots = keySlots{
		kProtocol: rProtocol + 1, kVersion: rVersion + 1, kEvent: rEvent + 1, kObject: rObject + 1, kExtra: rExtra + 1,
	}
	outerSlots = keySlots{
		kProtocol: rProtocol + 1, kVersion: rVersion + 1, kEvent: rEvent + 1, kObject: rObject + 1, kExtra: rExtra + 1,
		kType: envType + 1, kMessageID: envMessageID + 1, kTopicARN: envTopicARN + 1, kTimestamp: envTimestamp + 1, kMessage: envMessage + 1,
	}
	eventSlots = keySlots{
		kName: eName + 1, kEventTimestamp: eTimestamp + 1, kVersion: eVersion + 1, kDomain: eDomain + 1,
		kSubject: eSubject + 1, kPublisher: ePublisher + 1, kAttributes: eAttributes + 1,
	}
	objectSlots = keySlots{
		kCurrent: oCurrent + 1, kPrevious: oPrevious + 1, kObjectType: oType + 1, kID: oID + 1, kVersion: oVersion + 1,
	}
)

const (
	oCurrent = iota
	oPrevious
	oType
	oID
	oVersion
)

const (
	rProtocol = iota
	rVersion
	rEvent
	rObject
	rExtra
	envType // the SNS envelope's members follow a document's
	envMessageID
	envTopicARN
	envTimestamp
	envMessage
)

const (
	eName = iota
	eTimestamp
	eVersion
	eDomain
	eSubject
	ePublisher
	eAttributes
)

// document classifies the document at token r of t.
func (b *Body) document(t *tape, r int32) Kind {
	if t != &b.outer || r != 0 || !b.outerKeys {
		t.members(r, &rootSlots, b.rk[:])
	}
	b.t, b.root = t, r
	if !isMegaTape(t, b.rk[rProtocol], b.rk[rVersion]) {
		return KindData
	}
	if !b.validMega() {
		b.message() // the error says what is wrong
		return KindInvalid
	}
	b.mega = true
	return KindMega
}

// isMegaTape is IsMega on a tape, given the protocol and version members.
func isMegaTape(t *tape, p, v int32) bool {
	if p < 0 || !isStr(t, p) || t.str(p) != "mega" {
		return false
	}
	if v < 0 || !t.isNumber(v) {
		return false
	}
	if t.toks[v].kind == tNumber && t.text(v) == "1" {
		return true // as every encoder writes it
	}
	var buf [32]byte
	f, err := strconv.ParseFloat(t.numText(v, buf[:0]), 64)
	return err == nil && f == 1
}

func isStr(t *tape, i int32) bool {
	k := t.toks[i].kind
	return k == tString || k == tEscaped
}

// absent reports whether token i is missing or null.
func absent(t *tape, i int32) bool { return i < 0 || t.toks[i].kind == tNull }

// validMega reports whether parseMega would accept the document, without
// building anything: the same rules, read on the tape.
func (b *Body) validMega() bool {
	t := b.t
	ev := b.rk[rEvent]
	if absent(t, ev) || t.toks[ev].kind != tObject {
		return false
	}
	t.members(ev, &eventSlots, b.ek[:])
	name := b.ek[eName]
	if name < 0 || !isStr(t, name) || t.toks[name].start == t.toks[name].end {
		return false
	}
	ts := b.ek[eTimestamp]
	if ts < 0 || !isStr(t, ts) && t.toks[ts].kind != tTime {
		return false
	}
	var buf [64]byte
	if isStr(t, ts) {
		if !validTimestamp(t.strBuf(ts, buf[:0])) {
			return false
		}
	}
	if !validVersion(t, b.ek[eVersion]) ||
		!optional(t, b.ek[eDomain], isStr) ||
		!optional(t, b.ek[eSubject], isStr) ||
		!optional(t, b.ek[ePublisher], isStr) ||
		!optional(t, b.ek[eAttributes], isObject) ||
		!optional(t, b.rk[rExtra], isObject) {
		return false
	}
	o := b.rk[rObject]
	if absent(t, o) {
		return true
	}
	if !isObject(t, o) {
		return false
	}
	t.members(o, &objectSlots, b.ok[:])
	cur := b.ok[oCurrent]
	return cur >= 0 && isObject(t, cur) && t.toks[cur].n > 0 &&
		optional(t, b.ok[oPrevious], isObject) &&
		optional(t, b.ok[oType], isStr) &&
		optional(t, b.ok[oID], isStr) &&
		validVersion(t, b.ok[oVersion])
}

func isObject(t *tape, i int32) bool { return t.toks[i].kind == tObject }

// optional: missing, null, or of the kind ok accepts.
func optional(t *tape, i int32, ok func(*tape, int32) bool) bool {
	return absent(t, i) || ok(t, i)
}

func validVersion(t *tape, i int32) bool {
	_, ok := tapeVersion(t, i)
	return ok
}

// tapeVersion is validator.version on a tape: missing, null and 0 are 1.
func tapeVersion(t *tape, i int32) (int, bool) {
	if absent(t, i) {
		return 1, true
	}
	var n int
	var ok bool
	switch tk := &t.toks[i]; tk.kind {
	case tNumber:
		if tk.end-tk.start == 1 {
			// A single digit, as versions mostly are.
			n, ok = int(t.src[tk.start]-'0'), true
			break
		}
		n, ok = integer(t.text(i))
	case tInt32, tInt64, tDouble:
		if t.isNumber(i) {
			var buf [32]byte
			n, ok = integer(t.numText(i, buf[:0]))
		}
	case tString, tEscaped:
		var buf [64]byte
		s := t.strBuf(i, buf[:0])
		if ok = isIntegerText(s); ok {
			n, ok = integer(s)
		}
	}
	if !ok {
		return 1, false
	}
	if n == 0 {
		return 1, true
	}
	return n, true
}

// SNS returns the SNS envelope the payload was unwrapped from, or nil,
// without decoding the payload.
func (b *Body) SNS() *SNS {
	switch {
	case b.done:
		return b.msg.SNS
	case b.sns:
		return b.snsEnvelope()
	}
	return nil
}

// Message returns the decoded message, as [Decoder.Decode] returns it.
// The body is decoded on the first call, in one pass over the scan: maps
// and slices are sized from it and strings share the body's memory. A
// MEGA event's fields are read from the scan; only the documents its
// model holds as maps (attributes, object states, extra) are decoded.
func (b *Body) Message() (Message, error) {
	b.message()
	return b.msg, b.err
}

func (b *Body) message() {
	if b.done {
		return
	}
	b.done = true
	switch {
	case b.t != nil:
		if !b.t.shared {
			// A BSON body sits in a buffer the next scan reuses: copy it
			// once, and let the decoded strings share the copy.
			b.t.src, b.t.shared = strings.Clone(b.t.src), true
		}
		if b.mega {
			b.msg = Message{Payload: Payload{Kind: KindMega, Mega: b.megaEvent()}}
			break
		}
		doc := b.t.decode(b.root, true).(map[string]any)
		b.msg, b.err = document(doc)
	case b.kind == KindText:
		b.msg = Message{Payload: NewText(b.text())}
	}
	if b.sns {
		b.msg.SNS = b.snsEnvelope()
	}
}

// megaEvent builds the event of a document validMega accepted straight
// from the tape, as parseMega builds it from the decoded document: only
// the documents the model holds as maps (attributes, object states,
// extra) are decoded, and the normalized document is built when asked for.
func (b *Body) megaEvent() *Mega {
	t := b.t
	// The object, when there is one, comes in the same allocation.
	mo := new(struct {
		m Mega
		o Object
	})
	m := &mo.m
	ev := &m.Event
	ev.Name = t.str(b.ek[eName])
	if ts := b.ek[eTimestamp]; t.toks[ts].kind == tTime {
		ev.Timestamp = time.UnixMilli(int64(t.bits64(ts))).UTC()
	} else {
		ev.Timestamp, _ = parseTimestamp(t.str(ts))
	}
	ev.Version, _ = tapeVersion(t, b.ek[eVersion])
	for _, f := range [...]struct {
		i   int32
		dst *string
		bit fieldSet
	}{
		{b.ek[eDomain], &ev.Domain, hasDomain},
		{b.ek[eSubject], &ev.Subject, hasSubject},
		{b.ek[ePublisher], &ev.Publisher, hasPublisher},
	} {
		if !absent(t, f.i) {
			*f.dst = t.str(f.i)
			ev.present |= f.bit
		}
	}
	ev.Attributes = b.attributes()
	if o := b.rk[rObject]; !absent(t, o) {
		obj := &mo.o
		obj.Current = t.decode(b.ok[oCurrent], true).(map[string]any)
		if p := b.ok[oPrevious]; !absent(t, p) {
			obj.Previous = t.decode(p, true).(map[string]any)
		}
		if i := b.ok[oType]; !absent(t, i) {
			obj.Type = t.str(i)
			obj.present |= hasType
		}
		if i := b.ok[oID]; !absent(t, i) {
			obj.ID = t.str(i)
			obj.present |= hasID
		}
		obj.Version, _ = tapeVersion(t, b.ok[oVersion])
		m.Object = obj
	}
	if x := b.rk[rExtra]; !absent(t, x) {
		m.Extra = t.decode(x, true).(map[string]any)
	}
	return m
}

// attributes returns a valid MEGA event's attributes: event.attributes
// with the keys under event that the protocol does not define folded in,
// explicit attributes winning on a clash, as the validator folds them.
func (b *Body) attributes() map[string]any {
	t := b.t
	ev, at := b.rk[rEvent], b.ek[eAttributes]
	if absent(t, at) {
		at = -1
	}
	var extra int32
	j := ev + 1
	for range t.toks[ev].n {
		if !eventKeys[t.str(j)] {
			extra++
		}
		j = t.toks[j+1].next
	}
	if extra == 0 {
		if at < 0 {
			return map[string]any{}
		}
		return t.decode(at, true).(map[string]any)
	}
	var n int32
	if at >= 0 {
		n = t.toks[at].n
	}
	attrs := make(map[string]any, extra+n)
	j = ev + 1
	for range t.toks[ev].n {
		if k := t.str(j); !eventKeys[k] {
			attrs[k] = t.decode(j+1, true)
		}
		j = t.toks[j+1].next
	}
	j = at + 1
	for range n {
		attrs[t.str(j)] = t.decode(j+1, true)
		j = t.toks[j+1].next
	}
	return attrs
}

// text returns a text body's text: the string a JSON string literal
// holds, or the body (an SNS notification's message) as it is.
func (b *Body) text() string {
	if b.txtTape != nil {
		return b.txtTape.str(0)
	}
	return b.txt
}

func (b *Body) snsEnvelope() *SNS {
	t := &b.outer
	env := &SNS{
		Type:      t.str(t.member(0, "Type")),
		MessageID: t.str(t.member(0, "MessageId")),
		TopicARN:  t.str(t.member(0, "TopicArn")),
		Timestamp: t.str(t.member(0, "Timestamp")),
		Message:   t.str(t.member(0, "Message")),
	}
	for _, f := range [...]struct {
		key string
		dst *string
	}{
		{"Subject", &env.Subject},
		{"SignatureVersion", &env.SignatureVersion},
		{"Signature", &env.Signature},
		{"SigningCertURL", &env.SigningCertURL},
		{"UnsubscribeURL", &env.UnsubscribeURL},
		{"SubscribeURL", &env.SubscribeURL},
		{"Token", &env.Token},
	} {
		if s := t.member(0, f.key); s >= 0 && isStr(t, s) {
			*f.dst = t.str(s)
		}
	}
	if a := t.member(0, "MessageAttributes"); a >= 0 && isObject(t, a) {
		env.MessageAttributes = make(map[string]SNSAttribute, t.toks[a].n)
		j := a + 1
		for range t.toks[a].n {
			var attr SNSAttribute
			if v := j + 1; isObject(t, v) {
				if x := t.member(v, "Type"); x >= 0 && isStr(t, x) {
					attr.Type = t.str(x)
				}
				if x := t.member(v, "Value"); x >= 0 && isStr(t, x) {
					attr.Value = t.str(x)
				}
			}
			env.MessageAttributes[t.str(j)] = attr
			j = t.toks[j+1].next
		}
	}
	return env
}
