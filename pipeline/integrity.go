package pipeline

import (
	"fmt"
	"os"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/records"
)

// IntegrityOptions compiles the config's groundedness, boundary, review and
// PII settings; a bad rule or an unreadable JSON Schema is an input error.
func IntegrityOptions(cfg *configs.Config) (integrity.Options, error) {
	opts := integrity.Options{
		Judge:           cfg.Groundedness.Method == configs.GroundJudge,
		TaskTypes:       cfg.Groundedness.TaskTypes,
		DetectPII:       cfg.PII.DetectPII(),
		Redact:          cfg.PII.Redact,
		ConfidenceBelow: cfg.Review.ConfidenceBelow,
		Groups:          cfg.Fairness.Groups,
		Level:           cfg.Scoring.Confidence,
	}
	switch cfg.Groundedness.Method {
	case configs.GroundLexical:
		opts.Grounder = integrity.NewGrounder(integrity.GroundOptions{})
	case configs.GroundHybrid:
		opts.Grounder = integrity.NewGrounder(integrity.GroundOptions{})
		opts.Escalation = &integrity.Escalation{Band: cfg.Groundedness.Band, TaskTypes: cfg.Groundedness.TaskTypes}
	}
	if j := cfg.Groundedness.Judge; j != nil && cfg.Groundedness.Judged() && j.Prices != nil {
		opts.JudgePrices = &integrity.Prices{InputPerMTok: j.Prices.InputPerMTok, OutputPerMTok: j.Prices.OutputPerMTok, Currency: j.Prices.Currency}
	}
	var schema []byte
	if path := cfg.JSONSchemaPath(); path != "" {
		var err error
		if schema, err = os.ReadFile(path); err != nil {
			return opts, inputErr(fmt.Errorf("%s: boundaries.json_schema: %w", cfg.Path, err))
		}
	}
	b, err := integrity.CompileBoundaries(cfg.Boundaries, schema)
	if err != nil {
		return opts, inputErr(fmt.Errorf("%s: %w", cfg.Path, err))
	}
	opts.Boundaries = b
	return opts, nil
}

// grounder is the runner's per-answer groundedness check
// (records.Result.Groundedness), or nil when groundedness is off: the
// lexical check, with the Grounder the report's checks use, of the answer
// (redacted when pii.redact is on, as it arrives) against the item's
// context, redacted likewise, exactly as integrity.Checker checks it when
// scoring. Items without context get none. With the judge method the
// lexical check is recorded too, and the judge's verdicts replace it
// after the judge stage (rewriteJudged).
func (p *Plan) grounder() func(item *records.Item, output string) *records.Groundedness {
	if p.cfg.Groundedness.Method == configs.GroundOff {
		return nil
	}
	g := p.integrity.Grounder
	if g == nil {
		g = integrity.NewGrounder(integrity.GroundOptions{})
	}
	redact := redactor(p.cfg)
	types := p.cfg.Groundedness.TaskTypes
	return func(item *records.Item, output string) *records.Groundedness {
		if len(item.Context) == 0 {
			return nil
		}
		return integrity.GroundednessOf(g.GroundTask(output, redactAll(item.Context, redact), types[item.Task]), redact)
	}
}

// redactor is pii.redact's rewrite of stored text, or nil.
func redactor(cfg *configs.Config) func(string) string {
	if cfg.PII.Redact {
		return integrity.RedactPII
	}
	return nil
}

// judging reports whether opts ask the judge: method judge, or hybrid
// for the answers in its band.
func judging(opts integrity.Options) bool { return opts.Judge || opts.Escalation != nil }

// checksOn reports whether opts check anything.
func checksOn(opts integrity.Options) bool {
	return opts.Grounder != nil || opts.Judge || opts.DetectPII || len(opts.Boundaries.Rules()) > 0 || opts.ConfidenceBelow != 0
}
