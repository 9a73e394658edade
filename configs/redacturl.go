package configs

import (
	"net/url"
	"regexp"
	"strings"
)

// RedactURL returns the base URL raw as it may be shown or stored: without
// user info (user:password@) and without credential-like query parameters
// (see CredentialParam), the other parameters kept in their order. Every
// report, log line and error message shows a base URL through it; the
// provider alone uses the URL as configured. A URL that does not parse
// loses everything from its first '?' and anything before an '@' in its
// authority.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		s, _, _ := strings.Cut(raw, "?")
		return userInfoRE.ReplaceAllString(s, "$1")
	}
	u.User = nil
	if u.RawQuery != "" {
		var kept []string
		for _, p := range strings.Split(u.RawQuery, "&") {
			name, _, _ := strings.Cut(p, "=")
			if n, err := url.QueryUnescape(name); err == nil {
				name = n
			}
			if !CredentialParam(name) {
				kept = append(kept, p)
			}
		}
		u.RawQuery = strings.Join(kept, "&")
		u.ForceQuery = false
	}
	return u.String()
}

// userInfoRE matches a URL's scheme and user info, for text that does not
// parse as a URL.
var userInfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://)[^/?#\s]*@`)

// credentialNames are query parameter names that carry credentials,
// lower case, '-' read as '_'.
var credentialNames = map[string]bool{
	"key": true, "token": true, "sig": true, "signature": true, "password": true, "passwd": true, "pwd": true,
	"secret": true, "auth": true, "authorization": true, "code": true, "session": true, "sessionid": true,
	"jwt": true, "bearer": true, "credential": true, "credentials": true, "x_amz_signature": true,
	"x_amz_credential": true, "x_amz_security_token": true,
}

// CredentialParam reports whether a query parameter name is credential-like,
// ignoring case and reading '-' as '_': key, token, sig, signature,
// password, secret, auth and the like, or any name containing key, token,
// secret, password or signature (api-key, api_key, apikey, access_token,
// client_secret, …). api-version and the like are not.
func CredentialParam(name string) bool {
	n := strings.ReplaceAll(strings.ToLower(name), "-", "_")
	if credentialNames[n] {
		return true
	}
	for _, part := range []string{"key", "token", "secret", "password", "passwd", "signature", "credential"} {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}
