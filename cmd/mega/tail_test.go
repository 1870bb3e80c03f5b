package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/match"
	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// decodeLine parses one line of `mega tail` or `mega decode` output.
func decodeLine(t *testing.T, line string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("output line is not a JSON object: %v\n%s", err, line)
	}
	return m
}

const snsBody = `{"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:events",` +
	` "Timestamp": "2020-05-04T15:53:27.000Z", "Message": "{\"order\": 7}"}`

func TestTailLine(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"event", `{"protocol": "mega", "version": 1, "event": {"name": "user:created", "timestamp": "2020-05-04T15:53:27Z"}}`},
		{"data", `{"order": 7, "total": 12.50}`},
		{"text", "hello world!"},
		{"binary", "AAECAw=="},
		{"SNS envelope", snsBody},
		{"invalid", `{"protocol": "mega", "version": 1, "event": {"name": "x"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := protocol.Decode(tt.body)
			line, lerr := tailLine("id-1", m, err, nil, "")
			if lerr != nil {
				t.Fatal(lerr)
			}
			got := decodeLine(t, string(line))
			if got["message_id"] != "id-1" {
				t.Errorf("message_id %v, want id-1", got["message_id"])
			}
			delete(got, "message_id")
			// The rest is what `mega decode` prints for the body.
			_, out, _ := runCLI(t, tt.body, "decode")
			want := decodeLine(t, out)
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("tail prints %s\nwant the decode form %s", g, w)
			}
		})
	}
}

// TestInspectionTrust checks what decode and tail say of an envelope's
// topic: unwrapped whatever its topic without topics given, with
// "sns_trusted" beside "sns" (not inside it) saying whether it is trusted;
// with topics given, the others are data.
func TestInspectionTrust(t *testing.T) {
	const (
		events = "arn:aws:sns:us-east-1:123456789012:events"
		other  = "arn:aws:sns:us-east-1:123456789012:other"
	)
	snsKeys := func(t *testing.T, got map[string]any) {
		t.Helper()
		sns, ok := got["sns"].(map[string]any)
		if !ok {
			t.Fatalf("no sns object: %v", got)
		}
		for k := range sns {
			switch k {
			case "type", "topic_arn", "message_id", "timestamp", "subject":
			default:
				t.Errorf("sns has key %q, outside the shape the vectors compare", k)
			}
		}
	}
	tests := []struct {
		name    string
		body    string
		topics  []string // given with --sns-topic-arn
		trusted any      // sns_trusted, nil when absent
		kind    string
	}{
		{"no topics given: unwrapped, not trusted", snsBody, nil, false, "data"},
		{"its topic given", snsBody, []string{events}, true, "data"},
		{"its topic given by a wildcard", snsBody, []string{"arn:aws:sns:us-east-1:123456789012:*"}, true, "data"},
		{"another topic given: data", snsBody, []string{other}, nil, "data"},
		{"not an envelope", `{"order": 7}`, nil, nil, "data"},
		{"a confirmation", strings.Replace(snsBody, `"Notification"`, `"SubscriptionConfirmation"`, 1), []string{events}, true, "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"decode"}
			for _, a := range tt.topics {
				args = append(args, "--sns-topic-arn", a)
			}
			code, out, errs := runCLI(t, tt.body, args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			got := decodeLine(t, out)
			if got["kind"] != tt.kind || got["sns_trusted"] != tt.trusted {
				t.Fatalf("decode printed %s; want kind %s, sns_trusted %v", out, tt.kind, tt.trusted)
			}
			if tt.trusted != nil {
				snsKeys(t, got)
			} else if tt.topics != nil && got["sns"] != nil {
				t.Fatalf("an envelope of a topic not given was unwrapped: %s", out)
			}
			// tail prints the same, given the topics a consumer trusts.
			d := protocol.Decoder{TopicARNs: tt.topics}
			m, err := d.Decode(tt.body)
			line, err := tailLine("id-1", m, err, tt.topics, "")
			if err != nil {
				t.Fatal(err)
			}
			if want := strings.TrimSuffix(out, "}\n") + `,"message_id":"id-1"}`; string(line) != want {
				t.Errorf("tail prints %s\nwant %s", line, want)
			}
		})
	}
	// A topic tail read from the queue's policy is trusted though none
	// was given: the envelope is unwrapped either way.
	m, _ := protocol.Decode(snsBody)
	for _, trusted := range [][]string{{events}, {other}, nil} {
		line, err := tailLine("id-1", m, nil, trusted, "")
		if err != nil {
			t.Fatal(err)
		}
		got := decodeLine(t, string(line))
		if want := len(trusted) > 0 && trusted[0] == events; got["sns_trusted"] != want || got["sns"] == nil {
			t.Errorf("trusting %q: %s; want the envelope unwrapped, sns_trusted %v", trusted, line, want)
		}
	}
}

func TestCompileFilter(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pattern.json")
	if err := os.WriteFile(file, []byte(`{"name": {"$prefix": "user:"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{
		"user event":  `{"protocol": "mega", "version": 1, "event": {"name": "user:created", "timestamp": "2020-05-04T15:53:27Z"}}`,
		"order event": `{"protocol": "mega", "version": 1, "event": {"name": "order:placed", "timestamp": "2020-05-04T15:53:27Z"}}`,
		"user data":   `{"name": "user:x"}`,
		"other data":  `{"name": "order:x"}`,
		"text":        "user:created",
		"invalid":     `{"protocol": "mega", "version": 1, "event": {"name": "user:created"}}`,
	}
	tests := []struct {
		name      string
		pattern   string
		matches   []string // the bodies it matches
		noEvents  bool     // not an event pattern
		invalidIs error
	}{
		{name: "event and data", pattern: `{"name": {"$prefix": "user:"}}`, matches: []string{"user data", "user event"}},
		{name: "from a file", pattern: "@" + file, matches: []string{"user data", "user event"}},
		{name: "empty matches every document", pattern: `{}`, matches: []string{"order event", "other data", "user data", "user event"}},
		{name: "event keys", pattern: `{"attributes": {"$exists": true}}`, matches: []string{"order event", "user event"}},
		{name: "not an event pattern", pattern: `{"$not": {"name": "order:x"}}`, matches: []string{"user data"}, noEvents: true},
		{name: "invalid", pattern: `{"name": {"$gt": "a"}}`, invalidIs: match.ErrInvalidPattern},
		{name: "not JSON", pattern: `{name}`},
		{name: "missing file", pattern: "@" + filepath.Join(dir, "nope")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := compileFilter(tt.pattern)
			if tt.matches == nil {
				if err == nil {
					t.Fatal("compiled; want an error")
				}
				if tt.invalidIs != nil && !errors.Is(err, tt.invalidIs) {
					t.Errorf("error %v does not match %v", err, tt.invalidIs)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (f.eventErr != nil) != tt.noEvents {
				t.Errorf("event pattern error %v", f.eventErr)
			}
			var got []string
			for _, name := range sortedKeys(bodies) {
				m, err := protocol.Decode(bodies[name])
				if f.match(m, err) {
					got = append(got, name)
				}
			}
			if strings.Join(got, ", ") != strings.Join(tt.matches, ", ") {
				t.Errorf("matches %q, want %q", got, tt.matches)
			}
		})
	}
	var none *filter
	if m, err := protocol.Decode("text"); !none.match(m, err) {
		t.Error("without a pattern, every message passes")
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if keys[j] < keys[i] {
				keys[i], keys[j] = keys[j], keys[i]
			}
		}
	}
	return keys
}

func TestTailUsage(t *testing.T) {
	isolateAWS(t)
	const queue = "http://127.0.0.1:1/000000000000/jobs"
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"help", []string{"tail", "-h"}, exitOK, "Example"},
		{"no queue", []string{"tail"}, exitUsage, "--queue-url is required"},
		{"argument", []string{"tail", "--queue-url", queue, "extra"}, exitUsage, `unexpected argument "extra"`},
		{"negative max", []string{"tail", "--queue-url", queue, "--max", "-1"}, exitUsage, "--max"},
		{"negative wait", []string{"tail", "--queue-url", queue, "--wait", "-1"}, exitUsage, "--wait"},
		{"invalid pattern", []string{"tail", "--queue-url", queue, "-p", `{"a": {"$bogus": 1}}`}, exitUsage, "invalid pattern"},
		{"bad queue URL", []string{"tail", "--queue-url", "jobs"}, exitUsage, "not a queue URL"},
		{"unreachable queue", []string{"tail", "--queue-url", queue, "--wait", "0"}, exitFailure, "ReceiveMessage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", tt.args...)
			if code != tt.code || !strings.Contains(out+errs, tt.out) {
				t.Errorf("exit %d, output %q %q; want exit %d mentioning %q", code, out, errs, tt.code, tt.out)
			}
		})
	}
}
