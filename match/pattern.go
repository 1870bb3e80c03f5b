package match

import (
	"encoding/json"
	"time"
)

// Event is an event pattern: its keys name fields of a MEGA event ("name",
// "timestamp", "version", "domain", "subject", "publisher", "attributes",
// "object_type", "object_id", "object_version", "current", "previous",
// "extra"); any other key names an event attribute. Each value is a
// pattern for that field. An empty Event matches every MEGA event.
//
// An Event is a plain map: build it, then [Compile] it once. Like any map
// it is not safe for concurrent mutation; the compiled [Matcher] keeps no
// reference to it.
type Event map[string]any

// Data is a mapping pattern for a data payload (any JSON object that is not
// a MEGA event): each key's pattern applies to the value under that key.
// It means the same as a map[string]any and exists for readability. An
// empty Data matches every data payload.
//
// Like any map it is not safe for concurrent mutation; the compiled
// [Matcher] keeps no reference to it.
type Data map[string]any

// MarshalJSON encodes the event pattern in its JSON form.
func (e Event) MarshalJSON() ([]byte, error) { return marshalPattern(map[string]any(e)) }

// MarshalJSON encodes the data pattern in its JSON form.
func (d Data) MarshalJSON() ([]byte, error) { return marshalPattern(map[string]any(d)) }

// Op is an operator or a typed literal of the pattern DSL, such as
// {"$gt": 5} or {"$datetime": "2020-01-01"}. Build one with the
// constructors of this package; the zero Op is not a valid pattern.
// Operands are checked when the pattern is compiled, so a constructor never
// fails.
//
// An Op is an immutable value, safe for concurrent use, provided the
// operands given to its constructor are not mutated afterwards.
type Op struct {
	name string
	arg  any
}

// Operator names of the JSON form.
const (
	opEq       = "$eq"
	opMatch    = "$match"
	opGt       = "$gt"
	opGte      = "$gte"
	opLt       = "$lt"
	opLte      = "$lte"
	opIn       = "$in"
	opOneOf    = "$one_of"
	opNot      = "$not"
	opAnd      = "$and"
	opOr       = "$or"
	opEmpty    = "$empty"
	opExists   = "$exists"
	opPrefix   = "$prefix"
	opSuffix   = "$suffix"
	opContains = "$contains"
	opDateTime = "$datetime"
	opDate     = "$date"
	opNumber   = "$number"
)

// Name returns the operator's JSON name, such as "$gt" ("" for the zero Op).
func (o Op) Name() string { return o.name }

// Operand returns the operand as given to the constructor (a []any for
// operators that take several).
func (o Op) Operand() any { return o.arg }

// MarshalJSON encodes the operator in its JSON form, {"$name": operand}.
func (o Op) MarshalJSON() ([]byte, error) { return marshalPattern(o) }

// String returns the JSON form, or a description of why it has none.
func (o Op) String() string {
	b, err := marshalPattern(o)
	if err != nil {
		return "!" + err.Error()
	}
	return string(b)
}

// Eq holds when the value equals v under the type rules of SPEC.md §3
// (numbers by decimal value, arrays set-like, mappings as mapping
// patterns). A bare value in a pattern means the same. v is a value, not an
// operator: Eq(Gt(1)) is invalid. JSON: {"$eq": v}.
func Eq(v any) Op { return Op{opEq, v} }

// Regex holds when the value is a string and the RE2 regular expression
// expr matches at its start (like Python's re.match: anchored at the start
// only; end it with $ to anchor the end). JSON: {"$match": "expr"}.
func Regex(expr string) Op { return Op{opMatch, expr} }

// Match is the $match operator with any operand: a string is a regular
// expression (see [Regex]); nil holds for falsy values (null, false, 0, "",
// [], {}); a bool tests truthiness (the string "false", in any case, is
// false); a number or date-time literal means equality; a slice holds for
// a scalar equal to one of its items or for an array containing a match for
// every item; a mapping is a mapping pattern. JSON: {"$match": v}.
func Match(v any) Op { return Op{opMatch, v} }

// OneOf holds when the value is a scalar (null, bool, number, string or
// date-time) equal to, or matched by, one of the items; items may be
// patterns. JSON: {"$in": [items...]} (also accepted: "$one_of").
func OneOf(items ...any) Op { return Op{opIn, listArg(items)} }

// Gt holds when the value is greater than v, a number or date-time literal
// ([Number], [DateTime], [Date], a Go number or a time.Time). JSON: {"$gt": v}.
func Gt(v any) Op { return Op{opGt, v} }

// Gte holds when the value is greater than or equal to v. See [Gt].
func Gte(v any) Op { return Op{opGte, v} }

// Lt holds when the value is less than v. See [Gt].
func Lt(v any) Op { return Op{opLt, v} }

// Lte holds when the value is less than or equal to v. See [Gt].
func Lte(v any) Op { return Op{opLte, v} }

// Not holds when p does not; a bare value means "not equal". Unlike other
// operators it holds on a missing key when p does not.
// JSON: {"$not": p}.
func Not(p any) Op { return Op{opNot, p} }

// And holds when every pattern holds (at least one is required).
// JSON: {"$and": [ps...]}.
func And(ps ...any) Op { return Op{opAnd, listArg(ps)} }

// Or holds when at least one pattern holds (at least one is required).
// JSON: {"$or": [ps...]}.
func Or(ps ...any) Op { return Op{opOr, listArg(ps)} }

// Empty holds when the key is missing or the value is null, "", an empty
// array or an empty object. Use Not(Empty()) for "present and not empty".
// JSON: {"$empty": true}.
func Empty() Op { return Op{opEmpty, true} }

// Exists holds when the key is present (even with a null value) if want is
// true, or absent if want is false. JSON: {"$exists": want}.
func Exists(want bool) Op { return Op{opExists, want} }

// Prefix holds when the value is a string starting with s.
// JSON: {"$prefix": s}.
func Prefix(s string) Op { return Op{opPrefix, s} }

// Suffix holds when the value is a string ending with s.
// JSON: {"$suffix": s}.
func Suffix(s string) Op { return Op{opSuffix, s} }

// Contains holds when the value is an array with at least one element
// matched by p. JSON: {"$contains": p}.
func Contains(p any) Op { return Op{opContains, p} }

// DateTime is a date-time literal in ISO-8601 form
// ("2020-05-04T15:53:27.823+02:00"; no offset means UTC). A date-only text
// makes a date literal, as [Date] does. As a pattern on its own it means
// equality. JSON: {"$datetime": s}.
func DateTime(s string) Op { return Op{opDateTime, s} }

// Date is a calendar date literal, "YYYY-MM-DD". Against a date-time it
// compares with the calendar date in the date-time's own offset.
// JSON: {"$date": s}.
func Date(s string) Op { return Op{opDate, s} }

// Number is an exact decimal literal, such as "19.99" (no float rounding).
// JSON: {"$number": s}.
func Number(s string) Op { return Op{opNumber, s} }

func listArg(items []any) []any {
	if items == nil {
		return []any{}
	}
	return items
}

// timeLiteral is the $datetime text of a time.Time used in a pattern.
func timeLiteral(t time.Time) Op { return Op{opDateTime, t.Format(time.RFC3339Nano)} }

var (
	_ json.Marshaler = Op{}
	_ json.Marshaler = Event(nil)
	_ json.Marshaler = Data(nil)
)
