package match

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Bounds that keep a pattern's compile and match costs predictable; a
// pattern beyond them is rejected when compiled.
const (
	// MaxDepth is the deepest nesting of operators, mappings and arrays.
	MaxDepth = 64
	// MaxRegexLen is the longest regular expression source, in bytes.
	MaxRegexLen = 4 << 10
	// MaxListLen is the most items in one array, $in, $and or $or list.
	MaxListLen = 1024
	// MaxPatternSize is the largest JSON pattern that [Parse] accepts, in
	// bytes.
	MaxPatternSize = 1 << 20
)

// Matcher is a compiled pattern. Compile a pattern once, when a subscriber
// is registered, and call [Matcher.Match] for every document.
//
// A Matcher is immutable and safe for concurrent use by multiple
// goroutines.
type Matcher struct {
	event  bool
	root   node    // the whole pattern, applied to the document
	fields []field // event pattern keys, for Set and SNSFilter
	json   []byte  // canonical JSON form
}

// field is one key of an event pattern: where it looks in the normalized
// event document, and what must hold there.
type field struct {
	key  string
	path []string
	node node
}

// Compile compiles a pattern. An [Event] compiles to an event pattern,
// applied to the normalized document of a MEGA event; anything else is a
// data (or value) pattern, applied to the document as a whole.
//
// An invalid pattern gives an error that matches [ErrInvalidPattern] and
// unwraps to a *[PatternError] naming the path and the reason.
func Compile(p any) (*Matcher, error) {
	if e, ok := p.(Event); ok {
		return compileEvent(e)
	}
	c, err := normalize(p, "", 0)
	if err != nil {
		return nil, err
	}
	root, err := compilePattern(c, "", 0)
	if err != nil {
		return nil, err
	}
	js, err := encodeCanonical(nil, c)
	if err != nil {
		return nil, err
	}
	return &Matcher{root: root, json: js}, nil
}

// MustCompile is like [Compile] but panics if the pattern is invalid. It
// simplifies package-level variables holding fixed patterns.
func MustCompile(p any) *Matcher {
	m, err := Compile(p)
	if err != nil {
		panic(err)
	}
	return m
}

// eventPaths says where each known key of an event pattern looks in the
// normalized event document. Any other key k looks at event.attributes.k.
var eventPaths = map[string][]string{
	"name":           {"event", "name"},
	"timestamp":      {"event", "timestamp"},
	"version":        {"event", "version"},
	"domain":         {"event", "domain"},
	"subject":        {"event", "subject"},
	"publisher":      {"event", "publisher"},
	"attributes":     {"event", "attributes"},
	"object_type":    {"object", "type"},
	"object_id":      {"object", "id"},
	"object_version": {"object", "version"},
	"current":        {"object", "current"},
	"previous":       {"object", "previous"},
	"extra":          {"extra"},
}

// EventPath returns where key of an event pattern looks in the normalized
// document of a MEGA event, such as ["event", "name"] for "name" or
// ["event", "attributes", "email"] for "email".
func EventPath(key string) []string {
	if p, ok := eventPaths[key]; ok {
		return slices.Clone(p)
	}
	return []string{"event", "attributes", key}
}

func compileEvent(e Event) (*Matcher, error) {
	c, err := normalize(map[string]any(e), "", 0)
	if err != nil {
		return nil, err
	}
	cm := c.(map[string]any)
	m := &Matcher{event: true}
	for _, k := range sortedKeys(cm) {
		if strings.HasPrefix(k, "$") {
			return nil, &PatternError{Path: k, Reason: "an event pattern's keys are event fields or attributes, not operators"}
		}
		n, err := compilePattern(cm[k], k, 1)
		if err != nil {
			return nil, err
		}
		m.fields = append(m.fields, field{key: k, path: EventPath(k), node: n})
	}
	slices.SortStableFunc(m.fields, func(a, b field) int { return cost(a.node) - cost(b.node) })
	tree := &pathTree{}
	for _, f := range m.fields {
		tree.add(f.path, f.node)
	}
	tree.sort()
	m.root = tree
	if m.json, err = encodeCanonical(nil, cm); err != nil {
		return nil, err
	}
	return m, nil
}

// Match reports whether the pattern holds on doc: for an event pattern, the
// normalized document of a MEGA event (see the package documentation); for
// a data pattern, the decoded data document. Match never fails: a value of
// a type an operator cannot apply to makes that operator false.
func (m *Matcher) Match(doc any) bool { return m.root.match(doc, true) }

// IsEvent reports whether m was compiled from an [Event] pattern.
func (m *Matcher) IsEvent() bool { return m.event }

