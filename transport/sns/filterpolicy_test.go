package sns_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/filterpolicy"
	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
)

// TestFilterPolicyDelivery subscribes queues to topics with the filter
// policies match pushes down, publishes MEGA event bodies, and checks
// that the server delivers exactly the bodies package filterpolicy (the
// evaluator of the memory transport) lets through.
//
// moto's filtering differs from AWS's in ways the cases below avoid, each
// excluded where it would arise:
//
//   - "$or" in the MessageBody scope goes through moto's
//     message-attribute code and fails, so no pattern here folds an
//     attribute (which generates an "$or");
//   - moto never matches a null condition;
//   - moto reads exists:true as "the key is present", also for null,
//     which AWS's documentation leaves open and filterpolicy does not
//     count as a value;
//   - moto gives up on a key as soon as one value condition meets an
//     absent field, before trying a later {"exists": false};
//   - moto fails (an internal error) when a prefix condition meets a
//     number or a numeric condition meets a string, so numeric policies
//     are only tried on numbers they accept or on absent fields.
func TestFilterPolicyDelivery(t *testing.T) {
	t.Parallel()
	ev := func(fields string) string {
		return `{"protocol":"mega","version":1,"event":{"timestamp":"2020-05-04T15:53:27.823"` + fields + `}}`
	}
	tests := []struct {
		name    string
		pattern any
		bodies  []string
	}{
		{"names", match.Event{"name": match.OneOf("user.created", "user.updated")}, []string{
			ev(`,"name":"user.created"`), ev(`,"name":"user.updated"`), ev(`,"name":"user.deleted"`), ev(`,"name":"USER.created"`),
		}},
		{"prefix and domain", match.Event{"name": match.Regex(`user:(.*)`), "domain": "user"}, []string{
			ev(`,"name":"user:1","domain":"user"`), ev(`,"name":"user:2","domain":"cart"`),
			ev(`,"name":"cart:1","domain":"user"`), ev(`,"name":"user:3"`),
		}},
		{"digit subject", match.Event{"name": "n", "subject": match.Regex(`\d+`)}, []string{
			ev(`,"name":"n","subject":"123"`), ev(`,"name":"n","subject":"x1"`), ev(`,"name":"n"`), ev(`,"name":"m","subject":"9"`),
		}},
		{"anything-but name", match.Event{"name": match.Not("a")}, []string{
			ev(`,"name":"a"`), ev(`,"name":"b"`), ev(`,"name":"ab"`),
		}},
		// The policy also admits an absent or null domain: not tried, as
		// moto stops at the anything-but and never matches null.
		{"anything-but domain", match.Event{"name": "n", "domain": match.Not(match.OneOf("a", "b"))}, []string{
			ev(`,"name":"n","domain":"a"`), ev(`,"name":"n","domain":"c"`), ev(`,"name":"n","domain":""`), ev(`,"name":"m","domain":"c"`),
		}},
		// A null publisher is not tried: moto never matches null.
		{"empty publisher", match.Event{"name": "n", "publisher": match.Empty()}, []string{
			ev(`,"name":"n"`), ev(`,"name":"n","publisher":""`), ev(`,"name":"n","publisher":"p"`),
		}},
		// A null domain is not tried: moto counts it as present.
		{"domain exists", match.Event{"name": "n", "domain": match.Exists(true)}, []string{
			ev(`,"name":"n","domain":"d"`), ev(`,"name":"n"`), ev(`,"name":"n","domain":""`),
		}},
		{"nested object", match.Event{"name": "n", "current": match.Data{"id": "x"}}, []string{
			ev(`,"name":"n"`),
			strings.TrimSuffix(ev(`,"name":"n"`), "}") + `,"object":{"current":{"id":"x"}}}`,
			strings.TrimSuffix(ev(`,"name":"n"`), "}") + `,"object":{"current":{"id":"y"}}}`,
			strings.TrimSuffix(ev(`,"name":"n"`), "}") + `,"object":{"current":{"id":["y","x"]}}}`,
		}},
		// Numbers outside the range and numeric strings are not tried:
		// moto then fails on the prefix conditions.
		{"numeric range", match.Data{"n": match.And(match.Gt(1.000001), match.Lte(10)), "k": "v"}, []string{
			`{"k":"v","n":1.5}`, `{"k":"v","n":10}`, `{"k":"v","n":1.000001}`, `{"k":"v"}`, `{"k":"w","n":5}`,
		}},
		{"exists false", match.Data{"n": match.Exists(false), "k": "v"}, []string{
			`{"k":"v"}`, `{"k":"v","n":1}`, `{"k":"v","n":"x"}`, `{"k":"w"}`,
		}},
		{"array element", match.Data{"tags": match.Contains("b")}, []string{
			`{"tags":["a","b"]}`, `{"tags":["a"]}`, `{"tags":"b"}`, `{"other":"b"}`,
		}},
	}
	e := newEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := match.MustCompile(tc.pattern).SNSFilter()
			if f.Policy == nil || len(f.Residual) > 0 {
				t.Fatalf("the pattern is not pushed down whole: policy %s, residual %v", f.Policy, f.Residual)
			}
			if strings.Contains(string(f.Policy), "$or") {
				t.Fatalf("policy %s holds an $or, which moto cannot evaluate on bodies", f.Policy)
			}
			policy, err := filterpolicy.Parse(string(f.Policy), filterpolicy.Scope(f.Scope))
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, b := range tc.bodies {
				if policy.Match(b, nil) {
					want = append(want, b)
				}
			}
			if len(want) == 0 || len(want) == len(tc.bodies) {
				t.Fatalf("policy %s lets %d of %d bodies through: the case tests no filtering", f.Policy, len(want), len(tc.bodies))
			}

			tp := e.topic(t, sns.TopicConfig{})
			q := e.subscribedQueue(t, tp, sns.QueueSubscription{
				RawMessageDelivery: true, FilterPolicy: string(f.Policy), FilterPolicyScope: f.Scope,
			})
			batch := make([]transport.Outgoing, len(tc.bodies))
			for i, b := range tc.bodies {
				batch[i] = transport.Outgoing{Body: b}
			}
			send(t, tp, batch...)
			var got []string
			for {
				msgs, err := q.Receive(t.Context(), transport.ReceiveRequest{MaxMessages: transport.MaxBatch, VisibilityTimeout: time.Minute})
				if err != nil {
					t.Fatalf("Receive: %v", err)
				}
				if len(msgs) == 0 {
					break
				}
				for _, m := range msgs {
					got = append(got, m.Body)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("policy %s\nserver delivered %q\nfilterpolicy lets through %q", f.Policy, got, want)
			}
		})
	}
}
