package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// setContexts returns the contexts of the eval set at path, by item id.
func setContexts(t *testing.T, path string) map[string][]string {
	t.Helper()
	r, err := datasets.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out := map[string][]string{}
	for r.Scan() {
		it := r.Item()
		out[it.ID] = it.Context
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkLexicalColumns checks that every answer's groundedness columns in
// out/results.parquet hold integrity.Ground of the answer against its
// item's context (redacted as the checks redact), and that the report's
// list of hallucinated answers is exactly the answers the column calls
// hallucinated, with the same scores and claims. It returns the results.
func checkLexicalColumns(t *testing.T, set, out string, redact bool) []records.Result {
	t.Helper()
	results, _, err := datasets.ReadResults(filepath.Join(out, "results.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	contexts := setContexts(t, set)
	var red func(string) string
	if redact {
		red = integrity.RedactPII
	}
	type key struct {
		id     string
		sample int
	}
	hallucinated := map[key]*records.Groundedness{}
	checked := 0
	for _, res := range results {
		ctx := contexts[res.ID]
		var want *records.Groundedness
		if res.Error == "" && len(ctx) > 0 {
			c := slices.Clone(ctx)
			for i := range c {
				if red != nil {
					c[i] = red(c[i])
				}
			}
			want = integrity.GroundednessOf(integrity.Ground(res.Output, c), red)
			checked++
		}
		if !reflect.DeepEqual(res.Groundedness, want) {
			t.Errorf("%s#%d: groundedness %+v, want %+v", res.ID, res.Sample, res.Groundedness, want)
		}
		if g := res.Groundedness; g != nil && g.Verdict == records.GroundedHallucinated {
			hallucinated[key{res.ID, res.Sample}] = g
		}
	}
	if checked == 0 {
		t.Fatal("no answer checked")
	}
	g := readReport(t, out).Metrics.Groundedness
	if g == nil || len(g.Hallucinated) != len(hallucinated) {
		t.Fatalf("report groundedness %+v: want %d hallucinated answers listed", g, len(hallucinated))
	}
	for _, h := range g.Hallucinated {
		col := hallucinated[key{h.ID, h.Sample}]
		var texts []string
		for _, c := range h.Unsupported {
			texts = append(texts, c.Text)
		}
		if col == nil || col.Score != h.Score || !slices.Equal(col.Unsupported, texts) {
			t.Errorf("report lists %s#%d with score %v, claims %q; the column says %+v", h.ID, h.Sample, h.Score, texts, col)
		}
	}
	return results
}

// TestGroundednessColumns runs the quickstart (lexical groundedness,
// pii.redact): the columns hold each answer's check and agree with the
// report; a second run answered from the response cache writes the same
// checks; and a results file without the columns, as older versions
// wrote, scores to the same report.
func TestGroundednessColumns(t *testing.T) {
	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	out := t.TempDir()
	if res := runCLI(t, context.Background(), env, "run", "-c", quickstartConfig, "--out", out, "--quiet"); res.code != exitOK && res.code != exitBlock {
		t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
	}
	first := checkLexicalColumns(t, exampleSet, out, true)

	out2 := t.TempDir()
	if res := runCLI(t, context.Background(), env, "run", "-c", quickstartConfig, "--out", out2, "--quiet"); res.code != exitOK && res.code != exitBlock {
		t.Fatalf("second run: exit %d\n%s", res.code, res.stderr)
	}
	if rep := readReport(t, out2); rep.Candidate.Cached != len(first) {
		t.Fatalf("second run: %d answers cached, want all %d", rep.Candidate.Cached, len(first))
	}
	second := checkLexicalColumns(t, exampleSet, out2, true)
	for i := range first {
		if !reflect.DeepEqual(first[i].Groundedness, second[i].Groundedness) {
			t.Errorf("%s: cached answer's check %+v, first run's %+v", first[i].ID, second[i].Groundedness, first[i].Groundedness)
		}
	}

	// The same results without the groundedness columns.
	old := filepath.Join(t.TempDir(), "results.parquet")
	dropColumns(t, filepath.Join(out, "results.parquet"), old, datasets.GroundednessColumns)
	if rs, _, err := datasets.ReadResults(old); err != nil || len(rs) != len(first) || rs[0].Groundedness != nil {
		t.Fatalf("the stripped file: %d results, err %v", len(rs), err)
	}
	scoreNew, scoreOld := t.TempDir(), t.TempDir()
	for _, s := range [][2]string{{filepath.Join(out, "results.parquet"), scoreNew}, {old, scoreOld}} {
		args := []string{"score", "-c", quickstartConfig, "--results", s[0], "--baseline", filepath.Join(out, "production-results.parquet"), "--out", s[1]}
		if res := runCLI(t, context.Background(), env, args...); res.code != exitOK && res.code != exitBlock {
			t.Fatalf("score %s: exit %d\n%s", s[0], res.code, res.stderr)
		}
	}
	a, b := readReport(t, scoreNew), readReport(t, scoreOld)
	if a.Candidate.ResultsSHA256 == b.Candidate.ResultsSHA256 {
		t.Fatal("the stripped file has the same digest")
	}
	a.Candidate.ResultsSHA256, b.Candidate.ResultsSHA256 = "", ""
	if got, want := runOnly(t, b), runOnly(t, a); string(got) != string(want) {
		t.Errorf("the file without the columns scores differently:\n%s", firstDiff(got, want))
	}
}

// dropColumns copies the Parquet file src to dst without the named
// top-level columns, as a file written before they existed.
func dropColumns(t *testing.T, src, dst string, drop []string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	group := parquet.Group{}
	leafMap := map[int]int{} // old leaf → new leaf
	for _, fd := range pf.Schema().Fields() {
		if !slices.Contains(drop, fd.Name()) {
			group[fd.Name()] = fd
		}
	}
	schema := parquet.NewSchema("evalgate_results", group)
	for oldIdx, path := range pf.Schema().Columns() {
		if slices.Contains(drop, path[0]) {
			continue
		}
		leaf, ok := schema.Lookup(path...)
		if !ok {
			t.Fatalf("column %v lost", path)
		}
		leafMap[oldIdx] = leaf.ColumnIndex
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w := parquet.NewWriter(out, schema)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		buf := make([]parquet.Row, 64)
		for {
			n, err := rows.ReadRows(buf)
			for _, r := range buf[:n] {
				var nr parquet.Row
				for _, v := range r {
					if to, ok := leafMap[v.Column()]; ok {
						nr = append(nr, v.Level(v.RepetitionLevel(), v.DefinitionLevel(), to))
					}
				}
				slices.SortStableFunc(nr, func(a, b parquet.Value) int { return a.Column() - b.Column() })
				if _, err := w.WriteRows([]parquet.Row{nr}); err != nil {
					t.Fatal(err)
				}
			}
			if err != nil {
				break
			}
		}
		rows.Close()
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestGroundednessColumnsRedacted replays answers whose unsupported claims
// hold an email address and a phone number: with pii.redact the column
// holds the claims redacted and neither value appears in results.parquet;
// without it, the claims hold them (so the check above can fail).
func TestGroundednessColumnsRedacted(t *testing.T) {
	const email, phone = "jane.doe@example.com", "415-555-0199"
	set := filepath.Join(t.TempDir(), "set.parquet")
	items := []records.Item{
		{ID: "a", Input: "How long do refunds take?", Context: []string{"Refunds are paid within 14 days of the return."},
			Output: "Refunds are paid within 14 days. Write to " + email + " or call " + phone + " to speed them up."},
		{ID: "b", Input: "Where is the office?", Context: []string{"The office is in Lyon, at 4 Rue de la République."},
			Output: "The office is in Lyon."},
	}
	f, err := os.Create(set)
	if err != nil {
		t.Fatal(err)
	}
	if err := datasets.WriteItems(f, items, nil, nil); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, redact := range []bool{true, false} {
		t.Run(fmt.Sprint("redact ", redact), func(t *testing.T) {
			cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: replay}\ngroundedness: {method: lexical}\npii: {redact: %v}\n", set, redact))
			out := t.TempDir()
			if res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--out", out, "--quiet", "--no-gate"); res.code != exitOK {
				t.Fatalf("run: exit %d\n%s", res.code, res.stderr)
			}
			results := checkLexicalColumns(t, set, out, redact)
			if g := results[0].Groundedness; g == nil || g.Verdict != records.GroundedHallucinated {
				t.Fatalf("answer a: groundedness %+v, want hallucinated", g)
			}
			claims := strings.Join(results[0].Groundedness.Unsupported, "\n")
			raw, err := os.ReadFile(filepath.Join(out, "results.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []string{email, phone} {
				switch {
				case redact && (strings.Contains(claims, v) || strings.Contains(string(raw), v)):
					t.Errorf("results.parquet holds %q (claims %q)", v, claims)
				case !redact && !strings.Contains(claims, v):
					t.Errorf("unredacted claims %q lack %q", claims, v)
				}
			}
			if redact && !strings.Contains(claims, "[") {
				t.Errorf("redacted claims %q hold no placeholder", claims)
			}
		})
	}
}

// TestJudgeGroundednessColumns runs the judge method: the rewritten
// results.parquet holds the judge's verdict for every judged answer (the
// dollar claims unsupported, the warranty answers judge errors), the
// answers without claims keep their lexical check, and the report's
// results_sha256 is the final file's.
func TestJudgeGroundednessColumns(t *testing.T) {
	srv, _ := judgeServer(t)
	cfg := writeConfig(t, judgedConfig(mustAbs(t, exampleSet), srv.URL, ""))
	out := t.TempDir()
	if res := runCLI(t, context.Background(), map[string]string{"XDG_CACHE_HOME": t.TempDir()}, "run", "-c", cfg, "--out", out, "--quiet"); res.code != exitBlock {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	path := filepath.Join(out, "results.parquet")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	rep := readReport(t, out)
	if rep.Candidate.ResultsSHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("report results_sha256 %s, the file's is %x", rep.Candidate.ResultsSHA256, sum)
	}
	results, _, err := datasets.ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	contexts := setContexts(t, exampleSet)
	verdicts := map[string]int{}
	for _, res := range results {
		g := res.Groundedness
		claims := integrity.SplitClaims(res.Output)
		ctx := strings.ToLower(strings.Join(contexts[res.ID], "\n"))
		if res.Error != "" || len(ctx) == 0 {
			if g != nil {
				t.Errorf("%s: groundedness %+v, want none", res.ID, g)
			}
			continue
		}
		if len(claims) == 0 {
			if g == nil || g.Method != integrity.GroundLexical {
				t.Errorf("%s: no claims, groundedness %+v: want the lexical check kept", res.ID, g)
			}
			continue
		}
		var dollars []string
		for _, c := range claims {
			if strings.Contains(c, "$") {
				dollars = append(dollars, c)
			}
		}
		want := &records.Groundedness{Method: integrity.GroundJudge, Verdict: records.GroundedSupported}
		switch {
		case strings.Contains(ctx, "warranty") || strings.Contains(strings.ToLower(res.Output), "warranty"):
			want = integrity.JudgeErrorGroundedness()
		case len(dollars) > 0:
			want.Verdict, want.Unsupported = records.GroundedHallucinated, dollars
			want.Score = 1 - float64(len(claims)-len(dollars))/float64(len(claims))
		}
		if g != nil && want.Verdict == records.GroundedSupported && g.Verdict == records.GroundedAbstained {
			want.Verdict = records.GroundedAbstained
		}
		if !reflect.DeepEqual(g, want) {
			t.Errorf("%s: groundedness %+v, want %+v", res.ID, g, want)
		}
		verdicts[want.Verdict]++
	}
	if verdicts[records.GroundedHallucinated] == 0 || verdicts[records.GroundedJudgeError] == 0 || verdicts[records.GroundedSupported] == 0 {
		t.Errorf("verdicts %v: want some of each", verdicts)
	}
}