// MarshalJSON returns the JSON form of the pattern, which [Parse] (or
// [ParseEvent] for an event pattern) reads back to an equivalent pattern.
func (m *Matcher) MarshalJSON() ([]byte, error) { return slices.Clone(m.json), nil }

// String returns the JSON form of the pattern.
func (m *Matcher) String() string { return string(m.json) }

// compilePattern compiles a canonical pattern: an operator, or a value
// meaning equality.
func compilePattern(p any, path string, depth int) (node, error) {
	if depth > MaxDepth {
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("pattern nested deeper than %d levels", MaxDepth)}
	}
	if o, ok := p.(Op); ok && !isLiteral(o) {
		return compileOp(o, path, depth)
	}
	return compileValue(p, path, depth)
}

// compileValue compiles equality with a value. Arrays and mappings hold
// patterns.
func compileValue(p any, path string, depth int) (node, error) {
	switch x := p.(type) {
	case nil:
		return eqNull{}, nil
	case bool:
		return &eqBool{x}, nil
	case string:
		return &eqString{x}, nil
	case json.Number:
		d, ok := parseNumberText(string(x))
		if !ok {
			return nil, &PatternError{Path: path, Reason: fmt.Sprintf("%q is not a number", string(x))}
		}
		return &eqNumber{d, string(x)}, nil
	case []any:
		items, err := compileList(x, path, depth)
		if err != nil {
			return nil, err
		}
		return &eqArray{items}, nil
	case map[string]any:
		return compileMap(x, path, depth)
	case Op:
		switch x.name {
		case opNumber:
			d, text, err := numberLiteral(x, path)
			if err != nil {
				return nil, err
			}
			return &eqNumber{d, text}, nil
		case opDateTime, opDate:
			dt, text, err := timeLiteralOf(x, path)
			if err != nil {
				return nil, err
			}
			return &eqTime{dt, text}, nil
		}
		return nil, &PatternError{Path: path, Reason: x.name + " is an operator, not a value"}
	}
	return nil, &PatternError{Path: path, Reason: fmt.Sprintf("a pattern cannot hold a Go %T", p)}
}

func compileMap(m map[string]any, path string, depth int) (node, error) {
	n := &mapNode{}
	type kn struct {
		k string
		n node
	}
	var kns []kn
	for _, k := range sortedKeys(m) {
		if strings.HasPrefix(k, "$") {
			if len(m) > 1 {
				return nil, &PatternError{Path: path, Reason: fmt.Sprintf("an object with an operator key (%s) must have exactly one key", k)}
			}
			return nil, &PatternError{Path: path, Reason: "unknown operator " + k}
		}
		c, err := compilePattern(m[k], joinKey(path, k), depth+1)
		if err != nil {
			return nil, err
		}
		kns = append(kns, kn{k, c})
	}
	slices.SortStableFunc(kns, func(a, b kn) int { return cost(a.n) - cost(b.n) })
	for _, x := range kns {
		n.keys = append(n.keys, x.k)
		n.nodes = append(n.nodes, x.n)
	}
	return n, nil
}

