package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"
)

// The event corpus: MEGA events as a typical service emits them, about
// 1 KiB of JSON each, generated from a seed so that every process of a run
// (and every run) sees the same events.

type domainSpec struct {
	domain     string
	names      []string
	publishers []string
	objectType string
}

var domains = []domainSpec{
	{"accounts", []string{"user:created", "user:updated", "user:deleted", "user:login", "user:password_reset"}, []string{"accounts-api", "identity-service"}, "user"},
	{"shop", []string{"order.placed", "order.paid", "order.shipped", "order.cancelled", "order.refunded"}, []string{"checkout-service", "orders-api", "fulfilment-worker"}, "order"},
	{"payments", []string{"payment.authorized", "payment.captured", "payment.failed", "invoice.issued", "invoice.paid"}, []string{"payments-gateway", "billing-service"}, "payment"},
	{"inventory", []string{"stock.reserved", "stock.released", "stock.depleted", "product.updated"}, []string{"inventory-service", "catalog-api"}, "product"},
	{"notifications", []string{"email.sent", "email.bounced", "sms.sent", "push.delivered"}, []string{"notifier", "mailer"}, "message"},
}

var (
	tiers      = []string{"free", "basic", "gold", "platinum", "enterprise"}
	regions    = []string{"eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-2", "sa-east-1"}
	channels   = []string{"web", "ios", "android", "api", "pos"}
	currencies = []string{"EUR", "USD", "GBP", "BRL", "AUD"}
	countries  = []string{"IE", "DE", "US", "BR", "AU", "GB", "FR"}
	referrers  = []string{"newsletter", "partner", "search", "social"}
)

// Attributes every event carries, and attributes only some carry. Patterns
// use "anything-but" only on the former (so that quamina and our DSL agree
// on events without the field) and "exists" on the latter.
var (
	alwaysAttributes   = []string{"tier", "region", "channel"}
	optionalAttributes = []string{"coupon", "referrer", "experiment", "retry_of"}
)

const customerIDs = 50000 // customer ids are c-00000 … c-49999

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

// genEvent builds the i-th event of the corpus for seed.
func genEvent(seed uint64, i int) map[string]any {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	d := pick(r, domains)
	name := pick(r, d.names)
	ts := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(90*24*3600)) * time.Second)
	objectID := fmt.Sprintf("%s-%07d", d.objectType, r.IntN(10_000_000))
	customer := fmt.Sprintf("c-%05d", r.IntN(customerIDs))
	attrs := map[string]any{
		"tier":        pick(r, tiers),
		"region":      pick(r, regions),
		"channel":     pick(r, channels),
		"customer_id": customer,
		"email":       fmt.Sprintf("%s@example.%s", customer, pick(r, []string{"com", "org", "net"})),
		"request_id":  fmt.Sprintf("req-%016x", r.Uint64()),
	}
	if r.IntN(4) == 0 {
		attrs["coupon"] = fmt.Sprintf("SPRING%02d", r.IntN(40))
	}
	if r.IntN(3) == 0 {
		attrs["referrer"] = pick(r, referrers)
	}
	if r.IntN(5) == 0 {
		attrs["experiment"] = fmt.Sprintf("exp-%d", r.IntN(12))
	}
	if r.IntN(20) == 0 {
		attrs["retry_of"] = fmt.Sprintf("evt-%08x", r.Uint32())
	}
	items := make([]any, 1+r.IntN(3))
	for k := range items {
		items[k] = map[string]any{
			"sku":      fmt.Sprintf("SKU-%06d", r.IntN(1_000_000)),
			"quantity": 1 + r.IntN(5),
			"price":    json.Number(fmt.Sprintf("%d.%02d", 1+r.IntN(300), r.IntN(100))),
		}
	}
	current := map[string]any{
		"id":       objectID,
		"status":   name[len(name)-min(len(name), 7):],
		"customer": customer,
		"currency": pick(r, currencies),
		"total":    json.Number(fmt.Sprintf("%d.%02d", r.IntN(2000), r.IntN(100))),
		"items":    items,
		"shipping": map[string]any{
			"country": pick(r, countries),
			"city":    pick(r, []string{"Dublin", "Berlin", "Austin", "São Paulo", "Sydney", "London"}),
			"line1":   fmt.Sprintf("%d Market Street", 1+r.IntN(999)),
		},
		"updated_at": ts.Format(time.RFC3339),
	}
	return map[string]any{
		"protocol": "mega",
		"version":  1,
		"event": map[string]any{
			"name":       name,
			"timestamp":  ts.Format("2006-01-02T15:04:05.000Z07:00"),
			"version":    1 + r.IntN(3),
			"domain":     d.domain,
			"subject":    objectID,
			"publisher":  pick(r, d.publishers),
			"attributes": attrs,
		},
		"object": map[string]any{
			"current":  current,
			"previous": map[string]any{"status": "pending", "updated_at": ts.Add(-time.Minute).Format(time.RFC3339)},
			"type":     d.objectType,
			"id":       objectID,
			"version":  1 + r.IntN(9),
		},
		"extra": map[string]any{
			"trace_id": fmt.Sprintf("%032x", r.Uint64()),
			"source":   "bench",
			"seq":      i,
		},
	}
}

// corpus returns n encoded events.
func corpus(seed uint64, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		b, err := json.Marshal(genEvent(seed, i))
		if err != nil {
			panic(err) // the generator builds only encodable values
		}
		out[i] = b
	}
	return out
}
