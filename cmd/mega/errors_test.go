package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/internal/awstest"
	"github.com/sqs-mega/sqs-mega-go/internal/testenv"
	"github.com/sqs-mega/sqs-mega-go/transport/sns"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/errors")

// errorCase is one command line whose every output is fixed in a golden
// file, testdata/errors/NAME.golden.
type errorCase struct {
	name  string
	args  []string
	stdin string
	// env changes the environment after isolateAWS.
	env map[string]string
	// server marks a case that needs the test server; {{endpoint}},
	// {{queue}}, {{fifo}}, {{topic}} in args stand for its endpoint, a
	// standard and a FIFO queue, and a topic.
	server bool
}

// noCredentials is an environment without any credentials, where the
// instance metadata service is off: the lookup fails at once.
var noCredentials = map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}

// Nothing listens on port 1: a command that sent anything would fail
// otherwise than the golden file says.
const deadQueue = "http://127.0.0.1:1/000000000000/jobs"

var errorCases = []errorCase{
	{name: "decode-malformed-json", args: []string{"decode"}, stdin: "{\"name\": \"x\",\n \"n\": 1,}\n"},
	{name: "decode-unknown-flag", args: []string{"decode", "--bogus"}},
	{name: "publish-unknown-flag", args: []string{"publish", "--queue", deadQueue}},
	{name: "dlq-unknown-flag", args: []string{"dlq", "--queue", deadQueue}},
	{name: "redrive-unknown-flag", args: []string{"redrive", "--source", deadQueue}},
	{name: "subscribe-unknown-flag", args: []string{"subscribe", "--topic", "arn:aws:sns:us-east-1:000000000000:t"}},
	{name: "publish-no-credentials", args: []string{"publish", "--queue-url", deadQueue, "-"}, stdin: `{"a": 1}`, env: noCredentials},
	{name: "dlq-no-credentials", args: []string{"dlq", "--queue-url", deadQueue}, env: noCredentials},
	{name: "redrive-no-credentials", args: []string{"redrive", "--from", deadQueue}, env: noCredentials},
	{name: "subscribe-no-credentials", args: []string{"subscribe", "--topic-arn", "arn:aws:sns:us-east-1:000000000000:t", "--queue-url", deadQueue}, env: noCredentials},
	{name: "publish-two-kinds", args: []string{"publish", "--queue-url", deadQueue, "--text", "--binary", "-"}},
	{name: "publish-bad-attributes", args: []string{"publish", "--queue-url", deadQueue, "--attr", "n:Number=x", "--attr", "b:Binary=!", "--attr", "noequals", "--attr", "t:Date=1", "-"}},
	{name: "publish-delay-to-topic", args: []string{"publish", "--topic-arn", "arn:aws:sns:us-east-1:000000000000:t", "--delay", "5", "-"}},
	{name: "publish-dedup-id-for-two", args: []string{"publish", "--queue-url", deadQueue + ".fifo", "--group-id", "g", "--dedup-id", "d", "-"}, stdin: "{\"a\": 1}\n{\"a\": 2}\n"},
	{name: "publish-text-not-utf8", args: []string{"publish", "--queue-url", deadQueue, "--text", "-"}, stdin: "ok\n\xff\xfe\n"},
	{name: "redrive-no-from", args: []string{"redrive", "--to", deadQueue}},
	{name: "redrive-bad-wait", args: []string{"redrive", "--from", deadQueue, "--wait", "30"}},
	{name: "dlq-invalid-pattern", args: []string{"dlq", "--queue-url", deadQueue, "-p", `{"name": {"$gt": "x"}}`}},
	{name: "subscribe-missing-flags", args: []string{"subscribe", "--queue-url", deadQueue}},
	{name: "publish-missing-topic", server: true, args: []string{"publish", "--topic-arn", "{{topic}}-gone", "--endpoint", "{{endpoint}}", "-"}, stdin: "{\"a\": 1}\n{\"a\": 2}\n"},
	{name: "publish-missing-queue", server: true, args: []string{"publish", "--queue-url", "{{queue}}-gone", "--endpoint", "{{endpoint}}", "-"}, stdin: `{"a": 1}`},
	{name: "subscribe-missing-topic", server: true, args: []string{"subscribe", "--topic-arn", "{{topic}}-gone", "--queue-url", "{{queue}}", "--endpoint", "{{endpoint}}"}},
	{name: "subscribe-missing-queue", server: true, args: []string{"subscribe", "--topic-arn", "{{topic}}", "--queue-url", "{{queue}}-gone", "--endpoint", "{{endpoint}}"}},
	{name: "redrive-no-source-queue", server: true, args: []string{"redrive", "--from", "{{queue}}", "--endpoint", "{{endpoint}}"}},
	{name: "redrive-fifo-to-standard", server: true, args: []string{"redrive", "--from", "{{fifo}}", "--to", "{{queue}}", "--endpoint", "{{endpoint}}"}},
	{name: "dlq-missing-queue", server: true, args: []string{"dlq", "--queue-url", "{{queue}}-gone", "--endpoint", "{{endpoint}}"}},
}

// TestErrorMessages checks what the commands say when they are misused
// or meet a missing queue, topic or credentials, against golden files
// (go test -run TestErrorMessages -update rewrites them).
func TestErrorMessages(t *testing.T) {
	var server struct {
		vars map[string]string
	}
	if os.Getenv(testenv.EndpointEnv) != "" {
		env := awstest.New(t)
		server.vars = map[string]string{
			"{{endpoint}}": testenv.Endpoint(t),
			"{{queue}}":    env.Queue(t, sqs.QueueConfig{}).URL(),
			"{{fifo}}":     env.Queue(t, sqs.QueueConfig{FIFO: true}).URL(),
			"{{topic}}":    env.Topic(t, sns.TopicConfig{}).ARN(),
		}
	}
	for _, tc := range errorCases {
		t.Run(tc.name, func(t *testing.T) {
			isolateAWS(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			args := tc.args
			if tc.server {
				testenv.Endpoint(t) // skips, or fails, without a server
				args = make([]string, len(tc.args))
				for i, a := range tc.args {
					for k, v := range server.vars {
						a = strings.ReplaceAll(a, k, v)
					}
					args[i] = a
				}
			}
			code, out, errs := runCLI(t, tc.stdin, args...)
			got := fmt.Sprintf("$ mega %s\nexit %d\n-- stdout --\n%s-- stderr --\n%s", strings.Join(tc.args, " "), code, out, errs)
			// Longest first, so that a URL is not half replaced.
			keys := make([]string, 0, len(server.vars))
			for k := range server.vars {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool { return len(server.vars[keys[i]]) > len(server.vars[keys[j]]) })
			for _, k := range keys {
				got = strings.ReplaceAll(got, server.vars[k], k)
			}
			file := filepath.Join("testdata", "errors", tc.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", file, got, want)
			}
		})
	}
}

// TestHelpOnce checks that every command prints its help once, to
// standard output, and exits 0.
func TestHelpOnce(t *testing.T) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		for _, args := range [][]string{{n, "-h"}, {n, "--help"}, {"help", n}} {
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				code, out, errs := runCLI(t, "", args...)
				if code != exitOK || errs != "" || strings.Count(out, "Usage: mega "+n+" ") != 1 {
					t.Errorf("exit %d, stdout %q, stderr %q; want the help once on stdout, exit 0", code, out, errs)
				}
			})
		}
	}
}
