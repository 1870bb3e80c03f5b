package match

import (
	"slices"

	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// Source reads a document by path without the document having to be
// decoded first, such as a [protocol.Body] reading a message body. Its
// document is an object. A path is a sequence of object keys; a value is
// missing when a key on the way is missing or a value on the way is not
// an object. Values are of the types [Matcher.Match] takes.
//
// Implementations must not keep a path slice after the call returns.
type Source interface {
	// Lookup returns the value at path, and whether it is present.
	Lookup(path []string) (any, bool)
	// LookupString returns the string at path; ok is false when the
	// value is missing or not a string. The string needs to stay valid
	// only until the next call of a method of the Source.
	LookupString(path []string) (s string, ok bool)
	// IsObject reports whether the value at path is an object.
	IsObject(path []string) bool
}

// target is the document a Set matches: a decoded document, or a Source.
// A protocol.Body is called directly, not through the interface, so that
// the paths built on the stack to read it stay there.
type target struct {
	doc  any
	src  Source
	body *protocol.Body
}

func newTarget(src Source) target {
	if b, ok := src.(*protocol.Body); ok && b != nil {
		return target{src: src, body: b}
	}
	return target{src: src}
}

func (t *target) lookup(path []string) (any, bool) {
	if t.body != nil {
		return t.body.Lookup(path)
	}
	return t.src.Lookup(slices.Clone(path))
}

func (t *target) lookupString(path []string) (string, bool) {
	if t.body != nil {
		return t.body.LookupString(path)
	}
	return t.src.LookupString(slices.Clone(path))
}

func (t *target) isObject(path []string) bool {
	if t.body != nil {
		return t.body.IsObject(path)
	}
	return t.src.IsObject(slices.Clone(path))
}

// matchSource applies n to the value at path of src. Event patterns and
// mapping patterns are applied key by key, so that only the values the
// tests need are read (and decoded); any other test reads its value
// whole.
func matchSource(src *target, path []string, n node) bool {
	switch x := n.(type) {
	case fieldTests:
		for _, t := range x {
			if !matchSource(src, *t.path, t.n) {
				return false
			}
		}
		return true
	case *pathTree:
		var buf [8]string
		return matchTree(src, append(buf[:0], path...), x)
	case *mapNode:
		if !src.isObject(path) {
			return false
		}
		var buf [8]string
		p := append(buf[:0], path...)
		for i, k := range x.keys {
			if !matchSource(src, append(p, k), x.nodes[i]) {
				return false
			}
		}
		return true
	}
	v, ok := src.lookup(path)
	return n.match(v, ok)
}

// matchTree is pathTree.match on src: a missing or non-object parent
// makes its keys missing, as Source paths do.
func matchTree(src *target, path []string, t *pathTree) bool {
	for i, k := range t.keys {
		p := append(path, k)
		if n := t.tests[i]; n != nil && !matchSource(src, p, n) {
			return false
		}
		if s := t.subs[i]; s != nil && !matchTree(src, p, s) {
			return false
		}
	}
	return true
}

// Dispatcher finds the patterns that match a message body, deciding on
// the body as it is: it scans the body once, without decoding it, and
// reads only the values the patterns look at. The message is decoded
// only when the caller asks the [protocol.Body] for it, typically once a
// subscriber wants it. A MEGA event is validated while it is scanned, so
// an invalid one matches nothing and reports [protocol.KindInvalid], as
// decoding it would.
//
// A Dispatcher is safe for concurrent use as long as its fields are not
// changed; each goroutine needs its own Body.
type Dispatcher struct {
	// Decoder decodes the bodies; nil means the zero Decoder.
	Decoder *protocol.Decoder
	// Events holds event patterns, tried on MEGA events; nil: none.
	Events *Set
	// Data holds data patterns, tried on data payloads; nil: none.
	Data *Set
}

var zeroDecoder protocol.Decoder

// Dispatch scans body into b and returns its kind and dst extended with
// the ids of the patterns that match it, in increasing order: those of
// Events for a MEGA event, those of Data for a data payload, none for
// other kinds. The ids are those [Set.Matches] returns for the document
// [protocol.Decoder.Decode] gives.
func (d *Dispatcher) Dispatch(body string, b *protocol.Body, dst []int) (protocol.Kind, []int) {
	dec := d.Decoder
	if dec == nil {
		dec = &zeroDecoder
	}
	k := dec.Scan(body, b)
	var s *Set
	switch k {
	case protocol.KindMega:
		s = d.Events
	case protocol.KindData:
		s = d.Data
	}
	if s != nil {
		dst = s.MatchSource(b, dst)
	}
	return k, dst
}
