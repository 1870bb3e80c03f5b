package match

import (
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/codec"
	"github.com/sqs-mega/sqs-mega-go/protocol"
)

const dispatchTopic = "arn:aws:sns:us-east-1:123456789012:orders"

// dispatchSets returns event and data pattern sets drawn from the
// generators, indexed and not, with seed.
func dispatchSets(seed uint64) (events, data *Set) {
	r := rand.New(rand.NewPCG(seed, 99))
	events, data = &Set{}, &Set{}
	for id := range 60 {
		var p Event
		if id%2 == 0 {
			p = genEventPattern(r)
		} else {
			p = genIndexedPattern(r)
			if r.IntN(2) == 0 {
				p["name"] = pick(r, genNames)
			}
		}
		events.Add(id, MustCompile(p))
	}
	for id := range 30 {
		d := Data{}
		for range 1 + r.IntN(2) {
			d[pick(r, append(genAttrKeys, "id", "a", "Type"))] = genLeaf(r, 1)
		}
		var p any = d
		if id%7 == 0 {
			p = Data{}
		}
		data.Add(id, MustCompile(p))
	}
	return events, data
}

// reference is what a consumer did before Dispatch: decode, then match the
// decoded document.
func reference(dec *protocol.Decoder, events, data *Set, body string) (protocol.Kind, []int) {
	m, _ := dec.Decode(body)
	switch m.Kind {
	case protocol.KindMega:
		return m.Kind, events.Matches(m.Document(), nil)
	case protocol.KindData:
		return m.Kind, data.Matches(m.Data, nil)
	}
	return m.Kind, nil
}

var dispatchDecoders = []*protocol.Decoder{
	nil,
	{TopicARNs: []string{dispatchTopic}},
	{TrustedOnly: true},
}

func checkDispatch(t *testing.T, events, data *Set, b *protocol.Body, body string) (matched int) {
	t.Helper()
	for _, dec := range dispatchDecoders {
		d := Dispatcher{Decoder: dec, Events: events, Data: data}
		kind, ids := d.Dispatch(body, b, nil)
		rd := dec
		if rd == nil {
			rd = &protocol.Decoder{}
		}
		wk, wids := reference(rd, events, data, body)
		if kind != wk || !slices.Equal(ids, wids) {
			t.Fatalf("Dispatch(%q) with %+v = %s %v; decoding and matching give %s %v", body, dec, kind, ids, wk, wids)
		}
		matched += len(ids)
	}
	return matched
}

// genDispatchBody returns a body: a MEGA event (valid or broken), a data
// document, in JSON or BSON, sometimes in an SNS envelope.
func genDispatchBody(r *rand.Rand) string {
	doc := genBody(r)
	switch r.IntN(8) {
	case 0:
		doc = map[string]any{"a": genValue(r, 2), "id": genScalar(r), "email": genScalar(r)}
	case 1:
		delete(doc["event"].(map[string]any), pick(r, []string{"name", "timestamp"}))
	case 2:
		doc["event"].(map[string]any)[pick(r, []string{"version", "domain", "attributes"})] = genValue(r, 1)
	case 3:
		doc[pick(r, []string{"object", "extra"})] = genValue(r, 1)
	}
	var body string
	if r.IntN(4) == 0 {
		raw, err := codec.EncodeBSON(doc)
		if err != nil {
			panic(err)
		}
		body = base64.StdEncoding.EncodeToString(raw)
	} else {
		raw, err := json.Marshal(doc)
		if err != nil {
			panic(err)
		}
		body = string(raw)
	}
	if r.IntN(3) == 0 {
		topic := pick(r, []string{dispatchTopic, "arn:aws:sns:us-east-1:1:other"})
		env, err := json.Marshal(map[string]any{
			"Type": "Notification", "MessageId": "m-1", "TopicArn": topic,
			"Timestamp": "2021-03-04T05:06:07.000Z", "Message": body,
		})
		if err != nil {
			panic(err)
		}
		body = string(env)
	}
	return body
}

// Dispatch decides on the raw body exactly as decoding and matching do.
func TestDispatchAgainstDecode(t *testing.T) {
	events, data := dispatchSets(1)
	r := rand.New(rand.NewPCG(3, 4))
	var b protocol.Body
	matched := 0
	for range 3000 {
		matched += checkDispatch(t, events, data, &b, genDispatchBody(r))
	}
	if matched == 0 {
		t.Fatal("nothing matched: the test checks nothing")
	}
}

