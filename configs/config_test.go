package configs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const minimal = `dataset: {path: set.parquet}
candidate: {provider: "builtin:extractive"}
`

func TestParseDefaults(t *testing.T) {
	cfg, err := Parse("dir/eval.yaml", []byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"candidate.model", cfg.Candidate.Model, "extractive"},
		{"candidate.version", cfg.Candidate.Version, "extractive"},
		{"candidate.max_tokens", cfg.Candidate.MaxTokens, 256},
		{"prompt.template", cfg.Prompt.Template, "{{.Input}}"},
		{"run.concurrency", cfg.Run.Concurrency, 4},
		{"run.repeats", cfg.Run.Repeats, 1},
		{"run.timeout", cfg.Run.Timeout, 60 * time.Second},
		{"run.out", cfg.Run.Out, "evalgate-out"},
		{"scoring.method", cfg.Scoring.Method, "normalized"},
		{"scoring.confidence", cfg.Scoring.Confidence, 0.95},
		{"fairness.min_group_size", cfg.Fairness.MinGroupSize, 30},
		{"dataset path", cfg.DatasetPath(), filepath.Join("dir", "set.parquet")},
		{"production", cfg.Production == nil, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if len(cfg.SHA256) != 64 {
		t.Errorf("config sha256 = %q, want 64 hex digits", cfg.SHA256)
	}
}

func TestParseOpenAIDefaults(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("dataset: {path: s.parquet}\ncandidate: {provider: openai, model: gpt-4o-mini}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Candidate.BaseURL != "https://api.openai.com/v1" || cfg.Candidate.APIKeyEnv != "OPENAI_API_KEY" {
		t.Errorf("base_url %q api_key_env %q, want the OpenAI defaults", cfg.Candidate.BaseURL, cfg.Candidate.APIKeyEnv)
	}
}

func TestParseReasoningModel(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("dataset: {path: s.parquet}\ncandidate: {provider: openai, model: o3-mini, max_completion_tokens: 2000, reasoning_effort: high}\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := cfg.Candidate
	if m.MaxTokens != 0 || m.MaxCompletionTokens != 2000 || m.ReasoningEffort != "high" {
		t.Errorf("got max_tokens %d, max_completion_tokens %d, reasoning_effort %q; want 0 (no default beside max_completion_tokens), 2000, high",
			m.MaxTokens, m.MaxCompletionTokens, m.ReasoningEffort)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // each must appear in the error
	}{
		{"misspelled key", minimal + "scoring:\n  methd: exact\n", []string{"eval.yaml:4:", `unknown key "scoring.methd"`, `did you mean "method"`}},
		{"unknown top-level key", "datset: {path: x}\n" + minimal, []string{"eval.yaml:1:", `unknown key "datset"`, `did you mean "dataset"`}},
		{"two unknown keys reported together", minimal + "foo: 1\nrun: {concurency: 3}\n", []string{`eval.yaml:3: unknown key "foo"`, `eval.yaml:4: unknown key "run.concurency"`}},
		{"unknown key and bad value together", minimal + "run: {concurency: 3}\nscoring: {method: fuzzy}\n", []string{`eval.yaml:3: unknown key "run.concurency"`, "eval.yaml:4: scoring.method must be one of"}},
		{"api key in config", "dataset: {path: s}\ncandidate:\n  provider: openai\n  model: m\n  api_key: sk-live-123456\n", []string{"eval.yaml:5:", "api_key_env"}},
		{"key value in api_key_env", "dataset: {path: s}\ncandidate: {provider: openai, model: m, api_key_env: sk-abc-123}\n", []string{"eval.yaml:2:", "must be an environment variable name"}},
		{"unknown method", minimal + "scoring: {method: fuzzy}\n", []string{"eval.yaml:3:", `scoring.method must be one of exact, normalized, contains, f1, label, got "fuzzy"`}},
		{"unknown provider", "dataset: {path: s}\ncandidate: {provider: anthropic}\n", []string{"eval.yaml:2:", `candidate.provider "anthropic" is unknown`}},
		{"no dataset", "candidate: {provider: replay}\n", []string{"dataset.path is required"}},
		{"rule without bound", minimal + "gate:\n  - {metric: accuracy}\n", []string{"eval.yaml:4:", "gate rule 1 (accuracy) needs min or max"}},
		{"bad type", minimal + "run: {concurrency: lots}\n", []string{"eval.yaml:3:", "cannot unmarshal"}},
		{"bad yaml", "dataset: [\n", []string{"eval.yaml:", "invalid YAML"}},
		{"empty", "", []string{"config is empty"}},
		{"second document", minimal + "---\ngate:\n  - {metric: accuracy, min: 0.9}\n", []string{"eval.yaml:3:", "second one starts here"}},
		{"second document after an explicit start", "---\n" + minimal + "---\n---\n", []string{"eval.yaml:4:", "second one starts here"}},
		{"bad pin", "dataset: {path: s, sha256: abc}\ncandidate: {provider: replay}\n", []string{"eval.yaml:1:", "64 hex digits"}},
		{"unknown dataset column", "dataset:\n  path: s\n  columns: {input: question, answr: answer}\ncandidate: {provider: replay}\n", []string{"eval.yaml:3:", `dataset.columns: "answr" is not an eval-set column (want one of id, input,`}},
		{"empty dataset column", "dataset:\n  path: s\n  columns:\n    input: \"\"\ncandidate: {provider: replay}\n", []string{"eval.yaml:4:", "dataset.columns.input: empty column name"}},
		{"output cap too small", minimal + "run: {max_output_bytes: 100}\n", []string{"eval.yaml:3:", "run.max_output_bytes must be 1024 to 67108864"}},
		{"output cap negative", minimal + "run: {max_output_bytes: -1}\n", []string{"eval.yaml:3:", "run.max_output_bytes must be"}},
		{"max_tokens and max_completion_tokens", "dataset: {path: s}\ncandidate: {provider: openai, model: o3-mini, max_tokens: 100, max_completion_tokens: 200}\n", []string{"eval.yaml:2:", "set max_tokens or max_completion_tokens, not both"}},
		{"negative max_completion_tokens", "dataset: {path: s}\ncandidate:\n  provider: openai\n  model: o3\n  max_completion_tokens: -5\n", []string{"eval.yaml:5:", "candidate.max_completion_tokens must not be negative"}},
		{"unknown reasoning_effort", "dataset: {path: s}\ncandidate:\n  provider: openai\n  model: o3\n  reasoning_effort: extreme\n", []string{"eval.yaml:5:", `candidate.reasoning_effort "extreme" is unknown`, "low, medium, high"}},
		{"unknown verbosity", "dataset: {path: s}\ncandidate:\n  provider: openai\n  model: gpt-5\n  verbosity: loud\n", []string{"eval.yaml:5:", `candidate.verbosity "loud" is unknown`}},
		{"output cap too large", minimal + "run: {max_output_bytes: 1073741824}\n", []string{"eval.yaml:3:", "run.max_output_bytes must be"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("eval.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "sk-live-123456") {
				t.Errorf("error %q repeats the secret", err)
			}
		})
	}
}

func TestMaxOutputBytes(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want int
	}{
		{"unset is the default", "", DefaultMaxOutputBytes},
		{"0 is the default", "run: {max_output_bytes: 0}\n", DefaultMaxOutputBytes},
		{"set", "run: {max_output_bytes: 4096}\n", 4096},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("eval.yaml", []byte(minimal+tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Run.MaxOutputBytes != tt.want {
				t.Errorf("MaxOutputBytes = %d, want %d", cfg.Run.MaxOutputBytes, tt.want)
			}
		})
	}
}

func TestCheckDigest(t *testing.T) {
	pin := strings.Repeat("ab", 32)
	cfg, err := Parse("c.yaml", []byte("dataset: {path: s.parquet, sha256: "+strings.ToUpper(pin)+"}\ncandidate: {provider: replay}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.CheckDigest(pin); err != nil {
		t.Errorf("matching digest: %v", err)
	}
	err = cfg.CheckDigest(strings.Repeat("cd", 32))
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "pins "+pin) {
		t.Errorf("mismatched digest gave %v, want an *Error naming the pin", err)
	}
}

// TestShippedConfigs loads every YAML file in this directory.
func TestShippedConfigs(t *testing.T) {
	files, _ := filepath.Glob("*.yaml")
	if len(files) == 0 {
		t.Fatal("no shipped configs found")
	}
	for _, f := range files {
		if _, err := Load(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestReferenceDocumentsEveryKey checks that reference.yaml sets every key
// of Config, so that it stays the complete documentation.
func TestReferenceDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("reference.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	var missing []string
	var walk func(t reflect.Type, path string)
	walk = func(t reflect.Type, path string) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Duration]() {
			return
		}
		for name, ft := range yamlFields(t) {
			p := join(path, name)
			if t == reflect.TypeFor[Rule]() || strings.HasPrefix(p, "production.") || strings.HasPrefix(p, "groundedness.judge.") {
				// Rules are examples, not every key in every rule;
				// production and the judge have candidate's keys,
				// documented there.
				continue
			}
			commented := strings.Contains(string(data), "# "+name+":")
			if !present(&root, p) && !commented {
				missing = append(missing, p)
			}
			walk(ft, p)
		}
	}
	walk(typeOfConfig, "")
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("reference.yaml does not document %v", missing)
	}
}

func present(root *yaml.Node, path string) bool {
	n := root.Content[0]
	for _, part := range strings.Split(path, ".") {
		if n.Kind == yaml.SequenceNode && len(n.Content) > 0 {
			n = n.Content[0] // a list documents its keys in its first entry
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				n, found = n.Content[i+1], true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(minimal))
	if b, err := os.ReadFile("reference.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte("gate: [{metric: accuracy, min: .nan}]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("fuzz.yaml", data)
		if err == nil && cfg == nil {
			t.Fatal("nil config without error")
		}
	})
}

// TestRunCache: run.cache is a mode, or for compatibility a directory.
func TestRunCache(t *testing.T) {
	for _, tt := range []struct {
		name, yaml, mode, dir, err string
	}{
		{"default", "", CacheReadWrite, "", ""},
		{"off", "run: {cache: off}\n", CacheOff, "", ""},
		{"read-only", "run: {cache: read-only}\n", CacheReadOnly, "", ""},
		{"refresh with a directory", "run: {cache: refresh, cache_dir: /tmp/c}\n", CacheRefresh, "/tmp/c", ""},
		{"a directory, as before", "run: {cache: ~/.cache/evalgate}\n", CacheReadWrite, "~/.cache/evalgate", ""},
		{"two directories", "run: {cache: /tmp/a, cache_dir: /tmp/b}\n", "", "", `eval.yaml:3: run.cache must be read-write, read-only, refresh or off when run.cache_dir is set, got "/tmp/a"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("eval.yaml", []byte(minimal+tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Run.Cache != tt.mode || cfg.Run.CacheDir != tt.dir {
				t.Errorf("cache %q, cache_dir %q; want %q, %q", cfg.Run.Cache, cfg.Run.CacheDir, tt.mode, tt.dir)
			}
		})
	}
}

// TestRunReviews: run.reviews_dir and run.reviews_key go together, and
// resolve against the config's folder.
func TestRunReviews(t *testing.T) {
	for _, tt := range []struct {
		name, yaml, dir string
		keys            []string
		err             string
	}{
		{"none", "", "", nil, ""},
		{"both", "run: {reviews_dir: reviews, reviews_key: [ada.pem, /keys/grace.pem]}\n", filepath.Join("dir", "reviews"), []string{filepath.Join("dir", "ada.pem"), "/keys/grace.pem"}, ""},
		{"an absolute folder", "run: {reviews_dir: /srv/reviews, reviews_key: [ada.pem]}\n", "/srv/reviews", []string{filepath.Join("dir", "ada.pem")}, ""},
		{"a folder alone", "run: {reviews_dir: reviews}\n", "", nil, "eval.yaml:3: run.reviews_dir and run.reviews_key go together"},
		{"keys alone", "run: {reviews_key: [ada.pem]}\n", "", nil, "eval.yaml:3: run.reviews_dir and run.reviews_key go together"},
		{"an empty key", "run: {reviews_dir: reviews, reviews_key: [ada.pem, \"\"]}\n", "", nil, "eval.yaml:3: run.reviews_key: empty file name"},
		{"one key, not a list", "run: {reviews_dir: reviews, reviews_key: ada.pem}\n", "", nil, "eval.yaml:3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse(filepath.Join("dir", "eval.yaml"), []byte(minimal+tt.yaml))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.ReviewsDirPath(); got != tt.dir {
				t.Errorf("ReviewsDirPath %q, want %q", got, tt.dir)
			}
			if got := cfg.ReviewsKeyPaths(); !slices.Equal(got, tt.keys) {
				t.Errorf("ReviewsKeyPaths %q, want %q", got, tt.keys)
			}
		})
	}
}
