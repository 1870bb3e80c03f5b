package mega

import (
	"math/rand/v2"
	"time"
)

// backoff returns how long a message retried after its n-th receive stays
// invisible: base·2^(n-1), capped at max, with "equal jitter" (between half
// and all of it) so that messages that failed together do not all come
// back together. It never returns less than a second, the precision of
// SQS visibility timeouts.
func backoff(n int, base, max time.Duration) time.Duration {
	if n < 1 {
		n = 1
	}
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	d = half + rand.N(half+1)
	if d < time.Second {
		d = time.Second
	}
	return d
}
