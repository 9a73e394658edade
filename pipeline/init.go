package pipeline

import (
	"cmp"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/metrics"
)

// Bounds of what init takes for a group column or a label set.
const (
	// MaxInitGroups is the most distinct values a string column may have
	// to be proposed as a fairness group column.
	MaxInitGroups = 12
	// MinInitGroupSize is the smallest second-largest group (in scored
	// items) a column needs to be proposed: below it no gap means much.
	MinInitGroupSize = 5
	// MaxInitLabels is the most distinct expected answers a set may have
	// for init to score it as classification (scoring.method: label).
	MaxInitLabels = 10
	// maxInitGroupColumns bounds the group columns init proposes.
	maxInitGroupColumns = 4
)

// Profile is what init reads of an eval set: its identity, what its items
// carry, and the columns that could be fairness groups.
type Profile struct {
	// Info is the set's identity, digest and columns.
	Info datasets.Info
	// Rows counts the items; Scored those with a reference answer
	// (expected or expected_any), which are the ones a metric counts.
	Rows, Scored int
	// WithContext and WithOutput count the items with retrieved passages
	// and with a recorded output (what replay answers with).
	WithContext, WithOutput int
	// Labels counts the scored items by normalized expected answer; nil
	// when there are more than MaxInitLabels distinct answers.
	Labels map[string]int
	// LabelLike reports that the expected answers look like a small
	// label set: 2 to MaxInitLabels short values, each seen at least twice
	// on average.
	LabelLike bool
	// Groups are the proposed group columns, in schema order, with each
	// value's scored items ("" counted as metrics.MissingGroup).
	Groups []GroupColumn
	// Skipped names each other string column and why it is not proposed.
	Skipped []string
}

// GroupColumn is a string column proposed as a fairness group column.
type GroupColumn struct {
	// Name is the column's name.
	Name string
	// Sizes counts the scored items of each value.
	Sizes map[string]int
}

// SecondLargest is the size of the column's second-largest group: a gap
// needs two groups of at least fairness.min_group_size.
func (g GroupColumn) SecondLargest() int {
	sizes := slices.Sorted(maps.Values(g.Sizes))
	if len(sizes) < 2 {
		return 0
	}
	return sizes[len(sizes)-2]
}

// ProfileSet reads the eval set at path once: it must be a valid eval set.
func ProfileSet(path string) (*Profile, error) {
	set, err := datasets.OpenSet(path)
	if err != nil {
		return nil, inputErr(err)
	}
	defer set.Close()
	problems, err := set.Validate()
	if err == nil && len(problems) > 0 {
		err = fmt.Errorf("dataset %s is not a valid eval set:\n%s", path, Bulleted(problems))
	}
	if err != nil {
		return nil, inputErr(err)
	}
	p := &Profile{Info: set.Info(), Labels: map[string]int{}}
	r, err := set.Reader()
	if err != nil {
		return nil, inputErr(err)
	}
	defer r.Close()
	// Each other string column's values among scored items, until it has
	// more than MaxInitGroups.
	counts := map[string]map[string]int{}
	tooMany := map[string]bool{}
	var short = true
	for r.Scan() {
		item := r.Item()
		p.Rows++
		if len(item.Context) > 0 {
			p.WithContext++
		}
		if item.Output != "" {
			p.WithOutput++
		}
		for col := range item.Extra {
			if counts[col] == nil {
				counts[col] = map[string]int{}
			}
		}
		if item.Expected == "" && len(item.ExpectedAny) == 0 {
			continue
		}
		p.Scored++
		if p.Labels != nil && item.Expected != "" {
			label := metrics.Normalize(item.Expected)
			p.Labels[label]++
			short = short && len(label) <= 40 && len(strings.Fields(label)) <= 4
			if len(p.Labels) > MaxInitLabels {
				p.Labels = nil
			}
		}
		for col, val := range item.Extra {
			if tooMany[col] {
				continue
			}
			c := counts[col]
			c[cmp.Or(val, metrics.MissingGroup)]++
			if len(c) > MaxInitGroups {
				tooMany[col] = true
				delete(counts, col)
			}
		}
	}
	if err := r.Err(); err != nil {
		return nil, inputErr(err)
	}
	p.LabelLike = p.Labels != nil && short && len(p.Labels) >= 2 && p.Scored >= 2*len(p.Labels)
	var order []string
	for _, c := range p.Info.Columns {
		if c.Type == "string" && (counts[c.Name] != nil || tooMany[c.Name]) {
			order = append(order, c.Name)
		}
	}
	for _, col := range order {
		c := counts[col]
		g := GroupColumn{Name: col, Sizes: c}
		switch {
		case datasets.CheckGroupColumn(col) != nil:
			p.Skipped = append(p.Skipped, fmt.Sprintf("%s: not a name fairness.groups accepts", col))
		case tooMany[col]:
			p.Skipped = append(p.Skipped, fmt.Sprintf("%s: more than %d distinct values", col, MaxInitGroups))
		case len(c) < 2:
			p.Skipped = append(p.Skipped, fmt.Sprintf("%s: one value among the scored items", col))
		case g.SecondLargest() < MinInitGroupSize:
			p.Skipped = append(p.Skipped, fmt.Sprintf("%s: its second-largest group has %d scored items, fewer than %d", col, g.SecondLargest(), MinInitGroupSize))
		case len(p.Groups) >= maxInitGroupColumns:
			p.Skipped = append(p.Skipped, fmt.Sprintf("%s: init proposes at most %d group columns", col, maxInitGroupColumns))
		default:
			p.Groups = append(p.Groups, g)
		}
	}
	return p, nil
}

