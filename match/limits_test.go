package match_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/match"
)

// Patterns built to make compiling or matching expensive, or to exhaust
// the stack, are rejected when they are compiled, with an error that says
// where and why: a subscriber registered with one fails at once, not on
// the first message.
func TestPathologicalPatternsAreRejected(t *testing.T) {
	deepNot := func(n int) any {
		var p any = 1
		for range n {
			p = match.Not(p)
		}
		return p
	}
	deepMap := func(n int) any {
		var p any = 1
		for range n {
			p = map[string]any{"a": p}
		}
		return p
	}
	list := func(n int) []any {
		items := make([]any, n)
		for i := range items {
			items[i] = i
		}
		return items
	}
	tests := []struct {
		name    string
		pattern any
		path    string // where the error says the problem is
		reason  string // what the reason says
	}{
		{"HugeRegex", match.Event{"name": match.Regex(strings.Repeat("a", match.MaxRegexLen+1))}, "name", "longer than 4096 bytes"},
		{"RegexOfHugeRepetition", map[string]any{"id": match.Regex(`a{1001}`)}, "id", "invalid repeat count"},
		{"RegexOfNestedRepetitions", map[string]any{"id": match.Regex(`((a{1000}){1000}){1000}`)}, "id", "invalid repeat count"},
		{"DeepOperators", deepNot(match.MaxDepth + 1), "$not", "nested deeper than 64 levels"},
		{"DeepMappings", deepMap(match.MaxDepth + 1), "a.a.a", "nested deeper than 64 levels"},
		{"DeepInEvent", match.Event{"subject": deepNot(match.MaxDepth + 1)}, "subject.$not", "nested deeper than 64 levels"},
		{"HugeIn", map[string]any{"x": match.OneOf(list(match.MaxListLen + 1)...)}, "x.$in", "a list holds 1025 items, more than 1024"},
		{"HugeOr", match.Or(list(match.MaxListLen + 1)...), "$or", "more than 1024"},
		{"HugeAnd", match.And(list(match.MaxListLen + 1)...), "$and", "more than 1024"},
		{"HugeArray", map[string]any{"tags": list(match.MaxListLen + 1)}, "tags", "more than 1024"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := match.Compile(tc.pattern)
			checkPatternError(t, err, tc.path, tc.reason)
		})
	}
}

func TestPathologicalJSONPatternsAreRejected(t *testing.T) {
	nest := func(open, leaf, close string, n int) string {
		return strings.Repeat(open, n) + leaf + strings.Repeat(close, n)
	}
	tests := []struct {
		name   string
		json   string
		path   string
		reason string
	}{
		{"DeepOperators", nest(`{"$not":`, "1", "}", match.MaxDepth+1), "$not", "nested deeper than 64 levels"},
		{"DeepArrays", nest("[", "1", "]", match.MaxDepth+2), "[0]", "nested deeper than 64 levels"},
		// Far beyond any depth the parser could recurse into.
		{"AbysmalNesting", nest(`{"a":`, "1", "}", 150000), "", "max depth"},
		{"AbysmalArrays", nest("[", "", "]", 500000), "", "max depth"},
		{"HugeIn", `{"x": {"$in": [` + strings.Repeat(`"v",`, match.MaxListLen) + `"v"]}}`, "x.$in", "more than 1024"},
		{"HugeRegex", `{"$match": "` + strings.Repeat("a", match.MaxRegexLen+1) + `"}`, "", "longer than 4096 bytes"},
		{"HugePattern", `{"a": "` + strings.Repeat("x", match.MaxPatternSize) + `"}`, "", "larger than 1048576 bytes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := match.Parse([]byte(tc.json))
			checkPatternError(t, err, tc.path, tc.reason)
			if _, err := match.ParseEvent([]byte(`{"subject": ` + tc.json + `}`)); !errors.Is(err, match.ErrInvalidPattern) {
				t.Errorf("ParseEvent accepted it under an event key: %v", err)
			}
		})
	}
}

// checkPatternError checks that err is a *match.PatternError whose path
// starts with path and whose reason says reason.
func checkPatternError(t *testing.T, err error, path, reason string) {
	t.Helper()
	if !errors.Is(err, match.ErrInvalidPattern) {
		t.Fatalf("error %v, want one matching ErrInvalidPattern", err)
	}
	var pe *match.PatternError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v is not a *PatternError", err)
	}
	if !strings.HasPrefix(pe.Path, path) {
		t.Errorf("path %.60q, want it to start with %q", pe.Path, path)
	}
	if !strings.Contains(pe.Reason, reason) {
		t.Errorf("reason %.200q, want it to say %q", pe.Reason, reason)
	}
	if len(err.Error()) > 2*match.MaxDepth*len("$not.")+len(pe.Reason)+100 {
		t.Errorf("error of %d bytes: it should say where and why, not repeat the pattern", len(err.Error()))
	}
}
