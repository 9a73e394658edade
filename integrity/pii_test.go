package integrity

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// describe renders matches as "kind:value", for readable test tables.
func describe(s string, ms []PIIMatch) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Kind.String()+":"+s[m.Start:m.End])
	}
	return out
}

func TestFindPII(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		// Email addresses.
		{"email plus tag and subdomains", "Contact jane.doe+news@mail.example.co.uk today.", []string{"email:jane.doe+news@mail.example.co.uk"}},
		{"email before full stop", "Write to bob@example.com.", []string{"email:bob@example.com"}},
		{"email in angle brackets", "From: Alice <alice_w@example.org>", []string{"email:alice_w@example.org"}},
		{"email after mailto", "mailto:x-y@sub.domain.io?subject=hi", []string{"email:x-y@sub.domain.io"}},
		{"email leading dots trimmed", "see ..carol@example.net", []string{"email:carol@example.net"}},
		{"two emails", "a@example.com,b@example.com", []string{"email:a@example.com", "email:b@example.com"}},
		{"no email without dotted domain", "ssh root@localhost", nil},
		{"no email for a mention", "thanks @maria and @bob.", nil},
		{"no email with numeric tld", "user@example.c0m", nil},
		{"no email spelled out", "jane at example dot com", nil},
		{"no email with empty label", "user@example..com", nil},

		// Phone numbers.
		{"phone uk international", "Call +44 20 7946 0958 now", []string{"phone:+44 20 7946 0958"}},
		{"phone us international parens", "Tel +1 (555) 123-4567.", []string{"phone:+1 (555) 123-4567"}},
		{"phone french mobile international", "+33 6 12 34 56 78", []string{"phone:+33 6 12 34 56 78"}},
		{"phone german trunk zero", "Ruf +49 (0)30 1234567 an", []string{"phone:+49 (0)30 1234567"}},
		{"phone e164 unseparated", "sms:+15551234567", []string{"phone:+15551234567"}},
		{"phone india", "+91 98765 43210", []string{"phone:+91 98765 43210"}},
		{"phone 00 prefix", "0044 20 7946 0958", []string{"phone:0044 20 7946 0958"}},
		{"phone us parens", "(555) 123-4567", []string{"phone:(555) 123-4567"}},
		{"phone us dashes", "call 555-123-4567 today", []string{"phone:555-123-4567"}},
		{"phone us dots", "555.123.4567", []string{"phone:555.123.4567"}},
		{"phone us toll free", "1-800-555-0199", []string{"phone:1-800-555-0199"}},
		{"phone us spaces", "Phone: 555 123 4567", []string{"phone:555 123 4567"}},
		{"phone uk national", "020 7946 0958", []string{"phone:020 7946 0958"}},
		{"phone french national", "06 12 34 56 78", []string{"phone:06 12 34 56 78"}},
		{"phone german mobile", "0151 23456789", []string{"phone:0151 23456789"}},
		{"phone german area in parens", "(030) 1234567", []string{"phone:(030) 1234567"}},
		{"phone slash", "Tel. 030/1234567", []string{"phone:030/1234567"}},
		{"phone in parentheses", "(call 555-123-4567)", []string{"phone:555-123-4567"}},
		{"phone in csv", "John,555-123-4567,Boston", []string{"phone:555-123-4567"}},
		{"two phones with one space", "555-123-4567 555-987-6543", []string{"phone:555-123-4567", "phone:555-987-6543"}},
		{"no phone us area code starting with 1", "123-456-7890", nil},
		{"no phone bare ten digits", "ref 5551234567", nil},
		{"no phone order number", "Order #123456789 shipped", nil},
		{"no phone order id", "ORD-2024-001234", nil},
		{"no phone iso date", "on 2024-03-15 at 10:30", nil},
		{"no phone european date", "15/03/2024", nil},
		{"no phone dotted date", "15.03.2024 14.30", nil},
		{"no phone date and time", "2024-03-15 14:30:00", nil},
		{"no phone long date", "March 15, 2024", nil},
		{"no phone time range", "open 9-5, 10:00-18:00", nil},
		{"no phone price", "costs $1,234.56 or €1.234,56", nil},
		{"no phone isbn 13", "ISBN 978-3-16-148410-0", nil},
		{"no phone isbn 10", "ISBN 0-306-40615-2", nil},
		{"no phone isbn digits", "9783161484100", nil},
		{"no phone big round number", "+100 000 000 users", nil},
		{"no phone thousands with spaces", "population 10 000 000", nil},
		{"no phone spaced tracking number", "1Z 999 AA1 01 2345 6784", nil},
		{"no phone spaced tail of a long number", "5500 0123 4567 8901", nil},
		{"no phone after letters", "A555-123-4567", nil},
		{"no phone before letters", "555-123-4567abc", nil},
		{"no phone ratio", "ratio 1:2:3", nil},
		{"no phone emergency number", "call 911", nil},
		{"no phone hex dump", "<Buffer a0 8b 28 3f 01 00 00 00 50 32>", nil},
		{"no phone six pairs", "codes 04 12 34 56 78 90", nil},

		// SSNs.
		{"ssn", "SSN 123-45-6789.", []string{"ssn:123-45-6789"}},
		{"ssn woolworth", "078-05-1120", []string{"ssn:078-05-1120"}},
		{"no ssn area 000", "000-12-3456", nil},
		{"no ssn area 666", "666-12-3456", nil},
		{"no ssn area 9xx", "912-34-5678", nil},
		{"no ssn group 00", "123-00-4567", nil},
		{"no ssn serial 0000", "123-45-0000", nil},
		{"no ssn without dashes", "123456789", nil},

		// Payment cards.
		{"card visa spaced", "card 4111 1111 1111 1111 exp", []string{"card:4111 1111 1111 1111"}},
		{"card visa dashed", "4111-1111-1111-1111", []string{"card:4111-1111-1111-1111"}},
		{"card visa unseparated", "4111111111111111", []string{"card:4111111111111111"}},
		{"card visa 13 digits", "4222222222222", []string{"card:4222222222222"}},
		{"card mastercard", "5500 0000 0000 0004", []string{"card:5500 0000 0000 0004"}},
		{"card mastercard 2 series", "2223 0031 2200 3222", []string{"card:2223 0031 2200 3222"}},
		{"card amex 4-6-5", "3782 822463 10005", []string{"card:3782 822463 10005"}},
		{"card discover", "6011 1111 1111 1117", []string{"card:6011 1111 1111 1117"}},
		{"card jcb", "3530111333300000", []string{"card:3530111333300000"}},
		{"card diners 14 digits", "30569309025904", []string{"card:30569309025904"}},
		{"card with expiry", "4111 1111 1111 1111 12/25", []string{"card:4111 1111 1111 1111"}},
		{"card after a number", "qty 2 4111111111111111", []string{"card:4111111111111111"}},
		{"card hash", "Card #4111111111111111", []string{"card:4111111111111111"}},
		{"no card failing luhn", "4111 1111 1111 1112", nil},
		{"no card failing luhn unseparated", "4111111111111112", nil},
		{"no card mastercard failing luhn", "5500000000000005", nil},
		{"no card unknown issuer", "1234567812345678", nil},
		{"no card usps tracking", "9400 1000 0000 0000 0000 00", nil},
		{"no card inside longer spaced number", "4111 1111 1111 1111 1111", nil},
		{"no card ups tracking", "1Z999AA10123456784", nil},
		{"no card mixed separators", "4111 1111-1111 1111", nil},

		// IBANs.
		{"iban germany spaced", "IBAN: DE89 3704 0044 0532 0130 00.", []string{"iban:DE89 3704 0044 0532 0130 00"}},
		{"iban uk unspaced", "GB82WEST12345698765432", []string{"iban:GB82WEST12345698765432"}},
		{"iban france", "FR14 2004 1010 0505 0001 3M02 606", []string{"iban:FR14 2004 1010 0505 0001 3M02 606"}},
		{"iban netherlands", "NL91ABNA0417164300", []string{"iban:NL91ABNA0417164300"}},
		{"iban switzerland", "CH93 0076 2011 6238 5295 7", []string{"iban:CH93 0076 2011 6238 5295 7"}},
		{"iban belgium", "BE68539007547034", []string{"iban:BE68539007547034"}},
		{"iban italy", "IT60X0542811101000000123456", []string{"iban:IT60X0542811101000000123456"}},
		{"iban spain", "ES91 2100 0418 4502 0005 1332", []string{"iban:ES91 2100 0418 4502 0005 1332"}},
		{"no iban bad check digits", "DE89 3704 0044 0532 0130 01", nil},
		{"no iban unknown country", "XX89370400440532013000", nil},
		{"no iban too long", "DE893704004405320130001", nil},
		{"no iban lower case", "de89370400440532013000", nil},
		{"no iban glued", "XDE89370400440532013000", nil},

		// IPv4.
		{"ipv4", "host 192.168.1.1 is down", []string{"ipv4:192.168.1.1"}},
		{"ipv4 with port", "10.0.0.1:8080", []string{"ipv4:10.0.0.1"}},
		{"ipv4 cidr", "route 10.0.0.0/8", []string{"ipv4:10.0.0.0"}},
		{"ipv4 bracketed", "[172.16.254.1]", []string{"ipv4:172.16.254.1"}},
		{"ipv4 end of sentence", "It was 8.8.8.8.", []string{"ipv4:8.8.8.8"}},
		{"ipv4 range", "10.0.0.1-10.0.0.9", []string{"ipv4:10.0.0.1", "ipv4:10.0.0.9"}},
		{"no ipv4 version word", "version 1.2.3.4", nil},
		{"no ipv4 version label", "Release: 2.1.0.3", nil},
		{"no ipv4 v prefix", "v1.2.3.4", nil},
		{"no ipv4 semver", "v1.2.3 and 1.2.3", nil},
		{"no ipv4 five parts", "1.2.3.4.5", nil},
		{"no ipv4 octet over 255", "999.1.1.1", nil},
		{"no ipv4 leading zeros", "192.168.001.001", nil},
		{"no ipv4 pre-release", "1.2.3.4-beta", nil},

		// IPv6.
		{"ipv6 compressed", "ping 2001:db8::1 now", []string{"ipv6:2001:db8::1"}},
		{"ipv6 full", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", []string{"ipv6:2001:0db8:85a3:0000:0000:8a2e:0370:7334"}},
		{"ipv6 loopback", "bind ::1", []string{"ipv6:::1"}},
		{"ipv6 zone", "fe80::1%eth0", []string{"ipv6:fe80::1"}},
		{"ipv6 bracketed with port", "https://[2001:db8:85a3::8a2e:370:7334]:443/", []string{"ipv6:2001:db8:85a3::8a2e:370:7334"}},
		{"ipv6 trailing colon", "address fe80::1: unreachable", []string{"ipv6:fe80::1"}},
		{"ipv6 embedding ipv4", "::ffff:192.168.1.1", []string{"ipv6:::ffff:192.168.1.1"}},
		{"no ipv6 time", "at 12:34:56", nil},
		{"no ipv6 mac address", "MAC 00:1A:2B:3C:4D:5E", nil},
		{"no ipv6 scope operator", "std::vector and Foo::Bar", nil},
		{"no ipv6 without digits", "Add::Feed", nil},
		{"no ipv6 rust path", "`f32::{min, max}` and f64::EPSILON", nil},
		{"ipv6 one-group prefix with length", "link-local fe80::/10", []string{"ipv6:fe80::"}},

		// Other identifiers.
		{"no pii uuid", "id 123e4567-e89b-12d3-a456-426614174000", nil},
		{"no pii numeric uuid", "12345678-1234-1234-1234-123456789012", nil},
		{"no pii git sha", "commit 3f2a9c1e4b5d6a7f8e9d0c1b2a3f4e5d6c7b8a9f and 1a2b3c4", nil},
		{"no pii placeholders", "[EMAIL] [PHONE] [SSN] [CARD] [IBAN] [IPV4] [IPV6]", nil},

		// Overlaps.
		{"email over card digits", "4111111111111111@example.com", []string{"email:4111111111111111@example.com"}},
		{"email over phone digits", "555-123-4567@example.com", []string{"email:555-123-4567@example.com"}},
		{"ipv4 then phone", "1.2.3.4 555 123 4567", []string{"ipv4:1.2.3.4", "phone:555 123 4567"}},
		{"card then phone", "4111111111111111 555 123 4567", []string{"card:4111111111111111", "phone:555 123 4567"}},
		{"international not also national", "+1 555 123 4567", []string{"phone:+1 555 123 4567"}},
		{"mixed", "Jane (jane@example.com, +44 20 7946 0958) paid with 4111-1111-1111-1111 from 10.0.0.7.",
			[]string{"email:jane@example.com", "phone:+44 20 7946 0958", "card:4111-1111-1111-1111", "ipv4:10.0.0.7"}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		if seen[tt.name] {
			t.Fatalf("duplicate case name %q", tt.name)
		}
		seen[tt.name] = true
		t.Run(tt.name, func(t *testing.T) {
			got := describe(tt.in, FindPII(tt.in))
			want := tt.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("FindPII(%q) = %q, want %q", tt.in, got, want)
			}
			red := RedactPII(tt.in)
			for _, w := range want {
				_, v, _ := strings.Cut(w, ":")
				if strings.Contains(red, v) {
					t.Errorf("RedactPII(%q) = %q, still contains %q", tt.in, red, v)
				}
			}
		})
	}
}

