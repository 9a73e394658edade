package integrity

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/metrics"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Output boundaries: rules an output must never break (configs.Boundaries).
// Each broken rule is one violation of the output; the gate metric
// boundaries.violations is their total over a set (BoundaryReport).

// Boundary rule names. A regular-expression rule is named by its kind and
// the pattern's name, joined by a colon: "must_not_match:no-api-keys".
const (
	// BoundaryMustNotMatch is broken by an output that a must_not_match
	// pattern matches.
	BoundaryMustNotMatch = "must_not_match"
	// BoundaryMustNotContain is broken by an output that contains one of
	// its row's must_not_contain strings, ignoring case.
	BoundaryMustNotContain = "must_not_contain"
	// BoundaryMaxChars is broken by an output longer than max_chars code
	// points.
	BoundaryMaxChars = "max_chars"
	// BoundaryMustMatch is broken by an output that a must_match pattern
	// does not match.
	BoundaryMustMatch = "must_match"
	// BoundaryJSONSchema is broken by an output that is not JSON or not an
	// instance of the json_schema.
	BoundaryJSONSchema = "json_schema"
)

// boundaryMaxDetail caps a violation's Detail, in code points.
const boundaryMaxDetail = 200

// Violation is one rule an output broke.
type Violation struct {
	// Rule names the rule: must_not_match:NAME, must_not_contain,
	// max_chars, must_match:NAME or json_schema.
	Rule string `json:"rule"`
	// Detail says what broke it in at most 200 code points: the text that
	// matched and where, the forbidden strings found, the length against
	// the cap, or the first schema error. Positions count code points
	// from 1. Detail may quote the output, which is untrusted text.
	Detail string `json:"detail"`
}

// Boundaries are compiled boundary rules, ready to check outputs against.
// A *Boundaries is safe for concurrent use; a nil one has no rules.
type Boundaries struct {
	mustNotMatch   []boundaryPattern
	mustMatch      []boundaryPattern
	maxChars       int
	mustNotContain bool
	schema         *jsonschema.Schema
}

type boundaryPattern struct {
	rule string // "must_not_match:NAME"
	re   *regexp.Regexp
}

// boundarySchemaURL is the address the JSON Schema is compiled under;
// references inside the schema ("#/$defs/x") resolve against it.
const boundarySchemaURL = boundaryMem + "schema"

// boundaryMem is the scheme and root of boundarySchemaURL, which error
// messages leave out.
const boundaryMem = "mem:///"

// CompileBoundaries compiles b's rules. schema holds the JSON Schema
// document that b.JSONSchema names, read by the caller (metrics does no
// I/O); it must be given when b.JSONSchema is set, and it turns the
// json_schema rule on whenever it is not empty. The schema must be
// self-contained: references to other documents are errors, references to
// the JSON Schema metaschemas are not. Formats ("format": "email") are
// asserted, not just annotated; a schema without "$schema" is read as
// draft 2020-12.
//
// Errors name the rule and what is wrong with it.
func CompileBoundaries(b configs.Boundaries, schema []byte) (*Boundaries, error) {
	out := &Boundaries{maxChars: b.MaxChars, mustNotContain: b.ApplyMustNotContain()}
	if b.MaxChars < 0 {
		return nil, fmt.Errorf("boundaries.max_chars must not be negative, got %d", b.MaxChars)
	}
	var err error
	if out.mustNotMatch, err = boundaryPatterns(BoundaryMustNotMatch, b.MustNotMatch); err != nil {
		return nil, err
	}
	if out.mustMatch, err = boundaryPatterns(BoundaryMustMatch, b.MustMatch); err != nil {
		return nil, err
	}
	where := "boundaries.json_schema"
	if b.JSONSchema != "" {
		where += " " + b.JSONSchema
		if len(bytes.TrimSpace(schema)) == 0 {
			return nil, fmt.Errorf("%s: the schema is empty", where)
		}
	}
	if len(schema) > 0 {
		if out.schema, err = boundarySchema(schema); err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
	}
	return out, nil
}

