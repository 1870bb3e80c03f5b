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
	year, ok1 := digits(s, 0, 4)
	month, ok2 := digits(s, 5, 2)
	day, ok3 := digits(s, 8, 2)
	if !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' || len(s) < 16 || (s[10] != 'T' && s[10] != ' ') {
		return time.Time{}, false
	}
	hour, ok1 := digits(s, 11, 2)
	minute, ok2 := digits(s, 14, 2)
	if !ok1 || !ok2 || s[13] != ':' {
		return time.Time{}, false
	}
	i := 16
	sec, nsec := 0, 0
	if i < len(s) && s[i] == ':' {
		v, ok := digits(s, i+1, 2)
		if !ok {
			return time.Time{}, false
		}
		sec = v
		i += 3
		if i < len(s) && s[i] == '.' {
			i++
			start := i
			scale := 100000000
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				nsec += int(s[i]-'0') * scale
				scale /= 10
				i++
			}
			if i == start {
				return time.Time{}, false
			}
		}
	}
	loc := time.UTC
	if i < len(s) {
		switch s[i] {
		case 'Z':
			i++
		case '+', '-':
			oh, ok := digits(s, i+1, 2)
			if !ok {
				return time.Time{}, false
			}
			j := i + 3
			if j < len(s) && s[j] == ':' {
				j++
			}
			om, ok := digits(s, j, 2)
			if !ok || oh > 23 || om > 59 {
				return time.Time{}, false
			}
			off := oh*3600 + om*60
			if s[i] == '-' {
				off = -off
			}
			loc = time.FixedZone("", off)
			i = j + 2
		default:
			return time.Time{}, false
		}
	}
	if i != len(s) || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	if t.Day() != day || t.Month() != time.Month(month) {
		return time.Time{}, false // 2021-02-30
	}
	return t, true
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