func TestRedactPII(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"nothing", "The answer is 42.", "The answer is 42."},
		{"every kind", "a@example.com +44 20 7946 0958 123-45-6789 4111111111111111 DE89370400440532013000 10.1.2.3 2001:db8::1",
			"[EMAIL] [PHONE] [SSN] [CARD] [IBAN] [IPV4] [IPV6]"},
		{"bracketed address", "http://[2001:db8::1]:8080/", "http://[[IPV6]]:8080/"},
		{"placeholders kept", "[EMAIL] wrote to b@example.com", "[EMAIL] wrote to [EMAIL]"},
		{"value next to placeholder", "[IPV4] 555-123-4567", "[IPV4] [PHONE]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactPII(tt.in); got != tt.want {
				t.Errorf("RedactPII(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := RedactPII(tt.want); got != tt.want {
				t.Errorf("RedactPII(%q) = %q, want it unchanged", tt.want, got)
			}
		})
	}
}

func TestCountPII(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want PIICounts
	}{
		{"empty", "", PIICounts{}},
		{"values", "a@example.com, b@example.com, 192.168.0.1", PIICounts{PIIEmail: 2, PIIIPv4: 1}},
		{"placeholders", "[EMAIL] and [CARD] and [IPV6] and [NAME]", PIICounts{PIIEmail: 1, PIICard: 1, PIIIPv6: 1}},
		{"values and placeholders", "[PHONE] or 555-123-4567", PIICounts{PIIPhone: 2}},
		{"nested brackets", "[[IPV6]]", PIICounts{PIIIPv6: 1}},
		{"broken placeholder", "[EMAIL [PHONE]", PIICounts{PIIPhone: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CountPII(tt.in); got != tt.want {
				t.Errorf("CountPII(%q) = %v, want %v", tt.in, got, tt.want)
			}
			red, counts := RedactCountPII(tt.in)
			if counts != tt.want {
				t.Errorf("RedactCountPII(%q) counts = %v, want %v", tt.in, counts, tt.want)
			}
			if got := CountPII(red); got != tt.want {
				t.Errorf("CountPII(RedactPII(%q)) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestPIITally(t *testing.T) {
	var tally PIITally
	tally.Add(PIIPrompt, "You are a helpful assistant.", "My email is jane@example.com, call +1 555 123 4567")
	tally.Add(PIIPrompt, "You are a helpful assistant.", "What is the refund policy?")
	tally.Add(PIIContext, "Refunds within 30 days.", "Support: help@example.com or 10.0.0.1")
	tally.Add(PIIContext)
	if got := tally.Add(PIIOutput, "Write to [EMAIL] or help@example.com"); got != (PIICounts{PIIEmail: 2}) {
		t.Errorf("Add(output) = %v, want 2 emails", got)
	}
	tally.Add(PIIOutput, "Refunds within 30 days.")
	tally.AddCounts(PIIOutput, PIICounts{PIICard: 1})

	got, err := json.Marshal(tally.Summary())
	if err != nil {
		t.Fatal(err)
	}
	want := `{"total":7,"counts":{"email":4,"phone":1,"ssn":0,"card":1,"iban":0,"ipv4":1,"ipv6":0},"locations":[` +
		`{"location":"prompt","items":2,"items_with_pii":1,"total":2,"counts":{"email":1,"phone":1,"ssn":0,"card":0,"iban":0,"ipv4":0,"ipv6":0}},` +
		`{"location":"context","items":2,"items_with_pii":1,"total":2,"counts":{"email":1,"phone":0,"ssn":0,"card":0,"iban":0,"ipv4":1,"ipv6":0}},` +
		`{"location":"output","items":3,"items_with_pii":2,"total":3,"counts":{"email":2,"phone":0,"ssn":0,"card":1,"iban":0,"ipv4":0,"ipv6":0}}]}`
	if string(got) != want {
		t.Errorf("summary JSON =\n%s\nwant\n%s", got, want)
	}
	var back PIISummary
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Locations, tally.Summary().Locations) || back.Counts != tally.Summary().Counts {
		t.Errorf("summary round trip = %+v, want %+v", back, tally.Summary())
	}
}

func TestPIICountsJSONErrors(t *testing.T) {
	for _, in := range []string{`{"name":1}`, `[1,2]`, `{"email":"x"}`} {
		var c PIICounts
		if err := json.Unmarshal([]byte(in), &c); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", in, c)
		}
	}
}

func TestPIIKindText(t *testing.T) {
	for k := range NumPIIKinds {
		b, err := k.MarshalText()
		if err != nil {
			t.Fatal(err)
		}
		var back PIIKind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("UnmarshalText(%s) = %v, %v, want %v", b, back, err, k)
		}
		if p := k.Placeholder(); p != "["+strings.ToUpper(k.String())+"]" {
			t.Errorf("%v.Placeholder() = %q", k, p)
		}
	}
	if _, err := NumPIIKinds.MarshalText(); err == nil {
		t.Error("MarshalText of an unknown kind succeeded")
	}
}

// TestFindPIIRescans checks that values glued to each other cost at most
// one extra scan of the redacted text however often they repeat, so that
// an adversarial output cannot make FindPII quadratic. The units are
// inputs that needed the extra scan, found by fuzzing.
func TestFindPIIRescans(t *testing.T) {
	for _, unit := range []string{
		"1.2.3.4 555 123 4567 ",
		"0.0.0.0+10000000",
		"0@0.AA+10000000+10000000",
		"1.2.3.4-555-123-4567:",
		"(555)020 7946 0958::+1,+1- ",
		"0@0.AA+10000000 +100 0000 00000001 0.0.0.0 ",
		"0010 0010000 00:000::0 A:AAAAAA:0 ",
		"a@b.co-1.2.3.4-DE89370400440532013000:",
		"+1@1.2.3.4-0-DE89370400440532013000,4111111111111111,+100 0000 00000001)",
	} {
		for _, n := range []int{1, 200} {
			s := strings.Repeat(unit, n)
			if _, _, rounds := findRedactRounds(s); rounds > 2 {
				t.Errorf("%d × %q: %d scans of redacted text, want at most 2", n, unit, rounds)
			}
		}
	}
}

func FuzzFindPII(f *testing.F) {
	for _, s := range []string{
		"Jane (jane@example.com, +44 20 7946 0958) paid with 4111-1111-1111-1111 from 10.0.0.7.",
		"SSN 123-45-6789, IBAN DE89 3704 0044 0532 0130 00, host 2001:db8::1 and ::ffff:1.2.3.4",
		"1.2.3.4 555 123 4567 [IPV4]-555-123-4567 4111111111111111@x.io",
		"(555) 123-4567 / 06 12 34 56 78 / +49 (0)30 1234567 / 0044 20 7946 0958",
		"version 1.2.3.4 on 2024-03-15 ORD-2024-001234 $1,234.56",
		"a@b.co@c.de..e@f.gh fe80::1%eth0 [EMAIL][PHONE]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms := FindPII(s)
		end := 0
		for _, m := range ms {
			if m.Kind >= NumPIIKinds || m.Start < end || m.End <= m.Start || m.End > len(s) {
				t.Fatalf("FindPII(%q) = %v: bad or overlapping match %v", s, ms, m)
			}
			if strings.ContainsAny(s[m.Start:m.End], "[]") {
				t.Fatalf("FindPII(%q): match %q holds a bracket", s, s[m.Start:m.End])
			}
			end = m.End
		}
		// The redaction is the original with each match replaced.
		var b strings.Builder
		at := 0
		for _, m := range ms {
			b.WriteString(s[at:m.Start] + m.Kind.Placeholder())
			at = m.End
		}
		b.WriteString(s[at:])
		red := RedactPII(s)
		if red != b.String() {
			t.Fatalf("RedactPII(%q) = %q, want %q", s, red, b.String())
		}
		if again := FindPII(red); len(again) > 0 {
			t.Fatalf("FindPII(RedactPII(%q)) = %q, want nothing", s, describe(red, again))
		}
		if again := RedactPII(red); again != red {
			t.Fatalf("RedactPII not idempotent on %q: %q then %q", s, red, again)
		}
		if c, cr := CountPII(s), CountPII(red); c != cr {
			t.Fatalf("CountPII(%q) = %v, CountPII(RedactPII) = %v", s, c, cr)
		}
	})
}

