package lease

import "time"

// Clock is the time source of a Lease: deadlines, heartbeats and the
// pauses between retries follow it. It has the method set of the memory
// transport's clocks, so a test can drive a broker and a lease with one
// manual clock.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once d has passed; stop cancels the call and
	// reports whether it did.
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

// System is the clock of the time package.
type System struct{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (System) AfterFunc(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }

// sleep waits d on the clock, or until done is closed; it reports whether
// the whole wait passed.
func sleep(c Clock, d time.Duration, done <-chan struct{}) bool {
	ch := make(chan struct{})
	stop := c.AfterFunc(d, func() { close(ch) })
	select {
	case <-ch:
		return true
	case <-done:
		stop()
		return false
	}
}
