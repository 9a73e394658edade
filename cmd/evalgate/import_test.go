package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// importExample reads the example set and gives every third item a wrong
// recorded output, so that replay has something to get wrong.
func importExample(t *testing.T) []records.Item {
	t.Helper()
	r, err := datasets.Open(filepath.Join("..", "..", "datasets", "examples", "support-qa.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var items []records.Item
	for r.Scan() {
		it := r.Item()
		it.Row = 0
		it.Output = it.Expected
		if len(items)%3 == 0 {
			it.Output = "I am not sure, please contact support."
		}
		items = append(items, it)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return items
}

// importConfig replays the recorded outputs as the candidate against the
// builtin model as production, with the checks that read every column
// an import fills: context (groundedness, the prompt), expected and
// expected_any (accuracy), must_not_contain, task and two groups.
func importConfig(t *testing.T, set, extra string) string {
	t.Helper()
	return writeConfig(t, fmt.Sprintf(`dataset:
  path: %s
%scandidate: {provider: replay}
production: {provider: "builtin:extractive-v1"}
prompt:
  template: |
    Context:
    {{range .Context}}- {{.}}
    {{end}}
    Question: {{.Input}}
scoring: {method: contains}
fairness: {groups: [channel, region], min_group_size: 30}
groundedness: {method: lexical}
gate:
  - {metric: accuracy, min: 0.5}
`, set, extra))
}

// runOutcome runs a config and returns what must not depend on how the
// set was converted: the verdict, metrics, gate rows, review and each
// result's id, output and score inputs.
func runOutcome(t *testing.T, cfg string) string {
	t.Helper()
	out := t.TempDir()
	res := runCLI(t, context.Background(), map[string]string{"XDG_CACHE_HOME": t.TempDir()}, "run", "-c", cfg, "--out", out, "--quiet")
	if res.code != exitOK && res.code != exitBlock {
		t.Fatalf("run: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	rep := readReport(t, out)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", " ")
	for _, v := range []any{rep.Verdict, rep.Dataset.Rows, rep.Metrics, rep.Gate, rep.Review} {
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
	}
	results, _, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		fmt.Fprintf(&b, "%s %s %q %q %q %v\n", r.ID, r.Model, r.Output, r.Expected, r.Task, r.Groups)
	}
	return b.String()
}

// writeReference writes items as a hand-converted set.
func writeReference(t *testing.T, items []records.Item) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "reference.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := datasets.WriteItems(f, items, []string{"region", "channel", "customer_tier", "phrasing"}, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// pandasRow is a row as pandas' to_parquet writes it (pyarrow engine):
// an int64 id, strings (large_string reads the same), a list column and
// the index as __index_level_0__.
type pandasRow struct {
	ID             int64    `parquet:"id"`
	Question       string   `parquet:"question,optional"`
	Passages       []string `parquet:"passages,list"`
	Answer         string   `parquet:"answer,optional"`
	Aliases        []string `parquet:"aliases,list"`
	Task           string   `parquet:"task,optional"`
	MustNotContain []string `parquet:"must_not_contain,list"`
	Response       string   `parquet:"response,optional"`
	Region         string   `parquet:"region,optional"`
	Channel        string   `parquet:"channel,optional"`
	CustomerTier   string   `parquet:"customer_tier,optional"`
	Phrasing       string   `parquet:"phrasing,optional"`
	Score          float64  `parquet:"score"`
	Index          int64    `parquet:"__index_level_0__"`
}

// hfRow is a row as Hugging Face datasets' to_parquet writes it.
type hfRow struct {
	ID             string   `parquet:"id,optional"`
	Prompt         string   `parquet:"prompt,optional"`
	Contexts       []string `parquet:"contexts,list"`
	Reference      string   `parquet:"reference,optional"`
	Aliases        []string `parquet:"acceptable_answers,list"`
	Category       string   `parquet:"category,optional"`
	MustNotContain []string `parquet:"must_not_contain,list"`
	Completion     string   `parquet:"completion,optional"`
	Region         string   `parquet:"region,optional"`
	Channel        string   `parquet:"channel,optional"`
	CustomerTier   string   `parquet:"customer_tier,optional"`
	Phrasing       string   `parquet:"phrasing,optional"`
}

func writeParquetRows[T any](t *testing.T, path string, rows []T, meta map[string]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var opts []parquet.WriterOption
	for k, v := range meta {
		opts = append(opts, parquet.KeyValueMetadata(k, v))
	}
	w := parquet.NewGenericWriter[T](f, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// orEmpty is l, or an empty list for nil: a Parquet list column written
// from Go structs holds an empty list where WriteItems writes a null.
func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// TestImportRunsLikeHandConverted imports the same rows from each source
// format, runs the imported set and a hand-converted one (WriteItems)
// with replay and the builtin model, and wants the same outcome.
func TestImportRunsLikeHandConverted(t *testing.T) {
	base := importExample(t)
	groups := func(it records.Item) (string, string, string, string) {
		return it.Extra["region"], it.Extra["channel"], it.Extra["customer_tier"], it.Extra["phrasing"]
	}
	for _, tt := range []struct {
		name string
		// write writes the source and returns its path and the import flags.
		write func(t *testing.T, dir string) (string, []string)
		// id is the id the hand conversion gives item i.
		id func(i int, it records.Item) string
		// emptyLists makes nil lists empty in the reference, as the
		// source's writer (no null lists) does.
		emptyLists bool
	}{
		{"jsonl", func(t *testing.T, dir string) (string, []string) {
			var b bytes.Buffer
			for _, it := range base {
				region, channel, tier, phrasing := groups(it)
				line, err := json.Marshal(map[string]any{
					"id": it.ID, "question": it.Input, "passages": it.Context, "answer": it.Expected,
					"acceptable_answers": it.ExpectedAny, "task": it.Task, "must_not_contain": it.MustNotContain,
					"output": it.Output, "region": region, "channel": channel, "customer_tier": tier, "phrasing": phrasing,
				})
				if err != nil {
					t.Fatal(err)
				}
				b.Write(line)
				b.WriteByte('\n')
			}
			path := filepath.Join(dir, "qa.jsonl")
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			return path, nil
		}, func(_ int, it records.Item) string { return it.ID }, false},
		{"csv", func(t *testing.T, dir string) (string, []string) {
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			w.Write([]string{"qid", "prompt", "contexts", "label", "aliases", "task", "must_not_contain", "response", "region", "channel", "customer_tier", "phrasing"})
			js := func(l []string) string {
				if l == nil {
					return ""
				}
				b, _ := json.Marshal(l)
				return string(b)
			}
			for _, it := range base {
				region, channel, tier, phrasing := groups(it)
				w.Write([]string{it.ID, it.Input, js(it.Context), it.Expected, js(it.ExpectedAny), it.Task, js(it.MustNotContain), it.Output, region, channel, tier, phrasing})
			}
			w.Flush()
			path := filepath.Join(dir, "qa.csv")
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			return path, []string{"--id-column", "qid"}
		}, func(_ int, it records.Item) string { return it.ID }, false},
		{"pandas parquet", func(t *testing.T, dir string) (string, []string) {
			rows := make([]pandasRow, len(base))
			for i, it := range base {
				region, channel, tier, phrasing := groups(it)
				rows[i] = pandasRow{ID: int64(1000 + i), Question: it.Input, Passages: it.Context, Answer: it.Expected,
					Aliases: it.ExpectedAny, Task: it.Task, MustNotContain: it.MustNotContain, Response: it.Output,
					Region: region, Channel: channel, CustomerTier: tier, Phrasing: phrasing, Score: 0.5, Index: int64(i)}
			}
			path := filepath.Join(dir, "qa.parquet")
			writeParquetRows(t, path, rows, map[string]string{
				"pandas": `{"index_columns": ["__index_level_0__"], "columns": []}`,
			})
			return path, []string{"--map", "output=response,expected_any=aliases"}
		}, func(i int, _ records.Item) string { return strconv.Itoa(1000 + i) }, true},
		{"hugging face parquet", func(t *testing.T, dir string) (string, []string) {
			rows := make([]hfRow, len(base))
			for i, it := range base {
				region, channel, tier, phrasing := groups(it)
				rows[i] = hfRow{ID: it.ID, Prompt: it.Input, Contexts: it.Context, Reference: it.Expected,
					Aliases: it.ExpectedAny, Category: it.Task, MustNotContain: it.MustNotContain, Completion: it.Output,
					Region: region, Channel: channel, CustomerTier: tier, Phrasing: phrasing}
			}
			path := filepath.Join(dir, "train-00000-of-00001.parquet")
			writeParquetRows(t, path, rows, map[string]string{
				"huggingface": `{"info": {"features": {"id": {"dtype": "string", "_type": "Value"}}}}`,
			})
			return path, nil
		}, func(_ int, it records.Item) string { return it.ID }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			src, flags := tt.write(t, dir)
			dst := filepath.Join(dir, "imported.parquet")
			args := append([]string{"dataset", "import", src, "--out", dst, "--name", "qa", "--version", "1"}, flags...)
			res := runCLI(t, context.Background(), nil, args...)
			if res.code != exitOK {
				t.Fatalf("import: exit %d\n%s%s", res.code, res.stdout, res.stderr)
			}
			info, err := datasets.Inspect(dst)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(res.stdout, "sha256 "+info.SHA256) || info.Name != "qa" || info.Version != "1" || info.Rows != int64(len(base)) {
				t.Errorf("import said %q; the file is %s %s with %d rows, sha256 %s", res.stdout, info.Name, info.Version, info.Rows, info.SHA256)
			}
			ref := make([]records.Item, len(base))
			for i, it := range base {
				it.ID = tt.id(i, it)
				if tt.emptyLists {
					it.Context, it.ExpectedAny, it.MustNotContain = orEmpty(it.Context), orEmpty(it.ExpectedAny), orEmpty(it.MustNotContain)
				}
				ref[i] = it
			}
			want := runOutcome(t, importConfig(t, writeReference(t, ref), ""))
			got := runOutcome(t, importConfig(t, dst, ""))
			if got != want {
				t.Errorf("the imported set ran differently from the hand-converted one:\n%s", firstDiff([]byte(got), []byte(want)))
			}
			if tt.name == "pandas parquet" {
				// The same file runs without conversion when the config
				// maps its columns.
				cols := "  columns: {input: question, expected: answer, context: passages, expected_any: aliases, output: response}\n"
				if got := runOutcome(t, importConfig(t, src, cols)); got != want {
					t.Errorf("the pandas file read through dataset.columns ran differently:\n%s", firstDiff([]byte(got), []byte(want)))
				}
			}
		})
	}
}

// TestImportCLI checks what the command says and its exit codes, and
// that other commands given JSONL or CSV point to it.
func TestImportCLI(t *testing.T) {
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "qa.jsonl")
	if err := os.WriteFile(jsonl, []byte(`{"question": "What is 2+2?", "answer": "4", "passages": ["2+2=4"], "gender": "f", "__index_level_0__": 0}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	csvPath := filepath.Join(dir, "qa.csv")
	if err := os.WriteFile(csvPath, []byte("question,answer\nWhat is 2+2?,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "qa.parquet")
	for _, tt := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"says what was mapped", []string{"dataset", "import", jsonl, "--out", out}, exitOK, []string{
			"imported " + jsonl + " (jsonl) to " + out + ": 1 rows",
			"columns: input ← question (automatic), context ← passages (automatic), expected ← answer (automatic)",
			"kept as extra columns (usable as fairness groups): gender",
			"not imported: __index_level_0__ (an index column)",
			"ids: no id column, so ids were derived:",
			"sha256 ",
		}},
		{"explicit map", []string{"dataset", "import", csvPath, "--out", out, "--map", "input=answer,expected=question"}, exitOK,
			[]string{"columns: input ← answer, expected ← question"}},
		{"no --out", []string{"dataset", "import", jsonl}, exitUsage, []string{"--out is required"}},
		{"bad --map", []string{"dataset", "import", jsonl, "--out", out, "--map", "input"}, exitUsage, []string{"--map"}},
		{"bad --format", []string{"dataset", "import", jsonl, "--out", out, "--format", "xlsx"}, exitUsage, []string{`--format "xlsx"`}},
		{"name without version", []string{"dataset", "import", jsonl, "--out", out, "--name", "qa"}, exitUsage, []string{"--name and --version go together"}},
		{"id column conflicts", []string{"dataset", "import", jsonl, "--out", out, "--id-column", "a", "--map", "id=b"}, exitUsage, []string{"disagree"}},
		{"unknown column", []string{"dataset", "import", jsonl, "--out", out, "--map", "input=prompt"}, exitUsage, []string{`the source has no column "prompt"`}},
		{"inspect jsonl", []string{"dataset", "inspect", jsonl}, exitUsage, []string{"this looks like JSONL", "evalgate dataset import " + jsonl + " --out"}},
		{"validate csv", []string{"dataset", "validate", csvPath}, exitUsage, []string{"this looks like CSV", "evalgate dataset import"}},
		{"run on csv", []string{"run", "-c", importConfig(t, csvPath, ""), "--out", filepath.Join(dir, "run")}, exitUsage, []string{"this looks like CSV", "evalgate dataset import"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), nil, tt.args...)
			if res.code != tt.code {
				t.Fatalf("exit %d, want %d\n%s%s", res.code, tt.code, res.stdout, res.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.stdout+res.stderr, w) {
					t.Errorf("output %q\n%q, want it to contain %q", res.stdout, res.stderr, w)
				}
			}
		})
	}
}
