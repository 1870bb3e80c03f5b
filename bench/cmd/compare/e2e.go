package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/sqs-mega/sqs-mega-go/bench/sqsfake"
)

// phaseStats are the measurements of one phase of one scenario.
type phaseStats struct {
	MsgsPerS       *float64         `json:"msgs_per_s"`
	RequestsPerMsg *float64         `json:"requests_per_msg"`
	CPUusPerMsg    *float64         `json:"cpu_us_per_msg"`
	RSSMB          *float64         `json:"rss_mb"`
	RequestsByAPI  map[string]int64 `json:"requests_by_api,omitempty"`
	// ServerCPUusPerMsg is the CPU the harness process (the fake server)
	// spent per message during the phase.
	ServerCPUusPerMsg *float64 `json:"server_cpu_us_per_msg,omitempty"`
}

// e2eRow is one client in one scenario. The top-level figures are those of
// the consume phase; the publish phase is reported beside them.
type e2eRow struct {
	LatencyMS   float64 `json:"latency_ms"`
	HandlerMS   float64 `json:"handler_ms"`
	Client      string  `json:"client"`
	Messages    int     `json:"messages"`
	Concurrency int     `json:"concurrency"`
	phaseStats
	// Shape is how the client polls; LatencyBoundMsgsPerS is what that
	// allows at most with the injected latency: pollers × per-receive /
	// round trip (absent at zero latency).
	Shape                clientShape `json:"shape"`
	LatencyBoundMsgsPerS *float64    `json:"latency_bound_msgs_per_s,omitempty"`
	// PeakReceives is the most ReceiveMessage calls the server saw at once;
	// MsgsPerReceive the messages each returned on average.
	PeakReceives   int64      `json:"peak_receives"`
	MsgsPerReceive *float64   `json:"msgs_per_receive,omitempty"`
	Redeliveries   int64      `json:"redeliveries"`
	LeftInQueue    int        `json:"left_in_queue"`
	Publish        phaseStats `json:"publish"`
	// PublishInFlight is the number of messages the client had in flight
	// while publishing, the same for every client.
	PublishInFlight int    `json:"publish_in_flight"`
	Error           string `json:"error,omitempty"`
}

func f64(v float64) *float64 { return &v }

// e2eWorkload runs every client in every scenario against one fake server.
func e2eWorkload(cfg runConfig, names []string, logf func(string, ...any)) ([]e2eRow, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	srv, err := sqsfake.New(sqsfake.Options{})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	var rows []e2eRow
	for _, lat := range cfg.Latencies {
		for _, h := range cfg.Handlers {
			for _, name := range names {
				row := runScenario(cfg, exe, srv, clients[name], lat, h)
				rows = append(rows, row)
				if row.Error != "" {
					logf("e2e latency %-5v handler %-4v %-13s %s", lat, h, name, row.Error)
					continue
				}
				logf("e2e latency %-5v handler %-4v %-13s %8.0f msgs/s  %.2f req/msg  %6.0f µs CPU/msg  %5.1f MB  (publish %.0f msgs/s)",
					lat, h, name, *row.MsgsPerS, *row.RequestsPerMsg, *row.CPUusPerMsg, *row.RSSMB, deref(row.Publish.MsgsPerS))
			}
		}
	}
	return rows, nil
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func runScenario(cfg runConfig, exe string, srv *sqsfake.Server, c client, lat, handler time.Duration) e2eRow {
	row := e2eRow{
		LatencyMS:   float64(lat) / float64(time.Millisecond),
		HandlerMS:   float64(handler) / float64(time.Millisecond),
		Client:      c.name(),
		Messages:    cfg.Messages,
		Concurrency: cfg.Concurrency,
		Shape:       c.shape(cfg.Concurrency),
	}
	if err := c.available(); err != nil {
		row.Error = err.Error()
		return row
	}
	if lat > 0 && row.Shape.Pollers > 0 {
		row.LatencyBoundMsgsPerS = f64(float64(row.Shape.Pollers*row.Shape.PerReceive) / lat.Seconds())
	}
	qname := strings.NewReplacer(".", "_").Replace(fmt.Sprintf("bench-%s-%dms-%dms", c.name(), lat.Milliseconds(), handler.Milliseconds()))
	qurl, err := srv.CreateQueue(qname, nil)
	if err != nil {
		row.Error = err.Error()
		return row
	}
	srv.SetLatency(lat)
	defer srv.SetLatency(0)
	spec := childSpec{
		Client:      c.name(),
		Endpoint:    endpoint{URL: srv.URL(), QueueName: qname, QueueURL: qurl, SDKDefaultHTTP: cfg.SDKDefaultHTTP},
		Messages:    cfg.Messages,
		Seed:        cfg.Seed,
		Concurrency: cfg.Concurrency,
		Handler:     handler,
		Grace:       50*time.Millisecond + 4*lat,
		Timeout:     cfg.ChildTimeout,
	}

	profile := func(phase string) string {
		if cfg.ProfileDir == "" {
			return ""
		}
		return filepath.Join(cfg.ProfileDir, fmt.Sprintf("%s-%s.pprof", qname, phase))
	}

	spec.Phase, spec.CPUProfile = "publish", profile("publish")
	pub, _, err := runPhase(exe, srv, spec)
	row.Publish = pub
	row.PublishInFlight = publishInFlight(cfg.Concurrency)
	if err != nil {
		row.Error = "publish: " + err.Error()
		return row
	}
	if st, _ := srv.QueueStats(qname); st.Visible != cfg.Messages {
		row.Error = fmt.Sprintf("publish: the queue holds %d messages, want %d", st.Visible, cfg.Messages)
		return row
	}

	spec.Phase, spec.CPUProfile = "consume", profile("consume")
	cons, peaks, err := runPhase(exe, srv, spec)
	row.phaseStats = cons
	row.PeakReceives = peaks["ReceiveMessage"]
	if n := cons.RequestsByAPI["ReceiveMessage"]; n > 0 {
		row.MsgsPerReceive = f64(float64(cfg.Messages) / float64(n))
	}
	st, _ := srv.QueueStats(qname)
	row.Redeliveries = int64(st.Received) - int64(cfg.Messages)
	row.LeftInQueue = st.Visible + st.InFlight + st.Delayed
	if err != nil {
		row.Error = "consume: " + err.Error()
	}
	return row
}

// runPhase runs one child and measures it.
func runPhase(exe string, srv *sqsfake.Server, spec childSpec) (phaseStats, sqsfake.Counts, error) {
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return phaseStats{}, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), spec.Timeout+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-child", string(specJSON))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	srv.ResetCounts()
	before := rusage()
	runErr := cmd.Run()
	after := rusage()
	counts, peaks := srv.Counts(), srv.Peaks()

	var res childResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 400 {
			msg = msg[len(msg)-400:]
		}
		return phaseStats{}, counts, fmt.Errorf("child failed (%v): %s", runErr, msg)
	}
	if res.Error != "" {
		return phaseStats{}, counts, fmt.Errorf("%s", res.Error)
	}
	n := float64(spec.Messages)
	return phaseStats{
		MsgsPerS:          f64(n / res.ElapsedS),
		RequestsPerMsg:    f64(float64(counts.Total()) / n),
		CPUusPerMsg:       f64((res.UserS + res.SysS) * 1e6 / n),
		RSSMB:             f64(float64(res.MaxRSSKB) / 1024),
		RequestsByAPI:     counts,
		ServerCPUusPerMsg: f64(((after.user + after.sys) - (before.user + before.sys)) * 1e6 / n),
	}, peaks, nil
}