func compileList(items []any, path string, depth int) ([]node, error) {
	if len(items) > MaxListLen {
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("a list holds %d items, more than %d", len(items), MaxListLen)}
	}
	out := make([]node, len(items))
	for i, it := range items {
		n, err := compilePattern(it, path+"["+strconv.Itoa(i)+"]", depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func compileOp(o Op, path string, depth int) (node, error) {
	opPath := joinKey(path, o.name)
	fail := func(reason string) (node, error) {
		return nil, &PatternError{Path: path, Reason: o.name + " " + reason}
	}
	switch o.name {
	case opEq:
		if a, ok := o.arg.(Op); ok && !isLiteral(a) {
			return fail("takes a value, not an operator (" + a.name + ")")
		}
		return compileValue(o.arg, opPath, depth+1)
	case opMatch:
		return compileMatch(o.arg, path, opPath, depth)
	case opGt, opGte, opLt, opLte:
		op := map[string]cmpOp{opGt: cmpGt, opGte: cmpGte, opLt: cmpLt, opLte: cmpLte}[o.name]
		switch a := o.arg.(type) {
		case json.Number:
			d, ok := parseNumberText(string(a))
			if !ok {
				return fail("needs a number or a date-time literal")
			}
			return &cmpNumber{op, d, string(a)}, nil
		case Op:
			switch a.name {
			case opNumber:
				d, text, err := numberLiteral(a, opPath)
				if err != nil {
					return nil, err
				}
				return &cmpNumber{op, d, text}, nil
			case opDateTime, opDate:
				dt, text, err := timeLiteralOf(a, opPath)
				if err != nil {
					return nil, err
				}
				return &cmpTime{op, dt, text}, nil
			}
		}
		return fail("needs a number or a date-time literal")
	case opIn, opOneOf:
		items, ok := o.arg.([]any)
		if !ok {
			return fail("needs an array of items")
		}
		ns, err := compileList(items, opPath, depth+1)
		if err != nil {
			return nil, err
		}
		return newInNode(ns), nil
	case opNot:
		p, err := compilePattern(o.arg, opPath, depth+1)
		if err != nil {
			return nil, err
		}
		return &notNode{p}, nil
	case opAnd, opOr:
		items, ok := o.arg.([]any)
		if !ok || len(items) == 0 {
			return fail("needs an array of one or more patterns")
		}
		ns, err := compileList(items, opPath, depth+1)
		if err != nil {
			return nil, err
		}
		if len(ns) == 1 {
			return ns[0], nil
		}
		if o.name == opAnd {
			slices.SortStableFunc(ns, func(a, b node) int { return cost(a) - cost(b) })
			return &andNode{ns}, nil
		}
		return &orNode{ns}, nil
	case opEmpty:
		if b, ok := o.arg.(bool); !ok || !b {
			return fail("takes only true (use $not for \"not empty\")")
		}
		return emptyNode{}, nil
	case opExists:
		b, ok := o.arg.(bool)
		if !ok {
			return fail("takes true or false")
		}
		return &existsNode{b}, nil
	case opPrefix, opSuffix:
		s, ok := o.arg.(string)
		if !ok {
			return fail("needs a string")
		}
		if o.name == opPrefix {
			return &prefixNode{s}, nil
		}
		return &suffixNode{s}, nil
	case opContains:
		p, err := compilePattern(o.arg, opPath, depth+1)
		if err != nil {
			return nil, err
		}
		return &containsNode{p}, nil
	}
	return nil, &PatternError{Path: path, Reason: "unknown operator " + o.name}
}

func compileMatch(arg any, path, opPath string, depth int) (node, error) {
	switch a := arg.(type) {
	case string:
		return compileRegex(a, path)
	case nil:
		return falsyNode{}, nil
	case bool:
		return &truthNode{a}, nil
	case []any:
		items, err := compileList(a, opPath, depth+1)
		if err != nil {
			return nil, err
		}
		return &matchList{items}, nil
	case Op:
		if !isLiteral(a) {
			return nil, &PatternError{Path: path, Reason: "$match takes a value, not an operator (" + a.name + ")"}
		}
	}
	return compileValue(arg, opPath, depth+1)
}

func numberLiteral(o Op, path string) (decimal, string, error) {
	s, ok := o.arg.(string)
	if n, isNum := o.arg.(json.Number); isNum {
		s, ok = string(n), true
	}
	if !ok {
		return decimal{}, "", &PatternError{Path: path, Reason: "$number needs a decimal number, preferably as a string"}
	}
	d, ok := parseNumberText(s)
	if !ok {
		return decimal{}, "", &PatternError{Path: path, Reason: fmt.Sprintf("$number: %q is not a decimal number", s)}
	}
	return d, s, nil
}

func timeLiteralOf(o Op, path string) (dateTime, string, error) {
	s, ok := o.arg.(string)
	if !ok {
		return dateTime{}, "", &PatternError{Path: path, Reason: o.name + " needs a string"}
	}
	if o.name == opDate {
		dt, ok := parseDate(s)
		if !ok {
			return dateTime{}, "", &PatternError{Path: path, Reason: fmt.Sprintf("$date: %q is not a valid date (YYYY-MM-DD)", s)}
		}
		return dt, s, nil
	}
	dt, ok := parseDateTime(s)
	if !ok {
		return dateTime{}, "", &PatternError{Path: path, Reason: fmt.Sprintf("$datetime: %q is not a valid ISO-8601 date or date-time", s)}
	}
	return dt, s, nil
}

// cost orders the keys of a mapping and the operands of $and so that cheap,
// selective tests run first.
func cost(n node) int {
	switch x := n.(type) {
	case *eqString, *eqBool, eqNull, *existsNode, emptyNode:
		return 1
	case *eqNumber, *prefixNode, *suffixNode:
		return 2
	case *regexNode:
		if x.exact {
			return 2
		}
		return 6
	case *cmpNumber, *inNode, falsyNode, *truthNode:
		return 3
	case *eqTime, *cmpTime:
		return 4
	case *notNode:
		return cost(x.p)
	}
	return 5
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
