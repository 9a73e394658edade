package datasets

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

func sampleResults() []records.Result {
	return []records.Result{
		{
			ID: "q-1", Sample: 0, Model: "gpt-x@2026-01", Output: "14 days", Attempts: 1, LatencyMS: 812.5,
			PromptTokens: 120, CompletionTokens: 4, Confidence: 0.83, Task: "billing", Expected: "14 days",
			Groups: map[string]string{"gender": "female", "age_band": "18-29"},
			Scores: map[string]float64{"exact": 1, "f1": 1},
			Groundedness: &records.Groundedness{Method: "lexical", Score: 0.75, Verdict: records.GroundedHallucinated,
				Unsupported: []string{"It costs $40.", "Ünïcödé ✓, [REDACTED_EMAIL]"}},
		},
		{
			ID: "q-1", Sample: 1, Model: "gpt-x@2026-01", Error: "http 500: upstream", ErrorKind: "http_500", HTTPStatus: 500, Attempts: 4,
			LatencyMS: 30000, Task: "billing", Expected: "14 days",
			Groups: map[string]string{"gender": "female", "age_band": "18-29"},
			Scores: map[string]float64{"exact": 0}, // f1 missing: written as null
		},
		{ID: "q-2", Model: "m", Output: "Ünïcödé ✓", Truncated: true, Cached: true, Groups: map[string]string{"gender": "", "age_band": "65+"}, Scores: map[string]float64{"exact": 0.5, "f1": 0.25},
			Groundedness: &records.Groundedness{Method: "judge", Verdict: records.GroundedSupported, Escalated: true}},
		{ID: "q-3", Model: "m", Output: "I don't know", Groups: map[string]string{"gender": "male", "age_band": "65+"}, Scores: map[string]float64{"exact": 0, "f1": 0},
			Groundedness: &records.Groundedness{Method: "lexical", Verdict: records.GroundedAbstained}},
	}
}

