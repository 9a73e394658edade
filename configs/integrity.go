package configs

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
)

// Groundedness configures the RAG faithfulness check of outputs against the
// row's context. Rows without context are not checked.
type Groundedness struct {
	// Method is "lexical" (local, no model; the default), "judge" (an LLM
	// verifies each claim against the context), "hybrid" (lexical, and the
	// judge for the answers whose lexical score falls in Band) or "off".
	Method string `yaml:"method"`
	// Judge is the model that verifies claims when Method is "judge" or
	// "hybrid", with the same keys as candidate. Its calls go through the
	// same runner: cached, retried, rate-limited, journaled.
	Judge *Model `yaml:"judge"`
	// Band is the uncertainty band [lo, hi] of method hybrid: an answer
	// whose lexical hallucination score s has lo ≤ s ≤ hi goes to the
	// judge; the others keep the lexical verdict. 0 ≤ lo ≤ hi ≤ 1. Unset:
	// the default band around the detector's calibrated threshold of the
	// answer's task type (integrity.DefaultBand).
	Band []float64 `yaml:"band"`
	// TaskTypes maps values of the eval set's task column to the benchmark
	// task type whose calibration applies to them: "summary" or
	// "data2txt". Tasks it does not map use the pooled calibration. It
	// picks the default band of method hybrid and the expected precision
	// and recall the report states. Default: none.
	TaskTypes map[string]string `yaml:"task_types"`
}

// Groundedness methods.
const (
	GroundLexical = "lexical"
	GroundJudge   = "judge"
	GroundHybrid  = "hybrid"
	GroundOff     = "off"
)

// Benchmark task types, the values of Groundedness.TaskTypes.
const (
	TaskTypeSummary  = "summary"
	TaskTypeData2txt = "data2txt"
)

// Judged reports whether the method calls the judge (judge or hybrid).
func (g Groundedness) Judged() bool {
	return g.Method == GroundJudge || g.Method == GroundHybrid
}

// TaskType returns the benchmark task type task maps to, or "" (pooled).
func (g Groundedness) TaskType(task string) string { return g.TaskTypes[task] }

// Boundaries are rules an output must never break. Each broken rule is a
// violation recorded per item under the rule's name.
type Boundaries struct {
	// MustNotMatch lists regular expressions (RE2 syntax) that no output may
	// match. Default: none.
	MustNotMatch []Pattern `yaml:"must_not_match"`
	// MustMatch lists regular expressions every successful output must
	// match, for example a required disclaimer. Default: none.
	MustMatch []Pattern `yaml:"must_match"`
	// MaxChars caps an output's length in characters (Unicode code points);
	// 0 means no cap.
	MaxChars int `yaml:"max_chars"`
	// JSONSchema is the path of a JSON Schema (draft 2020-12 or earlier)
	// that every output must be a valid instance of, for structured
	// outputs. Resolved against the config's directory. Default: unset.
	JSONSchema string `yaml:"json_schema"`
	// MustNotContain, on by default, applies the eval set's per-row
	// must_not_contain column (case-insensitive substring match).
	MustNotContain *bool `yaml:"must_not_contain"`
}

// Pattern is a named regular expression.
type Pattern struct {
	// Name identifies the rule in the report; default: the pattern itself.
	Name string `yaml:"name"`
	// Pattern is an RE2 regular expression; (?i) makes it case-insensitive.
	Pattern string `yaml:"pattern"`
}

// Review routes answers to human review.
type Review struct {
	// ConfidenceBelow routes answers whose confidence (from logprobs) is
	// below this value; 0 turns confidence routing off. Needs
	// candidate.logprobs. Hallucinated answers and boundary violations are
	// always routed.
	ConfidenceBelow float64 `yaml:"confidence_below"`
}

// PII configures detection and redaction of personal data.
type PII struct {
	// Detect counts email addresses, phone numbers, US SSNs, payment cards,
	// IBANs and IP addresses in prompts, contexts and outputs. Default true.
	Detect *bool `yaml:"detect"`
	// Redact replaces detected values with typed placeholders ([EMAIL], …)
	// in every file evalgate writes to the output directory: results,
	// journals and reports. The response cache keeps answers as the
	// endpoint sent them and is redacted when read.
	Redact bool `yaml:"redact"`
	// RedactPrompts also redacts the messages sent to the model; by default
	// the model sees the prompt unchanged.
	RedactPrompts bool `yaml:"redact_prompts"`
}

// Drift configures `evalgate drift`.
type Drift struct {
	// PSIWarn and PSIAlert are the population stability index thresholds.
	// Defaults 0.1 and 0.2.
	PSIWarn  float64 `yaml:"psi_warn"`
	PSIAlert float64 `yaml:"psi_alert"`
	// Bins is the number of reference-quantile bins for numeric PSI.
	// Default 10.
	Bins int `yaml:"bins"`
	// Numeric and Categorical name extra columns to monitor, beyond the
	// built-in features. Default: none.
	Numeric     []string `yaml:"numeric"`
	Categorical []string `yaml:"categorical"`
}

