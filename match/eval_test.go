package match

import (
	"strings"
	"testing"
	"time"
)

// Nested set-like array equality tries each (item, element) pair once per
// level, so a deeply nested pattern cannot make matching exponential.
func TestNestedArraysStayFast(t *testing.T) {
	const depth = 40
	pattern := strings.Repeat("[1,", depth) + "1" + strings.Repeat("]", depth)
	value := strings.Repeat("[1,1,", depth) + "2" + strings.Repeat("]", depth)
	m := MustCompile(mustParse(t, []byte(pattern)))
	v, _ := decodeJSON([]byte(value))
	start := time.Now()
	if m.Match(v) {
		t.Fatal("matched a value with a 2 where the pattern wants 1")
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("matching took %v", d)
	}
}
