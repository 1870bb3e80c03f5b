package protocol

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// IsMega reports whether a document is a MEGA payload by its header:
// "protocol" is the string "mega" and "version" the number 1. Such a
// document is MEGA even when the rest of it is invalid.
func IsMega(doc map[string]any) bool {
	if doc["protocol"] != "mega" {
		return false
	}
	n, ok := doc["version"].(json.Number)
	if !ok {
		return false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return err == nil && f == 1
}

// ParseMega validates a MEGA document and returns the event it holds, with
// the defaults of SPEC §1 applied. It is the publisher's side of decoding:
// a missing event.timestamp means now (UTC). The error is a
// *ValidationError listing every problem. The document's numbers are
// json.Number, as the codec package decodes them.
func ParseMega(doc map[string]any) (*Mega, error) {
	return parseMega(doc, time.Now().UTC())
}

// parseMega builds a Mega from a document known to carry the MEGA header.
// A zero now makes event.timestamp required.
func parseMega(doc map[string]any, now time.Time) (*Mega, error) {
	var v validator
	m := &Mega{}
	evDoc, ok := v.object(doc, "event", "event", true)
	if ok && evDoc != nil {
		v.event(&m.Event, evDoc, now)
	}
	if obj, ok := v.object(doc, "object", "object", false); ok && obj != nil {
		m.Object = v.objectPart(obj)
	}
	if extra, ok := v.object(doc, "extra", "extra", false); ok {
		m.Extra = extra
	}
	if len(v.errs) > 0 {
		return nil, &ValidationError{Fields: v.errs}
	}
	return m, nil
}

type validator struct {
	errs []*FieldError
}

func (v *validator) fail(path, reason string) {
	v.errs = append(v.errs, &FieldError{Path: path, Reason: reason})
}

// object reads an optional (or required) object field; null is absent.
func (v *validator) object(doc map[string]any, key, path string, required bool) (map[string]any, bool) {
	x, ok := doc[key]
	if !ok || x == nil {
		if required {
			v.fail(path, "required")
			return nil, false
		}
		return nil, true
	}
	m, ok := x.(map[string]any)
	if !ok {
		v.fail(path, "must be an object, not "+typeName(x))
		return nil, false
	}
	return m, true
}

// str reads an optional string field; null is absent.
func (v *validator) str(doc map[string]any, key, path string) (s string, present bool) {
	x, ok := doc[key]
	if !ok || x == nil {
		return "", false
	}
	s, ok = x.(string)
	if !ok {
		v.fail(path, "must be a string or null, not "+typeName(x))
		return "", false
	}
	return s, true
}

// version reads an optional integer version; null and 0 mean 1. A numeric
// string of an integer is accepted; a number that is not an integer is not.
func (v *validator) version(doc map[string]any, key, path string) int {
	x, ok := doc[key]
	if !ok || x == nil {
		return 1
	}
	var n int
	switch x := x.(type) {
	case json.Number:
		n, ok = integer(string(x))
	case string:
		n, ok = 0, isIntegerText(x)
		if ok {
			n, ok = integer(x)
		}
	default:
		ok = false
	}
	if !ok {
		v.fail(path, "must be an integer, not "+describe(x))
		return 1
	}
	if n == 0 {
		return 1
	}
	return n
}

func isIntegerText(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// integer parses an integer-valued decimal ("2", "2.0", "2e1").
func integer(s string) (int, bool) {
	if i, err := strconv.Atoi(s); err == nil {
		return i, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return int(f), true
}

var eventKeys = map[string]bool{
	"name": true, "timestamp": true, "version": true, "domain": true,
	"subject": true, "publisher": true, "attributes": true,
}

func (v *validator) event(ev *Event, doc map[string]any, now time.Time) {
	switch name := doc["name"].(type) {
	case nil:
		v.fail("event.name", "required")
	case string:
		if name == "" {
			v.fail("event.name", "must not be empty")
		}
		ev.Name = name
	default:
		v.fail("event.name", "must be a string, not "+typeName(name))
	}

	switch ts := doc["timestamp"].(type) {
	case nil:
		if now.IsZero() {
			v.fail("event.timestamp", "required")
		}
		ev.Timestamp = now
	case string:
		t, ok := parseTimestamp(ts)
		if !ok {
			v.fail("event.timestamp", "must be an ISO-8601 date-time (YYYY-MM-DDThh:mm[:ss[.fraction]][Z|±hh:mm]), not "+strconv.Quote(ts))
		}
		ev.Timestamp = t
	case time.Time:
		ev.Timestamp = ts
	default:
		v.fail("event.timestamp", "must be a date-time string, not "+typeName(ts))
	}

	ev.Version = v.version(doc, "version", "event.version")
	var ok bool
	if ev.Domain, ok = v.str(doc, "domain", "event.domain"); ok {
		ev.present |= hasDomain
	}
	if ev.Subject, ok = v.str(doc, "subject", "event.subject"); ok {
		ev.present |= hasSubject
	}
	if ev.Publisher, ok = v.str(doc, "publisher", "event.publisher"); ok {
		ev.present |= hasPublisher
	}

	attrs, _ := v.object(doc, "attributes", "event.attributes", false)
	var extra int
	for k := range doc {
		if !eventKeys[k] {
			extra++
		}
	}
	if extra > 0 {
		// Keys the protocol does not define are attributes; explicit
		// attributes win on a clash. The decoded document is not changed.
		folded := make(map[string]any, len(attrs)+extra)
		for k, x := range doc {
			if !eventKeys[k] {
				folded[k] = x
			}
		}
		for k, x := range attrs {
			folded[k] = x
		}
		attrs = folded
	}
	if attrs == nil {
		attrs = map[string]any{}
	}
	ev.Attributes = attrs
}

func (v *validator) objectPart(doc map[string]any) *Object {
	o := &Object{}
	if cur, ok := v.object(doc, "current", "object.current", true); ok {
		if len(cur) == 0 {
			v.fail("object.current", "must not be empty")
		}
		o.Current = cur
	}
	if prev, ok := v.object(doc, "previous", "object.previous", false); ok {
		o.Previous = prev
	}
	var ok bool
	if o.Type, ok = v.str(doc, "type", "object.type"); ok {
		o.present |= hasType
	}
	if o.ID, ok = v.str(doc, "id", "object.id"); ok {
		o.present |= hasID
	}
	o.Version = v.version(doc, "version", "object.version")
	return o
}

func typeName(x any) string {
	switch x.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	case time.Time:
		return "a date-time"
	case []byte:
		return "binary data"
	}
	return "a value of another type"
}

func describe(x any) string {
	switch x := x.(type) {
	case string:
		return strconv.Quote(x)
	case json.Number:
		return string(x)
	}
	return typeName(x)
}
