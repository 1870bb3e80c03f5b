package match

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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

// normalize turns a Go pattern into its canonical form: nil, bool, string,
// json.Number, []any, map[string]any and Op (with canonical operands). It
// converts Go numbers to json.Number, time.Time to a $datetime literal and,
// by reflection, other slices and string-keyed maps.
func normalize(p any, path string, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("pattern nested deeper than %d levels", MaxDepth)}
	}
	switch x := p.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		if _, ok := parseNumberText(string(x)); !ok {
			return nil, &PatternError{Path: path, Reason: fmt.Sprintf("%q is not a number", string(x))}
		}
		return x, nil
	case time.Time:
		return timeLiteral(x), nil
	case Op:
		return normalizeOp(x, path, depth)
	case Event:
		return normalizeMap(x, path, depth)
	case Data:
		return normalizeMap(x, path, depth)
	case map[string]any:
		return normalizeMap(x, path, depth)
	case []any:
		return normalizeList(x, path, depth)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, &PatternError{Path: path, Reason: "a number must be finite"}
		}
		return json.Number(strconv.FormatFloat(x, 'g', -1, 64)), nil
	case float32:
		if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, &PatternError{Path: path, Reason: "a number must be finite"}
		}
		return json.Number(strconv.FormatFloat(float64(x), 'g', -1, 32)), nil
	}
	rv := reflect.ValueOf(p)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return json.Number(strconv.FormatInt(rv.Int(), 10)), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return json.Number(strconv.FormatUint(rv.Uint(), 10)), nil
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return rv.Bool(), nil
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil, nil
		}
		items := make([]any, rv.Len())
		for i := range items {
			items[i] = rv.Index(i).Interface()
		}
		return normalizeList(items, path, depth)
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			break
		}
		if rv.IsNil() {
			return nil, nil
		}
		m := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			m[it.Key().String()] = it.Value().Interface()
		}
		return normalizeMap(m, path, depth)
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil, nil
		}
	}
	return nil, &PatternError{Path: path, Reason: fmt.Sprintf("a pattern cannot hold a Go %T", p)}
}

func normalizeMap(m map[string]any, path string, depth int) (any, error) {
	out := make(map[string]any, len(m))
	for k, v := range m {
		c, err := normalize(v, joinKey(path, k), depth+1)
		if err != nil {
			return nil, err
		}
		out[k] = c
	}
	return out, nil
}

func normalizeList(items []any, path string, depth int) (any, error) {
	if len(items) > MaxListLen {
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("a list holds %d items, more than %d", len(items), MaxListLen)}
	}
	out := make([]any, len(items))
	for i, v := range items {
		c, err := normalize(v, path+"["+strconv.Itoa(i)+"]", depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

func normalizeOp(o Op, path string, depth int) (any, error) {
	if !knownOp(o.name) {
		if o.name == "" {
			return nil, &PatternError{Path: path, Reason: "the zero Op is not a pattern; build operators with the match constructors"}
		}
		return nil, &PatternError{Path: path, Reason: "unknown operator " + o.name}
	}
	switch o.name {
	case opDateTime, opDate:
		// Literals keep their operand as is; compiling checks it.
		return o, nil
	case opNumber:
		if _, isStr := o.arg.(string); isStr {
			return o, nil
		}
		if n, err := normalize(o.arg, joinKey(path, o.name), depth+1); err == nil {
			if _, isNum := n.(json.Number); isNum {
				return Op{o.name, n}, nil
			}
		}
		return o, nil
	}
	arg, err := normalize(o.arg, joinKey(path, o.name), depth+1)
	if err != nil {
		return nil, err
	}
	return Op{o.name, arg}, nil
}

func knownOp(name string) bool {
	switch name {
	case opEq, opMatch, opGt, opGte, opLt, opLte, opIn, opOneOf, opNot, opAnd, opOr,
		opEmpty, opExists, opPrefix, opSuffix, opContains, opDateTime, opDate, opNumber:
		return true
	}
	return false
}

func isLiteral(o Op) bool { return o.name == opDateTime || o.name == opDate || o.name == opNumber }

func joinKey(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

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

func compileRegex(src, path string) (node, error) {
	if len(src) > MaxRegexLen {
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("$match: regular expression longer than %d bytes", MaxRegexLen)}
	}
	// Parse the source alone first: wrapped in ^(?:…) an unbalanced source
	// such as "a)|(b" could turn valid, and a \Q without its \E would quote
	// the closing parenthesis. The anchored expression is built from the
	// parsed one, whose text has no such surprise.
	parsed, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil, &PatternError{Path: path, Reason: "$match: " + err.Error(), Err: err}
	}
	re, err := regexp.Compile(`^(?:` + parsed.String() + `)`)
	if err != nil {
		return nil, &PatternError{Path: path, Reason: "$match: " + err.Error(), Err: err}
	}
	prefix, exact, class := regexShape(src)
	return &regexNode{re: re, src: src, prefix: prefix, exact: exact, class: class}, nil
}

// regexPrefix returns a literal that every string the expression matches
// (at its start) begins with, and whether the expression matches every
// string beginning with it. It errs on the side of a shorter prefix.
func regexPrefix(src string) (string, bool) {
	p, exact, class := regexShape(src)
	return p, exact && class == nil
}

// regexShape is regexPrefix, and moreover recognizes expressions such as
// `\d+` or `user:[a-z]` that match exactly the strings starting with the
// prefix followed by one character of a class: class then holds the
// class's rune ranges (pairs of bounds, as in regexp/syntax) and exact is
// true.
func regexShape(src string) (prefix string, exact bool, class []rune) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return "", false, nil
	}
	re = re.Simplify()
	var b strings.Builder
	var rest []*syntax.Regexp
	_, exact, rest = literalWalk(re, &b)
	p := b.String()
	// Regexp reads invalid UTF-8 as U+FFFD, which a byte prefix test
	// would not.
	if strings.ContainsRune(p, utf8.RuneError) {
		return "", false, nil
	}
	if !exact && len(rest) > 0 {
		if class = oneRuneClass(rest[0]); class != nil {
			exact = true
			for _, r := range rest[1:] {
				exact = exact && alwaysEmpty(r)
			}
			if !exact {
				class = nil
			}
		}
	}
	return p, exact, class
}

