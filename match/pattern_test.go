package match

import (
	"encoding/json"
	"errors"
	"math"
	"regexp/syntax"
	"strings"
	"testing"
	"time"
)

var seedEvent = Event{
	"name":      Regex(`user:(.*)`),
	"version":   OneOf(1, 2, 3),
	"timestamp": Gt(DateTime("2020-01-01")),
	"domain":    "user",
	"subject":   Regex(`\d+`),
	"email":     Not(Empty()),
	"username":  Not(OneOf("synthetic", "test")),
}

const seedBody = `{"protocol": "mega", "version": 1, "event": {"name": "user:updated", "timestamp": "2020-05-04T15:53:27.823", "version": 2, "domain": "user", "subject": "987650", "publisher": "user-service", "attributes": {"email": "johndoe_84@example.com", "username": "john.doe"}}, "object": {"current": {"id": 987650, "full_name": "John Doe"}}}`

func TestSeedPattern(t *testing.T) {
	m := MustCompile(seedEvent)
	if !m.IsEvent() {
		t.Fatal("an Event does not compile to an event pattern")
	}
	doc := normalizeEventBody(t, seedBody)
	if !m.Match(doc) {
		t.Fatal("the seed pattern does not match the seed event")
	}
	attrs := doc["event"].(map[string]any)["attributes"].(map[string]any)
	attrs["username"] = "synthetic"
	if m.Match(doc) {
		t.Fatal("the seed pattern matches a synthetic user")
	}
	const want = `{"domain":"user","email":{"$not":{"$empty":true}},"name":{"$match":"user:(.*)"},"subject":{"$match":"\\d+"},"timestamp":{"$gt":{"$datetime":"2020-01-01"}},"username":{"$not":{"$in":["synthetic","test"]}},"version":{"$in":[1,2,3]}}`
	if got, _ := json.Marshal(seedEvent); string(got) != want {
		t.Fatalf("JSON form\n got %s\nwant %s", got, want)
	}
	if m.String() != want {
		t.Fatalf("Matcher.String() = %s", m)
	}
}

