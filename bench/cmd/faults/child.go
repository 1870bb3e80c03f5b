package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	mega "github.com/sqs-mega/sqs-mega-go"
)

// child is a faultconsumer process.
type child struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	done   chan struct{}
	err    error // of Wait, once done is closed
	set    *childSet
}

// childSet tracks the children still running, to kill them when the
// runner exits.
type childSet struct {
	mu   sync.Mutex
	live map[*child]bool
}

func (s *childSet) add(c *child) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == nil {
		s.live = map[*child]bool{}
	}
	s.live[c] = true
}

func (s *childSet) remove(c *child) {
	s.mu.Lock()
	delete(s.live, c)
	s.mu.Unlock()
}

func (s *childSet) killAll() {
	s.mu.Lock()
	live := make([]*child, 0, len(s.live))
	for c := range s.live {
		live = append(live, c)
	}
	s.mu.Unlock()
	for _, c := range live {
		c.kill()
	}
}

// startConsumer starts a faultconsumer on the world's queue, through the
// proxy, writing to the world's ledger and to a log file of its own.
func (w *world) startConsumer(n int, args ...string) (*child, error) {
	if _, err := os.Stat(w.r.consumerBin); err != nil {
		return nil, fmt.Errorf("faultconsumer binary: %w (build it with go build ./cmd/faultconsumer, or use scripts/faults)", err)
	}
	args = append([]string{
		"-endpoint", w.proxy.URL(), "-queue", w.queueURL, "-ledger", w.ledgerPath,
		"-log", filepath.Join(w.dir, fmt.Sprintf("faultconsumer-%d.log", n)),
	}, args...)
	c := &child{cmd: exec.Command(w.r.consumerBin, args...), done: make(chan struct{}), set: &w.r.children}
	c.cmd.Stdout = &c.stdout
	c.cmd.Stderr = os.Stderr
	dieWithParent(c.cmd)
	if err := c.cmd.Start(); err != nil {
		return nil, err
	}
	c.set.add(c)
	go func() {
		c.err = c.cmd.Wait()
		c.set.remove(c)
		close(c.done)
	}()
	w.onClose(c.kill)
	return c, nil
}

// exited reports whether the process has exited.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// kill sends SIGKILL and waits for the process to end.
func (c *child) kill() {
	if c.exited() {
		return
	}
	c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
}

// terminate sends SIGTERM, waits for the process to exit (at most
// timeout, then kills it) and returns its consumer's counters.
func (c *child) terminate(timeout time.Duration) (mega.Stats, error) {
	if c.exited() {
		return mega.Stats{}, fmt.Errorf("faultconsumer exited early: %v", c.err)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(timeout):
		c.kill()
		return mega.Stats{}, fmt.Errorf("faultconsumer still running %v after SIGTERM", timeout)
	}
	if c.err != nil {
		return mega.Stats{}, fmt.Errorf("faultconsumer: %v", c.err)
	}
	var s mega.Stats
	if err := json.Unmarshal(c.stdout.Bytes(), &s); err != nil {
		return mega.Stats{}, fmt.Errorf("faultconsumer stats %q: %v", c.stdout.String(), err)
	}
	return s, nil
}
