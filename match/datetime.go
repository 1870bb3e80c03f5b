package match

import "time"

// dateTime is a date or a date-time reduced to what comparisons need:
// whole seconds since the Unix epoch (date-times only) and the calendar
// date, as days since 1970-01-01, in the date-time's own offset.
type dateTime struct {
	secs int64
	days int64
	date bool // a calendar date without time of day
}

// cmpDateTime compares at whole-second precision; a date against a
// date-time compares the calendar date in the date-time's own offset.
func cmpDateTime(a, b dateTime) int {
	var x, y int64
	if a.date || b.date {
		x, y = a.days, b.days
	} else {
		x, y = a.secs, b.secs
	}
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func dateTimeOfTime(t time.Time) dateTime {
	y, m, d := t.Date()
	return dateTime{secs: t.Unix(), days: daysFromCivil(int64(y), int64(m), int64(d))}
}

// parseDateTime parses the ISO-8601 subset of SPEC.md §3 without
// allocating:
//
//	YYYY-M[M]-D[D]                                    a date
//	YYYY-M[M]-D[D](T|t| )hh:mm[:ss[(.|,)fraction]][ ][Z|z|±hh[[:]mm]]
//
// A date-time without offset is in UTC. Fractions are accepted and
// dropped, comparisons being at whole seconds.
func parseDateTime(s string) (dateTime, bool) {
	y, mo, d, i, ok := parseDatePart(s)
	if !ok {
		return dateTime{}, false
	}
	days := daysFromCivil(y, mo, d)
	if i == len(s) {
		return dateTime{days: days, date: true}, true
	}
	if c := s[i]; c != 'T' && c != 't' && c != ' ' {
		return dateTime{}, false
	}
	i++
	hh, ok1 := twoDigits(s, i)
	if !ok1 || i+2 >= len(s) || s[i+2] != ':' {
		return dateTime{}, false
	}
	mm, ok2 := twoDigits(s, i+3)
	if !ok2 {
		return dateTime{}, false
	}
	i += 5
	var ss int64
	if i < len(s) && s[i] == ':' {
		v, ok := twoDigits(s, i+1)
		if !ok {
			return dateTime{}, false
		}
		ss = v
		i += 3
		if i < len(s) && (s[i] == '.' || s[i] == ',') {
			i++
			start := i
			for i < len(s) && isDigit(s[i]) {
				i++
			}
			if i == start {
				return dateTime{}, false
			}
		}
	}
	if hh > 23 || mm > 59 || ss > 59 {
		return dateTime{}, false
	}
	var offset int64
	if i < len(s) {
		if s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			return dateTime{}, false
		}
		switch s[i] {
		case 'Z', 'z':
			i++
		case '+', '-':
			sign := int64(1)
			if s[i] == '-' {
				sign = -1
			}
			i++
			oh, ok := twoDigits(s, i)
			if !ok || oh > 23 {
				return dateTime{}, false
			}
			i += 2
			var om int64
			if i < len(s) {
				if s[i] == ':' {
					i++
				}
				v, ok := twoDigits(s, i)
				if !ok || v > 59 {
					return dateTime{}, false
				}
				om = v
				i += 2
			}
			offset = sign * (oh*3600 + om*60)
		default:
			return dateTime{}, false
		}
		if i != len(s) {
			return dateTime{}, false
		}
	}
	local := days*86400 + hh*3600 + mm*60 + ss
	return dateTime{secs: local - offset, days: days}, true
}

// parseDate parses a date only, as parseDateTime does.
func parseDate(s string) (dateTime, bool) {
	y, mo, d, i, ok := parseDatePart(s)
	if !ok || i != len(s) {
		return dateTime{}, false
	}
	return dateTime{days: daysFromCivil(y, mo, d), date: true}, true
}

// parseDatePart reads YYYY-M[M]-D[D] and returns the index after it.
func parseDatePart(s string) (y, mo, d int64, i int, ok bool) {
	if len(s) < 8 {
		return
	}
	for i = 0; i < 4; i++ {
		if !isDigit(s[i]) {
			return
		}
		y = y*10 + int64(s[i]-'0')
	}
	if s[4] != '-' {
		return
	}
	i = 5
	mo, i, ok = oneOrTwoDigits(s, i)
	if !ok || i >= len(s) || s[i] != '-' {
		return 0, 0, 0, 0, false
	}
	d, i, ok = oneOrTwoDigits(s, i+1)
	if !ok || y == 0 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, 0, 0, 0, false
	}
	return y, mo, d, i, true
}

func oneOrTwoDigits(s string, i int) (int64, int, bool) {
	if i >= len(s) || !isDigit(s[i]) {
		return 0, i, false
	}
	v := int64(s[i] - '0')
	i++
	if i < len(s) && isDigit(s[i]) {
		v = v*10 + int64(s[i]-'0')
		i++
	}
	return v, i, true
}

func twoDigits(s string, i int) (int64, bool) {
	if i+1 >= len(s) || !isDigit(s[i]) || !isDigit(s[i+1]) {
		return 0, false
	}
	return int64(s[i]-'0')*10 + int64(s[i+1]-'0'), true
}

func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the number of days from 1970-01-01 to the given
// proleptic Gregorian date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