// FuzzDispatch checks, for any body, that Dispatch gives the kind and the
// pattern ids that decoding the body and matching its document give.
func FuzzDispatch(f *testing.F) {
	r := rand.New(rand.NewPCG(5, 6))
	for range 40 {
		f.Add(genDispatchBody(r))
	}
	f.Add(`{"protocol":"mega","version":1,"event":{"name":"user:created","timestamp":"2021-01-02T03:04:05Z","email":"a@example.com","attributes":{"email":"x"}}}`)
	f.Add(`{"a":"web","a":1,"id":"42"}`)
	events, data := dispatchSets(1)
	var b protocol.Body
	f.Fuzz(func(t *testing.T, body string) {
		checkDispatch(t, events, data, &b, body)
	})
}

// benchDispatchBody is a MEGA event of about 1 KiB.
const benchDispatchBody = `{"protocol":"mega","version":1,"event":{"name":"shopping_cart.item.added","timestamp":"2021-03-04T05:06:07.123456+00:00","version":1,"domain":"shopping_cart","subject":"987650","publisher":"shopping-cart-service","attributes":{"item_id":"61fcc874-624e-40f8-8fd7-0e663c7837e8","quantity":5,"price":19.99}},"object":{"type":"shopping_cart","id":"18a3f92e-1fbf-45eb-8769-d836d0a1be55","version":2,"current":{"id":"18a3f92e-1fbf-45eb-8769-d836d0a1be55","user_id":987650,"items":[{"id":"item-0-61fcc874-624e-40f8","quantity":1,"price":9.99,"gift":true},{"id":"item-1-61fcc874-624e-40f8","quantity":2,"price":10.99,"gift":false},{"id":"item-2-61fcc874-624e-40f8","quantity":3,"price":11.99,"gift":true},{"id":"item-3-61fcc874-624e-40f8","quantity":4,"price":12.99,"gift":false}],"total":59.96}},"extra":{"channel":"web/desktop","user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1 Safari/605.1.15","user_ip_address":"177.182.205.103"}}`

// Matching an event on the fields the set indexes allocates nothing;
// each further value a pattern tests costs at most one small allocation
// (a string or number put in an interface).
func TestDispatchAllocs(t *testing.T) {
	var indexed, tested Set
	indexed.Add(1, MustCompile(Event{"name": "shopping_cart.item.added"}))
	indexed.Add(2, MustCompile(Event{"name": Prefix("shopping_cart.")}))
	indexed.Add(3, MustCompile(Event{"name": "user:created"}))
	tested.Add(1, MustCompile(Event{"name": "shopping_cart.item.added", "item_id": Prefix("61fcc874"), "channel": Not("web")}))
	tested.Add(2, MustCompile(Event{"name": Prefix("shopping_cart."), "current": Data{"user_id": Gt(5)}, "attributes": Data{"quantity": Exists(true)}}))
	for _, c := range []struct {
		set       *Set
		maxAllocs float64
	}{{&indexed, 0}, {&tested, 4}} {
		d := Dispatcher{Events: c.set}
		var b protocol.Body
		dst := make([]int, 0, 4)
		var kind protocol.Kind
		allocs := testing.AllocsPerRun(100, func() {
			kind, dst = d.Dispatch(benchDispatchBody, &b, dst[:0])
		})
		if kind != protocol.KindMega || !slices.Equal(dst, []int{1, 2}) {
			t.Fatalf("Dispatch = %s %v, want mega [1 2]", kind, dst)
		}
		if allocs > c.maxAllocs {
			t.Errorf("Dispatch allocates %v times per event, want at most %v", allocs, c.maxAllocs)
		}
	}
}

// BenchmarkDispatch measures deciding on a 1 KiB MEGA JSON event, against
// decoding it and matching the decoded document.
func BenchmarkDispatch(b *testing.B) {
	for _, n := range []int{1, 100, 1000, 10000} {
		var s Set
		s.Add(0, MustCompile(Event{"name": "shopping_cart.item.added", "domain": "shopping_cart"}))
		for i := 1; i < n; i++ {
			s.Add(i, MustCompile(benchPattern(i)))
		}
		b.Run(fmtN("raw", n), func(b *testing.B) {
			d := Dispatcher{Events: &s}
			var body protocol.Body
			var dst []int
			b.ReportAllocs()
			b.SetBytes(int64(len(benchDispatchBody)))
			for b.Loop() {
				var k protocol.Kind
				if k, dst = d.Dispatch(benchDispatchBody, &body, dst[:0]); k != protocol.KindMega || len(dst) == 0 {
					b.Fatal(k, dst)
				}
			}
		})
		b.Run(fmtN("decode", n), func(b *testing.B) {
			var dst []int
			b.ReportAllocs()
			b.SetBytes(int64(len(benchDispatchBody)))
			for b.Loop() {
				m, err := protocol.Decode(benchDispatchBody)
				if err != nil {
					b.Fatal(err)
				}
				if dst = s.Matches(m.Document(), dst[:0]); len(dst) == 0 {
					b.Fatal(dst)
				}
			}
		})
	}
}

func fmtN(what string, n int) string { return what + "/patterns=" + strconv.Itoa(n) }