func boundaryPatterns(key string, ps []configs.Pattern) ([]boundaryPattern, error) {
	out := make([]boundaryPattern, 0, len(ps))
	seen := map[string]bool{}
	for i, p := range ps {
		if p.Pattern == "" {
			return nil, fmt.Errorf("boundaries.%s entry %d (%q): no pattern", key, i+1, p.Name)
		}
		name := p.Name
		if name == "" {
			name = p.Pattern
		}
		if seen[name] {
			return nil, fmt.Errorf("boundaries.%s entry %d: rule name %q is used twice", key, i+1, name)
		}
		seen[name] = true
		re, err := regexp.Compile(p.Pattern)
		if err != nil {
			return nil, fmt.Errorf("boundaries.%s %q: %w", key, name, err)
		}
		out = append(out, boundaryPattern{rule: key + ":" + name, re: re})
	}
	return out, nil
}

// boundaryNoLoader refuses to load referenced documents: the metrics package does
// no I/O, and a schema fetched at check time would make results depend on
// the network.
type boundaryNoLoader struct{}

// Load refuses url.
func (boundaryNoLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("references to other documents are not followed (%s): put the definitions in the schema, under $defs", strings.TrimPrefix(url, boundaryMem))
}

func boundarySchema(schema []byte) (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(boundaryNoLoader{})
	if err := c.AddResource(boundarySchemaURL, doc); err != nil {
		return nil, errors.New(strings.ReplaceAll(err.Error(), boundaryMem, ""))
	}
	sch, err := c.Compile(boundarySchemaURL)
	if err != nil {
		return nil, errors.New(strings.ReplaceAll(err.Error(), boundaryMem, ""))
	}
	return sch, nil
}

// Rules returns the names of the rules Check applies, in the order it
// applies them: must_not_match patterns, must_not_contain, max_chars,
// must_match patterns, json_schema.
func (b *Boundaries) Rules() []string {
	rules := []string{}
	if b == nil {
		return rules
	}
	for _, p := range b.mustNotMatch {
		rules = append(rules, p.rule)
	}
	if b.mustNotContain {
		rules = append(rules, BoundaryMustNotContain)
	}
	if b.maxChars > 0 {
		rules = append(rules, BoundaryMaxChars)
	}
	for _, p := range b.mustMatch {
		rules = append(rules, p.rule)
	}
	if b.schema != nil {
		rules = append(rules, BoundaryJSONSchema)
	}
	return rules
}

// Check returns the rules output breaks, in the order of Rules, or nil.
// mustNotContain is the row's must_not_contain list; it is ignored when
// the rule is off, and so are its empty strings. Each rule is broken at
// most once per output: a row's forbidden strings form one rule, whose
// Detail lists those found. Check only the outputs of successful calls;
// the caller decides which those are.
func (b *Boundaries) Check(output string, mustNotContain []string) []Violation {
	if b == nil {
		return nil
	}
	var out []Violation
	for _, p := range b.mustNotMatch {
		if loc := p.re.FindStringIndex(output); loc != nil {
			at := utf8.RuneCountInString(output[:loc[0]]) + 1
			out = append(out, Violation{p.rule, fmt.Sprintf("matched %s at char %d", boundaryQuote(output[loc[0]:loc[1]], 60), at)})
		}
	}
	if b.mustNotContain && len(mustNotContain) > 0 {
		if found := boundaryContainsFold(output, mustNotContain); len(found) > 0 {
			out = append(out, Violation{BoundaryMustNotContain, "contains " + boundaryQuoteList(found)})
		}
	}
	if b.maxChars > 0 {
		if n := utf8.RuneCountInString(output); n > b.maxChars {
			out = append(out, Violation{BoundaryMaxChars, fmt.Sprintf("%d chars, max %d", n, b.maxChars)})
		}
	}
	for _, p := range b.mustMatch {
		if !p.re.MatchString(output) {
			out = append(out, Violation{p.rule, "no match for " + boundaryQuote(p.re.String(), 80)})
		}
	}
	if b.schema != nil {
		if d := b.checkSchema(output); d != "" {
			out = append(out, Violation{BoundaryJSONSchema, d})
		}
	}
	for i := range out {
		out[i].Detail = boundaryClip(out[i].Detail, boundaryMaxDetail)
	}
	return out
}

