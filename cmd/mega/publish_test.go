package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/codec"
	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/protocol"
)

// isolateAWS points the standard AWS configuration chain, which the
// commands use, at dummy credentials and away from the user's own files
// and endpoints, so that no test can reach a real account.
func isolateAWS(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_SESSION_TOKEN":           "",
		"AWS_PROFILE":                 "",
		"AWS_DEFAULT_PROFILE":         "",
		"AWS_REGION":                  testenv.Region,
		"AWS_DEFAULT_REGION":          "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_SQS":        "",
		"AWS_ENDPOINT_URL_SNS":        "",
	} {
		t.Setenv(k, v)
	}
}

func TestParsePublishInput(t *testing.T) {
	before := time.Now().UTC().Truncate(time.Second)
	tests := []struct {
		name  string
		input string
		check func(t *testing.T, p protocol.Payload)
		err   string // in the error; empty when it must parse
		is    error  // the error matches it, when set
	}{
		{
			name:  "event",
			input: `{"protocol": "mega", "version": 1, "event": {"name": "user:created", "timestamp": "2020-05-04T15:53:27Z", "domain": "user"}, "object": {"current": {"id": 1}}}`,
			check: func(t *testing.T, p protocol.Payload) {
				ev := p.Mega.Event
				if p.Kind != protocol.KindMega || ev.Name != "user:created" || ev.Domain != "user" ||
					!ev.Timestamp.Equal(time.Date(2020, 5, 4, 15, 53, 27, 0, time.UTC)) || p.Mega.Object.Current["id"] != json.Number("1") {
					t.Errorf("payload %s %+v %+v", p.Kind, ev, p.Mega.Object)
				}
			},
		},
		{
			name:  "event timestamp defaults to now",
			input: `{"protocol": "mega", "version": 1, "event": {"name": "user:created"}}`,
			check: func(t *testing.T, p protocol.Payload) {
				if ts := p.Mega.Event.Timestamp; ts.Before(before) || ts.After(time.Now()) {
					t.Errorf("timestamp %v, want about now (%v)", ts, before)
				}
			},
		},
		{
			name:  "data keeps numbers exact",
			input: `{"amount": 12345678901234567890.123456789, "n": 1e400}`,
			check: func(t *testing.T, p protocol.Payload) {
				if p.Kind != protocol.KindData || p.Data["amount"] != json.Number("12345678901234567890.123456789") || p.Data["n"] != json.Number("1e400") {
					t.Errorf("payload %s %v", p.Kind, p.Data)
				}
			},
		},
		{
			name:  "a version that is a string is no MEGA header",
			input: `{"protocol": "mega", "version": "1"}`,
			check: func(t *testing.T, p protocol.Payload) {
				if p.Kind != protocol.KindData {
					t.Errorf("kind %s, want data", p.Kind)
				}
			},
		},
		{name: "invalid event", input: `{"protocol": "mega", "version": 1, "event": {"timestamp": "yesterday"}}`,
			err: "event.name: required", is: protocol.ErrInvalidPayload},
		{name: "array", input: `[{"a": 1}]`, err: "a message is a JSON object, not an array"},
		{name: "number", input: `42`, err: "not a number"},
		{name: "null", input: `null`, err: "not null"},
		{name: "malformed", input: `{"a": `, err: "not JSON", is: codec.ErrMalformed},
		{name: "two documents", input: `{} {}`, err: "not JSON", is: codec.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parsePublishInput([]byte(tt.input))
			if tt.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, p)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one mentioning %q", err, tt.err)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not match %v", err, tt.is)
			}
		})
	}
}

