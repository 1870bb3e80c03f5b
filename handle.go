package mega

import (
	"github.com/sqs-mega/sqs-mega-go/internal/lease"
)

// worker handles what the pollers dispatch until the work ends: a job is
// one message, or the messages of one FIFO group in order.
func (e *engine) worker() {
	for job := range e.work {
		for i, m := range job {
			if !e.handle(m) {
				// On a FIFO queue, the later messages of the group must wait
				// for this one: give them back, the queue keeps the order.
				for _, rest := range job[i+1:] {
					rest.Release()
				}
				e.window.release(len(job)-i, true)
				break
			}
			e.window.release(1, true)
		}
	}
}

// handle routes one held message and settles it by the verdict. It
// reports whether the message is done with (deleted, dead-lettered or
// left), so that the next of its FIFO group may go.
func (e *engine) handle(m *lease.Msg) bool {
	if !m.Start() {
		// Released at shutdown, or its receipt expired while it waited.
		return false
	}
	v := e.c.router.Route(e.routeContext(m), m.Message) // telemetry: the receive's span
	done := e.settle(m, v)
	e.recordSettle(v, done) // telemetry
	return done
}