// checkSchema returns why output is not an instance of the schema, or "".
func (b *Boundaries) checkSchema(output string) string {
	trimmed := strings.TrimSpace(output)
	switch {
	case trimmed == "":
		return "not JSON: the output is empty"
	case strings.HasPrefix(trimmed, "```"):
		return "not JSON: the output is a Markdown code block"
	}
	inst, err := jsonschema.UnmarshalJSON(strings.NewReader(output))
	if err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			at := utf8.RuneCountInString(output[:max(0, min(int(se.Offset)-1, len(output)))]) + 1
			return fmt.Sprintf("not JSON: %v at char %d", err, at)
		}
		return "not JSON: " + err.Error()
	}
	err = b.schema.Validate(inst)
	if err == nil {
		return ""
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return boundaryClip(err.Error(), boundaryMaxDetail)
	}
	// Report the first leaf error by instance location, for a detail that
	// is the same on every run (the library's order follows map order).
	var leaves []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			leaves = append(leaves, e.Error())
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	slices.Sort(leaves)
	leaves = slices.Compact(leaves)
	if len(leaves) == 0 {
		return boundaryClip(ve.Error(), boundaryMaxDetail)
	}
	more := ""
	if len(leaves) > 1 {
		more = fmt.Sprintf(" (and %d more)", len(leaves)-1)
	}
	return boundaryClip(leaves[0], boundaryMaxDetail-utf8.RuneCountInString(more)) + more
}

// boundaryContainsFold returns the strings of subs that s contains under Unicode
// simple case folding (as strings.EqualFold), once each, in their order.
func boundaryContainsFold(s string, subs []string) []string {
	fs := boundaryFold(s)
	var found []string
	for _, sub := range subs {
		if sub == "" || slices.Contains(found, sub) {
			continue
		}
		if strings.Contains(fs, boundaryFold(sub)) {
			found = append(found, sub)
		}
	}
	return found
}

// boundaryFold maps each rune of s to the smallest rune it folds to, so that
// two strings are equal under simple case folding exactly when their
// boundaryFold are equal (K, k and the Kelvin sign all become K).
func boundaryFold(s string) string {
	ascii, lower := true, false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf {
			ascii = false
			break
		} else if 'a' <= c && c <= 'z' {
			lower = true
		}
	}
	if ascii {
		if !lower {
			return s
		}
		return strings.ToUpper(s)
	}
	return strings.Map(func(r rune) rune {
		m := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			m = min(m, f)
		}
		return m
	}, s)
}

// boundaryQuoteList quotes strings, comma-separated, as many as fit in a
// detail after "contains ", and counts the rest.
func boundaryQuoteList(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	limit := boundaryMaxDetail - len("contains ")
	q := make([]string, min(len(ss), 50))
	for i := range q {
		q[i] = boundaryQuote(ss[i], 40)
	}
	for k := len(q); ; k-- {
		d := strings.Join(q[:k], ", ")
		if k < len(ss) {
			d += fmt.Sprintf(" and %d more", len(ss)-k)
		}
		if k == 1 || utf8.RuneCountInString(d) <= limit {
			return d
		}
	}
}

// boundaryQuote quotes s in Go syntax after clipping it to n code points.
func boundaryQuote(s string, n int) string { return strconv.Quote(boundaryClip(s, n)) }

// boundaryClip shortens s to at most n code points, ending with "…" when cut.
func boundaryClip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for k < n-1 {
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
		k++
	}
	return s[:i] + "…"
}

