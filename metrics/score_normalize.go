package metrics

import (
	"unicode"
	"unicode/utf8"
)

// The answer normalization of Normalize, computed byte by byte into
// reusable buffers: no strings.ToLower copy, no strings.Builder, no
// strings.Fields slice, and no allocation once the buffers have grown.
//
// Normalize is defined as
//
//	for each rune r of strings.ToLower(s):
//		drop r when unicode.IsPunct(r) || unicode.IsSymbol(r)
//		write ' ' when unicode.IsSpace(r)
//		write r otherwise
//	split on white space, drop the tokens "a", "an" and "the", join with ' '
//
// strings.ToLower maps each rune with unicode.ToLower and turns each
// invalid byte into U+FFFD, which is a symbol and so dropped; the
// normalizer below lowers and classifies each decoded rune the same way,
// with a table for ASCII. score_test.go checks it against that
// definition, written out with the standard library, on random strings.

// byteClass is what the normalization does with a rune.
type byteClass uint8

const (
	classKeep  byteClass = iota // part of a token (lowered)
	classDrop                   // punctuation or symbol: removed, joins its neighbours
	classSpace                  // white space: ends a token
)

// asciiDrop and asciiSpace mark, in asciiMap, the ASCII bytes that are
// dropped and those that separate tokens; every other byte maps to its
// lower case (no ASCII byte lowers to 0xfe or 0xff).
const (
	asciiDrop  = 0xff
	asciiSpace = 0xfe
)

// asciiMap lowers and classifies the 128 ASCII bytes, as
// unicode.ToLower, IsPunct, IsSymbol and IsSpace do.
var asciiMap = func() (m [utf8.RuneSelf]byte) {
	for c := range rune(utf8.RuneSelf) {
		l := unicode.ToLower(c)
		switch runeClass(l) {
		case classDrop:
			m[c] = asciiDrop
		case classSpace:
			m[c] = asciiSpace
		default:
			m[c] = byte(l)
		}
	}
	return m
}()

// runeClass classifies a lowered rune.
func runeClass(r rune) byteClass {
	switch {
	case unicode.IsPunct(r) || unicode.IsSymbol(r):
		return classDrop
	case unicode.IsSpace(r):
		return classSpace
	}
	return classKeep
}

// normalizer holds one normalized string: its tokens, each followed by a
// space and the whole preceded by one (" tok1 tok2 "), so that a
// whole-token search is a substring search, and the tokens' bounds.
type normalizer struct {
	buf  []byte  // " tok1 tok2 … " or " " when there is no token
	toks []int32 // start and end offset in buf of each token
}

// normalize replaces n's contents with the normalization of s.
func (n *normalizer) normalize(s string) {
	buf := append(n.buf[:0], ' ')
	toks := n.toks[:0]
	start := -1 // offset of the current token in buf, or -1 between tokens
	for i := 0; i < len(s); {
		// A run of ASCII bytes inside a token, the common case.
		if start >= 0 {
			for i < len(s) {
				c := s[i]
				if c >= utf8.RuneSelf {
					break
				}
				m := asciiMap[c]
				if m == asciiSpace {
					break
				}
				i++
				if m != asciiDrop {
					buf = append(buf, m)
				}
			}
			if i >= len(s) {
				break
			}
		}
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch m := asciiMap[c]; m {
			case asciiDrop:
			case asciiSpace:
				if start >= 0 {
					buf, toks = endToken(buf, toks, start)
					start = -1
				}
			default:
				if start < 0 {
					start = len(buf)
				}
				buf = append(buf, m)
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		r = unicode.ToLower(r)
		switch runeClass(r) {
		case classKeep:
			if start < 0 {
				start = len(buf)
			}
			buf = utf8.AppendRune(buf, r)
		case classSpace:
			if start >= 0 {
				buf, toks = endToken(buf, toks, start)
				start = -1
			}
		}
	}
	if start >= 0 {
		buf, toks = endToken(buf, toks, start)
	}
	n.buf, n.toks = buf, toks
}

// endToken closes the token buf[start:]: it drops an article, or records
// the token and appends the space that follows it.
func endToken(buf []byte, toks []int32, start int) ([]byte, []int32) {
	if isArticle(buf[start:]) {
		return buf[:start], toks
	}
	toks = append(toks, int32(start), int32(len(buf)))
	return append(buf, ' '), toks
}

// isArticle reports whether a lowered token is a, an or the.
func isArticle(t []byte) bool {
	switch len(t) {
	case 1:
		return t[0] == 'a'
	case 2:
		return t[0] == 'a' && t[1] == 'n'
	case 3:
		return t[0] == 't' && t[1] == 'h' && t[2] == 'e'
	}
	return false
}

// padded is the normalized string between spaces: " tok1 tok2 ", or " ".
func (n *normalizer) padded() []byte { return n.buf }

// joined is the normalized string: the tokens joined by single spaces.
func (n *normalizer) joined() []byte {
	if len(n.buf) <= 1 {
		return nil
	}
	return n.buf[1 : len(n.buf)-1]
}

// tokens is the number of tokens.
func (n *normalizer) tokens() int { return len(n.toks) / 2 }

// token returns the i-th token.
func (n *normalizer) token(i int) []byte { return n.buf[n.toks[2*i]:n.toks[2*i+1]] }

// strings returns the tokens as strings.
func (n *normalizer) strings() []string {
	out := make([]string, n.tokens())
	for i := range out {
		out[i] = string(n.token(i))
	}
	return out
}
