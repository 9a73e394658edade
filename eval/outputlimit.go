package eval

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"unicode/utf8"

	"github.com/evalgate/evalgate/configs"
)

// errOutputTooLarge is why a response body was refused: even with its long
// strings cut, it is larger than the run allows.
var errOutputTooLarge = errors.New("response body is larger than run.max_output_bytes allows")

// TruncateUTF8 returns s cut to at most n bytes without splitting a UTF-8
// sequence, and whether it cut anything. n <= 0 means no limit.
func TruncateUTF8(s string, n int) (string, bool) {
	if n <= 0 || len(s) <= n {
		return s, false
	}
	// Back up to the start of a valid character that n would split.
	for j := n - 1; j >= 0 && j > n-utf8.UTFMax; j-- {
		if utf8.RuneStart(s[j]) {
			if r, size := utf8.DecodeRuneInString(s[j:]); (r != utf8.RuneError || size > 1) && j+size > n {
				return s[:j], true
			}
			break
		}
	}
	return s[:n], true
}

// bodyLimit is what a request's context tells limitTransport: the longest
// JSON string kept (bytes, as sent) and the largest body read once strings
// are cut; truncated is set when a string was cut.
type bodyLimit struct {
	maxString int
	maxBody   int64
	truncated atomic.Bool
}

type bodyLimitKey struct{}

// withBodyLimit returns a context under which limitTransport bounds the
// response to an answer of maxOutput bytes (0: the default; at least
// 1 KiB).
func withBodyLimit(ctx context.Context, maxOutput int) (context.Context, *bodyLimit) {
	if maxOutput <= 0 {
		maxOutput = configs.DefaultMaxOutputBytes
	}
	maxOutput = max(maxOutput, 1<<10) // never cut a key or a model name
	l := &bodyLimit{maxString: maxOutput, maxBody: 2*int64(maxOutput) + 1<<20}
	return context.WithValue(ctx, bodyLimitKey{}, l), l
}

// limitTransport bounds the response bodies of requests whose context
// carries a bodyLimit, so that a huge answer costs neither memory nor a
// results file that cannot be read back.
type limitTransport struct{ next http.RoundTripper }

func (t limitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if resp != nil && resp.Body != nil {
		if l, ok := req.Context().Value(bodyLimitKey{}).(*bodyLimit); ok {
			resp.Body = &limitedBody{body: resp.Body, limit: l, failure: resp.StatusCode >= 400}
			resp.ContentLength = -1 // the body may shrink
		}
	}
	return resp, err
}

// limitedBody streams a JSON body, cutting every string value longer than
// limit.maxString bytes (at a character or escape boundary, so that the
// JSON stays valid) and failing with errOutputTooLarge once more than
// limit.maxBody bytes were passed on. It never holds more than the
// caller's buffer. The body of an error status ends there instead, so
// that the call keeps its status (and is retried or rejected by it).
type limitedBody struct {
	body    io.ReadCloser
	limit   *bodyLimit
	failure bool // an error status's body
	passed  int64
	inStr   bool // inside a string
	esc     int  // bytes left of an escape sequence after its backslash
	strLen  int  // bytes of the current string passed on
	cut     bool // dropping the rest of the current string
}

func (b *limitedBody) Read(p []byte) (int, error) {
	for {
		n, err := b.body.Read(p)
		w := 0
		for _, c := range p[:n] {
			if b.keep(c) {
				p[w] = c
				w++
			}
		}
		if b.passed+int64(w) > b.limit.maxBody {
			if b.failure {
				w = int(b.limit.maxBody - b.passed)
				b.passed = b.limit.maxBody
				return w, io.EOF
			}
			return 0, errOutputTooLarge
		}
		b.passed += int64(w)
		if w > 0 || err != nil || n == 0 {
			return w, err
		}
	}
}

// keep advances the JSON string state by c and reports whether c is
// passed on.
func (b *limitedBody) keep(c byte) bool {
	if !b.inStr {
		if c == '"' {
			b.inStr, b.esc, b.strLen, b.cut = true, 0, 0, false
		}
		return true
	}
	if b.esc > 0 {
		b.esc--
		if b.esc == 0 && c == 'u' { // four hex digits follow
			b.esc = 4
		}
		return b.count()
	}
	switch {
	case c == '"':
		b.inStr = false
		return true
	case c == '\\' || utf8.RuneStart(c):
		// A boundary: cut here when the string is full.
		if !b.cut && b.strLen >= b.limit.maxString {
			b.cut = true
			b.limit.truncated.Store(true)
		}
		if c == '\\' {
			b.esc = 1
		}
	}
	return b.count()
}

// count passes the current string byte on unless the string is cut.
func (b *limitedBody) count() bool {
	if b.cut {
		return false
	}
	b.strLen++
	return true
}

func (b *limitedBody) Close() error { return b.body.Close() }