func TestReadPublishInputs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	data := write("data.json", "{\n  \"a\": 1\n}\n")
	lines := write("lines.json", "{\"a\": 1}\n{\"a\": 2}\n")
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  []string // input names
		err   []string // in the error
	}{
		{name: "JSON lines", stdin: "{\"a\": 1}\r\n\n  \n{\"a\": 2}\n{\"a\": 3}", args: []string{"-"},
			want: []string{"stdin line 1", "stdin line 4", "stdin line 5"}},
		{name: "files and stdin", stdin: `{"b": 2}`, args: []string{data, "-"}, want: []string{data, "stdin line 1"}},
		{name: "empty stdin", stdin: "\n\n", args: []string{"-"}},
		{name: "every bad line is named", stdin: "{\"a\": 1}\n[1]\n\"x\"\n", args: []string{"-"},
			err: []string{"stdin line 2: a message is a JSON object, not an array", "stdin line 3: a message is a JSON object, not a string"}},
		{name: "stdin twice", args: []string{"-", "-"}, err: []string{"standard input (-) given twice"}},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.json")}, err: []string{"nope.json"}},
		{name: "JSON lines in a file", args: []string{lines}, err: []string{"lines.json", "use - and standard input"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{stdin: strings.NewReader(tt.stdin)}
			inputs, err := readPublishInputs(e, tt.args, bodyJSON)
			if len(tt.err) > 0 {
				for _, w := range tt.err {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("error %v, want one mentioning %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, in := range inputs {
				names = append(names, in.name)
			}
			if strings.Join(names, "|") != strings.Join(tt.want, "|") {
				t.Errorf("inputs %q, want %q", names, tt.want)
			}
		})
	}
}

func TestPublishEntries(t *testing.T) {
	p, err := parsePublishInput([]byte(`{"order": 7}`))
	if err != nil {
		t.Fatal(err)
	}
	inputs := []publishInput{{name: "a", payload: p}, {name: "b", payload: p}}

	t.Run("FIFO deduplication by content", func(t *testing.T) {
		entries, err := publishEntries(inputs, publishSettings{enc: protocol.JSON, limit: 1 << 20, groupID: "g", fifo: true})
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(`{"order":7}`))
		for _, e := range entries {
			if e.GroupID != "g" || e.DeduplicationID != hex.EncodeToString(sum[:]) {
				t.Errorf("entry %+v; want group g and the SHA-256 of the body as deduplication id", e)
			}
		}
	})
	t.Run("standard", func(t *testing.T) {
		entries, err := publishEntries(inputs, publishSettings{enc: protocol.BSON, limit: 1 << 20})
		if err != nil {
			t.Fatal(err)
		}
		if entries[0].DeduplicationID != "" || entries[0].GroupID != "" {
			t.Errorf("entry %+v; want no FIFO ids", entries[0])
		}
	})
	t.Run("too large", func(t *testing.T) {
		big, err := parsePublishInput([]byte(`{"s": "` + strings.Repeat("x", 300) + `"}`))
		if err != nil {
			t.Fatal(err)
		}
		_, err = publishEntries(append(inputs, publishInput{name: "big", payload: big}), publishSettings{enc: protocol.JSON, limit: 300})
		if !errors.Is(err, protocol.ErrTooLarge) || !strings.Contains(err.Error(), "big:") {
			t.Errorf("error %v; want ErrTooLarge naming the input", err)
		}
	})
}

func TestPublishUsage(t *testing.T) {
	isolateAWS(t)
	dir := t.TempDir()
	event := filepath.Join(dir, "event.json")
	if err := os.WriteFile(event, []byte(`{"protocol": "mega", "version": 1, "event": {"name": "x"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	// Nothing listens on port 1: a command that sent anything would fail
	// with status 1, not 2.
	const queue = "http://127.0.0.1:1/000000000000/jobs"
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string // in stdout or stderr
	}{
		{"help", []string{"publish", "-h"}, "", exitOK, "Example"},
		{"no destination", []string{"publish", event}, "", exitUsage, "give one destination"},
		{"two destinations", []string{"publish", "--queue-url", queue, "--topic-arn", "arn:aws:sns:us-east-1:000000000000:t", event}, "", exitUsage, "give one destination"},
		{"bad queue URL", []string{"publish", "--queue-url", "jobs", event}, "", exitUsage, "not a queue URL"},
		{"bad topic ARN", []string{"publish", "--topic-arn", "arn:aws:sqs:us-east-1:000000000000:t", event}, "", exitUsage, "not a topic ARN"},
		{"bad endpoint", []string{"publish", "--queue-url", queue, "--endpoint", "127.0.0.1:1", event}, "", exitUsage, "WithEndpoint"},
		{"FIFO without group", []string{"publish", "--queue-url", queue + ".fifo", event}, "", exitUsage, "needs --group-id"},
		{"invalid input", []string{"publish", "--queue-url", queue, event, "-"}, "{\"a\": 1}\n{\"protocol\": \"mega\", \"version\": 1}\n", exitUsage, "stdin line 2: protocol: invalid MEGA payload: event: required"},
		{"missing file", []string{"publish", "--queue-url", queue, filepath.Join(dir, "nope.json")}, "", exitUsage, "no such file"},
		{"nothing to publish", []string{"publish", "--queue-url", queue}, "\n", exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.stdin, tt.args...)
			if code != tt.code || !strings.Contains(out+errs, tt.out) {
				t.Errorf("exit %d, output %q %q; want exit %d mentioning %q", code, out, errs, tt.code, tt.out)
			}
		})
	}
}

func TestPublishS3FlagsNeedABucket(t *testing.T) {
	isolateAWS(t)
	for _, flag := range []string{"--s3-always", "--s3-key-prefix=x/"} {
		code, _, errs := runCLI(t, `{"a": 1}`, "publish", "--queue-url", "http://127.0.0.1:1/000000000000/q", flag, "-")
		if code != exitUsage || !strings.Contains(errs, "need --s3-bucket") {
			t.Errorf("%s without --s3-bucket: exit %d, stderr %s", flag, code, errs)
		}
	}
}
