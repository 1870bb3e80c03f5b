package match

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// compileRegex compiles the regular expression of a $match, anchored at
// the start (SPEC §3), and keeps the literal prefix the Set indexes.
func compileRegex(src, path string) (node, error) {
	if len(src) > MaxRegexLen {
		return nil, &PatternError{Path: path, Reason: fmt.Sprintf("$match: regular expression longer than %d bytes", MaxRegexLen)}
	}
	// Parse the source alone first: wrapped in ^(?:…) an unbalanced source
	// such as "a)|(b" could turn valid, and a \Q without its \E would quote
	// the closing parenthesis. The anchored expression is built from the
	// parsed one, whose text has no such surprise.
	parsed, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil, &PatternError{Path: path, Reason: "$match: " + err.Error(), Err: err}
	}
	re, err := regexp.Compile(`^(?:` + parsed.String() + `)`)
	if err != nil {
		return nil, &PatternError{Path: path, Reason: "$match: " + err.Error(), Err: err}
	}
	prefix, exact, class := regexShape(src)
	return &regexNode{re: re, src: src, prefix: prefix, exact: exact, class: class}, nil
}

// regexPrefix returns a literal that every string the expression matches
// (at its start) begins with, and whether the expression matches every
// string beginning with it. It errs on the side of a shorter prefix.
func regexPrefix(src string) (string, bool) {
	p, exact, class := regexShape(src)
	return p, exact && class == nil
}

// regexShape is regexPrefix, and moreover recognizes expressions such as
// `\d+` or `user:[a-z]` that match exactly the strings starting with the
// prefix followed by one character of a class: class then holds the
// class's rune ranges (pairs of bounds, as in regexp/syntax) and exact is
// true.
func regexShape(src string) (prefix string, exact bool, class []rune) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return "", false, nil
	}
	re = re.Simplify()
	var b strings.Builder
	var rest []*syntax.Regexp
	_, exact, rest = literalWalk(re, &b)
	p := b.String()
	// Regexp reads invalid UTF-8 as U+FFFD, which a byte prefix test
	// would not.
	if strings.ContainsRune(p, utf8.RuneError) {
		return "", false, nil
	}
	if !exact && len(rest) > 0 {
		if class = oneRuneClass(rest[0]); class != nil {
			exact = true
			for _, r := range rest[1:] {
				exact = exact && alwaysEmpty(r)
			}
			if !exact {
				class = nil
			}
		}
	}
	return p, exact, class
}

// oneRuneClass returns the rune ranges of re if re matches exactly one
// character of a class, or one or more of them (at the start of a match
// that need not reach the end of the text, one is as good as many).
func oneRuneClass(re *syntax.Regexp) []rune {
	if re.Op == syntax.OpPlus || (re.Op == syntax.OpRepeat && re.Min == 1) || re.Op == syntax.OpCapture {
		re = re.Sub[0]
	}
	switch re.Op {
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return nil
		}
		return slices.Clone(re.Rune)
	case syntax.OpAnyCharNotNL:
		return []rune{0, '\n' - 1, '\n' + 1, utf8.MaxRune}
	case syntax.OpAnyChar:
		return []rune{0, utf8.MaxRune}
	case syntax.OpLiteral:
		if len(re.Rune) == 1 && re.Flags&syntax.FoldCase != 0 {
			r := re.Rune[0]
			var out []rune
			for f := r; ; {
				out = append(out, f, f)
				if f = unicode.SimpleFold(f); f == r {
					break
				}
			}
			return out
		}
	}
	return nil
}

// literalWalk appends to b the literal that starts every match of re. It
// reports whether re matches exactly that literal (pure) and whether re
// matches every string starting with what it appended (exact). When re
// is a concatenation that is neither, rest holds its parts after the
// literal.
func literalWalk(re *syntax.Regexp, b *strings.Builder) (pure, exact bool, rest []*syntax.Regexp) {
	switch re.Op {
	case syntax.OpLiteral:
		if re.Flags&syntax.FoldCase != 0 {
			return false, false, []*syntax.Regexp{re}
		}
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
		return true, true, nil
	case syntax.OpCapture:
		pure, exact, rest = literalWalk(re.Sub[0], b)
		if rest == nil && !pure {
			rest = []*syntax.Regexp{re}
		}
		return pure, exact, rest
	case syntax.OpBeginText, syntax.OpBeginLine:
		ok := b.Len() == 0
		return ok, ok, nil
	case syntax.OpConcat:
		for i, sub := range re.Sub {
			p, e, r := literalWalk(sub, b)
			if p {
				continue
			}
			for _, after := range re.Sub[i+1:] {
				e = e && alwaysEmpty(after)
			}
			if r != nil {
				// The sub-expression's own remainder, then what follows it.
				r = append(slices.Clip(r), re.Sub[i+1:]...)
			}
			return false, e, r
		}
		return true, true, nil
	}
	return false, alwaysEmpty(re), []*syntax.Regexp{re}
}

// alwaysEmpty reports whether re can match the empty string
// unconditionally, so that it never constrains a match anchored at the
// start only.
func alwaysEmpty(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpStar, syntax.OpQuest:
		return true
	case syntax.OpRepeat:
		return re.Min == 0
	case syntax.OpCapture:
		return alwaysEmpty(re.Sub[0])
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !alwaysEmpty(s) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		for _, s := range re.Sub {
			if alwaysEmpty(s) {
				return true
			}
		}
	}
	return false
}