// Every constructor marshals to its JSON form and parses back to a
// pattern that gives the same results.
func TestGoPatternsRoundTrip(t *testing.T) {
	when := time.Date(2020, 5, 4, 15, 53, 27, 0, time.FixedZone("", 2*3600))
	tests := []struct {
		pattern any
		json    string
		yes, no []any
	}{
		{Eq(5), `{"$eq":5}`, []any{json.Number("5.0"), "5", 5}, []any{"x", 6}},
		{Regex(`a+b`), `{"$match":"a+b"}`, []any{"aab", "abc"}, []any{"ba", 1}},
		{Match(nil), `{"$match":null}`, []any{nil, 0, "", []any{}}, []any{"0", 1}},
		{Match(true), `{"$match":true}`, []any{"x", 1, []any{false}}, []any{"FALSE", ""}},
		{Match([]any{1, "a"}), `{"$match":[1,"a"]}`, []any{"1", "a", []any{"a", 1, 2}}, []any{[]any{1}, "b"}},
		{OneOf("a", 1), `{"$in":["a",1]}`, []any{"a", "1.0"}, []any{"b", []any{"a"}}},
		{Gt(1.5), `{"$gt":1.5}`, []any{2, "1.6"}, []any{1.5, "x"}},
		{Gte(Number("0.1")), `{"$gte":{"$number":"0.1"}}`, []any{0.1, "0.10"}, []any{0.09}},
		{Lt(DateTime("2020-01-01T00:00:00Z")), `{"$lt":{"$datetime":"2020-01-01T00:00:00Z"}}`, []any{"2019-12-31T23:59:59Z"}, []any{"2020-01-01"}},
		{Lte(Date("2020-01-01")), `{"$lte":{"$date":"2020-01-01"}}`, []any{"2020-01-01T23:00:00"}, []any{"2020-01-02"}},
		{Gt(when), `{"$gt":{"$datetime":"2020-05-04T15:53:27+02:00"}}`, []any{"2020-05-04T13:53:28Z"}, []any{when}},
		{when, `{"$datetime":"2020-05-04T15:53:27+02:00"}`, []any{when, "2020-05-04T13:53:27.9Z"}, []any{"2020-05-04T15:53:27"}},
		{Not("a"), `{"$not":"a"}`, []any{"b", nil}, []any{"a"}},
		{And(Gt(1), Lt(3)), `{"$and":[{"$gt":1},{"$lt":3}]}`, []any{2}, []any{3}},
		{Or("a", Prefix("b")), `{"$or":["a",{"$prefix":"b"}]}`, []any{"a", "bc"}, []any{"c"}},
		{Empty(), `{"$empty":true}`, []any{nil, "", map[string]any{}}, []any{0, " "}},
		{Exists(true), `{"$exists":true}`, []any{nil}, nil},
		{Suffix(".com"), `{"$suffix":".com"}`, []any{"a.com"}, []any{"a.org"}},
		{Contains(Gt(10)), `{"$contains":{"$gt":10}}`, []any{[]any{1, 11}}, []any{[]any{1}, 11}},
		{[]string{"b", "a"}, `["b","a"]`, []any{[]any{"a", "b", "a"}}, []any{[]any{"a"}}},
		{map[string]int{"n": 1}, `{"n":1}`, []any{map[string]any{"n": "1", "m": 2}}, []any{map[string]any{}}},
		{Data{"user": Data{"id": Gt(0)}}, `{"user":{"id":{"$gt":0}}}`, []any{map[string]any{"user": map[string]any{"id": 3}}}, []any{map[string]any{"user": nil}}},
		{uint8(7), `7`, []any{7}, []any{8}},
		{float32(0.1), `0.1`, []any{json.Number("0.1")}, []any{0.1000001}},
		{nil, `null`, []any{nil}, []any{0}},
		{Op{opNumber, 1.5}, `{"$number":1.5}`, []any{"1.50"}, []any{1}},
	}
	for _, tt := range tests {
		t.Run(tt.json, func(t *testing.T) {
			b, err := marshalPattern(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.json {
				t.Fatalf("JSON form %s, want %s", b, tt.json)
			}
			if o, ok := tt.pattern.(Op); ok {
				if jb, _ := json.Marshal(o); string(jb) != tt.json {
					t.Fatalf("json.Marshal gives %s", jb)
				}
				if o.String() != tt.json {
					t.Fatalf("String() gives %s", o)
				}
			}
			direct := MustCompile(tt.pattern)
			parsed := MustCompile(mustParse(t, b))
			for _, v := range tt.yes {
				if !direct.Match(v) || !parsed.Match(v) {
					t.Errorf("%#v: want a match (Go %v, parsed %v)", v, direct.Match(v), parsed.Match(v))
				}
			}
			for _, v := range tt.no {
				if direct.Match(v) || parsed.Match(v) {
					t.Errorf("%#v: want no match (Go %v, parsed %v)", v, direct.Match(v), parsed.Match(v))
				}
			}
		})
	}
}

func TestInvalidPatterns(t *testing.T) {
	tests := []struct {
		pattern   any
		path      string
		reasonHas string
	}{
		{Event{"timestamp": Gt("2020-01-01")}, "timestamp", "$gt needs a number or a date-time literal"},
		{Data{"a": Data{"b": Not(Gt(true))}}, "a.b.$not", "$gt needs a number or a date-time literal"},
		{Eq(Gt(1)), "", "$eq takes a value, not an operator"},
		{Match(Exists(true)), "", "$match takes a value, not an operator"},
		{OneOf(1, Regex("(")), "$in[1]", "$match: error parsing regexp"},
		{Regex(strings.Repeat("a", MaxRegexLen+1)), "", "longer than"},
		{OneOf(make([]any, MaxListLen+1)...), "$in", "more than"},
		{And(), "", "$and needs an array of one or more patterns"},
		{Op{}, "", "zero Op"},
		{Op{name: "$near"}, "", "unknown operator $near"},
		{Data{"$x": 1}, "", "unknown operator $x"},
		{Event{"$and": []any{}}, "$and", "not operators"},
		{Op{opEmpty, false}, "", "$empty takes only true"},
		{Op{opExists, "yes"}, "", "$exists takes true or false"},
		{Prefix(""), "", ""}, // valid: every string
		{DateTime("2020-02-30"), "", `"2020-02-30" is not a valid ISO-8601`},
		{Date("2020-01-01T00:00:00"), "", "is not a valid date"},
		{Number("1,5"), "", "is not a decimal number"},
		{json.Number("0x10"), "", "is not a number"},
		{math.NaN(), "", "finite"},
		{struct{}{}, "", "cannot hold a Go struct {}"},
		{Data{"c": make(chan int)}, "c", "cannot hold a Go chan int"},
	}
	for _, tt := range tests {
		t.Run(tt.reasonHas, func(t *testing.T) {
			_, err := Compile(tt.pattern)
			if tt.reasonHas == "" {
				if err != nil {
					t.Fatalf("valid pattern rejected: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidPattern) {
				t.Fatalf("error %v does not match ErrInvalidPattern", err)
			}
			var pe *PatternError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *PatternError", err)
			}
			if pe.Path != tt.path || !strings.Contains(pe.Reason, tt.reasonHas) {
				t.Fatalf("got path %q reason %q; want path %q reason containing %q", pe.Path, pe.Reason, tt.path, tt.reasonHas)
			}
		})
	}
}

func TestPatternErrorMessage(t *testing.T) {
	_, err := Compile(Event{"timestamp": Gt("2020-01-01")})
	const want = "match: invalid pattern at timestamp: $gt needs a number or a date-time literal"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
	_, err = Compile(Regex("("))
	var syntaxErr *syntax.Error
	if !errors.As(err, &syntaxErr) || syntaxErr.Code != syntax.ErrMissingParen {
		t.Fatalf("the regexp syntax error is not wrapped: %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	for _, src := range []string{
		``, `{`, `{"a":1} {"b":2}`, `{"$not":5,"a":1}`, `{"$eq":{"$gt":1}}`,
		`{"$in":5}`, strings.Repeat(`{"$not":`, MaxDepth+1) + `1` + strings.Repeat(`}`, MaxDepth+1),
	} {
		if _, err := Parse([]byte(src)); !isPatternError(err) {
			t.Errorf("Parse(%.40q): %v, want a *PatternError", src, err)
		}
	}
	if _, err := ParseEvent([]byte(`[1]`)); !isPatternError(err) {
		t.Errorf("ParseEvent of an array: %v", err)
	}
	if _, err := Parse(make([]byte, MaxPatternSize+1)); !isPatternError(err) {
		t.Errorf("Parse of an oversized pattern: %v", err)
	}
}

func TestParseKeepsNumbersExact(t *testing.T) {
	p := mustParse(t, []byte(`{"$eq": 0.1000000000000000000001}`))
	m := MustCompile(p)
	if m.Match(0.1) || !m.Match(json.Number("0.1000000000000000000001")) {
		t.Fatal("numbers lost precision")
	}
	if m.String() != `{"$eq":0.1000000000000000000001}` {
		t.Fatalf("JSON form %s", m)
	}
}

func TestDocumentValueTypes(t *testing.T) {
	// Hand-built documents may hold any Go number type and time.Time.
	when := time.Date(2020, 5, 4, 23, 30, 0, 0, time.FixedZone("", -5*3600))
	tests := []struct {
		pattern any
		doc     any
		want    bool
	}{
		{Eq(3), int64(3), true},
		{Eq(3), uint16(3), true},
		{Eq(0.1), 0.1, true},
		{Eq(Number("0.1")), float32(0.1), true},
		{Gt(1), math.Inf(1), false},
		{Eq(Date("2020-05-04")), when, true}, // its own offset's calendar date
		{Eq(Date("2020-05-05")), when, false},
		{Gt(DateTime("2020-05-05T04:29:59Z")), when, true},
		{"2020-05-04T23:30:00-05:00", when, false}, // a string is not a date-time
		{Prefix("2020"), when, false},
		{Regex("2020"), when, false},
		{Match(true), when, true},
		{Empty(), when, false},
		{OneOf(DateTime("2020-05-05T04:30:00Z")), when, true},
		{Exists(true), struct{}{}, true},
		{Eq("x"), struct{}{}, false},
	}
	for _, tt := range tests {
		if got := MustCompile(tt.pattern).Match(tt.doc); got != tt.want {
			t.Errorf("%v on %#v: got %v, want %v", tt.pattern, tt.doc, got, tt.want)
		}
	}
}

func TestEventPathsAndFolding(t *testing.T) {
	doc := normalizeEventBody(t, `{"protocol":"mega","version":1,"event":{"name":"a","timestamp":"2020-01-01T00:00:00Z","attributes":{"name":"attr"},"channel":"web"},"object":{"current":{"id":1},"id":"o1","type":"t"},"extra":{"k":"v"}}`)
	tests := []struct {
		e    Event
		want bool
	}{
		{Event{"name": "a"}, true},
		{Event{"attributes": Data{"name": "attr"}}, true},
		{Event{"channel": "web"}, true},
		{Event{"attributes": Data{"channel": "web"}}, true},
		{Event{"object_id": "o1", "object_type": "t", "object_version": 1}, true},
		{Event{"current": Data{"id": 1}}, true},
		{Event{"previous": Exists(false)}, true},
		{Event{"extra": Data{"k": "v"}}, true},
		{Event{"version": 1}, true},
		{Event{"domain": Exists(false), "publisher": Empty()}, true},
		{Event{"domain": ""}, false},
		{Event{}, true},
	}
	for _, tt := range tests {
		if got := MustCompile(tt.e).Match(doc); got != tt.want {
			t.Errorf("%v: got %v, want %v", MustCompile(tt.e), got, tt.want)
		}
	}
	if p := EventPath("email"); strings.Join(p, ".") != "event.attributes.email" {
		t.Errorf("EventPath(email) = %v", p)
	}
	if p := EventPath("object_id"); strings.Join(p, ".") != "object.id" {
		t.Errorf("EventPath(object_id) = %v", p)
	}
}

func TestMustCompilePanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("MustCompile of an invalid pattern did not panic")
		}
	}()
	MustCompile(Gt("x"))
}

