package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sqs-mega/sqs-mega-go/internal/vectors"
)

// mega runs the command line with stdin and returns its exit code and
// outputs.
func runCLI(t testing.TB, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestDecodeCommandVectors(t *testing.T) {
	vs, err := vectors.Load("decode.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for i, v := range vs {
		t.Run(v["id"].(string), func(t *testing.T) {
			args := []string{"decode"}
			for _, a := range vectors.TopicARNs(v) {
				args = append(args, "--sns-topic-arn", a)
			}
			body, err := vectors.Body(v)
			if err != nil {
				t.Fatal(err)
			}
			stdin := body
			// Every other vector goes through a file, the rest through stdin.
			if i%2 == 0 {
				f := filepath.Join(dir, v["id"].(string))
				if err := os.WriteFile(f, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				args, stdin = append(args, f), ""
			}
			code, out, errs := runCLI(t, stdin, args...)
			want := v["expected"].(map[string]any)
			got, err := vectors.Unmarshal([]byte(out))
			if err != nil || strings.Count(out, "\n") != 1 {
				t.Fatalf("output is not one JSON line (%v): %q, stderr %q", err, out, errs)
			}
			g := got.(map[string]any)
			if want["kind"] == "invalid" {
				if code != exitUndecode || g["kind"] != "invalid" || g["error"] == "" {
					t.Fatalf("exit %d, output %s; want kind invalid with an error and exit 3", code, out)
				}
				return
			}
			if code != exitOK {
				t.Fatalf("exit %d, stderr %s", code, errs)
			}
			if d := vectors.EqualDecoded(g, want); d != "" {
				t.Errorf("%s\n%s", v["description"], d)
			}
		})
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string // in stdout or stderr
	}{
		{nil, exitUsage, "Commands:"},
		{[]string{"--help"}, exitOK, "decode"},
		{[]string{"decode", "-h"}, exitOK, "--sns-topic-arn"},
		{[]string{"help", "decode"}, exitOK, "normalized form"},
		{[]string{"nope"}, exitUsage, `unknown command "nope"`},
		{[]string{"decode", "--bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"decode", "a", "b"}, exitUsage, "one body at a time"},
		{[]string{"decode", "/nonexistent/body"}, exitFailure, "no such file"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errs := runCLI(t, "", tt.args...)
			if code != tt.code || !strings.Contains(out+errs, tt.out) {
				t.Errorf("exit %d, output %q %q; want exit %d mentioning %q", code, out, errs, tt.code, tt.out)
			}
		})
	}
}

func TestDecodeCommandEncodeVectors(t *testing.T) {
	vs, err := vectors.Load("encode.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		want := v["expected"].(map[string]any)
		decoded, ok := want["decoded"].(map[string]any)
		if !ok {
			continue // publishing must fail: covered in package protocol
		}
		t.Run(v["id"].(string), func(t *testing.T) {
			body, err := vectors.Publish(v)
			if err != nil {
				t.Fatal(err)
			}
			bodies := map[string]string{"ours": body}
			if pb, ok := want["python_body"].(string); ok {
				bodies["python"] = pb
			}
			for who, b := range bodies {
				code, out, errs := runCLI(t, b, "decode")
				got, err := vectors.Unmarshal([]byte(out))
				if code != exitOK || err != nil {
					t.Fatalf("%s body: exit %d, %v, stderr %s", who, code, err, errs)
				}
				if d := vectors.EqualDecoded(got.(map[string]any), decoded); d != "" {
					t.Errorf("%s body %q: %s", who, b, d)
				}
			}
		})
	}
}

func TestDecodeInvalidInsideSNS(t *testing.T) {
	body := `{"Type":"Notification","MessageId":"m-1","TopicArn":"arn:aws:sns:us-east-1:1:t","Timestamp":"2021-03-04T05:06:07Z","Message":"{\"protocol\":\"mega\",\"version\":1,\"event\":{\"name\":\"x\"}}"}`
	code, out, _ := runCLI(t, body, "decode")
	got, err := vectors.Unmarshal([]byte(out))
	if code != exitUndecode || err != nil {
		t.Fatalf("exit %d, %v: %s", code, err, out)
	}
	g := got.(map[string]any)
	sns, _ := g["sns"].(map[string]any)
	if g["kind"] != "invalid" || !strings.Contains(g["error"].(string), "event.timestamp") || sns["message_id"] != "m-1" {
		t.Errorf("output %s; want kind invalid, the error and the envelope", out)
	}
}
