package match

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// A node is one compiled pattern. match reports whether it holds on v;
// present is false when the key was missing (v is then nil). Nodes are
// immutable once built, so a compiled pattern is safe for concurrent use.
type node interface {
	match(v any, present bool) bool
}

// Value helpers. Documents hold nil, bool, string, json.Number (or another
// Go number type), []any, map[string]any and time.Time; anything else is
// an opaque value that only $exists, $not and truthiness see.

// valueNumber returns the decimal value of a number or numeric string.
func valueNumber(v any) (decimal, bool) {
	switch x := v.(type) {
	case json.Number:
		return parseNumberText(string(x))
	case string:
		return parseNumericString(x)
	case bool, nil, []any, map[string]any, time.Time:
		return decimal{}, false
	}
	return numberOf(v)
}

// valueDateTime returns the date or date-time of a time.Time or of a string
// in the ISO-8601 form of SPEC.md §3.
func valueDateTime(v any) (dateTime, bool) {
	switch x := v.(type) {
	case string:
		return parseDateTime(x)
	case time.Time:
		return dateTimeOfTime(x), true
	}
	return dateTime{}, false
}

// isScalar reports whether v is null, a bool, a number, a string or a
// date-time.
func isScalar(v any) bool {
	switch v.(type) {
	case nil, bool, string, time.Time:
		return true
	}
	return isNumberType(v)
}

// falsy is Python's "not v": null, false, a zero number, "", [] and {}.
func falsy(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	case time.Time:
		return false
	}
	if d, ok := numberOf(v); ok {
		return d.isZero()
	}
	return false
}

// truthy is the truthiness of {"$match": true}: Python's bool(v), except
// that the string "false", in any case, is false.
func truthy(v any) bool {
	if s, ok := v.(string); ok && strings.EqualFold(s, "false") {
		return false
	}
	return !falsy(v)
}

// Equality nodes.

type eqString struct{ s string }

func (n *eqString) match(v any, present bool) bool {
	s, ok := v.(string)
	return ok && s == n.s
}

type eqNumber struct {
	d    decimal
	text string
}

func (n *eqNumber) match(v any, present bool) bool {
	d, ok := valueNumber(v)
	return ok && cmpDecimal(d, n.d) == 0
}

type eqBool struct{ b bool }

func (n *eqBool) match(v any, present bool) bool {
	b, ok := v.(bool)
	return ok && b == n.b
}

type eqNull struct{}

func (eqNull) match(v any, present bool) bool { return present && v == nil }

type eqTime struct {
	dt   dateTime
	text string
}

func (n *eqTime) match(v any, present bool) bool {
	dt, ok := valueDateTime(v)
	return ok && cmpDateTime(dt, n.dt) == 0
}

// eqArray is set-like array equality: every element is matched by some
// item and every item matches some element.
type eqArray struct{ items []node }

func (n *eqArray) match(v any, present bool) bool {
	arr, ok := v.([]any)
	if !ok {
		return false
	}
	// One pass that tries each (item, element) pair at most once, keeping
	// nested arrays polynomial: seen records the items matched so far.
	var small uint64
	var large []bool
	if len(n.items) > 64 {
		large = make([]bool, len(n.items))
	}
	seenCount := 0
	for _, e := range arr {
		matched := false
		for i, it := range n.items {
			var seen bool
			if large != nil {
				seen = large[i]
			} else {
				seen = small&(1<<i) != 0
			}
			if seen && matched {
				continue
			}
			if it.match(e, true) {
				matched = true
				if !seen {
					seenCount++
					if large != nil {
						large[i] = true
					} else {
						small |= 1 << i
					}
				}
			}
		}
		if !matched {
			return false
		}
	}
	return seenCount == len(n.items)
}

func anyMatches(items []node, v any) bool {
	for _, it := range items {
		if it.match(v, true) {
			return true
		}
	}
	return false
}

