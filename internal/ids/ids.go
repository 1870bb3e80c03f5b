// Package ids makes the random identifiers the library hands out: message
// ids of the memory transport, object keys of offloaded payloads. It is
// not API.
package ids

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
)

// UUID returns a random (version 4) UUID in its canonical text form. It
// needs no cryptographic strength: the ids only have to be unique, and
// math/rand/v2's generator is seeded from the system's entropy.
func UUID() string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], rand.Uint64())
	binary.BigEndian.PutUint64(b[8:], rand.Uint64())
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