// oneRuneClass returns the rune ranges of re if re matches exactly one
// character of a class, or one or more of them (at the start of a match
// that need not reach the end of the text, one is as good as many).
func oneRuneClass(re *syntax.Regexp) []rune {
	if re.Op == syntax.OpPlus || (re.Op == syntax.OpRepeat && re.Min == 1) || re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	switch re.Op {
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return nil
		}
		return slices.Clone(re.Rune)
	case syntax.OpAnyCharNotNL:
		return []rune{0, '\n' - 1, '\n' + 1, utf8.MaxRune}
	case syntax.OpAnyChar:
		return []rune{0, utf8.MaxRune}
	case syntax.OpLiteral:
		if len(re.Rune) == 1 && re.Flags&syntax.FoldCase != 0 {
			r := re.Rune[0]
			var out []rune
			for f := r; ; {
				out = append(out, f, f)
				if f = unicode.SimpleFold(f); f == r {
					break
				}
			}
			return out
		}
	}
	return nil
}

// literalWalk appends to b the literal that starts every match of re. It
// reports whether re matches exactly that literal (pure) and whether re
// matches every string starting with what it appended (exact). When re
// is a concatenation that is neither, rest holds its parts after the
// literal.
func literalWalk(re *syntax.Regexp, b *strings.Builder) (pure, exact bool, rest []*syntax.Regexp) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return false, false, []*syntax.Regexp{re}
		}
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
		return true, true, nil
	case syntax.OpCapture:
		pure, exact, rest = literalWalk(re.Sub[0], b)
		if rest == nil && !pure {
			rest = []*syntax.Regexp{re}
		}
		return pure, exact, rest
	case syntax.OpBeginText, syntax.OpBeginLine:
		ok := b.Len() == 0
		return ok, ok, nil
	case syntax.OpConcat:
		for i, sub := range re.Sub {
			p, e, r := literalWalk(sub, b)
			if p {
				continue
			}
			for _, after := range re.Sub[i+1:] {
				e = e && alwaysEmpty(after)
			}
			if r != nil {
				// The sub-expression's own remainder, then what follows it.
				r = append(slices.Clip(r), re.Sub[i+1:]...)
			}
			return false, e, r
		}
		return true, true, nil
	}
	return false, alwaysEmpty(re), []*syntax.Regexp{re}
}

// alwaysEmpty reports whether re can match the empty string
// unconditionally, so that it never constrains a match anchored at the
// start only.
func alwaysEmpty(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpRepeat:
		return re.Min == 0
	case syntax.OpCapture:
		return alwaysEmpty(re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !alwaysEmpty(s) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if alwaysEmpty(s) {
				return true
			}
		}
	}
	return false
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