func everyItemInArray(items []node, arr []any) bool {
	for _, it := range items {
		found := false
		for _, e := range arr {
			if it.match(e, true) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// mapNode is a mapping pattern.
type mapNode struct {
	keys  []string
	nodes []node
}

func (n *mapNode) match(v any, present bool) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for i, k := range n.keys {
		x, ok := m[k]
		if !n.nodes[i].match(x, ok) {
			return false
		}
	}
	return true
}

// $match forms.

type regexNode struct {
	re     *regexp.Regexp
	src    string
	prefix string // a literal every matching string starts with
	// When exact, the expression matches exactly the strings starting with
	// prefix, followed by a rune in class if class is not nil.
	exact bool
	class []rune // ranges: lo, hi, lo, hi...
}

func (n *regexNode) match(v any, present bool) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	if n.exact {
		if !strings.HasPrefix(s, n.prefix) {
			return false
		}
		if n.class == nil {
			return true
		}
		if len(s) == len(n.prefix) {
			return false
		}
		r, _ := utf8.DecodeRuneInString(s[len(n.prefix):])
		for i := 0; i+1 < len(n.class); i += 2 {
			if n.class[i] <= r && r <= n.class[i+1] {
				return true
			}
		}
		return false
	}
	if len(n.prefix) > 0 && !strings.HasPrefix(s, n.prefix) {
		return false
	}
	return n.re.MatchString(s)
}

type falsyNode struct{}

func (falsyNode) match(v any, present bool) bool { return present && falsy(v) }

type truthNode struct{ want bool }

func (n *truthNode) match(v any, present bool) bool { return present && truthy(v) == n.want }

// matchList is {"$match": [...]}: membership for a scalar, "every item
// matches some element" for an array.
type matchList struct{ items []node }

func (n *matchList) match(v any, present bool) bool {
	if !present {
		return false
	}
	if arr, ok := v.([]any); ok {
		return everyItemInArray(n.items, arr)
	}
	return isScalar(v) && anyMatches(n.items, v)
}

// Operators.

// inNode is $in. Items that are plain strings or numbers are kept apart
// so that a value is parsed as a number once, not once per item.
type inNode struct {
	items  []node // all items, in order
	strs   []string
	nums   []decimal
	others []node
}

func newInNode(items []node) *inNode {
	n := &inNode{items: items}
	for _, it := range items {
		switch x := it.(type) {
		case *eqString:
			n.strs = append(n.strs, x.s)
		case *eqNumber:
			n.nums = append(n.nums, x.d)
		default:
			n.others = append(n.others, it)
		}
	}
	return n
}

func (n *inNode) match(v any, present bool) bool {
	if !present || !isScalar(v) {
		return false
	}
	if s, ok := v.(string); ok && slices.Contains(n.strs, s) {
		return true
	}
	if len(n.nums) > 0 {
		if d, ok := valueNumber(v); ok {
			for _, x := range n.nums {
				if cmpDecimal(d, x) == 0 {
					return true
				}
			}
		}
	}
	return anyMatches(n.others, v)
}

type cmpOp uint8

const (
	cmpGt cmpOp = iota
	cmpGte
	cmpLt
	cmpLte
)

func (o cmpOp) holds(c int) bool {
	switch o {
	case cmpGt:
		return c > 0
	case cmpGte:
		return c >= 0
	case cmpLt:
		return c < 0
	}
	return c <= 0
}

type cmpNumber struct {
	op   cmpOp
	d    decimal
	text string
}

func (n *cmpNumber) match(v any, present bool) bool {
	d, ok := valueNumber(v)
	return ok && n.op.holds(cmpDecimal(d, n.d))
}

type cmpTime struct {
	op   cmpOp
	dt   dateTime
	text string
}

func (n *cmpTime) match(v any, present bool) bool {
	dt, ok := valueDateTime(v)
	return ok && n.op.holds(cmpDateTime(dt, n.dt))
}

type notNode struct{ p node }

func (n *notNode) match(v any, present bool) bool { return !n.p.match(v, present) }

type andNode struct{ ps []node }

func (n *andNode) match(v any, present bool) bool {
	for _, p := range n.ps {
		if !p.match(v, present) {
			return false
		}
	}
	return true
}

type orNode struct{ ps []node }

func (n *orNode) match(v any, present bool) bool {
	for _, p := range n.ps {
		if p.match(v, present) {
			return true
		}
	}
	return false
}

type emptyNode struct{}

func (emptyNode) match(v any, present bool) bool {
	if !present {
		return true
	}
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

type existsNode struct{ want bool }

func (n *existsNode) match(v any, present bool) bool { return present == n.want }

type prefixNode struct{ s string }

func (n *prefixNode) match(v any, present bool) bool {
	s, ok := v.(string)
	return ok && strings.HasPrefix(s, n.s)
}

type suffixNode struct{ s string }

func (n *suffixNode) match(v any, present bool) bool {
	s, ok := v.(string)
	return ok && strings.HasSuffix(s, n.s)
}

type containsNode struct{ p node }

func (n *containsNode) match(v any, present bool) bool {
	arr, ok := v.([]any)
	if !ok {
		return false
	}
	for _, e := range arr {
		if n.p.match(e, true) {
			return true
		}
	}
	return false
}

// pathTree applies tests at paths of a document, looking each shared
// prefix up once. Unlike a mapping pattern it does not require objects on
// the way: a missing or non-object parent makes its keys missing.
type pathTree struct {
	keys  []string
	tests []node      // the test at keys[i], or nil
	subs  []*pathTree // the tests below keys[i], or nil
}

func (t *pathTree) match(v any, present bool) bool {
	m, _ := v.(map[string]any)
	for i, k := range t.keys {
		x, ok := m[k]
		if n := t.tests[i]; n != nil && !n.match(x, ok) {
			return false
		}
		if s := t.subs[i]; s != nil && !s.match(x, ok) {
			return false
		}
	}
	return true
}

func (t *pathTree) add(path []string, n node) {
	i := slices.Index(t.keys, path[0])
	if i < 0 {
		t.keys = append(t.keys, path[0])
		t.tests = append(t.tests, nil)
		t.subs = append(t.subs, nil)
		i = len(t.keys) - 1
	}
	if len(path) == 1 {
		if t.tests[i] != nil {
			n = &andNode{[]node{t.tests[i], n}}
		}
		t.tests[i] = n
		return
	}
	if t.subs[i] == nil {
		t.subs[i] = &pathTree{}
	}
	t.subs[i].add(path[1:], n)
}

// sort orders keys so that the cheapest tests run first.
func (t *pathTree) sort() int {
	type entry struct {
		k    string
		n    node
		s    *pathTree
		cost int
	}
	es := make([]entry, len(t.keys))
	least := 1 << 30
	for i := range t.keys {
		c := 1 << 30
		if t.tests[i] != nil {
			c = cost(t.tests[i])
		}
		if t.subs[i] != nil {
			c = min(c, t.subs[i].sort())
		}
		es[i] = entry{t.keys[i], t.tests[i], t.subs[i], c}
		least = min(least, c)
	}
	slices.SortStableFunc(es, func(a, b entry) int { return a.cost - b.cost })
	for i, e := range es {
		t.keys[i], t.tests[i], t.subs[i] = e.k, e.n, e.s
	}
	return least
}

// lookup follows path through nested objects; a missing key or a
// non-object on the way makes the value missing.
func lookup(doc any, path []string) (any, bool) {
	v := doc
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