// BoundaryItem is one checked output and the rules it broke.
type BoundaryItem struct {
	// ID is the item's id and Sample its 0-based repeat index.
	ID     string
	Sample int
	// Row is the item's 0-based row in the eval set (records.Item.Row). It
	// is not reported; it orders outputs with the same id and sample, so
	// that tallies of parts of a set merge into the tally of the whole.
	Row int64
	// Task is the item's task, if any.
	Task string
	// Groups maps group columns to the item's values; an empty or absent
	// value is MissingGroup.
	Groups map[string]string
	// Violations are the rules the output broke (Check); none for an
	// output that broke none.
	Violations []Violation
}

// BoundaryReport is the boundary violations of a set of checked outputs.
type BoundaryReport struct {
	// Checked is the number of outputs checked.
	Checked int `json:"checked"`
	// Violations is the number of rules broken, summed over outputs: the
	// gate metric boundaries.violations.
	Violations int `json:"violations"`
	// ViolatingItems is the number of outputs that broke at least one rule.
	ViolatingItems int `json:"violating_items"`
	// Rules counts the violations of each rule: the rules checked, in the
	// order given, then any other rule seen, by name.
	Rules []BoundaryRuleCount `json:"rules"`
	// Groups breaks the counts down by each group column, in the order
	// given.
	Groups []BoundaryGroupColumn `json:"groups"`
	// Items are the outputs that broke a rule, by id then sample.
	Items []BoundaryViolations `json:"items"`
}

// BoundaryRuleCount is the number of outputs that broke one rule.
type BoundaryRuleCount struct {
	Rule       string `json:"rule"`
	Violations int    `json:"violations"`
}

// BoundaryGroupColumn is the boundary counts by value of one group column.
type BoundaryGroupColumn struct {
	Column string `json:"column"`
	// Values are sorted; MissingGroup holds the outputs without a value.
	Values []BoundaryGroupValue `json:"values"`
}

// BoundaryGroupValue is the boundary counts of the outputs sharing one
// group value.
type BoundaryGroupValue struct {
	Value          string `json:"value"`
	Checked        int    `json:"checked"`
	Violations     int    `json:"violations"`
	ViolatingItems int    `json:"violating_items"`
}

// BoundaryViolations are the rules one output broke.
type BoundaryViolations struct {
	ID         string      `json:"id"`
	Sample     int         `json:"sample"`
	Task       string      `json:"task"`
	Violations []Violation `json:"violations"`
}

// ComputeBoundaries totals the violations of items, the checked outputs,
// by rule, by each of groups' values and by item. rules lists the rules
// checked (Boundaries.Rules), so that rules nobody broke are reported with
// a zero count.
func ComputeBoundaries(rules []string, items []BoundaryItem, groups []string) BoundaryReport {
	t := NewBoundaryTally(rules, groups)
	for _, it := range items {
		t.Add(it)
	}
	return t.Result()
}

// BoundaryTally is ComputeBoundaries one output at a time: it keeps counts
// and the violating items only, so its memory does not grow with the
// outputs that broke no rule. Its Result does not depend on the order
// outputs are added in, and Merge combines tallies of parts of a set into
// the tally of the whole.
type BoundaryTally struct {
	rules   []string
	groups  []string
	checked int
	byRule  map[string]int
	byValue []map[string]*BoundaryGroupValue
	items   []keptViolations
	total   int
}

// keptViolations is a violating output with its eval-set row, which
// orders outputs with the same id and sample.
type keptViolations struct {
	row int64
	BoundaryViolations
}

// NewBoundaryTally returns an empty tally of the rules checked, broken
// down by the group columns groups.
func NewBoundaryTally(rules, groups []string) *BoundaryTally {
	t := &BoundaryTally{rules: rules, groups: groups, byRule: map[string]int{}, byValue: make([]map[string]*BoundaryGroupValue, len(groups))}
	for i := range t.byValue {
		t.byValue[i] = map[string]*BoundaryGroupValue{}
	}
	return t
}