// piiBenchText is a realistic support conversation: a few hundred bytes of
// prose with numbers that are not PII and, in the first, some that are.
var piiBenchText = []struct{ name, text string }{
	{"with_pii", "Hi, I'm Jane Doe (jane.doe@example.com, +44 20 7946 0958). My order ORD-2024-001234 " +
		"placed on 2024-03-15 for $1,234.56 hasn't arrived; tracking 1Z999AA10123456784. I paid with " +
		"card 4111 1111 1111 1111 and my IBAN is DE89 3704 0044 0532 0130 00. Our server 10.0.0.7 runs " +
		"version 1.2.3.4 of your app; its IPv6 is 2001:db8::7. Please call me at 555-123-4567 after 5:30pm."},
	{"clean", "Thanks for reaching out! Refunds are issued within 30 days of the return being received at " +
		"our warehouse. Orders placed before March 15, 2024 follow the old policy (v2.3). Standard shipping " +
		"takes 3-5 business days; express takes 1-2. Note: prices include VAT at 20%, e.g. 99.99 EUR for " +
		"the 2-year plan. See section 4.2.1 of the terms, or ask our team between 9:00 and 17:30 CET."},
}

func BenchmarkFindPII(b *testing.B) {
	for _, bt := range piiBenchText {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bt.text)))
			for b.Loop() {
				FindPII(bt.text)
			}
		})
	}
}

func BenchmarkRedactCountPII(b *testing.B) {
	for _, bt := range piiBenchText {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bt.text)))
			for b.Loop() {
				RedactCountPII(bt.text)
			}
		})
	}
}

func ExampleRedactPII() {
	s := "Reach me at jane@example.com or +1 (555) 123-4567; order ORD-2024-001234."
	fmt.Println(RedactPII(s))
	fmt.Println(CountPII(RedactPII(s)) == CountPII(s))
	// Output:
	// Reach me at [EMAIL] or [PHONE]; order ORD-2024-001234.
	// true
}
