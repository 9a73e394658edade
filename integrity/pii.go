package integrity

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// PII detection and redaction.
//
// FindPII is a hand-written scanner, not a set of regular expressions: three
// cheap passes find the places where personal data can start (an '@' for
// email addresses, a ':' for IPv6 addresses, a digit for everything else)
// and each candidate is then validated with the checks that make the kind
// specific: Luhn and issuer prefix for cards, mod-97 and the country's
// length for IBANs, the invalid ranges for SSNs, octet ranges for IPv4,
// net/netip for IPv6, and the structure of national and international
// numbering plans for phone numbers. Numbers whose shape does not decide
// what they are (a bare run of digits, a date, a version, a price) are not
// flagged: a count that includes every order number is a count nobody
// can act on.

// PIIKind is a kind of personal data found by FindPII. Kinds are numbered
// 0 to NumPIIKinds-1 and index PIICounts.
type PIIKind uint8

// The kinds of personal data, in the order reports list them.
const (
	// PIIEmail is an email address: local@domain.tld, with a dotted domain
	// and an alphabetic top-level domain.
	PIIEmail PIIKind = iota
	// PIIPhone is a phone number: international (+CC or 00CC, 8 to 15
	// digits), North American ((555) 123-4567, 555-123-4567, 1 555 123
	// 4567) or national with a trunk 0 (020 7946 0958, 06 12 34 56 78),
	// written with separators.
	PIIPhone
	// PIISSN is a US social security number written AAA-GG-SSSS, outside
	// the ranges never issued (area 000, 666 or 9xx, group 00, serial 0000).
	PIISSN
	// PIICard is a payment card number: 13 to 19 digits, unseparated or in
	// groups separated by spaces or dashes, with a known issuer prefix and a
	// valid Luhn check digit.
	PIICard
	// PIIIBAN is an international bank account number of a country in the
	// IBAN registry, unspaced or in groups of four, with valid check digits.
	PIIIBAN
	// PIIIPv4 is a dotted-quad IPv4 address.
	PIIIPv4
	// PIIIPv6 is an IPv6 address, as net/netip parses it.
	PIIIPv6
	// NumPIIKinds is the number of kinds.
	NumPIIKinds
)

var piiNames = [NumPIIKinds]string{"email", "phone", "ssn", "card", "iban", "ipv4", "ipv6"}

var piiPlaceholders = [NumPIIKinds]string{"[EMAIL]", "[PHONE]", "[SSN]", "[CARD]", "[IBAN]", "[IPV4]", "[IPV6]"}

// piiPriority ranks kinds for overlapping candidates: the lower value wins.
// Kinds with stronger validation, or that contain the others, come first:
// an email's local part may hold a phone number, an IBAN's digits a card
// number, an IPv6 address an IPv4 one, and a card number the digits of a
// phone number.
var piiPriority = [NumPIIKinds]uint8{
	PIIEmail: 0, PIIIBAN: 1, PIICard: 2, PIISSN: 3, PIIIPv6: 4, PIIIPv4: 5, PIIPhone: 6,
}

// String returns the kind's name: email, phone, ssn, card, iban, ipv4 or
// ipv6.
func (k PIIKind) String() string {
	if k < NumPIIKinds {
		return piiNames[k]
	}
	return fmt.Sprintf("PIIKind(%d)", uint8(k))
}

// Placeholder returns the text RedactPII puts in place of a value of this
// kind: [EMAIL], [PHONE], [SSN], [CARD], [IBAN], [IPV4] or [IPV6].
func (k PIIKind) Placeholder() string {
	if k < NumPIIKinds {
		return piiPlaceholders[k]
	}
	return "[PII]"
}

// MarshalText encodes the kind as its name.
func (k PIIKind) MarshalText() ([]byte, error) {
	if k >= NumPIIKinds {
		return nil, fmt.Errorf("unknown PII kind %d", uint8(k))
	}
	return []byte(piiNames[k]), nil
}