// DetectPII reports whether PII detection is on.
func (p PII) DetectPII() bool { return p.Detect == nil || *p.Detect || p.Redact }

// ApplyMustNotContain reports whether the per-row must_not_contain column
// is checked.
func (b Boundaries) ApplyMustNotContain() bool { return b.MustNotContain == nil || *b.MustNotContain }

// JSONSchemaPath returns the json_schema path resolved against the config's
// directory, or "".
func (c *Config) JSONSchemaPath() string { return c.resolve(c.Boundaries.JSONSchema) }

func (c *Config) defaultIntegrity() {
	if c.Groundedness.Method == "" {
		c.Groundedness.Method = GroundLexical
	}
	if j := c.Groundedness.Judge; j != nil {
		defaultModel(j)
	}
	for _, ps := range [][]Pattern{c.Boundaries.MustNotMatch, c.Boundaries.MustMatch} {
		for i := range ps {
			if ps[i].Name == "" {
				ps[i].Name = ps[i].Pattern
			}
		}
	}
	if c.Drift.PSIWarn == 0 {
		c.Drift.PSIWarn = 0.1
	}
	if c.Drift.PSIAlert == 0 {
		c.Drift.PSIAlert = 0.2
	}
	if c.Drift.Bins == 0 {
		c.Drift.Bins = 10
	}
}

func (c *Config) validateIntegrity(bad func(string, string, ...any)) {
	switch c.Groundedness.Method {
	case GroundLexical, GroundOff:
	case GroundJudge, GroundHybrid:
		if c.Groundedness.Judge == nil {
			bad("groundedness.method", "groundedness.method %s needs groundedness.judge (a model, with the keys of candidate)", c.Groundedness.Method)
		} else {
			c.validateModel("groundedness.judge", c.Groundedness.Judge, bad)
		}
	default:
		bad("groundedness.method", "groundedness.method must be lexical, judge, hybrid or off, got %q", c.Groundedness.Method)
	}
	if b := c.Groundedness.Band; b != nil {
		switch {
		case c.Groundedness.Method != GroundHybrid:
			bad("groundedness.band", "groundedness.band applies to groundedness.method hybrid only (the method is %s)", c.Groundedness.Method)
		case len(b) != 2:
			bad("groundedness.band", "groundedness.band must be [lo, hi], two numbers, got %d", len(b))
		case !(0 <= b[0] && b[0] <= b[1] && b[1] <= 1):
			bad("groundedness.band", "groundedness.band [lo, hi] needs 0 ≤ lo ≤ hi ≤ 1, got [%g, %g]", b[0], b[1])
		}
	}
	for _, task := range slices.Sorted(maps.Keys(c.Groundedness.TaskTypes)) {
		switch tt := c.Groundedness.TaskTypes[task]; tt {
		case TaskTypeSummary, TaskTypeData2txt:
		default:
			bad("groundedness.task_types."+task, "groundedness.task_types: task %q maps to %q; the task types are summary and data2txt", task, tt)
		}
	}
	names := map[string]bool{}
	for _, set := range []struct {
		key string
		ps  []Pattern
	}{{"boundaries.must_not_match", c.Boundaries.MustNotMatch}, {"boundaries.must_match", c.Boundaries.MustMatch}} {
		for i, p := range set.ps {
			at := fmt.Sprintf("%s.%d", set.key, i)
			if p.Pattern == "" {
				bad(at, "%s entry %d has no pattern", set.key, i+1)
				continue
			}
			if _, err := regexp.Compile(p.Pattern); err != nil {
				bad(at, "%s entry %d: %v", set.key, i+1, err)
			}
			if names[p.Name] {
				bad(at, "%s entry %d: rule name %q is used twice", set.key, i+1, p.Name)
			}
			names[p.Name] = true
		}
	}
	if c.Boundaries.MaxChars < 0 {
		bad("boundaries.max_chars", "boundaries.max_chars must not be negative, got %d", c.Boundaries.MaxChars)
	}
	if v := c.Review.ConfidenceBelow; v < 0 || v > 1 {
		bad("review.confidence_below", "review.confidence_below must be 0 to 1, got %g", v)
	}
	if c.Review.ConfidenceBelow > 0 && !c.Candidate.Logprobs {
		bad("review.confidence_below", "review.confidence_below needs candidate.logprobs: true")
	}
	if c.PII.RedactPrompts && !c.PII.Redact {
		bad("pii.redact_prompts", "pii.redact_prompts needs pii.redact: true")
	}
	if d := c.Drift; d.PSIWarn < 0 || d.PSIAlert < d.PSIWarn {
		bad("drift", "drift.psi_warn must be non-negative and at most drift.psi_alert (got %g and %g)", d.PSIWarn, d.PSIAlert)
	}
	if b := c.Drift.Bins; b < 2 || b > 1000 {
		bad("drift.bins", "drift.bins must be 2 to 1000, got %d", b)
	}
}