// Add counts one checked output; it is kept only when it broke a rule.
func (t *BoundaryTally) Add(it BoundaryItem) {
	t.checked++
	for i, col := range t.groups {
		v := it.Groups[col]
		if v == "" {
			v = metrics.MissingGroup
		}
		g := t.byValue[i][v]
		if g == nil {
			g = &BoundaryGroupValue{Value: v}
			t.byValue[i][v] = g
		}
		g.Checked++
		if n := len(it.Violations); n > 0 {
			g.Violations += n
			g.ViolatingItems++
		}
	}
	if len(it.Violations) == 0 {
		return
	}
	t.total += len(it.Violations)
	for _, v := range it.Violations {
		t.byRule[v.Rule]++
	}
	t.items = append(t.items, keptViolations{it.Row, BoundaryViolations{ID: it.ID, Sample: it.Sample, Task: it.Task, Violations: slices.Clone(it.Violations)}})
}

// Merge adds to t every output o has counted; o is not changed.
// Afterwards t's Result equals, bit for bit, that of one tally given the
// outputs of both in any order, provided each output's Row is set (as
// Checker sets it) to order outputs that share an id and sample. The
// parts may be split any way, by item id or otherwise.
//
// Both tallies must have been made by NewBoundaryTally with the same rules
// and groups; otherwise Merge changes nothing and returns an error
// wrapping metrics.ErrMergeMismatch. Merging a tally into itself is an
// error too.
func (t *BoundaryTally) Merge(o *BoundaryTally) error {
	switch {
	case o == t:
		return errors.New("merge boundary tally: a tally cannot be merged into itself")
	case !slices.Equal(t.rules, o.rules) || !slices.Equal(t.groups, o.groups):
		return fmt.Errorf("merge boundary tally: %w: rules %q by groups %q and rules %q by groups %q", metrics.ErrMergeMismatch, t.rules, t.groups, o.rules, o.groups)
	}
	t.checked += o.checked
	t.total += o.total
	for rule, n := range o.byRule {
		t.byRule[rule] += n
	}
	for i, values := range o.byValue {
		for v, c := range values {
			g := t.byValue[i][v]
			if g == nil {
				g = &BoundaryGroupValue{Value: v}
				t.byValue[i][v] = g
			}
			g.Checked += c.Checked
			g.Violations += c.Violations
			g.ViolatingItems += c.ViolatingItems
		}
	}
	t.items = append(t.items, o.items...)
	return nil
}

// Result reports the outputs added so far.
func (t *BoundaryTally) Result() BoundaryReport {
	r := BoundaryReport{Checked: t.checked, Violations: t.total, ViolatingItems: len(t.items), Rules: []BoundaryRuleCount{},
		Groups: []BoundaryGroupColumn{}, Items: make([]BoundaryViolations, 0, len(t.items))}
	listed := map[string]bool{}
	for _, rule := range t.rules {
		if !listed[rule] {
			listed[rule] = true
			r.Rules = append(r.Rules, BoundaryRuleCount{rule, t.byRule[rule]})
		}
	}
	for _, rule := range slices.Sorted(maps.Keys(t.byRule)) {
		if !listed[rule] {
			r.Rules = append(r.Rules, BoundaryRuleCount{rule, t.byRule[rule]})
		}
	}
	kept := slices.Clone(t.items)
	slices.SortStableFunc(kept, func(a, b keptViolations) int {
		return cmp.Or(strings.Compare(a.ID, b.ID), cmp.Compare(a.Sample, b.Sample), cmp.Compare(a.row, b.row))
	})
	for _, k := range kept {
		r.Items = append(r.Items, k.BoundaryViolations)
	}
	for i, col := range t.groups {
		c := BoundaryGroupColumn{Column: col, Values: []BoundaryGroupValue{}}
		for _, v := range slices.Sorted(maps.Keys(t.byValue[i])) {
			c.Values = append(c.Values, *t.byValue[i][v])
		}
		r.Groups = append(r.Groups, c)
	}
	return r
}