// UnmarshalText decodes a kind's name.
func (k *PIIKind) UnmarshalText(b []byte) error {
	for i, n := range piiNames {
		if string(b) == n {
			*k = PIIKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown PII kind %q", b)
}

// PIIMatch is one value found by FindPII: s[Start:End] is a value of Kind.
// Start and End are byte offsets.
type PIIMatch struct {
	Kind  PIIKind `json:"kind"`
	Start int     `json:"start"`
	End   int     `json:"end"`
}

// FindPII returns the personal data in s, left to right, without overlaps.
// Where candidates of two kinds overlap, the more specific kind wins: an
// email over anything in it, an IBAN over the card-like digits in it, a
// card over a phone number, an IPv6 address over the IPv4 address it
// embeds.
//
// FindPII reports exactly what RedactPII replaces. It looks again at the
// text with the values replaced by their placeholders, until nothing more
// is found, so that a value whose neighbour hid it (a phone number
// written straight after an IP address, say) is not left in the redacted
// text. Consequently FindPII(RedactPII(s)) is empty. Placeholders already
// in s are not matches; CountPII counts them.
//
// What is not flagged, by design: digits without separators other than
// card numbers and +CC phone numbers (order numbers, ISBNs, tracking
// numbers, SSNs written without dashes, national phone numbers written
// without separators), a phone number written with spaces and followed
// by a space and more digits (where it ends is a guess), dates and times, prices, versions (v1.2.3, and
// four-part versions after the word version, ver, release, build, rev or
// firmware), numbers glued to letters (ORD-2024-001234, git SHAs, UUIDs),
// card-length numbers that fail Luhn or have no known issuer prefix, IBANs
// of countries missing from the registry table, email addresses without a
// dotted domain (user@localhost), IPv6 addresses with no decimal digit
// (dead::beef, which prose such as Add::Feed would otherwise trip) and
// one-group prefixes without a length (Rust's f32::MAX; fe80::/10 is
// flagged), and national phone numbers in more or fewer than five pairs
// (hex dumps). Four
// dotted numbers that form a valid address, without a version word before
// them, are flagged as IPv4 even when they are meant as a version.
func FindPII(s string) []PIIMatch {
	ms, _ := findRedact(s)
	return ms
}

// RedactPII returns s with every value FindPII finds replaced by its
// kind's placeholder. It returns s itself when nothing is found, and
// RedactPII(RedactPII(s)) == RedactPII(s).
func RedactPII(s string) string {
	_, t := findRedact(s)
	return t
}

// CountPII counts the values FindPII finds in s, by kind, plus the
// placeholders already in s. Counting a redacted text therefore gives the
// counts of the original: CountPII(RedactPII(s)) == CountPII(s).
func CountPII(s string) PIICounts {
	ms, _ := findRedact(s)
	return countPII(s, ms)
}

// RedactCountPII returns RedactPII(s) and CountPII(s) from one scan.
func RedactCountPII(s string) (redacted string, counts PIICounts) {
	ms, t := findRedact(s)
	return t, countPII(s, ms)
}

func countPII(s string, ms []PIIMatch) PIICounts {
	c := countPlaceholders(s)
	for _, m := range ms {
		c[m.Kind]++
	}
	return c
}

// countPlaceholders counts the placeholders in s. Placeholders start with
// '[', end with ']' and hold no bracket, so they never overlap each other
// or a match.
func countPlaceholders(s string) PIICounts {
	var c PIICounts
	for {
		i := strings.IndexByte(s, '[')
		if i < 0 {
			return c
		}
		s = s[i:]
		for k, p := range piiPlaceholders {
			if strings.HasPrefix(s, p) {
				c[k]++
				break
			}
		}
		s = s[1:]
	}
}

// findRedact returns the matches in s and s with them redacted, repeating
// the scan on the redacted text until it finds nothing more.
func findRedact(s string) ([]PIIMatch, string) {
	ms, t, _ := findRedactRounds(s)
	return ms, t
}

// findRedactRounds is findRedact that also returns the number of scans of
// redacted text it made. A second scan is needed only when a value was
// hidden by one glued to it; the tests check that adversarial text does
// not make the number grow with its length.
func findRedactRounds(s string) ([]PIIMatch, string, int) {
	var sc piiScanner
	ms := sc.find(s)
	if len(ms) == 0 {
		return nil, s, 0
	}
	ms = slices.Clone(ms)
	for rounds := 1; ; rounds++ {
		t := redact(s, ms)
		extra := sc.find(t)
		if len(extra) == 0 {
			return ms, t, rounds
		}
		merged := mapBack(s, ms, extra)
		if len(merged) == len(ms) {
			// Unreachable: no kind can match across a placeholder's
			// brackets. Stop rather than loop.
			return ms, t, rounds
		}
		ms = merged
	}
}

// redact replaces each of ms (sorted, disjoint) in s by its placeholder.
func redact(s string, ms []PIIMatch) string {
	n := len(s)
	for _, m := range ms {
		n += len(m.Kind.Placeholder()) - (m.End - m.Start)
	}
	var b strings.Builder
	b.Grow(n)
	at := 0
	for _, m := range ms {
		b.WriteString(s[at:m.Start])
		b.WriteString(m.Kind.Placeholder())
		at = m.End
	}
	b.WriteString(s[at:])
	return b.String()
}

// mapBack maps extra, matches in redact(s, ms), to offsets in s and merges
// them into ms. Matches that straddle a placeholder are dropped.
func mapBack(s string, ms, extra []PIIMatch) []PIIMatch {
	out := make([]PIIMatch, 0, len(ms)+len(extra))
	delta, k := 0, 0 // offset in t minus offset in s, before ms[k]
	for _, e := range extra {
		for k < len(ms) && ms[k].Start+delta+len(ms[k].Kind.Placeholder()) <= e.Start {
			out = append(out, ms[k])
			delta += len(ms[k].Kind.Placeholder()) - (ms[k].End - ms[k].Start)
			k++
		}
		if k < len(ms) && e.End > ms[k].Start+delta {
			continue
		}
		out = append(out, PIIMatch{e.Kind, e.Start - delta, e.End - delta})
	}
	return append(out, ms[k:]...)
}

// piiScanner finds the matches in one text. Its buffers are reused from
// one text to the next.
type piiScanner struct {
	s      string
	cands  []PIIMatch
	groups []piiGroup
	total  int // digits in groups
}

// piiGroup is one group of digits in a number run, such as "555" in
// "(555) 123-4567". A paren group was written in parentheses.
type piiGroup struct {
	start, end int
	before     int  // digits in the run's groups before this one
	sep        byte // the separator before this group; 0 for none
	paren      bool
}

// find returns the matches in s, valid until the next call.
func (sc *piiScanner) find(s string) []PIIMatch {
	sc.s, sc.cands = s, sc.cands[:0]
	sc.emails()
	sc.ipv6s()
	sc.numbers()
	return resolve(sc.cands)
}

func (sc *piiScanner) add(k PIIKind, start, end int) {
	if sc.cands == nil {
		sc.cands = make([]PIIMatch, 0, 8)
	}
	sc.cands = append(sc.cands, PIIMatch{k, start, end})
}

// resolve sorts candidates by start and drops those that overlap a
// candidate of a kind with higher priority. Candidates of one kind never
// overlap each other.
func resolve(c []PIIMatch) []PIIMatch {
	if len(c) < 2 {
		return c
	}
	slices.SortFunc(c, func(a, b PIIMatch) int {
		if pa, pb := piiPriority[a.Kind], piiPriority[b.Kind]; pa != pb {
			return cmp.Compare(pa, pb)
		}
		return cmp.Compare(a.Start, b.Start)
	})
	if c[0].Kind == c[len(c)-1].Kind {
		return c
	}
	// Merge kind by kind, in priority order, into the accepted matches.
	acc, next := make([]PIIMatch, 0, len(c)), make([]PIIMatch, 0, len(c))
	for i := 0; i < len(c); {
		j := i + 1
		for j < len(c) && c[j].Kind == c[i].Kind {
			j++
		}
		next = next[:0]
		p := 0
		for _, m := range c[i:j] {
			for p < len(acc) && acc[p].End <= m.Start {
				next = append(next, acc[p])
				p++
			}
			if p < len(acc) && acc[p].Start < m.End {
				continue // overlaps an accepted match of higher priority
			}
			next = append(next, m)
		}
		next = append(next, acc[p:]...)
		acc, next = next, acc
		i = j
	}
	return acc
}

// Byte classes.

func piiDigit(c byte) bool { return '0' <= c && c <= '9' }
func piiUpper(c byte) bool { return 'A' <= c && c <= 'Z' }
func piiAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func piiAlnum(c byte) bool { return piiDigit(c) || piiAlpha(c) }

// piiWord reports whether c continues a word, so that a value next to it
// is part of a longer token: an ASCII letter or digit, or '_'.
func piiWord(c byte) bool { return piiAlnum(c) || c == '_' }

// piiWordBefore reports whether s[:i] ends with a word character or a
// placeholder, and piiWordAt whether s[i:] starts with one. A placeholder
// stands where a value was, and a value starts and ends (almost always)
// with a letter or digit: treating it as one keeps a value's neighbours
// judged alike before and after redaction, so that redacting a value does
// not expose one glued to it (as in "1.2.3.4+15551234567").
func piiWordBefore(s string, i int) bool {
	if i == 0 {
		return false
	}
	if c := s[i-1]; c != ']' {
		return piiWord(c)
	}
	for _, p := range piiPlaceholders {
		if strings.HasSuffix(s[:i], p) {
			return true
		}
	}
	return false
}

func piiWordAt(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	if c := s[i]; c != '[' {
		return piiWord(c)
	}
	for _, p := range piiPlaceholders {
		if strings.HasPrefix(s[i:], p) {
			return true
		}
	}
	return false
}

func piiHex(c byte) bool { return piiDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

// Email addresses.

func piiLocalChar(c byte) bool {
	return piiAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func piiDomainChar(c byte) bool { return piiAlnum(c) || c == '.' || c == '-' }

// emails finds email addresses, starting from each '@'.
func (sc *piiScanner) emails() {
	s := sc.s
	floor := 0 // end of the last address: a local part starts after it
	for off := 0; off < len(s); {
		i := strings.IndexByte(s[off:], '@')
		if i < 0 {
			return
		}
		at := off + i
		off = at + 1
		a := at
		for a > floor && piiLocalChar(s[a-1]) {
			a--
		}
		local := s[a:at]
		if k := strings.LastIndex(local, ".."); k >= 0 {
			a += k + 2
		}
		for a < at && !piiAlnum(s[a]) && s[a] != '_' {
			a++
		}
		if at-a < 1 || at-a > 64 || s[at-1] == '.' {
			continue
		}
		b := at + 1
		for b < len(s) && piiDomainChar(s[b]) && !(s[b] == '.' && s[b-1] == '.') {
			b++
		}
		if piiWordAt(s, b) {
			continue // "a@b.com_x", or glued to a placeholder
		}
		for b > at+1 && (s[b-1] == '.' || s[b-1] == '-') {
			b--
		}
		if !piiDomain(s[at+1 : b]) {
			continue
		}
		sc.add(PIIEmail, a, b)
		floor, off = b, b
	}
}

// piiDomain reports whether d is a host name with at least two labels and
// an alphabetic top-level domain.
func piiDomain(d string) bool {
	if len(d) > 253 {
		return false
	}
	labels := 0
	for d != "" {
		label, rest, more := strings.Cut(d, ".")
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		labels++
		if !more {
			if labels < 2 || len(label) < 2 {
				return false
			}
			for i := 0; i < len(label); i++ {
				if !piiAlpha(label[i]) {
					return false
				}
			}
			return true
		}
		d = rest
	}
	return false
}

// IPv6 addresses.

func piiIPv6Char(c byte) bool { return piiHex(c) || c == ':' || c == '.' }

// ipv6s finds IPv6 addresses: runs of hex digits, colons and dots around a
// ':' that net/netip parses as IPv6.
func (sc *piiScanner) ipv6s() {
	s := sc.s
	for off := 0; off < len(s); {
		i := strings.IndexByte(s[off:], ':')
		if i < 0 {
			return
		}
		a, b := off+i, off+i+1
		for a > off && piiIPv6Char(s[a-1]) {
			a--
		}
		for b < len(s) && piiIPv6Char(s[b]) {
			b++
		}
		off = b
		if piiWordBefore(s, a) || piiWordAt(s, b) {
			continue
		}
		for a < b && s[a] == '.' {
			a++
		}
		if a+1 < b && s[a] == ':' && s[a+1] != ':' {
			a++ // "host:fe80::1"
		}
		for b > a && s[b-1] == '.' {
			b--
		}
		if b-2 > a && s[b-1] == ':' && s[b-2] != ':' {
			b-- // "address fe80::1: …"
		}
		cand := s[a:b]
		colons := strings.Count(cand, ":")
		if colons < 2 || strings.IndexAny(cand, "0123456789") < 0 {
			continue
		}
		if colons == 2 && strings.HasSuffix(cand, "::") && (b == len(s) || s[b] != '/') {
			continue // Rust's f32::MAX; a one-group prefix needs its length (fe80::/10)
		}
		if addr, err := netip.ParseAddr(cand); err == nil && addr.Is6() {
			sc.add(PIIIPv6, a, b)
		}
	}
}

// Everything that starts with a digit: IBANs, IPv4 addresses and number
// runs (cards, SSNs, phone numbers).

// numbers visits each maximal sequence of digits once.
func (sc *piiScanner) numbers() {
	s := sc.s
	runEnd := 0 // number runs are tokenized up to here
	for i := 0; i < len(s); {
		if !piiDigit(s[i]) {
			i++
			continue
		}
		p, e := i, i+1
		for e < len(s) && piiDigit(s[e]) {
			e++
		}
		i = e
		if p >= 2 && p >= runEnd && piiUpper(s[p-1]) && piiUpper(s[p-2]) {
			if end := sc.iban(p - 2); end > 0 {
				sc.add(PIIIBAN, p-2, end)
				runEnd, i = end, end
				continue
			}
		}
		if p >= runEnd {
			runEnd = sc.run(p, e)
		}
		sc.ipv4(p, e)
	}
}

// piiIBANLengths is the length of an IBAN by country (SWIFT IBAN registry).
var piiIBANLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16,
	"BG": 22, "BH": 22, "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
	"DE": 22, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
	"FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
	"GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27,
	"JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20,
	"LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31,
	"MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
	"QA": 29, "RO": 24, "RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24,
	"SM": 27, "TN": 24, "TR": 26, "UA": 29, "VG": 24, "XK": 20,
}

// iban returns the end of the IBAN that starts at a, or 0. The IBAN is
// upper case, unspaced or in groups of four separated by single spaces.
func (sc *piiScanner) iban(a int) int {
	s := sc.s
	if piiWordBefore(s, a) {
		return 0
	}
	n := piiIBANLengths[s[a:a+2]]
	if n == 0 {
		return 0
	}
	spaced := a+4 < len(s) && s[a+4] == ' '
	var buf [34]byte
	j := a
	for k := range n {
		if spaced && k > 0 && k%4 == 0 {
			if j >= len(s) || s[j] != ' ' {
				return 0
			}
			j++
		}
		if j >= len(s) || !piiDigit(s[j]) && !piiUpper(s[j]) {
			return 0
		}
		buf[k] = s[j]
		j++
	}
	if piiWordAt(s, j) {
		return 0
	}
	// Move the first four characters to the end, read letters as 10 to
	// 35, and the number must be 1 modulo 97.
	rem := 0
	for k := range n {
		c := buf[(k+4)%n]
		if piiDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
		} else {
			rem = (rem*100 + int(c-'A') + 10) % 97
		}
	}
	if rem != 1 {
		return 0
	}
	return j
}

// ipv4 reports a dotted-quad IPv4 address that starts at the digits
// s[p:e]. Octets have no leading zero (192.168.001.001 is ambiguous and
// not flagged).
func (sc *piiScanner) ipv4(p, e int) {
	s := sc.s
	if e >= len(s) || s[e] != '.' || piiWordBefore(s, p) || p > 0 && s[p-1] == '.' {
		return
	}
	j := p
	for k := range 4 {
		if k > 0 {
			if j >= len(s) || s[j] != '.' {
				return
			}
			j++
		}
		d := j
		v := 0
		for j < len(s) && piiDigit(s[j]) && j-d < 4 {
			v = v*10 + int(s[j]-'0')
			j++
		}
		if n := j - d; n == 0 || n > 3 || v > 255 || n > 1 && s[d] == '0' {
			return
		}
	}
	if piiWordAt(s, j) || j+1 < len(s) && (s[j] == '.' && piiDigit(s[j+1]) ||
		s[j] == '-' && piiWordAt(s, j+1) && !piiDigit(s[j+1])) {
		return // 1.2.3.4.5, 1.2.3.4-beta
	}
	if piiVersionBefore(s, p) {
		return
	}
	sc.add(PIIIPv4, p, j)
}

// piiVersionWords are the words after which four dotted numbers are a
// version, not an address.
var piiVersionWords = []string{"version", "ver", "v", "release", "build", "rev", "revision", "firmware"}

// piiVersionBefore reports whether s[:p] ends with a version word, as in
// "version 1.2.3.4" or "Build: 10.0.19041.1".
func piiVersionBefore(s string, p int) bool {
	k := p
	for k > 0 && p-k < 3 && (s[k-1] == ' ' || s[k-1] == ':' || s[k-1] == '=' || s[k-1] == '\t') {
		k--
	}
	e := k
	for k > 0 && e-k <= 8 && piiAlpha(s[k-1]) {
		k--
	}
	if k == e || k > 0 && piiWord(s[k-1]) {
		return false
	}
	for _, w := range piiVersionWords {
		if strings.EqualFold(s[k:e], w) {
			return true
		}
	}
	return false
}

// Number runs.
//
// A number run is a sequence of digit groups joined by single separators
// (space, '-', '.', '/'), where a group may be written in parentheses and
// the first may carry a '+': "+1 (555) 123-4567", "4111 1111 1111 1111",
// "2024-03-15". A run is cut into values only at spaces, so that a value
// never starts or ends inside a group structure such as a date or an ISBN.

// piiMinRunDigits is the fewest digits of a card, SSN or phone number.
const piiMinRunDigits = 8

// run tokenizes the number run whose first digits are s[p:e], finds the
// cards, SSNs and phone numbers in it, and returns the end of the run.
func (sc *piiScanner) run(p, e int) int {
	s := sc.s
	start, plus := p, false
	if p > 0 && s[p-1] == '+' {
		start, plus = p-1, true
	}
	// Most runs in prose ("30 days", "9:00", "v2.3") are too short to hold
	// a value: measure before storing.
	end, digits := sc.tokenize(p, e, false)
	if digits < piiMinRunDigits {
		return end
	}
	if sc.groups == nil {
		sc.groups = make([]piiGroup, 0, 16)
	}
	sc.groups, sc.total = sc.groups[:0], 0
	sc.tokenize(p, e, true)
	if sc.groups[0].paren {
		start--
	}
	// A run glued to a word on either side is part of a longer token
	// (ORD-2024-001234, A1234, 12abc): no value starts or ends there.
	blocked := start > 0 && piiBlocksStart(s, start)
	tainted := end < len(s) && piiBlocksEnd(s, end)
	sc.segment(plus, blocked, tainted)
	return end
}

// tokenize reads the groups of the run whose first digits are s[p:e],
// storing them in sc.groups when store is set, and returns the run's end
// and its number of digits.
func (sc *piiScanner) tokenize(p, e int, store bool) (end, digits int) {
	s := sc.s
	first := piiGroup{start: p, end: e}
	pos := e
	if p > 0 && s[p-1] == '(' && e < len(s) && s[e] == ')' && e-p <= 4 {
		first.paren, pos = true, e+1
	}
	digits = e - p
	if store {
		sc.addGroup(first)
	}
	lastParen := first.paren
	for pos < len(s) {
		c := s[pos]
		var sep byte
		next := pos
		switch {
		case piiDigit(c) && lastParen:
		case c == ' ' || c == '-' || c == '.' || c == '/':
			sep, next = c, pos+1
		}
		if next == pos && !lastParen || next >= len(s) {
			break
		}
		g := piiGroup{start: next, sep: sep}
		q := next
		if s[next] == '(' && sep == ' ' {
			g.start, g.paren = next+1, true
			q++
		}
		for q < len(s) && piiDigit(s[q]) {
			q++
		}
		g.end = q
		if g.end == g.start || g.paren && (q-g.start > 4 || q >= len(s) || s[q] != ')') {
			break
		}
		if g.paren {
			q++
		}
		if store {
			sc.addGroup(g)
		}
		digits += g.end - g.start
		pos, lastParen = q, g.paren
	}
	return pos, digits
}

func (sc *piiScanner) addGroup(g piiGroup) {
	g.before = sc.total
	sc.groups = append(sc.groups, g)
	sc.total += g.end - g.start
}

// nd returns the number of digits in groups [i, j).
func (sc *piiScanner) nd(i, j int) int {
	end := sc.total
	if j < len(sc.groups) {
		end = sc.groups[j].before
	}
	return end - sc.groups[i].before
}

// piiBlocksStart reports whether the text before a run at start joins it
// to a longer token: a word character, a word and '.', '-' or '/'
// (ORD-2024-…, v1.2), or a number and ':' or ',' (12:30, 1,234).
func piiBlocksStart(s string, start int) bool {
	switch c := s[start-1]; {
	case c == '.' || c == '-' || c == '/':
		return piiWordBefore(s, start-1) && s[start-2] != '_'
	case c == ':' || c == ',':
		return piiWordBefore(s, start-1) && !piiAlpha(s[start-2]) && s[start-2] != '_'
	}
	return piiWordBefore(s, start)
}

// piiBlocksEnd reports whether the text after a run ending at end joins it
// to a longer token, as piiBlocksStart does before it.
func piiBlocksEnd(s string, end int) bool {
	switch c := s[end]; {
	case c == '.' || c == '-' || c == '/':
		return piiWordAt(s, end+1) && s[end+1] != '_'
	case c == ':' || c == ',':
		return piiWordAt(s, end+1) && !piiAlpha(s[end+1]) && s[end+1] != '_'
	}
	return piiWordAt(s, end)
}

// piiMaxGroups bounds the groups in one value (+33 6 12 34 56 78 has 6).
const piiMaxGroups = 8

// segment cuts the run in sc.groups into values, left to right, trying the
// longest value first at each start. A phone number must start where the
// run starts or where the previous value ended: inside a sequence of
// spaced numbers ("5500 0123 4567 8901") any tail could pass for one.
func (sc *piiScanner) segment(plus, blocked, tainted bool) {
	ng := len(sc.groups)
	i, anchored := 0, true
	if blocked {
		i, anchored = sc.nextCut(0), false
	}
	for i < ng {
		found := false
		for j := min(ng, i+piiMaxGroups); j > i && !found; j-- {
			if j == ng && tainted || j < ng && sc.groups[j].sep != ' ' {
				continue
			}
			kind, ok := sc.classify(i, j, plus, anchored)
			if !ok {
				continue
			}
			if kind != piiSkip {
				a, b := sc.groups[i].start, sc.groups[j-1].end
				if sc.groups[i].paren || i == 0 && plus {
					a--
				}
				if sc.groups[j-1].paren {
					b++
				}
				sc.add(kind, a, b)
			}
			i, anchored, found = j, true, true
		}
		if !found {
			i, anchored = sc.nextCut(i), false
		}
	}
}

// piiSkip is the kind of a segment that ends a value without being one
// here: four dotted numbers, which ipv4 judges.
const piiSkip = NumPIIKinds

// classify returns the kind of the value that groups [i, j) form, if any.
func (sc *piiScanner) classify(i, j int, plus, anchored bool) (PIIKind, bool) {
	if d := sc.nd(i, j); d < 4 || d > 19 {
		return 0, false
	}
	switch {
	case sc.isCard(i, j, plus):
		return PIICard, true
	case sc.isSSN(i, j, plus):
		return PIISSN, true
	case sc.isIPv4Shape(i, j, plus):
		return piiSkip, true
	case anchored && sc.isPhone(i, j, plus):
		return PIIPhone, true
	}
	return 0, false
}

// nextCut returns the index of the first group after i that follows a
// space, or the number of groups.
func (sc *piiScanner) nextCut(i int) int {
	k := i + 1
	for k < len(sc.groups) && sc.groups[k].sep != ' ' {
		k++
	}
	return k
}

// gl returns the number of digits in group k.
func (sc *piiScanner) gl(k int) int { return sc.groups[k].end - sc.groups[k].start }

// gather appends the digits of groups [i, j) to buf.
func (sc *piiScanner) gather(buf []byte, i, j int) []byte {
	for _, g := range sc.groups[i:j] {
		buf = append(buf, sc.s[g.start:g.end]...)
	}
	return buf
}

// plain reports whether groups [i, j) have no parentheses or '+', and
// returns their common separator (0 for a single group); ok is false when
// the separators differ.
func (sc *piiScanner) plain(i, j int, plus bool) (sep byte, ok bool) {
	if i == 0 && plus {
		return 0, false
	}
	for k := i; k < j; k++ {
		if sc.groups[k].paren {
			return 0, false
		}
		if k > i {
			if sep == 0 {
				sep = sc.groups[k].sep
			} else if sc.groups[k].sep != sep {
				return 0, false
			}
		}
	}
	return sep, true
}

// isCard reports a payment card number: 13 to 19 digits, in one group, in
// groups of four (the last may be shorter) or as 4-6-5 or 4-6-4, separated
// by spaces or dashes, with a known issuer prefix and a valid Luhn digit.
// Space-grouped numbers next to another group of four are part of a longer
// number (a tracking number) and are not cards.
func (sc *piiScanner) isCard(i, j int, plus bool) bool {
	d := sc.nd(i, j)
	if d < 13 {
		return false
	}
	sep, ok := sc.plain(i, j, plus)
	if !ok || sep != 0 && sep != ' ' && sep != '-' {
		return false
	}
	if j-i > 1 {
		fours := true
		for k := i; k < j-1; k++ {
			fours = fours && sc.gl(k) == 4
		}
		amex := j-i == 3 && sc.gl(i) == 4 && sc.gl(i+1) == 6 && (sc.gl(i+2) == 5 || sc.gl(i+2) == 4)
		if !fours && !amex {
			return false
		}
		if sep == ' ' && (i > 0 && sc.gl(i-1) == 4 || j < len(sc.groups) && sc.gl(j) == 4) {
			return false
		}
	}
	var buf [19]byte
	digits := sc.gather(buf[:0], i, j)
	return piiIssuer(digits) && piiLuhn(digits)
}

// piiIssuer reports whether a card number has the prefix and length of a
// known card scheme.
func piiIssuer(d []byte) bool {
	n := len(d)
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p4 := p2*100 + int(d[2]-'0')*10 + int(d[3]-'0')
	switch {
	case d[0] == '4': // Visa
		return n == 13 || n == 16 || n == 19
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case 51 <= p2 && p2 <= 55, 2221 <= p4 && p4 <= 2720, 2200 <= p4 && p4 <= 2204: // Mastercard, Mir
		return n == 16
	case 3528 <= p4 && p4 <= 3589: // JCB
		return n >= 16
	case p2 == 30 || p2 == 36 || p2 == 38 || p2 == 39: // Diners Club
		return n >= 14
	case p2 == 50 || 56 <= p2 && p2 <= 58 || d[0] == '6': // Maestro, Discover, UnionPay
		return true
	}
	return false
}

// piiLuhn reports whether the digits pass the Luhn check.
func piiLuhn(d []byte) bool {
	sum, double := 0, false
	for k := len(d) - 1; k >= 0; k-- {
		v := int(d[k] - '0')
		if double {
			if v *= 2; v > 9 {
				v -= 9
			}
		}
		sum += v
		double = !double
	}
	return sum%10 == 0
}

// isSSN reports a US social security number AAA-GG-SSSS that could have
// been issued.
func (sc *piiScanner) isSSN(i, j int, plus bool) bool {
	if j-i != 3 || sc.gl(i) != 3 || sc.gl(i+1) != 2 || sc.gl(i+2) != 4 {
		return false
	}
	if sep, ok := sc.plain(i, j, plus); !ok || sep != '-' {
		return false
	}
	s := sc.s
	area, group, serial := s[sc.groups[i].start:sc.groups[i].end], s[sc.groups[i+1].start:sc.groups[i+1].end], s[sc.groups[i+2].start:sc.groups[i+2].end]
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}

// isIPv4Shape reports four dot-separated groups of at most three digits.
func (sc *piiScanner) isIPv4Shape(i, j int, plus bool) bool {
	if j-i != 4 {
		return false
	}
	if sep, ok := sc.plain(i, j, plus); !ok || sep != '.' {
		return false
	}
	for k := i; k < j; k++ {
		if sc.gl(k) > 3 {
			return false
		}
	}
	return true
}

// isPhone reports a phone number in one of three numbering plans:
// international (+CC or 00CC), North American, or national with a trunk 0.
func (sc *piiScanner) isPhone(i, j int, plus bool) bool {
	s := sc.s
	spaced := false
	for _, g := range sc.groups[i+1 : j] {
		spaced = spaced || g.sep == ' '
	}
	if spaced && j < len(sc.groups) {
		// "020 7946 0958 12": where a space-separated number ends is
		// anyone's guess.
		return false
	}
	// The digits after the first group must not all be zero ("+100 000 000").
	zeros := j-i > 1
	for _, g := range sc.groups[i+1 : j] {
		zeros = zeros && strings.Trim(s[g.start:g.end], "0") == ""
	}
	if zeros {
		return false
	}
	g0 := s[sc.groups[i].start:sc.groups[i].end]
	switch {
	case i == 0 && plus:
		return sc.isIntl(i, j, 0)
	case strings.HasPrefix(g0, "00") && !sc.groups[i].paren:
		return sc.isIntl(i, j, 2)
	case g0[0] == '0':
		return sc.isNational(i, j)
	}
	return sc.isNANP(i, j)
}

// isIntl reports an international number: a country code (1-9…) and 8 to
// 15 digits in all, not counting a trunk "(0)" or the skip digits of a 00
// prefix. Groups after the second have at least two digits.
func (sc *piiScanner) isIntl(i, j, skip int) bool {
	g0 := sc.groups[i]
	if g0.paren || g0.end-g0.start <= skip || sc.s[g0.start+skip] == '0' {
		return false
	}
	d := sc.nd(i, j) - skip
	for k := i + 1; k < j; k++ {
		g := sc.groups[k]
		if g.paren && sc.s[g.start:g.end] == "0" {
			d--
			continue
		}
		if k > i+1 && !g.paren && sc.gl(k) < 2 {
			return false
		}
		if sc.groups[k].sep == 0 && !sc.groups[k-1].paren {
			return false
		}
	}
	return 8 <= d && d <= 15
}

// isNANP reports a North American number: an optional leading 1, a
// three-digit area code (2-9…, optionally in parentheses), a three-digit
// exchange and a four-digit line, separated by spaces, dashes or dots.
func (sc *piiScanner) isNANP(i, j int) bool {
	k := i
	if j-i == 4 && sc.gl(i) == 1 && sc.s[sc.groups[i].start] == '1' && !sc.groups[i].paren {
		k++
	}
	if j-k != 3 || sc.gl(k) != 3 || sc.gl(k+1) != 3 || sc.gl(k+2) != 4 {
		return false
	}
	if sc.s[sc.groups[k].start] < '2' || sc.groups[k+1].paren || sc.groups[k+2].paren {
		return false
	}
	for m := i + 1; m < j; m++ {
		if c := sc.groups[m].sep; c == '/' || c == 0 && !sc.groups[m-1].paren {
			return false
		}
	}
	return true
}

// isNational reports a national number with a trunk 0 (0 followed by 1-9):
// 9 to 12 digits in two or more groups, the first of 2 to 5 digits
// (optionally in parentheses), the others of at least 2, all separated
// alike. Numbers written in pairs have five (06 12 34 56 78): longer runs
// of pairs are hex dumps and the like.
func (sc *piiScanner) isNational(i, j int) bool {
	if j-i < 2 || sc.gl(i) < 2 || sc.gl(i) > 5 {
		return false
	}
	pairs := true
	for k := i; k < j; k++ {
		pairs = pairs && sc.gl(k) == 2
	}
	if pairs && j-i != 5 {
		return false
	}
	if d := sc.nd(i, j); d < 9 || d > 12 {
		return false
	}
	var sep byte
	for k := i + 1; k < j; k++ {
		if sc.groups[k].paren || sc.gl(k) < 2 {
			return false
		}
		c := sc.groups[k].sep
		if k == i+1 && sc.groups[i].paren {
			continue // "(030) 1234567", "(030)1234567"
		}
		if c == 0 || sep != 0 && c != sep {
			return false
		}
		sep = c
	}
	return true
}

// PIICounts counts values by kind: c[PIIEmail] is the number of email
// addresses. It encodes to JSON as an object with one key per kind, in kind
// order: {"email": 0, "phone": 0, …}.
type PIICounts [NumPIIKinds]int

// Total returns the number of values of every kind.
func (c PIICounts) Total() int {
	t := 0
	for _, n := range c {
		t += n
	}
	return t
}

// Add adds o to c.
func (c *PIICounts) Add(o PIICounts) {
	for k, n := range o {
		c[k] += n
	}
}

// MarshalJSON writes the counts as an object keyed by kind, in kind order.
func (c PIICounts) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for k, n := range c {
		if k > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%d", piiNames[k], n)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads what MarshalJSON writes; a missing kind is 0 and an
// unknown one an error.
func (c *PIICounts) UnmarshalJSON(b []byte) error {
	var m map[string]int
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	*c = PIICounts{}
	for name, n := range m {
		var k PIIKind
		if err := k.UnmarshalText([]byte(name)); err != nil {
			return err
		}
		c[k] = n
	}
	return nil
}

// PIILocation is the part of an item a text comes from.
type PIILocation uint8

// The locations PII is counted in.
const (
	// PIIPrompt is what the model is asked: the system prompt and input.
	PIIPrompt PIILocation = iota
	// PIIContext is the retrieved passages given with the prompt.
	PIIContext
	// PIIOutput is the model's answer.
	PIIOutput
	// NumPIILocations is the number of locations.
	NumPIILocations
)

var piiLocationNames = [NumPIILocations]string{"prompt", "context", "output"}

// String returns the location's name: prompt, context or output.
func (l PIILocation) String() string {
	if l < NumPIILocations {
		return piiLocationNames[l]
	}
	return fmt.Sprintf("PIILocation(%d)", uint8(l))
}

// PIITally accumulates PII counts over the items of a set, by location and
// kind. Its memory does not grow with the items. The zero value is ready
// to use.
type PIITally struct {
	items   [NumPIILocations]int
	withPII [NumPIILocations]int
	counts  [NumPIILocations]PIICounts
}

// Add counts the PII in one item's texts at loc (for example the system
// prompt and input at PIIPrompt, or every passage at PIIContext) and
// returns their counts. Placeholders count as values (see CountPII).
func (t *PIITally) Add(loc PIILocation, texts ...string) PIICounts {
	var c PIICounts
	for _, s := range texts {
		c.Add(CountPII(s))
	}
	t.AddCounts(loc, c)
	return c
}

// AddCounts records one item's counts at loc, for a caller that counted
// them already (with RedactCountPII, say).
func (t *PIITally) AddCounts(loc PIILocation, c PIICounts) {
	if loc >= NumPIILocations {
		return
	}
	t.items[loc]++
	if c.Total() > 0 {
		t.withPII[loc]++
	}
	t.counts[loc].Add(c)
}

// Merge adds o's counts to t; o is not changed. Every count is a sum, so
// afterwards t's Summary equals that of one tally given the items of
// both, in any order and however the parts were split. PIITally has no
// options: any two merge.
func (t *PIITally) Merge(o *PIITally) {
	for l := range NumPIILocations {
		t.items[l] += o.items[l]
		t.withPII[l] += o.withPII[l]
		t.counts[l].Add(o.counts[l])
	}
}

// Summary returns the tally in report form.
func (t *PIITally) Summary() PIISummary {
	s := PIISummary{Locations: make([]PIILocationSummary, NumPIILocations)}
	for l := range NumPIILocations {
		s.Locations[l] = PIILocationSummary{
			Location: l.String(), Items: t.items[l], ItemsWithPII: t.withPII[l],
			Total: t.counts[l].Total(), Counts: t.counts[l],
		}
		s.Counts.Add(t.counts[l])
	}
	s.Total = s.Counts.Total()
	return s
}

// PIISummary is the PII found in a set, for the report.
type PIISummary struct {
	// Total is the number of values found, of every kind and location.
	Total int `json:"total"`
	// Counts are the values by kind, over every location.
	Counts PIICounts `json:"counts"`
	// Locations break the counts down by location, in the order prompt,
	// context, output; every location is present.
	Locations []PIILocationSummary `json:"locations"`
}

// PIILocationSummary is the PII found at one location.
type PIILocationSummary struct {
	// Location is prompt, context or output.
	Location string `json:"location"`
	// Items is the number of items counted at this location, and
	// ItemsWithPII how many of them held at least one value.
	Items        int `json:"items"`
	ItemsWithPII int `json:"items_with_pii"`
	// Total is the number of values, of every kind.
	Total int `json:"total"`
	// Counts are the values by kind.
	Counts PIICounts `json:"counts"`
}
