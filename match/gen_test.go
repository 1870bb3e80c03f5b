package match

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// Random MEGA event bodies and event patterns, drawn from a small
// vocabulary so that patterns often match, for the property tests of the
// SNS push-down and of the Set.

var (
	genNames    = []string{"user:created", "user:updated", "user:deleted", "order:placed", "order:shipped", "cart.item.added", "user"}
	genDomains  = []string{"user", "order", "cart", ""}
	genSubjects = []string{"123", "987650", "abc", "", "042"}
	genStrings  = []string{"a@example.com", "", "test", "synthetic", "john", "web", "web/desktop", "mobile", "user:x", "42", "042", "42.0", "-0", "5", "abc"}
	genNumbers  = []string{"0", "5", "42", "42.0", "-1", "5.5", "1e3", "1000000001", "0.000001", "-0.5", "3", "1"}
	genAttrKeys = []string{"email", "username", "quantity", "channel", "tags", "name"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// genScalar returns a random JSON scalar (json.Number for numbers).
func genScalar(r *rand.Rand) any {
	switch r.IntN(10) {
	case 0:
		return nil
	case 1:
		return r.IntN(2) == 0
	case 2, 3, 4:
		return json.Number(pick(r, genNumbers))
	}
	return pick(r, genStrings)
}

// genValue returns a random JSON value, sometimes an array or object.
func genValue(r *rand.Rand, depth int) any {
	if depth > 0 {
		switch r.IntN(8) {
		case 0:
			n := r.IntN(4)
			arr := make([]any, n)
			for i := range arr {
				arr[i] = genValue(r, depth-1)
			}
			return arr
		case 1:
			m := map[string]any{}
			for i := r.IntN(3); i > 0; i-- {
				m[pick(r, genAttrKeys)] = genValue(r, depth-1)
			}
			return m
		}
	}
	return genScalar(r)
}

// genBody returns a random valid MEGA event body, as decoded JSON.
func genBody(r *rand.Rand) map[string]any {
	ev := map[string]any{
		"name":      pick(r, genNames),
		"timestamp": "2020-05-04T15:53:27.823",
	}
	switch r.IntN(5) {
	case 0: // absent
	case 1:
		ev["version"] = nil
	case 2:
		ev["version"] = fmt.Sprint(1 + r.IntN(3))
	default:
		ev["version"] = json.Number(fmt.Sprint(r.IntN(4)))
	}
	for _, k := range []string{"domain", "subject", "publisher"} {
		switch r.IntN(4) {
		case 0: // absent
		case 1:
			ev[k] = nil
		default:
			if k == "subject" {
				ev[k] = pick(r, genSubjects)
			} else {
				ev[k] = pick(r, genDomains)
			}
		}
	}
	attrs := map[string]any{}
	for i := r.IntN(4); i > 0; i-- {
		k := pick(r, genAttrKeys)
		if k == "name" || r.IntN(3) > 0 {
			attrs[k] = genValue(r, 2)
		} else {
			ev[k] = genValue(r, 2) // an event-level key the decoder folds in
		}
	}
	switch r.IntN(4) {
	case 0: // absent
	case 1:
		ev["attributes"] = nil
	default:
		ev["attributes"] = attrs
	}
	body := map[string]any{"protocol": "mega", "version": json.Number("1"), "event": ev}
	if r.IntN(2) == 0 {
		obj := map[string]any{"current": map[string]any{"id": genScalar(r), "items": genValue(r, 2)}}
		if r.IntN(2) == 0 {
			obj["type"] = pick(r, []any{"user", "cart", nil})
		}
		if r.IntN(2) == 0 {
			obj["id"] = pick(r, []any{"18a3f92e-1fbf", "x", nil})
		}
		if r.IntN(3) == 0 {
			obj["previous"] = map[string]any{"id": genScalar(r)}
		}
		body["object"] = obj
	}
	if r.IntN(2) == 0 {
		body["extra"] = map[string]any{"channel": pick(r, genStrings), "n": genScalar(r)}
	}
	return body
}

// genLeaf returns a random leaf pattern in canonical form.
func genLeaf(r *rand.Rand, depth int) any {
	num := func() any { return json.Number(pick(r, genNumbers)) }
	str := func() any { return pick(r, genStrings) }
	switch r.IntN(22) {
	case 0:
		return str()
	case 1:
		return num()
	case 2:
		return OneOf(str(), str())
	case 3:
		return OneOf(num(), num(), str())
	case 4:
		return Prefix(pick(r, []string{"user:", "web", "4", "", "a"}))
	case 5:
		return Suffix(pick(r, []string{".com", "added", "", "0"}))
	case 6:
		return Regex(pick(r, []string{"user:(.*)", `\d+`, "web/", "(?i)WEB", "a|b", "042", ".*"}))
	case 7:
		return Not(str())
	case 8:
		return Not(OneOf(str(), str()))
	case 9:
		return Not(Empty())
	case 10:
		return Empty()
	case 11:
		return Exists(r.IntN(2) == 0)
	case 12:
		return Not(Exists(r.IntN(2) == 0))
	case 13:
		return Gt(num())
	case 14:
		return And(Gte(num()), Lte(num()))
	case 15:
		return Not(Prefix(pick(r, []string{"user:", "w"})))
	case 16:
		if depth > 0 {
			return Or(genLeaf(r, depth-1), genLeaf(r, depth-1))
		}
		return nil
	case 17:
		if depth > 0 {
			return And(genLeaf(r, depth-1), genLeaf(r, depth-1))
		}
		return true
	case 18:
		if depth > 0 {
			return Contains(genLeaf(r, depth-1))
		}
		return Lt(num())
	case 19:
		if depth > 0 {
			return map[string]any{pick(r, genAttrKeys): genLeaf(r, depth-1)}
		}
		return Match(nil)
	case 20:
		return Eq(num())
	}
	return Not(num())
}

// genEventPattern returns a random event pattern.
func genEventPattern(r *rand.Rand) Event {
	e := Event{}
	keys := []string{"name", "domain", "subject", "publisher", "object_type", "object_id", "version", "attributes", "current", "previous", "extra", "email", "username", "quantity", "channel", "tags"}
	for i := r.IntN(4); i >= 0; i-- {
		k := pick(r, keys)
		switch k {
		case "name":
			e[k] = pick(r, []any{pick(r, genNames), OneOf(pick(r, genNames), pick(r, genNames)), Regex("user:(.*)"), Prefix("order:"), Not(pick(r, genNames)), Suffix("added"), genLeaf(r, 1)})
		case "attributes", "current", "previous", "extra":
			m := map[string]any{}
			for j := r.IntN(2); j >= 0; j-- {
				m[pick(r, append(genAttrKeys, "id", "items"))] = genLeaf(r, 1)
			}
			e[k] = m
		default:
			e[k] = genLeaf(r, 1)
		}
	}
	return e
}

func TestGeneratorsProduceValidInput(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		if _, err := Compile(genEventPattern(r)); err != nil {
			t.Fatal(err)
		}
		if _, err := normalizeEventDoc(genBody(r)); err != nil {
			t.Fatal(err)
		}
	}
}
