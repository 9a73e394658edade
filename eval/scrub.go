package eval

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/evalgate/evalgate/configs"
)

// secrets are the secret values one endpoint is given: its API key, and
// the password and credential-like query parameter values of its base
// URL (configs.CredentialParam). The provider scrubs them from what it
// returns, so that no result, cache entry, journal line, report or
// message holds them.
type secrets struct {
	values []string
}

// minResponseSecret is the shortest secret value scrubbed from a model's
// answers: a shorter one ("test", a one-letter password) would tear
// ordinary words out of answers and change their scores. Messages are
// scrubbed of every value of at least minMessageSecret bytes.
const (
	minResponseSecret = 8
	minMessageSecret  = 3
)

// newSecrets collects the secrets of an endpoint at baseURL called with key.
func newSecrets(baseURL, key string) secrets {
	var s secrets
	add := func(v string) {
		if len(v) >= minMessageSecret {
			s.values = append(s.values, v)
			if e := url.QueryEscape(v); e != v { // as it appears in a URL
				s.values = append(s.values, e)
			}
		}
	}
	add(key)
	if u, err := url.Parse(baseURL); err == nil {
		if p, ok := u.User.Password(); ok {
			add(p)
		}
		for name, vs := range u.Query() {
			if configs.CredentialParam(name) {
				for _, v := range vs {
					add(v)
				}
			}
		}
	}
	// Longest first, so that a secret containing another goes whole.
	sortByLengthDesc(s.values)
	return s
}

func sortByLengthDesc(vs []string) {
	for i := 1; i < len(vs); i++ {
		for j := i; j > 0 && len(vs[j]) > len(vs[j-1]); j-- {
			vs[j], vs[j-1] = vs[j-1], vs[j]
		}
	}
}

// message scrubs an error message: the secret values, the user info of any
// URL in it, credential-like query parameter values, and anything shaped
// like an API key or a bearer token.
func (s secrets) message(text string) string {
	for _, v := range s.values {
		text = strings.ReplaceAll(text, v, "[REDACTED]")
	}
	text = urlUserRE.ReplaceAllString(text, "$1")
	text = queryParamRE.ReplaceAllStringFunc(text, func(m string) string {
		sub := queryParamRE.FindStringSubmatch(m)
		if configs.CredentialParam(sub[2]) {
			return sub[1] + sub[2] + "=[REDACTED]"
		}
		return m
	})
	return secretRE.ReplaceAllString(text, "[REDACTED]")
}

// response scrubs a model's answer of the secret values of at least
// minResponseSecret bytes: a server that echoes the key back does not get
// it stored. Text merely shaped like a key is left alone, so that
// boundary rules still see a model leaking one.
func (s secrets) response(text string) string {
	for _, v := range s.values {
		if len(v) >= minResponseSecret {
			text = strings.ReplaceAll(text, v, "[REDACTED]")
		}
	}
	return text
}

var (
	// urlUserRE matches the scheme and user info of a URL in text.
	urlUserRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s"'@]*@`)
	// queryParamRE matches one name=value pair of a query string in text.
	queryParamRE = regexp.MustCompile(`([?&])([^=&?#\s"']+)=([^&#\s"']*)`)
)

// secretRE matches strings shaped like API keys and bearer tokens, so that
// a key echoed back by a server is scrubbed even when it is not ours.
var secretRE = regexp.MustCompile(`(?i)(sk-[A-Za-z0-9_\-*]{6,}|bearer\s+[A-Za-z0-9._\-~+/]{8,}=*)`)

// RunSecrets are the secret values of every endpoint of a run (the API
// keys and base URLs of the candidate, production and judge): a Runner
// with them scrubs each from what any endpoint returns, so that a server
// echoing another role's key does not get it stored either.
type RunSecrets struct{ s secrets }

// NewRunSecrets collects the secrets of the endpoints at baseURLs called
// with keys (the two slices side by side; an empty key adds none).
func NewRunSecrets(baseURLs, keys []string) *RunSecrets {
	var all secrets
	for i := range baseURLs {
		key := ""
		if i < len(keys) {
			key = keys[i]
		}
		all.values = append(all.values, newSecrets(baseURLs[i], key).values...)
	}
	sortByLengthDesc(all.values)
	return &RunSecrets{all}
}

// response scrubs an answer (see secrets.response); r may be nil.
func (r *RunSecrets) response(text string) string {
	if r == nil {
		return text
	}
	return r.s.response(text)
}

// message scrubs an error message (see secrets.message); r may be nil.
func (r *RunSecrets) message(text string) string {
	if r == nil {
		return text
	}
	return r.s.message(text)
}

// Scrub removes key, and anything shaped like an API key or bearer token,
// from s.
func Scrub(s, key string) string {
	return newSecrets("", key).message(s)
}
