package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/internal/vectors"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestMatchCommandValueVectors runs match.json through `mega match`, each
// vector as the data payload {"v": input} and the pattern {"v": pattern}.
func TestMatchCommandValueVectors(t *testing.T) {
	vs, err := vectors.Load("match.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Run(v["id"].(string), func(t *testing.T) {
			pattern := `{"v": ` + mustJSON(t, v["pattern"]) + `}`
			body := `{"v": ` + mustJSON(t, v["input"]) + `}`
			code, out, errs := runCLI(t, body, "match", "-p", pattern)
			checkMatch(t, v, code, out, errs)
		})
	}
}

// TestMatchCommandEventVectors runs event.json through `mega match`, the
// bodies given as files.
func TestMatchCommandEventVectors(t *testing.T) {
	vs, err := vectors.Load("event.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, v := range vs {
		t.Run(v["id"].(string), func(t *testing.T) {
			f := filepath.Join(dir, v["id"].(string)+".json")
			if err := os.WriteFile(f, []byte(v["body"].(string)), 0o600); err != nil {
				t.Fatal(err)
			}
			pf := filepath.Join(dir, v["id"].(string)+".pattern")
			if err := os.WriteFile(pf, []byte(mustJSON(t, v["pattern"])), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errs := runCLI(t, "", "match", "-p", "@"+pf, f)
			checkMatch(t, v, code, out, errs)
		})
	}
}

func checkMatch(t *testing.T, v map[string]any, code int, out, errs string) {
	t.Helper()
	switch v["expected"] {
	case "invalid":
		if code != exitUsage || !strings.Contains(errs, "invalid") {
			t.Fatalf("%s: exit %d, stderr %q; want exit 2 for an invalid pattern", v["description"], code, errs)
		}
	case true:
		if code != exitOK || out != "match\n" {
			t.Fatalf("%s: exit %d, output %q %q; want match", v["description"], code, out, errs)
		}
	case false:
		if code != exitFailure || out != "no match\n" {
			t.Fatalf("%s: exit %d, output %q %q; want no match", v["description"], code, out, errs)
		}
	default:
		t.Fatalf("unknown expectation %v", v["expected"])
	}
}

func TestMatchCommandStatuses(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	yes := write("yes.json", `{"a": 1}`)
	no := write("no.json", `{"a": 2}`)
	invalid := write("invalid.json", `{"protocol":"mega","version":1,"event":{}}`)
	text := write("text.txt", `hello`)
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"all match", []string{"-p", `{"a": 1}`, yes, yes}, exitOK, "match\nmatch\n"},
		{"one does not", []string{"-p", `{"a": 1}`, yes, no}, exitFailure, "match\nno match\n"},
		{"invalid MEGA", []string{"-p", `{"a": 1}`, no, invalid}, exitUndecode, "no match\nerror\n"},
		{"not a document", []string{"-p", `{"a": 1}`, text}, exitUndecode, "error\n"},
		{"invalid pattern", []string{"-p", `{"a": {"$gt": "x"}}`, yes}, exitUsage, ""},
		{"unknown operator", []string{"-p", `{"a": {"$nope": 1}}`, yes}, exitUsage, ""},
		{"not JSON", []string{"-p", `{"a": `, yes}, exitUsage, ""},
		{"no pattern", []string{yes}, exitUsage, ""},
		{"missing pattern file", []string{"-p", "@" + filepath.Join(dir, "none"), yes}, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", append([]string{"match"}, tt.args...)...)
			if code != tt.code || out != tt.out {
				t.Errorf("exit %d, output %q (stderr %q); want exit %d, %q", code, out, errs, tt.code, tt.out)
			}
		})
	}
}

func TestMatchCommandSNSPolicy(t *testing.T) {
	code, out, errs := runCLI(t, "", "match", "--sns-policy", "-p", `{"name": "user:updated", "domain": {"$prefix": "us"}, "timestamp": {"$gt": {"$datetime": "2020-01-01"}}}`)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var f struct {
		Scope    string
		Policy   map[string]any
		Pushed   []string
		Residual []struct{ Key, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &f); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	ev, _ := f.Policy["event"].(map[string]any)
	if f.Scope != "MessageBody" || ev["name"] == nil || ev["domain"] == nil {
		t.Errorf("policy %s does not test event.name and event.domain", out)
	}
	if len(f.Residual) != 1 || f.Residual[0].Key != "timestamp" {
		t.Errorf("residual %+v; want the timestamp left to the client", f.Residual)
	}
	if code, _, _ := runCLI(t, "", "match", "--sns-policy", "-p", `{"name": {"$gt": "x"}}`); code != exitUsage {
		t.Errorf("invalid pattern: exit %d, want 2", code)
	}
}
