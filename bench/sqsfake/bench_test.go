package sqsfake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/sqs-mega/sqs-mega-go/bench/sqsfake"
)

// BenchmarkSDKCycle sends, receives and deletes 10 messages of 1 KiB per
// iteration with aws-sdk-go-v2 in batches (3 requests), from parallel
// goroutines. Client and server share the process, so this is a floor of
// what the server does.
func BenchmarkSDKCycle(b *testing.B) {
	_, c := start(b, sqsfake.Options{ExactShortPolls: true})
	url := createQueue(b, c, "cycle", nil)
	body := aws.String(string(bytes.Repeat([]byte("x"), 1024)))
	b.ReportAllocs()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		entries := make([]types.SendMessageBatchRequestEntry, 10)
		for i := range entries {
			entries[i] = types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: body}
		}
		for pb.Next() {
			if _, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &url, Entries: entries}); err != nil {
				b.Error(err)
				return
			}
			out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10})
			if err != nil {
				b.Error(err)
				return
			}
			if len(out.Messages) == 0 {
				continue
			}
			del := make([]types.DeleteMessageBatchRequestEntry, len(out.Messages))
			for i, m := range out.Messages {
				del[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
			}
			if _, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: &url, Entries: del}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*10)/time.Since(t0).Seconds(), "msgs/s")
}

// BenchmarkRawCycle does what BenchmarkSDKCycle does with prepared JSON
// bodies over plain net/http, so that nearly all the CPU is the server's.
func BenchmarkRawCycle(b *testing.B) {
	srv, c := start(b, sqsfake.Options{ExactShortPolls: true})
	url := createQueue(b, c, "raw", nil)
	body := string(bytes.Repeat([]byte("x"), 1024))
	type entry struct {
		ID          string `json:"Id"`
		MessageBody string `json:"MessageBody,omitempty"`
		Receipt     string `json:"ReceiptHandle,omitempty"`
	}
	var send []entry
	for i := range 10 {
		send = append(send, entry{ID: strconv.Itoa(i), MessageBody: body})
	}
	sendBody, _ := json.Marshal(map[string]any{"QueueUrl": url, "Entries": send})
	recvBody, _ := json.Marshal(map[string]any{"QueueUrl": url, "MaxNumberOfMessages": 10})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	call := func(action string, body []byte) ([]byte, error) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/", bytes.NewReader(body))
		req.Header.Set("X-Amz-Target", "AmazonSQS."+action)
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		out, err := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: %s", action, out)
		}
		return out, err
	}
	b.ReportAllocs()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := call("SendMessageBatch", sendBody); err != nil {
				b.Error(err)
				return
			}
			out, err := call("ReceiveMessage", recvBody)
			if err != nil {
				b.Error(err)
				return
			}
			var got struct {
				Messages []struct{ ReceiptHandle string }
			}
			json.Unmarshal(out, &got)
			if len(got.Messages) == 0 {
				continue
			}
			del := make([]entry, len(got.Messages))
			for i, m := range got.Messages {
				del[i] = entry{ID: strconv.Itoa(i), Receipt: m.ReceiptHandle}
			}
			delBody, _ := json.Marshal(map[string]any{"QueueUrl": url, "Entries": del})
			if _, err := call("DeleteMessageBatch", delBody); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N*10)/time.Since(t0).Seconds(), "msgs/s")
}
