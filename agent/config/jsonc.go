package config

import "fmt"

// stripComments returns JSON text with its /* */ and // comments replaced by
// spaces (newlines kept), so that encoding/json can read station.conf and
// its error offsets still point into the original text. Comment markers
// inside strings are left alone. Station's own reader (src/uj.c) knows only
// /* */; // is accepted too because hand-edited files use it.
func stripComments(b []byte) ([]byte, error) {
	out := make([]byte, len(b))
	copy(out, b)
	blank := func(from, to int) {
		for i := from; i < to; i++ {
			if out[i] != '\n' {
				out[i] = ' '
			}
		}
	}
	line := 1
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\n':
			line++
		case c == '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				switch b[i] {
				case '\\':
					i++
				case '\n':
					return nil, fmt.Errorf("line %d: newline inside a string", line)
				}
			}
			if i >= len(b) {
				return nil, fmt.Errorf("line %d: unterminated string", line)
			}
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			start, startLine := i, line
			for i += 2; i+1 < len(b) && !(b[i] == '*' && b[i+1] == '/'); i++ {
				if b[i] == '\n' {
					line++
				}
			}
			if i+1 >= len(b) {
				return nil, fmt.Errorf("line %d: unterminated /* comment", startLine)
			}
			i++
			blank(start, i+1)
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			start := i
			for i < len(b) && b[i] != '\n' {
				i++
			}
			blank(start, i)
			i-- // let the loop see the newline
		case c == '/':
			return nil, fmt.Errorf("line %d: '/' that starts no comment", line)
		}
	}
	return out, nil
}