// InitOptions are what a new config is written for, beyond the set.
type InitOptions struct {
	// Dataset is the eval set's path, as written in the config: relative
	// to the config's directory, or absolute.
	Dataset string
	// BaseURL and Model name an OpenAI-compatible endpoint; without a
	// base URL the candidate is replay (when every item has an output) or
	// a builtin model, as a stand-in.
	BaseURL, Model string
	// APIKeyEnv names the variable that holds the key; "" is
	// OPENAI_API_KEY.
	APIKeyEnv string
	// Groups, when not nil, replaces the proposed group columns.
	Groups []GroupColumn
}

// Init is a config written for an eval set: its YAML text and what it
// decided, to tell the user.
type Init struct {
	// YAML is the commented config.
	YAML []byte
	// Notes say what was chosen from the data, and why.
	Notes []string
}

// RelDataset returns the eval set's path as a config at configPath should
// name it: relative to the config's directory, unless that climbs more
// than one directory.
func RelDataset(configPath, dataset string) string {
	absCfg, err1 := filepath.Abs(filepath.Dir(configPath))
	absSet, err2 := filepath.Abs(dataset)
	if err1 != nil || err2 != nil {
		return dataset
	}
	rel, err := filepath.Rel(absCfg, absSet)
	if err != nil || strings.HasPrefix(filepath.ToSlash(rel), "../../") {
		// Far from the config: an absolute path reads better.
		return absSet
	}
	return filepath.ToSlash(rel)
}

