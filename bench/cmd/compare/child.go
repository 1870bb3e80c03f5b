package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Each client runs in a child process of the harness, one process per
// phase (publish, consume), so that its CPU time and peak RSS are its own.
// The parent passes a childSpec as the value of the hidden -child flag and
// reads a childResult from the child's standard output.

type childSpec struct {
	Client      string        `json:"client"`
	Phase       string        `json:"phase"` // "publish" or "consume"
	Endpoint    endpoint      `json:"endpoint"`
	Messages    int           `json:"messages"`
	Seed        uint64        `json:"seed"`
	Concurrency int           `json:"concurrency"`
	Handler     time.Duration `json:"handler"` // consume: time each handler takes
	Grace       time.Duration `json:"grace"`   // consume: wait between the last handler and the stop
	Timeout     time.Duration `json:"timeout"`
	// CPUProfile, when set, is where the child writes a CPU profile of
	// the phase.
	CPUProfile string `json:"cpu_profile,omitempty"`
}

type childResult struct {
	ElapsedS float64 `json:"elapsed_s"`
	UserS    float64 `json:"user_s"` // CPU time of the phase alone
	SysS     float64 `json:"sys_s"`
	MaxRSSKB int64   `json:"max_rss_kb"` // peak of the whole process
	Handled  int64   `json:"handled"`
	Error    string  `json:"error,omitempty"`
}

func runChild(specJSON string, stdout io.Writer) int {
	var spec childSpec
	res := childResult{}
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		res.Error = fmt.Sprintf("bad child spec: %v", err)
	} else {
		res = spec.run()
	}
	json.NewEncoder(stdout).Encode(res)
	if res.Error != "" {
		return 1
	}
	return 0
}

func (s childSpec) run() childResult {
	c, ok := clients[s.Client]
	if !ok {
		return childResult{Error: "unknown client " + s.Client}
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.Timeout)
	defer cancel()
	var bodies [][]byte
	if s.Phase == "publish" {
		bodies = corpus(s.Seed, s.Messages)
		if p, ok := c.(preparer); ok {
			var err error
			if c, err = p.prepare(bodies); err != nil {
				return childResult{Error: "prepare: " + err.Error()}
			}
		}
	}

	if s.CPUProfile != "" {
		f, err := os.Create(s.CPUProfile)
		if err != nil {
			return childResult{Error: err.Error()}
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return childResult{Error: err.Error()}
		}
		defer pprof.StopCPUProfile()
	}

	before := rusage()
	start := time.Now()
	var handled atomic.Int64
	var err error
	var elapsed time.Duration
	switch s.Phase {
	case "publish":
		err = c.publish(ctx, s.Endpoint, bodies, publishGoroutines(c, s.Concurrency))
		elapsed = time.Since(start)
		handled.Store(int64(len(bodies)))
	case "consume":
		elapsed, err = s.consume(ctx, c, &handled)
	default:
		err = fmt.Errorf("unknown phase %q", s.Phase)
	}
	after := rusage()
	res := childResult{
		ElapsedS: elapsed.Seconds(),
		UserS:    after.user - before.user,
		SysS:     after.sys - before.sys,
		MaxRSSKB: after.maxRSSKB,
		Handled:  handled.Load(),
	}
	if err != nil {
		res.Error = err.Error()
	}
	return res
}

// consume runs the client until it has handled s.Messages messages, then
// stops it. The time is taken when the last handler returns. The client
// then gets s.Grace to send the acknowledgements still on their way before
// it is stopped (watermill-aws drops a delete that its stop interrupts);
// the grace and the shutdown count in the CPU time and the requests.
func (s childSpec) consume(ctx context.Context, c client, handled *atomic.Int64) (time.Duration, error) {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	start := time.Now()
	var end atomic.Int64
	done := make(chan struct{})
	handler := func([]byte) {
		if s.Handler > 0 {
			time.Sleep(s.Handler)
		}
		if handled.Add(1) == int64(s.Messages) {
			end.Store(int64(time.Since(start)))
			close(done)
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- c.consume(runCtx, s.Endpoint, s.Concurrency, handler) }()
	select {
	case <-done:
		time.Sleep(s.Grace)
		stop()
		return time.Duration(end.Load()), <-errc
	case err := <-errc:
		if err == nil {
			err = fmt.Errorf("the client stopped after %d of %d messages", handled.Load(), s.Messages)
		}
		return time.Since(start), err
	case <-ctx.Done():
		stop()
		<-errc
		return time.Since(start), fmt.Errorf("timed out after %v with %d of %d messages handled", s.Timeout, handled.Load(), s.Messages)
	}
}

type usage struct {
	user, sys float64 // seconds
	maxRSSKB  int64
}

func rusage() usage {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return usage{}
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	u := usage{user: tv(ru.Utime), sys: tv(ru.Stime), maxRSSKB: int64(ru.Maxrss)}
	if hwm, ok := peakRSSKB(); ok {
		u.maxRSSKB = hwm
	}
	return u
}

// peakRSSKB reads VmHWM, the peak RSS of this process image. Linux keeps
// ru_maxrss across execve, so in a child it can report the parent's peak
// at fork time; VmHWM starts afresh with the new image.
func peakRSSKB() (int64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb, err == nil
		}
	}
	return 0, false
}
