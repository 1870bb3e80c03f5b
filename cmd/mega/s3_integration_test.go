package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sqs-mega/sqs-mega-go/internal/awstest"
	"github.com/sqs-mega/sqs-mega-go/internal/s3test"
	"github.com/sqs-mega/sqs-mega-go/offload"
	"github.com/sqs-mega/sqs-mega-go/transport"
	"github.com/sqs-mega/sqs-mega-go/transport/sqs"
)

func TestPublishAndDecodeThroughS3(t *testing.T) {
	env, endpoint := cliEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	store, client := s3test.Store(t)
	bucket := s3test.Bucket(t, client)
	q := env.Queue(t, sqs.QueueConfig{})

	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	small := filepath.Join(dir, "small.json")
	text := strings.Repeat("x", 1200<<10)
	os.WriteFile(big, []byte(`{"protocol": "mega", "version": 1, "event": {"name": "document:updated"}, "object": {"current": {"text": "`+text+`"}}}`), 0o600)
	os.WriteFile(small, []byte(`{"order": 7}`), 0o600)

	code, out, errs := runCLI(t, "", "publish", "--queue-url", q.URL(), "--endpoint", endpoint, "--s3-bucket", bucket, "--s3-key-prefix", "cli/", big, small)
	if code != exitOK {
		t.Fatalf("publish: exit %d, stderr %s", code, errs)
	}
	if ids := lines(out); len(ids) != 2 {
		t.Fatalf("printed %q, want two ids", out)
	}
	msgs := awstest.Receive(t, q, 2, 10*time.Second, transport.ReceiveRequest{VisibilityTimeout: time.Minute})
	var pointer string
	for _, m := range msgs {
		if m.Body == `{"order":7}` {
			continue
		}
		ptr, err := offload.ParsePointer(m.Body)
		if err != nil || !strings.HasPrefix(ptr.Key, "cli/") {
			t.Fatalf("large message body %.100q: %v", m.Body, err)
		}
		obj, err := store.Get(context.Background(), bucket, ptr.Key, 2<<20)
		if err != nil {
			t.Fatal(err)
		}
		if a := m.Attributes[offload.SizeAttribute]; a.StringValue != strconv.Itoa(len(obj)) {
			t.Fatalf("%s = %+v, object of %d bytes", offload.SizeAttribute, a, len(obj))
		}
		pointer = m.Body
	}
	if pointer == "" {
		t.Fatal("no message was offloaded")
	}

	ptrFile := filepath.Join(dir, "pointer")
	os.WriteFile(ptrFile, []byte(pointer), 0o600)
	code, out, errs = runCLI(t, "", "decode", "--s3-bucket", bucket, "--endpoint", endpoint, ptrFile)
	if code != exitOK {
		t.Fatalf("decode: exit %d, stderr %s", code, errs)
	}
	var got struct {
		Kind    string `json:"kind"`
		Payload struct {
			Object struct {
				Current struct{ Text string } `json:"current"`
			} `json:"object"`
		} `json:"payload"`
		Offloaded struct {
			Bucket string `json:"bucket"`
			Size   int    `json:"size"`
		} `json:"offloaded"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("decode printed %.200s: %v", out, err)
	}
	if got.Kind != "mega" || got.Payload.Object.Current.Text != text || got.Offloaded.Bucket != bucket || got.Offloaded.Size < len(text) {
		t.Fatalf("decode: kind %s, text of %d bytes, offloaded %+v", got.Kind, len(got.Payload.Object.Current.Text), got.Offloaded)
	}

	// A bucket that is not named is not read.
	code, _, errs = runCLI(t, "", "decode", "--s3-bucket", bucket+"-other", "--endpoint", endpoint, ptrFile)
	if code != exitUndecode || !strings.Contains(errs, "not trusted") {
		t.Fatalf("decode with another bucket: exit %d, stderr %s; want 3 and the reason", code, errs)
	}
}