// InitConfig writes a commented config for the profiled set whose every
// gate rule can be evaluated on it: an accuracy rule only when items have
// references, fairness.min_group_size fitted so that each proposed
// column has two groups to compare, groundedness only when items have
// context, scoring.positive_label only for a label that is present.
func InitConfig(p *Profile, o InitOptions) Init {
	var b strings.Builder
	var notes []string
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	q := strconv.Quote
	groups := p.Groups
	if o.Groups != nil {
		groups = o.Groups
	}

	w("# Written by evalgate init for %s (%d rows, %d with a reference answer).\n", o.Dataset, p.Rows, p.Scored)
	w("# Every gate rule below can be evaluated on this set; `evalgate run -c FILE --dry-run`\n")
	w("# checks it again, and configs/reference.yaml documents every key.\n\n")

	w("dataset:\n  path: %s\n", q(o.Dataset))
	w("  # The set's digest: a changed file is refused. Update it when the set changes\n")
	w("  # (evalgate dataset inspect FILE prints it).\n")
	w("  sha256: %s\n\n", p.Info.SHA256)

	w("# The model version that asks to be promoted.\ncandidate:\n")
	switch {
	case o.BaseURL != "":
		key := cmp.Or(o.APIKeyEnv, "OPENAI_API_KEY")
		w("  provider: openai\n  base_url: %s\n  model: %s\n", q(o.BaseURL), q(o.Model))
		w("  # The variable that holds the key (\"none\" for a local server with no key).\n")
		w("  api_key_env: %s\n", key)
		w("  # Completion length cap in tokens.\n  max_tokens: 256\n")
		from := "key from $" + key
		if key == "none" {
			from = "no key"
		}
		notes = append(notes, fmt.Sprintf("candidate: %s at %s, %s", o.Model, configs.RedactURL(o.BaseURL), from))
	case p.Rows > 0 && p.WithOutput == p.Rows:
		w("  # Every item has a recorded output: replay scores those. For a live model:\n")
		w("  #   provider: openai, base_url: URL, model: NAME, api_key_env: VAR\n")
		w("  provider: replay\n")
		notes = append(notes, "candidate: replay (every item has a recorded output; evalgate init --base-url URL --model M writes a live model)")
	default:
		w("  # A local stand-in that answers from the context, so the config runs as is.\n")
		w("  # Replace it with your model: provider: openai, base_url: URL, model: NAME,\n")
		w("  # api_key_env: VAR (or rerun evalgate init --base-url URL --model M).\n")
		w("  provider: builtin:extractive\n")
		notes = append(notes, "candidate: builtin:extractive, a local stand-in (give --base-url and --model for your model)")
	}
	w("\n# The version in production, to gate on regression: add it, and the rule below.\n")
	w("# production:\n#   provider: openai\n#   model: NAME\n\n")

	labels := slices.Sorted(maps.Keys(p.Labels))
	w("prompt:\n")
	if p.WithContext > 0 {
		w("  template: |\n    Answer using only the context below.\n\n    Context:\n    {{range .Context}}- {{.}}\n    {{end}}\n    Question: {{.Input}}\n")
	} else if p.LabelLike {
		w("  template: |\n    {{.Input}}\n\n    Answer with one of: %s.\n", strings.Join(labels, ", "))
	} else {
		w("  # Fields: .ID .Input .System .Context .Expected .Task, and .Extra.<column>\n")
		w("  # for any other string column.\n")
		w("  template: \"{{.Input}}\"\n")
	}
	w("\nrun:\n  concurrency: 4\n  out: evalgate-out\n\n")

	positive := ""
	w("scoring:\n")
	if p.LabelLike {
		w("  # The expected answers are a small label set (%s): classification.\n", strings.Join(labels, ", "))
		w("  method: label\n")
		notes = append(notes, fmt.Sprintf("scoring: label, the %d expected answers being a label set (%s)", len(labels), strings.Join(labels, ", ")))
		if len(labels) == 2 {
			for _, l := range labels {
				if slices.Contains([]string{"yes", "true", "1", "positive", "pass", "approve", "approved", "accept", "accepted", "fraud", "spam", "toxic", "unsafe"}, l) {
					positive = l
				}
			}
		}
		if positive != "" {
			w("  # The label that counts as a positive decision (adds selection rate, TPR, FPR).\n")
			w("  positive_label: %s\n", q(positive))
			notes = append(notes, fmt.Sprintf("scoring.positive_label: %q (present in %d items)", positive, p.Labels[positive]))
		} else {
			w("  # positive_label: one of %s, to add selection rate, TPR and FPR per group.\n", strings.Join(labels, ", "))
		}
	} else {
		w("  # normalized: case, whitespace, punctuation and articles ignored. For answers\n")
		w("  # that are sentences, contains (the reference appears in the answer) or f1.\n")
		w("  method: normalized\n")
	}

	minGroup := 30
	if len(groups) > 0 {
		for _, g := range groups {
			minGroup = min(minGroup, g.SecondLargest())
		}
		w("\nfairness:\n")
		var desc []string
		for _, g := range groups {
			var sizes []string
			for _, v := range slices.Sorted(maps.Keys(g.Sizes)) {
				sizes = append(sizes, fmt.Sprintf("%s %d", v, g.Sizes[v]))
			}
			w("  # %s: %s\n", g.Name, strings.Join(sizes, ", "))
			desc = append(desc, q(g.Name))
		}
		w("  groups: [%s]\n", strings.Join(desc, ", "))
		if minGroup < 30 {
			w("  # Fitted to this set so that every column has two groups to compare (the\n")
			w("  # default, 30, would leave the fairness rules not evaluated). Groups this\n")
			w("  # small give wide intervals: add items, then raise it.\n")
			notes = append(notes, fmt.Sprintf("fairness.min_group_size: %d, fitted to the group sizes (the default 30 would leave a fairness rule not evaluated)", minGroup))
		}
		w("  min_group_size: %d\n", minGroup)
		notes = append(notes, "fairness.groups: "+strings.Join(desc, ", ")+" (string columns with few values)")
	}

	w("\n")
	if p.WithContext > 0 {
		w("# Answers are checked against the items' context (%d of %d items have one).\n", p.WithContext, p.Rows)
		w("groundedness:\n  method: lexical\n")
	} else {
		w("# No item has context, so there is nothing to check answers against.\n")
		w("groundedness:\n  method: off\n")
	}

	w("\ngate:\n")
	if p.Scored > 0 {
		w("  - {metric: accuracy, min: 0.80, description: \"the candidate answers at least 80%% correctly\"}\n")
		if p.LabelLike {
			w("  - {metric: labels.macro_f1, min: 0.70, description: \"every label is recognized, not only the common one\"}\n")
		}
		for _, g := range groups {
			w("  - {metric: %s, max: 0.20, description: %s}\n", q("fairness."+g.Name+".accuracy.gap"), q("no "+g.Name+" group trails the best by more than 20 points"))
		}
	} else {
		notes = append(notes, "no item has a reference answer (expected), so there is no accuracy or fairness rule")
	}
	if p.WithContext > 0 {
		w("  - {metric: groundedness, min: 0.90, description: \"answers stay within the retrieved context\"}\n")
	}
	w("  - {metric: errors.rate, max: 0.01, description: \"at most 1%% of calls fail\"}\n")
	w("  # With a production model:\n")
	w("  # - {metric: regression.accuracy.delta.ci_low, min: -0.02, description: \"non-inferior to production\"}\n")
	if len(p.Skipped) > 0 {
		notes = append(notes, "not group columns: "+strings.Join(p.Skipped, "; "))
	}
	return Init{YAML: []byte(b.String()), Notes: notes}
}