func TestRegexPrefix(t *testing.T) {
	tests := []struct {
		src    string
		prefix string
		exact  bool
	}{
		{"user:(.*)", "user:", true},
		{"user:", "user:", true},
		{"^user:.*$", "user:", false},
		{".*bar", "", false},
		{"x.*", "x", true},
		{"(?i)user", "", false},
		{"ab|ac", "a", false},
		{"(ab)c?", "ab", true},
		{"a\\d", "a", false},
		{"", "", true},
		{"a(?i)b", "a", false},
	}
	for _, tt := range tests {
		p, exact := regexPrefix(tt.src)
		if p != tt.prefix || exact != tt.exact {
			t.Errorf("regexPrefix(%q) = %q, %v; want %q, %v", tt.src, p, exact, tt.prefix, tt.exact)
		}
	}
}

// The literal-prefix and character-class shortcuts agree with the regexp
// engine.
func TestRegexShortcutsAgreeWithRegexp(t *testing.T) {
	exprs := []string{
		`\d+`, `user:(.*)`, `user:\d`, `[a-z]+:`, `(?i)k`, `.`, `(?s).`, `[^a]`, `a+`, `\D*`,
		`x[0-9]{1,3}`, `(u)(\d)+`, `^\w`, `\bx`, `ab|ac`, `a$`, `[\x{FFFD}]`, `.*`, `(?i)é+`,
		`a(?:b|c)`, `\pL`, `(a|b)c`, `[[:upper:]]+x?`,
	}
	inputs := []string{"", "a", "ab", "1", "12x", "user:1", "user:", "user:x", "K", "k", "\u212a", "\n",
		"\xff", "x12", "ux1", "u12", "é", "É", "Ab", "a\n", "b", "ac", "ABCx", "\u00e9t\u00e9"}
	for _, src := range exprs {
		n, err := compileRegex(src, "")
		if err != nil {
			t.Fatal(err)
		}
		re := n.(*regexNode)
		for _, in := range inputs {
			if got, want := re.match(in, true), re.re.MatchString(in); got != want {
				t.Errorf("%q on %q: shortcut %v, regexp %v (prefix %q exact %v class %v)", src, in, got, want, re.prefix, re.exact, re.class)
			}
		}
	}
	_, exact, class := regexShape(`\d+`)
	if !exact || class == nil {
		t.Errorf(`\d+ does not take the character-class shortcut`)
	}
}
