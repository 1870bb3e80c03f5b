// Package match implements the pattern-matching DSL of SQS MEGA (SPEC.md
// §3): patterns that select MEGA events and data payloads, written in Go
// or in their JSON form, compiled once and applied to every message.
//
// # Patterns
//
// A pattern is a Go value. A bare value means equality; operators are
// built by constructors such as [Regex], [OneOf], [Gt], [Not] and [Empty];
// mappings ([Data], map[string]any) hold a pattern per key. An [Event]
// pattern names the fields of a MEGA event:
//
//	p := match.Event{
//		"name":      match.Regex(`user:(.*)`),
//		"version":   match.OneOf(1, 2, 3),
//		"timestamp": match.Gt(match.DateTime("2020-01-01")),
//		"domain":    "user",
//		"subject":   match.Regex(`\d+`),
//		"email":     match.Not(match.Empty()),                // an attribute
//		"username":  match.Not(match.OneOf("synthetic", "test")),
//	}
//	m, err := match.Compile(p)
//
// In full, a pattern is any of these Go values, nested freely:
//
//   - nil, a bool, a string, or a number (any Go integer or float type, or a
//     json.Number holding the exact decimal text): equality with that value;
//   - a time.Time: equality with that date-time (the same as [DateTime]);
//   - a slice: set-like equality with an array whose items are patterns;
//   - a map[string]any, a [Data] or any map with string keys: a mapping
//     pattern, each key's pattern applied to the value under that key;
//   - an [Op] built by a constructor of this package;
//   - at the root only, an [Event]: a pattern for MEGA events.
//
// Every pattern has a JSON form: json.Marshal of any pattern (or of a
// [Matcher]) produces it, and [Parse] or [ParseEvent] read it back, with
// numbers kept exact. (A time.Time nested in a plain map or slice that
// json.Marshal encodes directly becomes a string; inside an Op, an Event, a
// Data or a Matcher it becomes a $datetime literal.) PATTERNS.md, beside this file, describes every
// operator, the type rules and where they deliberately differ from the
// Python sqs-mega library.
//
// # Documents
//
// [Matcher.Match] takes a decoded document made of nil, bool, string,
// json.Number (the exact decimal text; other Go number types are accepted
// too), []any, map[string]any and time.Time. An event pattern applies to
// the normalized document of a MEGA event, as the protocol package builds
// it: event.timestamp is a time.Time, event.version and object.version are
// numbers with their defaults applied, attributes hold the event keys the
// decoder folds in, and null fields are absent. A data pattern applies to
// the decoded data document as it is.
//
// Matching never fails: a value of a type an operator cannot apply to
// makes that operator false. A key missing from the document makes every
// operator false except $exists: false, $empty and the logical operators,
// which pass the missing value to their operands.
//
// # Compiling and dispatching
//
// [Compile] validates a pattern and returns an immutable [Matcher]:
// decimals, dates and regular expressions are parsed once, and matching
// allocates nothing for documents of the types above. An invalid pattern
// fails with an error that matches [ErrInvalidPattern] and names the path
// and the reason, as a *[PatternError].
//
// A [Set] holds many matchers and returns all those matching a document
// without trying each in turn: it indexes patterns on the event names and
// other string fields they require.
//
// [Set.MatchSource] matches a document it reads through a [Source] by
// path, only where the patterns look, and [Dispatcher] puts it together
// with a protocol.Body: it decides which patterns want a message body
// before the body is decoded, with the same answer as decoding it and
// calling Set.Matches.
//
// [Matcher.SNSFilter] translates the part of a pattern that Amazon SNS can
// evaluate into a subscription filter policy on the message body, so that
// SNS drops messages no subscriber wants before they reach the queue.
// Package filterpolicy builds the policy and states the semantics it is
// proven against, which the memory transport runs.
//
// # Concurrency
//
// Op values, compiled Matchers and Sets are safe for concurrent use. Event
// and Data are plain maps: do not mutate one while another goroutine
// compiles it.
package match