func TestResultsRoundTrip(t *testing.T) {
	groups := []string{"gender", "age_band"}
	scores := []string{"exact", "f1"}
	tests := []struct {
		name           string
		results        []records.Result
		groups, scores []string
	}{
		{"sample", sampleResults(), groups, scores},
		{"no rows", nil, groups, scores},
		{"no groups or scores", []records.Result{{ID: "a", Model: "m", Attempts: 1}}, nil, nil},
		{"group named like a score column", []records.Result{{ID: "a", Groups: map[string]string{"score_note": "x"}}}, []string{"score_note"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			meta := map[string]string{"evalgate.run": "r1"}
			if err := WriteResults(&buf, tt.results, tt.groups, tt.scores, meta); err != nil {
				t.Fatal(err)
			}
			path := writeBytes(t, buf.Bytes())
			got, gotMeta, err := ReadResults(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.results) {
				t.Fatalf("got %d results, want %d", len(got), len(tt.results))
			}
			for i := range got {
				want := tt.results[i]
				if len(tt.groups) == 0 {
					want.Groups = nil
				}
				if len(tt.scores) == 0 {
					want.Scores = nil
				}
				if !reflect.DeepEqual(got[i], want) {
					t.Errorf("result %d:\n got %#v\nwant %#v", i, got[i], want)
				}
			}
			if gotMeta["evalgate.run"] != "r1" {
				t.Errorf("metadata = %v", gotMeta)
			}

			// Every column is flat, as DuckDB and pandas read it directly.
			rep, err := Inspect(path)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, c := range rep.Columns {
				names = append(names, c.Name+":"+c.Type)
			}
			want := "id:string sample:int64 model:string output:string error:string error_kind:string http_status:int64 attempts:int64 latency_ms:double prompt_tokens:int64 completion_tokens:int64 confidence:double task:string expected:string truncated:int64 cached:int64" +
				" groundedness_method:string groundedness_score:double groundedness_verdict:string groundedness_escalated:bool unsupported_claims:list<string>"
			for _, g := range tt.groups {
				want += " " + g + ":string"
			}
			for _, s := range tt.scores {
				want += " score_" + s + ":double"
			}
			if got := strings.Join(names, " "); got != want {
				t.Errorf("columns\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestResultsConfidence checks the confidence column: written as null
// when records.Result.Confidence is 0 (not measured) and as the value otherwise,
// read back by both the columnar decoder and row assembly; a file written
// before the column existed reads as 0.
func TestResultsConfidence(t *testing.T) {
	results := []records.Result{
		{ID: "a", Confidence: 0.25},
		{ID: "b"},
		{ID: "c", Confidence: 1},
		{ID: "d", Confidence: math.SmallestNonzeroFloat64},
	}
	var buf bytes.Buffer
	if err := WriteResults(&buf, results, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	path := writeBytes(t, buf.Bytes())
	older := writeTestFile(t, "older.parquet",
		[]parquet.Field{named("id", parquet.String()), named("latency_ms", parquet.Leaf(parquet.DoubleType))},
		[]parquet.Row{row(str("a"), func(col int) []parquet.Value { return []parquet.Value{parquet.DoubleValue(12).Level(0, 0, col)} })})
	for _, rows := range []bool{false, true} {
		rowResults = rows
		got, _, err := ReadResults(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := range results {
			if got[i].Confidence != results[i].Confidence {
				t.Errorf("row assembly %v: result %d: confidence %v, want %v", rows, i, got[i].Confidence, results[i].Confidence)
			}
		}
		old, _, err := ReadResults(older)
		if err != nil {
			t.Fatal(err)
		}
		if want := []records.Result{{ID: "a", LatencyMS: 12}}; !reflect.DeepEqual(old, want) {
			t.Errorf("row assembly %v: file without confidence: got %#v, want %#v", rows, old, want)
		}
	}
	rowResults = false

	// The stored column: nullable double, null exactly where Confidence is 0.
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	col, ok := f.Schema().Lookup("confidence")
	if !ok || !col.Node.Optional() || col.Node.Type().Kind() != parquet.Double {
		t.Fatalf("confidence column: found %v, optional %v", ok, ok && col.Node.Optional())
	}
	rows := make([]parquet.Row, len(results))
	n, _ := f.RowGroups()[0].Rows().ReadRows(rows)
	for i, r := range rows[:n] {
		v := r[col.ColumnIndex]
		if v.IsNull() != (results[i].Confidence == 0) || !v.IsNull() && v.Double() != results[i].Confidence {
			t.Errorf("row %d: stored %v, want confidence %v (null when 0)", i, v, results[i].Confidence)
		}
	}
}

func TestWriteResultsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	meta := map[string]string{"z": "1", "a": "2"}
	for _, buf := range []*bytes.Buffer{&a, &b} {
		if err := WriteResults(buf, sampleResults(), []string{"gender", "age_band"}, []string{"exact", "f1"}, meta); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two writes of the same results gave different bytes")
	}
}

func TestWriteResultsErrors(t *testing.T) {
	one := []records.Result{{ID: "a"}}
	tests := []struct {
		name           string
		results        []records.Result
		groups, scores []string
		want           string
	}{
		{"group collides with a fixed column", nil, []string{"model"}, nil, `group "model": column "model" is already a fixed column`},
		{"group repeated", nil, []string{"g", "g"}, nil, `group "g": column "g" is already group g`},
		{"group collides with a score", nil, []string{"score_f1"}, []string{"f1"}, `score "f1": column "score_f1" is already group score_f1`},
		{"empty group", nil, []string{""}, nil, "group: empty name"},
		{"empty score", nil, nil, []string{""}, "score: empty name"},
		{"invalid UTF-8 group name", nil, []string{"\xff"}, nil, `group "\xff": invalid UTF-8`},
		{"undeclared group", []records.Result{{ID: "a", Groups: map[string]string{"g": "1"}}}, nil, nil,
			`row 0 (0-based), column "g": group is in records.Result.Groups but not in groups`},
		{"undeclared score", []records.Result{{ID: "a", Scores: map[string]float64{"f1": 1}}}, nil, nil,
			`row 0 (0-based), column "score_f1": score is in records.Result.Scores but not in scores`},
		{"invalid UTF-8 output", append(one, records.Result{ID: "b", Output: "a\xffb"}), nil, nil,
			`row 1 (0-based), column "output": invalid UTF-8 at byte 1 of a 3-byte value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteResults(&bytes.Buffer{}, tt.results, tt.groups, tt.scores, nil)
			if err == nil {
				t.Fatal("got no error")
			}
			if want := "write results: " + tt.want; err.Error() != want {
				t.Errorf("got  %q\nwant %q", err, want)
			}
		})
	}
}

func TestReadResultsErrors(t *testing.T) {
	tests := []struct {
		name     string
		fields   []parquet.Field
		rows     []parquet.Row
		sentinel error
		row      int64
		column   string
	}{
		{"missing id", []parquet.Field{named("model", parquet.String())}, []parquet.Row{row(str("m"))}, ErrMissingColumn, -1, "id"},
		{"sample is a string", []parquet.Field{named("id", parquet.String()), named("sample", parquet.String())},
			[]parquet.Row{row(str("a"), str("0"))}, ErrWrongType, -1, "sample"},
		{"score is an integer", []parquet.Field{named("id", parquet.String()), named("score_f1", parquet.Int(64))},
			[]parquet.Row{row(str("a"), int64At(0, 1))}, ErrWrongType, -1, "score_f1"},
		{"null id", []parquet.Field{named("id", parquet.Optional(parquet.String()))}, []parquet.Row{row(opt("a")), row(null())}, ErrNullID, 1, "id"},
		{"invalid UTF-8 group", []parquet.Field{named("id", parquet.String()), named("g", parquet.Optional(parquet.String()))},
			[]parquet.Row{row(str("a"), opt("\xff"))}, ErrInvalidUTF8, 0, "g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeTestFile(t, "results.parquet", tt.fields, tt.rows)
			_, _, err := ReadResults(path)
			wantRowError(t, err, tt.sentinel, tt.row, tt.column)
			if !strings.HasPrefix(err.Error(), "read results: "+path+": ") {
				t.Errorf("error %q does not start with the operation and file", err)
			}
		})
	}
}

// TestReadResultsForeign reads a results file written by another tool with
// narrower types: INT32 integers and FLOAT scores, nulls in numbers.
func TestReadResultsForeign(t *testing.T) {
	fields := []parquet.Field{
		named("id", parquet.Optional(parquet.String())),
		named("attempts", parquet.Optional(parquet.Int(32))),
		named("latency_ms", parquet.Optional(parquet.Leaf(parquet.FloatType))),
		named("score_exact", parquet.Optional(parquet.Leaf(parquet.FloatType))),
		named("note", parquet.Optional(parquet.Int(64))), // ignored
	}
	i32 := func(def int, n int32) cell {
		return func(col int) []parquet.Value { return []parquet.Value{parquet.Int32Value(n).Level(0, def, col)} }
	}
	f32 := func(def int, x float32) cell {
		return func(col int) []parquet.Value { return []parquet.Value{parquet.FloatValue(x).Level(0, def, col)} }
	}
	rows := []parquet.Row{
		row(opt("a"), i32(1, 3), f32(1, 1.5), f32(1, 0.5), null()),
		row(opt("b"), null(), null(), null(), int64At(1, 9)),
	}
	got, _, err := ReadResults(writeTestFile(t, "foreign.parquet", fields, rows))
	if err != nil {
		t.Fatal(err)
	}
	want := []records.Result{
		{ID: "a", Attempts: 3, LatencyMS: 1.5, Scores: map[string]float64{"exact": 0.5}},
		{ID: "b", Scores: map[string]float64{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
}

func FuzzResultsRoundTrip(f *testing.F) {
	f.Add("q-1", "out", "err", "female", 0, 3, 812.5, 1.0, true, "It costs $4.")
	f.Add("", "", "", "", -1, 0, math.Inf(1), math.NaN(), false, "")
	f.Add("ü\x00", "\u2028", "a\nb", "\xff", 1<<40, -7, -0.0, 0.5, true, "\xfe")
	f.Fuzz(func(t *testing.T, id, output, errMsg, group string, sample, attempts int, latency, score float64, hasScore bool, claim string) {
		r := records.Result{ID: id, Sample: sample, Model: "m", Output: output, Error: errMsg, Attempts: attempts,
			LatencyMS: latency, Confidence: score, Groups: map[string]string{"g": group}, Scores: map[string]float64{}}
		if hasScore {
			r.Scores["s"] = score
		}
		// A groundedness check with the claim, when there is one; none
		// otherwise (all its columns null).
		if claim != "" {
			r.Groundedness = &records.Groundedness{Method: "lexical", Score: 0.5, Verdict: records.GroundedHallucinated, Escalated: hasScore, Unsupported: []string{claim, claim}}
		}
		var buf bytes.Buffer
		err := WriteResults(&buf, []records.Result{r}, []string{"g"}, []string{"s"}, nil)
		if !(utf8.ValidString(id) && utf8.ValidString(output) && utf8.ValidString(errMsg) && utf8.ValidString(group) && utf8.ValidString(claim)) {
			if !errors.Is(err, ErrInvalidUTF8) {
				t.Fatalf("WriteResults of invalid UTF-8: got %v, want ErrInvalidUTF8", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := ReadResults(writeBytes(t, buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("got %d results, want 1", len(got))
		}
		g := got[0]
		// Compare floats by their bits, so that NaN and -0 round-trip too.
		same := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
		gs, gok := g.Scores["s"]
		if !same(g.LatencyMS, latency) || gok != hasScore || (hasScore && !same(gs, score)) {
			t.Fatalf("floats: got latency %v, score %v (%v); want %v, %v (%v)", g.LatencyMS, gs, gok, latency, score, hasScore)
		}
		// Confidence 0 (either sign) is "not measured", stored as null.
		if wantConf := score; !(score == 0 && g.Confidence == 0 && !math.Signbit(g.Confidence)) && !same(g.Confidence, wantConf) {
			t.Fatalf("confidence: got %v, want %v", g.Confidence, wantConf)
		}
		g.LatencyMS, r.LatencyMS = 0, 0
		g.Confidence, r.Confidence = 0, 0
		g.Scores, r.Scores = nil, nil
		if !reflect.DeepEqual(g, r) {
			t.Fatalf("got  %#v\nwant %#v", g, r)
		}
	})
}
