package protocol

import (
	"encoding/json"
	"strconv"
)

// Document value lookups.

type found uint8

const (
	missing  found = iota
	onTape         // the value is token i of the payload's tape
	computed       // the value is v
	whole          // the value needs the decoded document
)

// Lookup returns the value at path in the document patterns apply to: the
// normalized MEGA document ([Mega.Document]) or the data document; ok is
// false when a key on the way is missing or a value on the way is not an
// object. Values come from the body without decoding the rest of it;
// objects and arrays are decoded when asked for. For other kinds of
// body, every path is missing.
func (b *Body) Lookup(path []string) (any, bool) {
	i, v, f := b.find(path)
	switch f {
	case onTape:
		return b.t.decode(i, true), true
	case computed:
		return v, true
	case whole:
		return b.wholeLookup(path)
	}
	return nil, false
}

// LookupString is [Body.Lookup] for a string value: ok is false when the
// value is missing or not a string. It allocates nothing for a string
// without escape sequences; a string it returns may share memory with b
// and is valid until the next call.
func (b *Body) LookupString(path []string) (string, bool) {
	i, v, f := b.find(path)
	switch f {
	case onTape:
		if isStr(b.t, i) {
			return b.t.strInto(i, &b.sbuf), true
		}
	case computed:
		s, ok := v.(string)
		return s, ok
	case whole:
		v, ok := b.wholeLookup(path)
		s, isS := v.(string)
		return s, ok && isS
	}
	return "", false
}

func (b *Body) wholeLookup(path []string) (any, bool) {
	b.message()
	var v any
	switch b.msg.Kind {
	case KindMega:
		if b.doc == nil {
			b.doc = b.msg.Mega.Document()
		}
		v = b.doc
	case KindData:
		v = b.msg.Data
	default:
		return nil, false
	}
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

var (
	megaProtocol any = "mega"
	megaVersion  any = json.Number("1")
	smallInts        = func() (a [16]any) {
		for i := range a {
			a[i] = json.Number(strconv.Itoa(i))
		}
		return a
	}()
)

func versionValue(n int) any {
	if n >= 0 && n < len(smallInts) {
		return smallInts[n]
	}
	return json.Number(strconv.Itoa(n))
}

// find locates path in the payload document.
func (b *Body) find(path []string) (int32, any, found) {
	t := b.t
	switch {
	case t == nil && b.done:
		return -1, nil, whole // decoded by the reference decoder
	case t == nil || b.kind != KindMega && b.kind != KindData:
		return -1, nil, missing
	case !b.mega:
		if i := t.path(b.root, path); i >= 0 {
			return i, nil, onTape
		}
		return -1, nil, missing
	case len(path) < 2:
		if len(path) == 1 {
			switch path[0] {
			case "protocol":
				return -1, megaProtocol, computed
			case "version":
				return -1, megaVersion, computed
			case "event", "object", "extra":
				if path[0] == "object" && absent(t, b.rk[rObject]) {
					return -1, nil, missing
				}
				return -1, nil, whole
			}
			return -1, nil, missing
		}
		return -1, nil, whole
	}
	switch path[0] {
	case "event":
		ev := b.rk[rEvent]
		switch k := path[1]; k {
		case "name", "domain", "subject", "publisher":
			i := b.ek[eventField(k)]
			if absent(t, i) || len(path) > 2 {
				return -1, nil, missing
			}
			return i, nil, onTape
		case "timestamp", "version":
			if len(path) > 2 {
				return -1, nil, missing
			}
			i := b.ek[eventField(k)]
			if k == "version" {
				n, _ := tapeVersion(t, i)
				return -1, versionValue(n), computed
			}
			if t.toks[i].kind == tTime {
				return -1, t.bsonScalar(i), computed
			}
			ts, _ := parseTimestamp(t.str(i))
			return -1, ts, computed
		case "attributes":
			if len(path) == 2 {
				return -1, nil, whole
			}
			a := b.ek[eAttributes]
			i := int32(-1)
			if !absent(t, a) {
				i = t.member(a, path[2])
			}
			if i < 0 && !eventKeys[path[2]] {
				i = t.member(ev, path[2])
			}
			if i = t.path(i, path[3:]); i >= 0 {
				return i, nil, onTape
			}
		}
		return -1, nil, missing
	case "object":
		o := b.rk[rObject]
		if absent(t, o) {
			return -1, nil, missing
		}
		switch k := path[1]; k {
		case "type", "id", "current", "previous":
			i := b.ok[objectField(k)]
			if absent(t, i) {
				return -1, nil, missing
			}
			if i = t.path(i, path[2:]); i >= 0 {
				return i, nil, onTape
			}
		case "version":
			if len(path) == 2 {
				n, _ := tapeVersion(t, b.ok[oVersion])
				return -1, versionValue(n), computed
			}
		}
		return -1, nil, missing
	case "extra":
		e := b.rk[rExtra]
		if absent(t, e) {
			return -1, nil, missing
		}
		if i := t.path(e, path[1:]); i >= 0 {
			return i, nil, onTape
		}
	}
	return -1, nil, missing
}

func objectField(k string) int {
	switch k {
	case "current":
		return oCurrent
	case "previous":
		return oPrevious
	case "type":
		return oType
	}
	return oID
}

func eventField(k string) int {
	switch k {
	case "name":
		return eName
	case "timestamp":
		return eTimestamp
	case "version":
		return eVersion
	case "domain":
		return eDomain
	case "subject":
		return eSubject
	case "publisher":
		return ePublisher
	}
	return eAttributes
}

// IsObject reports whether the value at path, as [Body.Lookup] reads it,
// is an object, without decoding it.
func (b *Body) IsObject(path []string) bool {
	if b.mega {
		// The normalized event has these objects whatever the body holds
		// (attributes and extra default to {}).
		switch {
		case len(path) == 0,
			len(path) == 1 && (path[0] == "event" || path[0] == "extra"),
			len(path) == 2 && path[0] == "event" && path[1] == "attributes":
			return true
		case len(path) == 1 && path[0] == "object":
			return !absent(b.t, b.rk[rObject])
		}
	}
	i, _, f := b.find(path)
	switch f {
	case onTape:
		return b.t.toks[i].kind == tObject
	case whole:
		v, _ := b.wholeLookup(path)
		_, ok := v.(map[string]any)
		return ok
	}
	return false
}
