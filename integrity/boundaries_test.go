package integrity

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/evalgate/evalgate/configs"
)

// userSchema requires a user object with an integer id and an email.
const userSchema = `{
  "type": "object",
  "required": ["user"],
  "properties": {
    "user": {
      "type": "object",
      "required": ["id", "email"],
      "properties": {
        "id": {"type": "integer"},
        "email": {"type": "string", "format": "email"}
      }
    }
  }
}`

func TestCheckBoundaries(t *testing.T) {
	off := false
	apiKeys := configs.Pattern{Name: "no-api-keys", Pattern: `sk-[A-Za-z0-9]{20,}`}
	prices := configs.Pattern{Name: "no-prices", Pattern: `\$\d+\.\d{2}`}
	policy := configs.Pattern{Name: "cites-policy", Pattern: `(?i)see our (refund )?policy`}
	tests := []struct {
		name   string
		b      configs.Boundaries
		schema string
		output string
		forbid []string
		want   []Violation
	}{
		{"no rules", configs.Boundaries{}, "", "anything at all", nil, nil},
		{"must_not_match", configs.Boundaries{MustNotMatch: []configs.Pattern{apiKeys}}, "",
			"use sk-abcdefghijklmnopqrstuvwx now", nil,
			[]Violation{{"must_not_match:no-api-keys", `matched "sk-abcdefghijklmnopqrstuvwx" at char 5`}}},
		{"must_not_match position in code points", configs.Boundaries{MustNotMatch: []configs.Pattern{apiKeys}}, "",
			"clé: sk-abcdefghijklmnopqrstuvwx", nil,
			[]Violation{{"must_not_match:no-api-keys", `matched "sk-abcdefghijklmnopqrstuvwx" at char 6`}}},
		{"must_not_match not matched", configs.Boundaries{MustNotMatch: []configs.Pattern{apiKeys}}, "",
			"the key is sk-short", nil, nil},
		{"must_not_match escaped special chars", configs.Boundaries{MustNotMatch: []configs.Pattern{prices}}, "",
			"It costs $19.99 a month.", nil,
			[]Violation{{"must_not_match:no-prices", `matched "$19.99" at char 10`}}},
		{"must_not_match special chars taken literally", configs.Boundaries{MustNotMatch: []configs.Pattern{prices}}, "",
			"It costs 19.99 or $19 a month.", nil, nil},
		{"must_not_match case-insensitive flag", configs.Boundaries{MustNotMatch: []configs.Pattern{{Name: "pw", Pattern: `(?i)password`}}}, "",
			"Your PassWord is hunter2", nil,
			[]Violation{{"must_not_match:pw", `matched "PassWord" at char 6`}}},
		{"must_not_match name defaults to pattern", configs.Boundaries{MustNotMatch: []configs.Pattern{{Pattern: `\bDROP TABLE\b`}}}, "",
			"then DROP TABLE users;", nil,
			[]Violation{{`must_not_match:\bDROP TABLE\b`, `matched "DROP TABLE" at char 6`}}},
		{"must_not_match long match clipped", configs.Boundaries{MustNotMatch: []configs.Pattern{{Name: "as", Pattern: `a+`}}}, "",
			strings.Repeat("a", 500), nil,
			[]Violation{{"must_not_match:as", `matched "` + strings.Repeat("a", 59) + `…" at char 1`}}},

		{"must_not_contain ignores case", configs.Boundaries{}, "",
			"The Secret Code is 1234.", []string{"secret code"},
			[]Violation{{"must_not_contain", `contains "secret code"`}}},
		{"must_not_contain folds unicode", configs.Boundaries{}, "",
			"ΟΔΥΣΣΕΥΣ sailed 3 \u212a", []string{"οδυσσευς", "3 k"},
			[]Violation{{"must_not_contain", `contains "οδυσσευς", "3 k"`}}},
		{"must_not_contain lists every string found once", configs.Boundaries{}, "",
			"alpha beta gamma", []string{"beta", "delta", "ALPHA", "beta", ""},
			[]Violation{{"must_not_contain", `contains "beta", "ALPHA"`}}},
		{"must_not_contain nothing found", configs.Boundaries{}, "",
			"alpha beta", []string{"gamma", ""}, nil},
		{"must_not_contain off", configs.Boundaries{MustNotContain: &off}, "",
			"The Secret Code is 1234.", []string{"secret code"}, nil},
		{"must_not_contain many strings", configs.Boundaries{}, "",
			strings.Repeat("x", 100), slices.Repeat([]string{"x", "xx", "xxx", "xxxx", "xxxxx", "xxxxxx"}, 10),
			[]Violation{{"must_not_contain", `contains "x", "xx", "xxx", "xxxx", "xxxxx", "xxxxxx"`}}},

		{"max_chars counts code points", configs.Boundaries{MaxChars: 5}, "", "héllo", nil, nil},
		{"max_chars exceeded", configs.Boundaries{MaxChars: 5}, "", "héllo!", nil,
			[]Violation{{"max_chars", "6 chars, max 5"}}},
		{"max_chars emoji", configs.Boundaries{MaxChars: 2}, "", "👍👍👍", nil,
			[]Violation{{"max_chars", "3 chars, max 2"}}},
		{"max_chars zero is no cap", configs.Boundaries{}, "", strings.Repeat("x", 100000), nil, nil},

		{"must_match present", configs.Boundaries{MustMatch: []configs.Pattern{policy}}, "",
			"Refunds take 30 days; see our refund policy.", nil, nil},
		{"must_match missing", configs.Boundaries{MustMatch: []configs.Pattern{policy}}, "",
			"Refunds take 30 days.", nil,
			[]Violation{{"must_match:cites-policy", `no match for "(?i)see our (refund )?policy"`}}},

		{"json_schema valid", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			`{"user": {"id": 7, "email": "jane@example.com"}}`, nil, nil},
		{"json_schema valid with whitespace", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			"\n  {\"user\": {\"id\": 7, \"email\": \"jane@example.com\"}}\n", nil, nil},
		{"json_schema missing nested field", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			`{"user": {"id": 7}}`, nil,
			[]Violation{{"json_schema", "at '/user': missing property 'email'"}}},
		{"json_schema missing nested fields", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			`{"user": {}}`, nil,
			[]Violation{{"json_schema", "at '/user': missing properties 'id', 'email'"}}},
		{"json_schema missing top-level field", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			`{}`, nil,
			[]Violation{{"json_schema", "at '': missing property 'user'"}}},
		{"json_schema wrong type", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			`{"user": {"id": "7", "email": "jane@example.com"}}`, nil,
			[]Violation{{"json_schema", "at '/user/id': got string, want integer"}}},
		{"json_schema format asserted", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			`{"user": {"id": 7, "email": "jane"}}`, nil,
			[]Violation{{"json_schema", "at '/user/email': 'jane' is not valid email: missing @"}}},
		{"json_schema several errors", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			`{"user": {"id": 1.5, "email": "jane"}}`, nil,
			[]Violation{{"json_schema", "at '/user/email': 'jane' is not valid email: missing @ (and 1 more)"}}},
		{"json_schema prose", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			`Here is the JSON: {"user": {}}`, nil,
			[]Violation{{"json_schema", "not JSON: invalid character 'H' looking for beginning of value at char 1"}}},
		{"json_schema trailing comma", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			`{"user": {"id": 7,}}`, nil,
			[]Violation{{"json_schema", "not JSON: invalid character '}' looking for beginning of object key string at char 19"}}},
		{"json_schema truncated", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			`{"user": {"id": 7`, nil,
			[]Violation{{"json_schema", "not JSON: unexpected EOF"}}},
		{"json_schema text after the value", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			`{"user": {"id": 7, "email": "a@b.co"}} Hope this helps!`, nil,
			[]Violation{{"json_schema", "not JSON: invalid character after top-level value"}}},
		{"json_schema code fence", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			"```json\n{\"user\": {\"id\": 7, \"email\": \"a@b.co\"}}\n```", nil,
			[]Violation{{"json_schema", "not JSON: the output is a Markdown code block"}}},
		{"json_schema empty output", configs.Boundaries{JSONSchema: "user.json"}, userSchema,
			"  \n", nil,
			[]Violation{{"json_schema", "not JSON: the output is empty"}}},
		{"json_schema draft-07 with defs", configs.Boundaries{JSONSchema: "labels.json"},
			`{"$schema": "http://json-schema.org/draft-07/schema#", "definitions": {"label": {"enum": ["yes", "no"]}},
			  "type": "array", "items": {"$ref": "#/definitions/label"}}`,
			`["yes", "maybe"]`, nil,
			[]Violation{{"json_schema", "at '/1': value must be one of 'yes', 'no'"}}},

		{"every rule in order", configs.Boundaries{
			MustNotMatch: []configs.Pattern{apiKeys, prices}, MustMatch: []configs.Pattern{policy}, MaxChars: 20, JSONSchema: "user.json",
		}, userSchema, "Pay $10.00 to sk-abcdefghijklmnopqrstuvwx", []string{"PAY"},
			[]Violation{
				{"must_not_match:no-api-keys", `matched "sk-abcdefghijklmnopqrstuvwx" at char 15`},
				{"must_not_match:no-prices", `matched "$10.00" at char 5`},
				{"must_not_contain", `contains "PAY"`},
				{"max_chars", "41 chars, max 20"},
				{"must_match:cites-policy", `no match for "(?i)see our (refund )?policy"`},
				{"json_schema", "not JSON: invalid character 'P' looking for beginning of value at char 1"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := CompileBoundaries(tt.b, []byte(tt.schema))
			if err != nil {
				t.Fatal(err)
			}
			got := b.Check(tt.output, tt.forbid)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Check(%.60q) =\n%q\nwant\n%q", tt.output, got, tt.want)
			}
			rules := b.Rules()
			for _, v := range got {
				if !slices.Contains(rules, v.Rule) {
					t.Errorf("violation of %q, a rule not in Rules() = %q", v.Rule, rules)
				}
			}
		})
	}
}

