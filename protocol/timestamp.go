package protocol

import (
	"fmt"
	"strconv"
	"time"
)

// ParseTimestamp parses an event timestamp as SPEC §1 writes it:
// YYYY-MM-DD, then T or a space, then hh:mm[:ss[.fraction]], then
// optionally Z or ±hh[:]mm. Without an offset the time is UTC. A date
// alone is rejected. The result keeps the offset it was written with.
func ParseTimestamp(s string) (time.Time, error) {
	t, ok := parseTimestamp(s)
	if !ok {
		return time.Time{}, fmt.Errorf("protocol: %q is not an ISO-8601 date-time (YYYY-MM-DDThh:mm[:ss[.fraction]][Z|±hh:mm])", s)
	}
	return t, nil
}

func digits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[i : i+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func parseTimestamp(s string) (time.Time, bool) {
	f, ok := timestampFields(s)
	if !ok {
		return time.Time{}, false
	}
	loc := time.UTC
	if f.zoned {
		loc = time.FixedZone("", f.offset)
	}
	return time.Date(f.year, time.Month(f.month), f.day, f.hour, f.minute, f.sec, f.nsec, loc), true
}

// validTimestamp reports whether parseTimestamp accepts s, without
// building the time.
func validTimestamp(s string) bool {
	_, ok := timestampFields(s)
	return ok
}

// timestamp is a timestamp's fields as written.
type timestamp struct {
	year, month, day, hour, minute, sec, nsec int
	offset                                    int  // seconds east of UTC
	zoned                                     bool // an offset was written (Z is UTC)
}

func timestampFields(s string) (timestamp, bool) {
	var f timestamp
	var ok1, ok2, ok3 bool
	f.year, ok1 = digits(s, 0, 4)
	f.month, ok2 = digits(s, 5, 2)
	f.day, ok3 = digits(s, 8, 2)
	if !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' || len(s) < 16 || (s[10] != 'T' && s[10] != ' ') {
		return f, false
	}
	f.hour, ok1 = digits(s, 11, 2)
	f.minute, ok2 = digits(s, 14, 2)
	if !ok1 || !ok2 || s[13] != ':' {
		return f, false
	}
	i := 16
	if i < len(s) && s[i] == ':' {
		v, ok := digits(s, i+1, 2)
		if !ok {
			return f, false
		}
		f.sec = v
		i += 3
		if i < len(s) && s[i] == '.' {
			i++
			start := i
			scale := 100000000
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				f.nsec += int(s[i]-'0') * scale
				scale /= 10
				i++
			}
			if i == start {
				return f, false
			}
		}
	}
	if i < len(s) {
		switch s[i] {
		case 'Z':
			i++
		case '+', '-':
			oh, ok := digits(s, i+1, 2)
			if !ok {
				return f, false
			}
			j := i + 3
			if j < len(s) && s[j] == ':' {
				j++
			}
			om, ok := digits(s, j, 2)
			if !ok || oh > 23 || om > 59 {
				return f, false
			}
			f.offset = oh*3600 + om*60
			if s[i] == '-' {
				f.offset = -f.offset
			}
			f.zoned = true
			i = j + 2
		default:
			return f, false
		}
	}
	if i != len(s) || f.month < 1 || f.month > 12 || f.day < 1 || f.hour > 23 || f.minute > 59 || f.sec > 59 {
		return f, false
	}
	if f.day > daysIn(f.month, f.year) {
		return f, false // 2021-02-30
	}
	return f, true
}

// daysIn is the number of days of a month of the proleptic Gregorian
// calendar, which time.Date uses.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// FormatTimestamp writes t as Python's datetime.isoformat does for an
// aware date-time, which every MEGA implementation parses: microsecond
// precision, fraction omitted when zero, offset as ±hh:mm.
func FormatTimestamp(t time.Time) string {
	t = t.Truncate(time.Microsecond)
	layout := "2006-01-02T15:04:05"
	if t.Nanosecond() != 0 {
		layout += ".000000"
	}
	b := t.AppendFormat(make([]byte, 0, 32), layout)
	_, off := t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append(b, sign)
	b = appendTwo(b, off/3600)
	b = append(b, ':')
	b = appendTwo(b, off%3600/60)
	return string(b)
}

func appendTwo(b []byte, v int) []byte {
	if v < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(v), 10)
}