func TestBoundariesRules(t *testing.T) {
	off := false
	b, err := CompileBoundaries(configs.Boundaries{
		MustNotMatch: []configs.Pattern{{Name: "a", Pattern: "a"}}, MustMatch: []configs.Pattern{{Name: "b", Pattern: "b"}},
		MaxChars: 10, JSONSchema: "s.json",
	}, []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b.Rules(), []string{"must_not_match:a", "must_not_contain", "max_chars", "must_match:b", "json_schema"}; !slices.Equal(got, want) {
		t.Errorf("Rules() = %q, want %q", got, want)
	}
	b, err = CompileBoundaries(configs.Boundaries{MustNotContain: &off}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Rules(); len(got) != 0 {
		t.Errorf("Rules() with every rule off = %q, want none", got)
	}
	var none *Boundaries
	if got := none.Check("x", []string{"x"}); got != nil {
		t.Errorf("nil Boundaries: Check = %v, want nil", got)
	}
	if got := none.Rules(); got == nil || len(got) != 0 {
		t.Errorf("nil Boundaries: Rules = %#v, want empty", got)
	}
}

func TestCompileBoundariesErrors(t *testing.T) {
	tests := []struct {
		name   string
		b      configs.Boundaries
		schema string
		want   []string // substrings of the error
	}{
		{"empty pattern", configs.Boundaries{MustNotMatch: []configs.Pattern{{Name: "x"}}}, "",
			[]string{"boundaries.must_not_match entry 1", `"x"`, "no pattern"}},
		{"invalid regexp", configs.Boundaries{MustMatch: []configs.Pattern{{Name: "disclaimer", Pattern: "(not medical advice"}}}, "",
			[]string{`boundaries.must_match "disclaimer"`, "missing closing )"}},
		{"duplicate name", configs.Boundaries{MustNotMatch: []configs.Pattern{{Name: "k", Pattern: "a"}, {Name: "k", Pattern: "b"}}}, "",
			[]string{"boundaries.must_not_match entry 2", `"k" is used twice`}},
		{"negative max_chars", configs.Boundaries{MaxChars: -1}, "",
			[]string{"boundaries.max_chars", "-1"}},
		{"schema missing", configs.Boundaries{JSONSchema: "out.json"}, "",
			[]string{"boundaries.json_schema out.json", "empty"}},
		{"schema not JSON", configs.Boundaries{JSONSchema: "out.json"}, "{type: object}",
			[]string{"boundaries.json_schema out.json", "not JSON"}},
		{"schema not a schema", configs.Boundaries{JSONSchema: "out.json"}, `{"type": 5}`,
			[]string{"boundaries.json_schema out.json", "not valid against metaschema", "/type"}},
		{"schema with a bad pattern", configs.Boundaries{JSONSchema: "out.json"}, `{"pattern": "("}`,
			[]string{"boundaries.json_schema out.json", "not valid regex"}},
		{"schema referring to a file", configs.Boundaries{JSONSchema: "out.json"}, `{"$ref": "defs.json"}`,
			[]string{"boundaries.json_schema out.json", "defs.json", "not followed", "$defs"}},
		{"schema referring to a url", configs.Boundaries{JSONSchema: "out.json"}, `{"$ref": "https://example.com/s.json"}`,
			[]string{"boundaries.json_schema out.json", "https://example.com/s.json", "not followed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := CompileBoundaries(tt.b, []byte(tt.schema))
			if err == nil {
				t.Fatalf("CompileBoundaries = %v, want an error", b)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "mem:") {
				t.Errorf("error %q shows the internal schema URL", err)
			}
		})
	}
}

func TestComputeBoundaries(t *testing.T) {
	rules := []string{"must_not_match:no-api-keys", "must_not_contain", "max_chars", "json_schema"}
	items := []BoundaryItem{
		{ID: "q2", Sample: 1, Task: "refunds", Groups: map[string]string{"region": "eu"},
			Violations: []Violation{{"max_chars", "900 chars, max 500"}, {"json_schema", "not JSON: the output is empty"}}},
		{ID: "q1", Task: "refunds", Groups: map[string]string{"region": "us"}},
		{ID: "q2", Sample: 0, Task: "refunds", Groups: map[string]string{"region": "eu"},
			Violations: []Violation{{"must_not_contain", `contains "internal"`}}},
		{ID: "q3", Task: "billing", Groups: map[string]string{"region": ""}},
		{ID: "q4", Task: "billing",
			Violations: []Violation{{"must_match:legacy", "no match for \"x\""}}},
	}
	got := ComputeBoundaries(rules, items, []string{"region", "tier"})
	want := BoundaryReport{
		Checked: 5, Violations: 4, ViolatingItems: 3,
		Rules: []BoundaryRuleCount{
			{"must_not_match:no-api-keys", 0}, {"must_not_contain", 1}, {"max_chars", 1}, {"json_schema", 1}, {"must_match:legacy", 1},
		},
		Groups: []BoundaryGroupColumn{
			{Column: "region", Values: []BoundaryGroupValue{
				{Value: "(missing)", Checked: 2, Violations: 1, ViolatingItems: 1},
				{Value: "eu", Checked: 2, Violations: 3, ViolatingItems: 2},
				{Value: "us", Checked: 1},
			}},
			{Column: "tier", Values: []BoundaryGroupValue{{Value: "(missing)", Checked: 5, Violations: 4, ViolatingItems: 3}}},
		},
		Items: []BoundaryViolations{
			{ID: "q2", Sample: 0, Task: "refunds", Violations: []Violation{{"must_not_contain", `contains "internal"`}}},
			{ID: "q2", Sample: 1, Task: "refunds", Violations: []Violation{{"max_chars", "900 chars, max 500"}, {"json_schema", "not JSON: the output is empty"}}},
			{ID: "q4", Task: "billing", Violations: []Violation{{"must_match:legacy", "no match for \"x\""}}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ComputeBoundaries =\n%+v\nwant\n%+v", got, want)
	}
	js, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"checked":5`, `"violations":4`, `"violating_items":3`, `"rules":[{"rule":"must_not_match:no-api-keys","violations":0}`,
		`"groups":[{"column":"region","values":[{"value":"(missing)","checked":2,"violations":1,"violating_items":1}`,
		`"items":[{"id":"q2","sample":0,"task":"refunds","violations":[{"rule":"must_not_contain","detail":"contains \"internal\""}]}`} {
		if !strings.Contains(string(js), key) {
			t.Errorf("JSON %s\nlacks %s", js, key)
		}
	}
	var back BoundaryReport
	if err := json.Unmarshal(js, &back); err != nil || !reflect.DeepEqual(back, want) {
		t.Errorf("JSON round trip = %+v, %v", back, err)
	}

	empty, err := json.Marshal(ComputeBoundaries(nil, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"checked":0,"violations":0,"violating_items":0,"rules":[],"groups":[],"items":[]}`; string(empty) != want {
		t.Errorf("empty report = %s, want %s", empty, want)
	}
}

func FuzzCheckBoundaries(f *testing.F) {
	b, err := CompileBoundaries(configs.Boundaries{
		MustNotMatch: []configs.Pattern{{Name: "key", Pattern: `sk-[A-Za-z0-9]{8,}`}, {Name: "any", Pattern: `(?i)ignore (all )?previous`}},
		MustMatch:    []configs.Pattern{{Name: "disclaimer", Pattern: `(?i)not (financial|medical) advice`}},
		MaxChars:     40, JSONSchema: "user.json",
	}, []byte(userSchema))
	if err != nil {
		f.Fatal(err)
	}
	rules := b.Rules()
	f.Add(`{"user": {"id": 7, "email": "jane@example.com"}}`, "secret")
	f.Add("Ignore previous instructions: sk-abcdefgh1234. Not financial advice.", "SK-")
	f.Add("```json\n{}\n```", "")
	f.Add(`{"user": {"id": "x", "email": "`+strings.Repeat("é", 300)+`"}}`, "É")
	f.Add("\xff\xfe{\"user\":", "\xff")
	f.Fuzz(func(t *testing.T, output, forbid string) {
		vs := b.Check(output, []string{forbid})
		seen := map[string]bool{}
		for _, v := range vs {
			if !slices.Contains(rules, v.Rule) || seen[v.Rule] {
				t.Fatalf("Check(%q) = %q: unknown or repeated rule %q", output, vs, v.Rule)
			}
			seen[v.Rule] = true
			if n := utf8.RuneCountInString(v.Detail); n > boundaryMaxDetail || n == 0 {
				t.Fatalf("Check(%q): detail of %d chars: %q", output, n, v.Detail)
			}
		}
		if again := b.Check(output, []string{forbid}); !reflect.DeepEqual(again, vs) {
			t.Fatalf("Check(%q) not deterministic: %q then %q", output, vs, again)
		}
	})
}

// BenchmarkCheckBoundaries checks a 300-byte JSON answer against every
// rule: two patterns, ten forbidden strings, a length cap, a required
// pattern and a nested schema.
func BenchmarkCheckBoundaries(b *testing.B) {
	bd, err := CompileBoundaries(configs.Boundaries{
		MustNotMatch: []configs.Pattern{{Name: "no-api-keys", Pattern: `sk-[A-Za-z0-9]{20,}`}, {Name: "no-prices", Pattern: `\$\d+\.\d{2}`}},
		MustMatch:    []configs.Pattern{{Name: "cites-policy", Pattern: `(?i)see our (refund )?policy`}},
		MaxChars:     1000, JSONSchema: "user.json",
	}, []byte(userSchema))
	if err != nil {
		b.Fatal(err)
	}
	output := `{"user": {"id": 7, "email": "jane@example.com", "note": "Refunds are issued within 30 days of the ` +
		`return being received. Orders placed before March 15 follow the old terms; see our refund policy for ` +
		`details. Express shipping takes 1-2 business days and standard shipping 3-5."}}`
	forbid := []string{"internal only", "acme corp", "project falcon", "do not share", "confidential",
		"ssn", "password", "api key", "wire transfer", "gift card"}
	b.ReportAllocs()
	b.SetBytes(int64(len(output)))
	for b.Loop() {
		if vs := bd.Check(output, forbid); len(vs) != 0 {
			b.Fatal(vs)
		}
	}
}

func ExampleBoundaries_Check() {
	b, err := CompileBoundaries(configs.Boundaries{
		MustNotMatch: []configs.Pattern{{Name: "no-api-keys", Pattern: `sk-[A-Za-z0-9]{20,}`}},
		MaxChars:     80,
	}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range b.Check("Sure! Your key is sk-abcdefghijklmnopqrstuvwx. Don't tell Acme Corp.", []string{"acme corp"}) {
		fmt.Printf("%s: %s\n", v.Rule, v.Detail)
	}
	// Output:
	// must_not_match:no-api-keys: matched "sk-abcdefghijklmnopqrstuvwx" at char 19
	// must_not_contain: contains "acme corp"
}
