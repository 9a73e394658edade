package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"gonum.org/v1/gonum/stat/distuv"
)

// testLogBase is the timestamp of row 0 of a generated log; row i is
// testLogStep·i later.
var testLogBase = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)

const testLogStep = 37 * time.Second

// logRow is row i of a generated log: what Sample must copy.
type logRow struct {
	id, input, output, modelVersion string
	context                         []string // nil for null
	ts                              time.Time
	tsNull                          bool
	locale                          string
	localeNull                      bool
	latency                         float64
	tokens                          int64
	tokensNull                      bool
}

func genLogRow(i, n int) logRow {
	r := logRow{
		id:      fmt.Sprintf("r-%05d", i),
		input:   fmt.Sprintf("How do I reset my password, case %d?", i),
		output:  fmt.Sprintf("Open Settings, case %d.", i),
		ts:      testLogBase.Add(time.Duration(i) * testLogStep),
		tsNull:  i%97 == 5,
		latency: 100 + float64(i%50)/4,
		tokens:  int64(i % 1000),
	}
	r.modelVersion = "v1"
	if i >= n/2 {
		r.modelVersion = "v2"
	}
	switch i % 50 {
	case 7:
	case 8:
		r.context = []string{}
	default:
		r.context = []string{fmt.Sprintf("passage %d", i), "shared passage"}
	}
	switch m := i % 20; {
	case i%101 == 3:
		r.localeNull = true
	case m < 10:
		r.locale = "en"
	case m < 16:
		r.locale = "es"
	case m < 19:
		r.locale = "de"
	default:
		r.locale = "fr"
	}
	r.tokensNull = i%10 == 0
	return r
}

// writeLogs writes n generated rows with the timestamp column in the
// given shape: us (DuckDB's TIMESTAMP), ms, ns, int96, date, string, or
// int64 (no annotation). A struct column "meta" cannot be copied.
func writeLogs(t testing.TB, n int, tsShape string) string {
	t.Helper()
	var tsNode parquet.Node
	switch tsShape {
	case "us":
		tsNode = parquet.TimestampAdjusted(parquet.Microsecond, false)
	case "ms":
		tsNode = parquet.Timestamp(parquet.Millisecond)
	case "ns":
		tsNode = parquet.Timestamp(parquet.Nanosecond)
	case "int96":
		tsNode = parquet.Leaf(parquet.Int96Type)
	case "date":
		tsNode = parquet.Date()
	case "string":
		tsNode = parquet.String()
	case "int64":
		tsNode = parquet.Int(64)
	default:
		t.Fatalf("unknown timestamp shape %q", tsShape)
	}
	fields := []parquet.Field{
		named("id", parquet.Optional(parquet.String())),
		named("timestamp", parquet.Optional(tsNode)),
		named("input", parquet.Optional(parquet.String())),
		named("context", optionalStringList()),
		named("output", parquet.Optional(parquet.String())),
		named("model_version", parquet.Optional(parquet.String())),
		named("locale", parquet.Optional(parquet.String())),
		named("latency_ms", parquet.Optional(parquet.Leaf(parquet.DoubleType))),
		named("tokens", parquet.Optional(parquet.Leaf(parquet.Int32Type))),
		named("meta", parquet.Optional(parquet.Group{"a": parquet.Int(64)})),
	}
	rows := make([]parquet.Row, n)
	for i := range rows {
		r := genLogRow(i, n)
		ts := null()
		if !r.tsNull {
			switch tsShape {
			case "us":
				ts = logCell(parquet.Int64Value(r.ts.UnixMicro()))
			case "ms":
				ts = logCell(parquet.Int64Value(r.ts.UnixMilli()))
			case "ns", "int64":
				ts = logCell(parquet.Int64Value(r.ts.UnixNano()))
			case "int96":
				day := r.ts.Unix() / 86400
				nanos := uint64(r.ts.UnixNano() - day*86400e9)
				ts = logCell(parquet.Int96Value(deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(day + julianUnixEpoch)}))
			case "date":
				ts = logCell(parquet.Int32Value(int32(r.ts.Unix() / 86400)))
			case "string":
				ts = opt(r.ts.Format("2006-01-02 15:04:05"))
			}
		}
		ctx := null()
		if r.context != nil {
			ctx = list(2, r.context...)
			if len(r.context) == 0 {
				ctx = nullAt(1)
			}
		}
		locale := opt(r.locale)
		if r.localeNull {
			locale = null()
		}
		tokens := logCell(parquet.Int32Value(int32(r.tokens)))
		if r.tokensNull {
			tokens = null()
		}
		rows[i] = row(opt(r.id), ts, opt(r.input), ctx, opt(r.output), opt(r.modelVersion), locale,
			logCell(parquet.DoubleValue(r.latency)), tokens, logCell(parquet.Int64Value(int64(i))))
	}
	return writeTestFile(t, "logs-"+tsShape+".parquet", fields, rows, parquet.MaxRowsPerRowGroup(700))
}

// shapeTime is the timestamp that a row's ts reads back as in a shape.
func shapeTime(ts time.Time, shape string) time.Time {
	if shape == "date" {
		return ts.Truncate(24 * time.Hour)
	}
	return ts
}

// readSample reads back every column of a sample Sample wrote.
func readSample(t *testing.T, data []byte) (cols []LogColumn, rows [][]LogValue, info Info) {
	t.Helper()
	path := writeBytes(t, data)
	f, err := OpenLogs(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cols = f.Columns()
	idx := make([]int, len(cols))
	for i := range idx {
		idx[i] = i
	}
	r, err := f.Rows(idx)
	if err != nil {
		t.Fatal(err)
	}
	for r.Scan() {
		row := make([]LogValue, len(cols))
		for i := range cols {
			if row[i], err = r.Value(i); err != nil {
				t.Fatal(err)
			}
		}
		rows = append(rows, row)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return cols, rows, f.Info()
}

func TestSample(t *testing.T) {
	const n = 2000
	since := testLogBase.Add(300 * testLogStep)
	until := testLogBase.Add(1700 * testLogStep)
	tests := []struct {
		name  string
		shape string
		opts  SampleOptions
		// warn lists substrings of the warnings, in order.
		warn []string
	}{
		{"uniform", "us", SampleOptions{N: 100, Seed: 1}, []string{`column "meta" is not copied`}},
		{"uniform, one row", "us", SampleOptions{N: 1, Seed: 2}, nil},
		{"n above the rows", "us", SampleOptions{N: 5000, Seed: 3}, []string{"asked for 5000 rows but only 2000 are eligible"}},
		{"window on micros", "us", SampleOptions{N: 150, Seed: 4, Since: since, Until: until}, []string{"rows have a null timestamp"}},
		{"window on millis", "ms", SampleOptions{N: 150, Seed: 4, Since: since, Until: until}, nil},
		{"window on nanos", "ns", SampleOptions{N: 150, Seed: 4, Since: since, Until: until}, nil},
		{"window on INT96", "int96", SampleOptions{N: 150, Seed: 4, Since: since, Until: until}, nil},
		{"window on dates", "date", SampleOptions{N: 150, Seed: 4, Since: testLogBase, Until: testLogBase.AddDate(0, 0, 1)}, nil},
		{"window on strings", "string", SampleOptions{N: 150, Seed: 4, Since: since, Until: until}, nil},
		{"since only", "us", SampleOptions{N: 50, Seed: 5, Since: since}, nil},
		{"until only", "us", SampleOptions{N: 50, Seed: 5, Until: until}, nil},
		{"stratified", "us", SampleOptions{N: 200, Seed: 6, Stratify: "locale"}, nil},
		{"stratified in a window", "ms", SampleOptions{N: 90, Seed: 7, Stratify: "locale", Since: since, Until: until}, nil},
		{"stratified, small strata get nothing", "us", SampleOptions{N: 20, Seed: 8, Stratify: "locale"}, []string{`strata of locale got no row under proportional allocation: (null)`}},
		{"stratified by an integer", "us", SampleOptions{N: 40, Seed: 9, Stratify: "tokens"}, nil},
		{"stratified, n above the rows", "us", SampleOptions{N: 3000, Seed: 10, Stratify: "model_version"}, []string{"only 2000 are eligible"}},
		{"named", "us", SampleOptions{N: 10, Seed: 11, Name: "weekly", Version: "2026-w40"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeLogs(t, n, tt.shape)
			var buf bytes.Buffer
			res, err := Sample(path, &buf, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkSample(t, path, tt.shape, n, tt.opts, res, buf.Bytes())
			for i, w := range tt.warn {
				if i >= len(res.Warnings) || !strings.Contains(res.Warnings[i].Error(), w) {
					t.Errorf("warnings %q: want #%d to contain %q", res.Warnings, i, w)
				}
			}
			// The same file and options give the same bytes.
			var again bytes.Buffer
			if _, err := Sample(path, &again, tt.opts); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), again.Bytes()) {
				t.Error("a second sample with the same seed differs")
			}
		})
	}
}

// checkSample checks a sample against the generated log it came from.
func checkSample(t *testing.T, path, shape string, n int, opts SampleOptions, res *SampleResult, data []byte) {
	t.Helper()
	eligible := func(r logRow) bool {
		if opts.Since.IsZero() && opts.Until.IsZero() {
			return true
		}
		ts := shapeTime(r.ts, shape)
		return !r.tsNull && !ts.Before(opts.Since) && (opts.Until.IsZero() || ts.Before(opts.Until))
	}
	stratum := func(r logRow) string {
		switch opts.Stratify {
		case "locale":
			if r.localeNull {
				return "(null)"
			}
			return r.locale
		case "tokens":
			if r.tokensNull {
				return "(null)"
			}
			return strconv.FormatInt(r.tokens, 10)
		case "model_version":
			return r.modelVersion
		}
		return ""
	}
	var nEligible int64
	perStratum := map[string]int64{}
	for i := range n {
		if r := genLogRow(i, n); eligible(r) {
			nEligible++
			perStratum[stratum(r)]++
		}
	}
	wantRows := min(int64(opts.N), nEligible)
	if res.RowsSeen != int64(n) || res.RowsEligible != nEligible || res.RowsSampled != wantRows {
		t.Errorf("seen %d, eligible %d, sampled %d; want %d, %d, %d", res.RowsSeen, res.RowsEligible, res.RowsSampled, n, nEligible, wantRows)
	}

	cols, rows, info := readSample(t, data)
	wantCols := []string{"id", "input", "system", "context", "expected", "expected_any", "task", "must_not_contain",
		"output", "model_version", "timestamp", "locale", "latency_ms", "tokens"}
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, wantCols) || !slices.Equal(res.Columns, wantCols) {
		t.Fatalf("columns %v (result says %v), want %v", names, res.Columns, wantCols)
	}
	if int64(len(rows)) != wantRows {
		t.Fatalf("%d rows written, want %d", len(rows), wantRows)
	}
	gotStrata := map[string]int64{}
	prev := -1
	for _, row := range rows {
		i, err := strconv.Atoi(strings.TrimPrefix(row[0].Str, "r-"))
		if err != nil {
			t.Fatalf("id %q", row[0].Str)
		}
		if i <= prev {
			t.Fatalf("row %d after row %d: not in file order", i, prev)
		}
		prev = i
		r := genLogRow(i, n)
		if !eligible(r) {
			t.Errorf("row %d (%v) is not eligible", i, r.ts)
		}
		gotStrata[stratum(r)]++
		ts := row[10]
		if shape != "string" && (ts.Null != r.tsNull || (!r.tsNull && !ts.Time.Equal(shapeTime(r.ts, shape)))) {
			t.Errorf("row %d: timestamp %+v, want %v (null %v)", i, ts, r.ts, r.tsNull)
		}
		if shape == "string" && ts.Str != r.ts.Format("2006-01-02 15:04:05") {
			t.Errorf("row %d: timestamp %q", i, ts.Str)
		}
		ctxOK := slices.Equal(row[3].List, r.context) && (row[3].List == nil) == (r.context == nil)
		tokensOK := row[13].Null == r.tokensNull && (r.tokensNull || row[13].Int == r.tokens)
		if row[1].Str != r.input || !ctxOK || row[8].Str != r.output || row[9].Str != r.modelVersion ||
			row[11].Str != r.locale || row[11].Null != r.localeNull || row[12].Float != r.latency ||
			!tokensOK || !row[2].Null || !row[4].Null {
			t.Errorf("row %d: input %q context %q output %q model %q locale %q (null %v) latency %v tokens %d (null %v)\nwant %+v",
				i, row[1].Str, row[3].List, row[8].Str, row[9].Str, row[11].Str, row[11].Null, row[12].Float, row[13].Int, row[13].Null, r)
		}
	}
	if opts.Stratify != "" {
		var sizes []int64
		var keys []string
		for _, st := range res.Strata {
			key := st.Value
			if st.Null {
				key = "(null)"
			}
			keys = append(keys, key)
			sizes = append(sizes, st.Eligible)
			if st.Eligible != perStratum[key] || st.Sampled != gotStrata[key] {
				t.Errorf("stratum %s: eligible %d, sampled %d; the file has %d eligible and the sample %d",
					key, st.Eligible, st.Sampled, perStratum[key], gotStrata[key])
			}
		}
		if len(res.Strata) != len(perStratum) {
			t.Errorf("%d strata, want %d", len(res.Strata), len(perStratum))
		}
		for i, want := range allocateProportional(int64(opts.N), sizes) {
			if res.Strata[i].Sampled != want {
				t.Errorf("stratum %s: sampled %d, want %d by proportional allocation", keys[i], res.Strata[i].Sampled, want)
			}
		}
	}

	// Metadata: identity, provenance, counts.
	md := info.Metadata
	src, _ := os.ReadFile(path)
	wantName, wantVersion := opts.Name, opts.Version
	if wantName == "" {
		wantName = strings.TrimSuffix(filepath.Base(path), ".parquet") + "-sample"
	}
	if wantVersion == "" {
		wantVersion = fmt.Sprintf("%x", sha256.Sum256(src))[:12] + "-seed" + strconv.FormatUint(opts.Seed, 10)
	}
	method := SampleReservoir
	if opts.Stratify != "" {
		method = SampleStratifiedReservoir
	}
	want := map[string]string{
		MetaName:               wantName,
		MetaVersion:            wantVersion,
		MetaSampleSourceSHA256: fmt.Sprintf("%x", sha256.Sum256(src)),
		MetaSampleSource:       filepath.Base(path),
		MetaSampleRowsSeen:     strconv.Itoa(n),
		MetaSampleRowsEligible: strconv.FormatInt(nEligible, 10),
		MetaSampleRowsSampled:  strconv.FormatInt(wantRows, 10),
		MetaSampleSince:        formatBound(opts.Since),
		MetaSampleUntil:        formatBound(opts.Until),
		MetaSampleSeed:         strconv.FormatUint(opts.Seed, 10),
		MetaSampleN:            strconv.Itoa(opts.N),
		MetaSampleStratify:     opts.Stratify,
		MetaSampleMethod:       method,
		MetaSampleDropped:      `["meta"]`,
	}
	for k, v := range want {
		if md[k] != v {
			t.Errorf("metadata %s = %q, want %q", k, md[k], v)
		}
	}
	var strata []struct {
		Value    *string
		Eligible int64
		Sampled  int64
	}
	if err := json.Unmarshal([]byte(md[MetaSampleStrata]), &strata); err != nil || len(strata) != len(res.Strata) {
		t.Errorf("metadata strata %s (%v), want %d strata", md[MetaSampleStrata], err, len(res.Strata))
	}
	var warnings []string
	if err := json.Unmarshal([]byte(md[MetaSampleWarnings]), &warnings); err != nil || len(warnings) != len(res.Warnings) {
		t.Errorf("metadata warnings %s (%v), want %d", md[MetaSampleWarnings], err, len(res.Warnings))
	}
	// The sample is a valid eval set.
	if probs, err := Validate(writeBytes(t, data)); err != nil || len(probs) > 0 {
		t.Errorf("Validate: %v %v", err, probs)
	}
}

func TestSampleErrors(t *testing.T) {
	logs := writeLogs(t, 300, "us")
	intTime := writeLogs(t, 50, "int64")
	dates := writeLogs(t, 50, "date")
	dupIDs := writeTestFile(t, "dup.parquet", []parquet.Field{
		named("id", parquet.String()), named("input", parquet.String()),
	}, []parquet.Row{row(str("a"), str("x")), row(str("b"), str("y")), row(str("a"), str("z"))})
	nullID := writeTestFile(t, "nullid.parquet", []parquet.Field{
		named("id", parquet.Optional(parquet.String())), named("input", parquet.String()),
	}, []parquet.Row{row(opt("a"), str("x")), row(null(), str("y"))})
	intIDs := writeTestFile(t, "intids.parquet", []parquet.Field{
		named("id", parquet.Int(64)), named("input", parquet.String()), named("output", parquet.Leaf(parquet.DoubleType)),
	}, []parquet.Row{row(func(col int) []parquet.Value { return []parquet.Value{parquet.Int64Value(42).Level(0, 0, col)} }, str("x"),
		func(col int) []parquet.Value { return []parquet.Value{parquet.DoubleValue(1).Level(0, 0, col)} })})
	noInput := writeTestFile(t, "noinput.parquet", []parquet.Field{
		named("id", parquet.String()), named("prompt", parquet.String()),
	}, []parquet.Row{row(str("a"), str("x"))})
	badContext := writeTestFile(t, "badcontext.parquet", []parquet.Field{
		named("id", parquet.String()), named("input", parquet.String()), named("context", parquet.Int(64)),
	}, []parquet.Row{row(str("a"), str("x"), func(col int) []parquet.Value { return []parquet.Value{parquet.Int64Value(1).Level(0, 0, col)} })})
	badTime := writeTestFile(t, "badtime.parquet", []parquet.Field{
		named("id", parquet.String()), named("input", parquet.String()), named("timestamp", parquet.String()),
	}, []parquet.Row{row(str("a"), str("x"), str("2026-10-01")), row(str("b"), str("y"), str("yesterday"))})
	var manyRows []parquet.Row
	for i := range MaxStrata + 1 {
		manyRows = append(manyRows, row(str(strconv.Itoa(i)), str("q")))
	}
	many := writeTestFile(t, "many.parquet", []parquet.Field{named("id", parquet.String()), named("input", parquet.String())}, manyRows)
	truncated := sharedData(t, "interop", "bad-truncated.parquet")
	late := testLogBase.AddDate(1, 0, 0)

	tests := []struct {
		name     string
		path     string
		opts     SampleOptions
		sentinel error  // nil: not a RowError
		column   string // the RowError's column
		want     []string
	}{
		{"n is zero", logs, SampleOptions{N: 0}, nil, "", []string{"N is 0"}},
		{"since after until", logs, SampleOptions{N: 1, Since: late, Until: testLogBase}, nil, "", []string{"is not before until"}},
		{"missing file", "/nonexistent/logs.parquet", SampleOptions{N: 1}, os.ErrNotExist, "", []string{"/nonexistent/logs.parquet"}},
		{"truncated file", truncated, SampleOptions{N: 1}, ErrCorrupt, "", []string{"bad-truncated.parquet"}},
		{"no stratify column", logs, SampleOptions{N: 5, Stratify: "region"}, ErrMissingColumn, "region",
			[]string{"id, timestamp, input, context, output, model_version, locale, latency_ms, tokens, meta"}},
		{"stratify by a float", logs, SampleOptions{N: 5, Stratify: "latency_ms"}, ErrWrongType, "latency_ms", []string{"string, integer or bool", "double"}},
		{"no time column", logs, SampleOptions{N: 5, Since: testLogBase, TimeColumn: "ts"}, ErrMissingColumn, "ts", []string{"the file's columns are id, timestamp"}},
		{"time without a unit", intTime, SampleOptions{N: 5, Since: testLogBase}, ErrWrongType, "timestamp", []string{"has no unit", "int64"}},
		{"time is a float", logs, SampleOptions{N: 5, Until: late, TimeColumn: "latency_ms"}, ErrWrongType, "latency_ms", []string{"RFC 3339 string"}},
		{"unreadable time string", badTime, SampleOptions{N: 5, Until: late}, nil, "timestamp", []string{"row 1 (0-based)", `"yesterday"`}},
		{"no eligible row", logs, SampleOptions{N: 5, Since: late}, nil, "", []string{"no row is eligible", "timestamp runs from 2026-10-01T00:00:00Z to"}},
		{"dates before since", dates, SampleOptions{N: 5, Since: testLogBase.Add(time.Hour)}, nil, "",
			[]string{"timestamp runs from 2026-10-01T00:00:00Z to 2026-10-01T00:00:00Z, outside [2026-10-01T01:00:00Z, unbounded)"}},
		{"no input column", noInput, SampleOptions{N: 5}, ErrMissingColumn, "input", []string{"the file's columns are id, prompt"}},
		{"output is a number", intIDs, SampleOptions{N: 5}, ErrWrongType, "output", []string{"want string, found double"}},
		{"context of integers", badContext, SampleOptions{N: 5}, ErrWrongType, "context", []string{"string or list<string>"}},
		{"duplicate ids drawn", dupIDs, SampleOptions{N: 3}, ErrDuplicateID, "id", []string{"row 2 (0-based)", `"a" is also the id of row 0`}},
		{"null id drawn", nullID, SampleOptions{N: 2}, ErrNullID, "id", []string{"row 1 (0-based)"}},
		{"too many strata", many, SampleOptions{N: 2, Stratify: "id"}, ErrUnsupported, "id", []string{"more than 10000 distinct values"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Sample(tt.path, &buf, tt.opts)
			if err == nil {
				t.Fatal("no error")
			}
			var re *RowError
			switch {
			case tt.sentinel != nil && !errors.Is(err, tt.sentinel):
				t.Errorf("error %q does not wrap %q", err, tt.sentinel)
			case tt.column != "" && (!errors.As(err, &re) || re.Column != tt.column):
				t.Errorf("error %q: want a RowError on column %q", err, tt.column)
			}
			if !strings.HasPrefix(err.Error(), "sample logs: ") || !containsAll(err.Error(), tt.want...) {
				t.Errorf("error %q: want the prefix \"sample logs: \" and %q", err, tt.want)
			}
			if errors.As(err, &re) && re.File == "" {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// TestSampleProdLogs samples the production-log file that DuckDB wrote
// and checks every copied value against the recipe that made it
// (interop/make-interop.sql).
func TestSampleProdLogs(t *testing.T) {
	path := sharedData(t, "interop", "prod-logs-duckdb.parquet")
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	since, until := base.AddDate(0, 0, 10), base.AddDate(0, 0, 20)
	var buf bytes.Buffer
	res, err := Sample(path, &buf, SampleOptions{N: 401, Seed: 7, Stratify: "locale", Since: since, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	// Rows 23352 to 46702 fall in the window (i·37 s after the base).
	first, last := (10*86400+36)/37, (20*86400-1)/37
	if res.RowsSeen != 100000 || res.RowsEligible != int64(last-first+1) || res.RowsSampled != 401 {
		t.Errorf("seen %d, eligible %d, sampled %d", res.RowsSeen, res.RowsEligible, res.RowsSampled)
	}
	var got []string
	for _, st := range res.Strata {
		got = append(got, fmt.Sprintf("%s %d/%d", st.Value, st.Sampled, st.Eligible))
	}
	if want := []string{"de 101/5838", "en 100/5838", "es 100/5838", "fr 100/5837"}; !slices.Equal(got, want) {
		t.Errorf("strata %v, want %v", got, want)
	}
	cols, rows, _ := readSample(t, buf.Bytes())
	at := map[string]int{}
	for i, c := range cols {
		at[c.Name] = i
	}
	locales := []string{"en", "es", "de", "fr"}
	for _, row := range rows {
		i, err := strconv.Atoi(strings.TrimPrefix(row[at["id"]].Str, "req-"))
		if err != nil {
			t.Fatal(err)
		}
		ts := row[at["timestamp"]].Time
		wantOutput := "Open Settings, then Security, then Reset."
		if i%10 == 0 {
			wantOutput = "Call us at 555-0100 and we will reset it within 24 hours."
		}
		if !ts.Equal(base.Add(time.Duration(i)*testLogStep)) || ts.Before(since) || !ts.Before(until) ||
			row[at["locale"]].Str != locales[i%4] || row[at["latency_ms"]].Float != float64(120+(i%50)*3) ||
			row[at["output"]].Str != wantOutput || row[at["input"]].Str != fmt.Sprintf("How do I reset my password, case %d?", i) ||
			len(row[at["context"]].List) != 1 {
			t.Errorf("row req-%d: %+v", i, row)
		}
	}
}

// TestSamplePinned pins the rows that a seed draws, so that a change to
// the sampler, the random source or its derivations, which would change
// every recorded sample, cannot pass unnoticed.
func TestSamplePinned(t *testing.T) {
	path := sharedData(t, "interop", "prod-logs-duckdb.parquet")
	tests := []struct {
		name string
		opts SampleOptions
		want []string
	}{
		{"uniform", SampleOptions{N: 5, Seed: 7}, []string{"req-10175", "req-20932", "req-45713", "req-49676", "req-93090"}},
		{"stratified", SampleOptions{N: 4, Seed: 7, Stratify: "gender"}, []string{"req-15004", "req-25894", "req-57119", "req-59209"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := Sample(path, &buf, tt.opts); err != nil {
				t.Fatal(err)
			}
			_, rows, _ := readSample(t, buf.Bytes())
			var ids []string
			for _, r := range rows {
				ids = append(ids, r[0].Str)
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("ids %q, want %q", ids, tt.want)
			}
		})
	}
}

// drawRows runs the sampler over rows 0..total-1, offering those for which
// offer is true with the stratum key gives, and returns the chosen rows.
func drawRows(n int, seed uint64, total int, offer func(i int) bool, key func(i int) string) []int64 {
	s := newSampler(n, seed, key != nil)
	for i := range total {
		if !offer(i) {
			continue
		}
		var k []byte
		if key != nil {
			k = []byte(key(i))
		}
		s.offer(int64(i), k, false)
	}
	rows, _ := s.finish()
	return rows
}

// chiSquareBounds returns the quantiles of a chi-square distribution with
// df degrees of freedom at 1e-6 and 1 − 1e-6: a statistic outside them is
// a failure whatever the seeds.
func chiSquareBounds(df int) (lo, hi float64) {
	d := distuv.ChiSquared{K: float64(df)}
	return d.Quantile(1e-6), d.Quantile(1 - 1e-6)
}

// TestReservoirInclusion checks, over many seeds, that each eligible row
// is drawn with probability n/N (Pearson's statistic over the rows, each
// count binomial), that no ineligible row is ever drawn and that no row is
// drawn twice in one sample. Seeds are fixed: the test is deterministic.
func TestReservoirInclusion(t *testing.T) {
	tests := []struct {
		name         string
		total, n     int
		seeds        int
		offer        func(i int) bool
		bins         int // group rows into this many bins of equal size; 0 for one per row
		wantEligible int
	}{
		{"every fourth row ineligible", 400, 30, 5000, func(i int) bool { return i%4 != 0 }, 0, 300},
		{"small reservoir, long stream", 10000, 4, 2500, func(int) bool { return true }, 50, 10000},
		{"n of n+1", 41, 40, 4000, func(int) bool { return true }, 0, 41},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counts := make([]float64, tt.total)
			for seed := range tt.seeds {
				rows := drawRows(tt.n, uint64(seed), tt.total, tt.offer, nil)
				if len(rows) != tt.n {
					t.Fatalf("seed %d: %d rows, want %d", seed, len(rows), tt.n)
				}
				for j, r := range rows {
					if j > 0 && r <= rows[j-1] {
						t.Fatalf("seed %d: rows %v not strictly ascending", seed, rows)
					}
					if !tt.offer(int(r)) {
						t.Fatalf("seed %d: row %d was never offered", seed, r)
					}
					counts[r]++
				}
			}
			p := float64(tt.n) / float64(tt.wantEligible)
			var cells []float64 // counts per eligible row or bin
			per := 1
			if tt.bins > 0 {
				per = tt.total / tt.bins
			}
			for i := 0; i < tt.total; i += per {
				var c float64
				for j := i; j < i+per; j++ {
					if tt.offer(j) {
						c += counts[j]
					}
				}
				if tt.offer(i) {
					cells = append(cells, c)
				}
			}
			e := float64(tt.seeds) * p * float64(per)
			var chi float64
			for _, c := range cells {
				chi += (c - e) * (c - e) / (e * (1 - p))
			}
			if tt.bins > 0 {
				chi = 0
				for _, c := range cells {
					chi += (c - e) * (c - e) / e
				}
			}
			lo, hi := chiSquareBounds(len(cells) - 1)
			if chi < lo || chi > hi {
				t.Errorf("Pearson's statistic %.1f over %d cells outside [%.1f, %.1f]: inclusion is not uniform", chi, len(cells), lo, hi)
			}
		})
	}
}

// TestReservoirSubsets checks that every subset of size n of a short
// stream is drawn equally often: uniformity of the joint distribution,
// not only of each row's inclusion.
func TestReservoirSubsets(t *testing.T) {
	tests := []struct {
		name     string
		total, n int
		seeds    int
	}{
		{"3 of 6", 6, 3, 40000},
		{"1 of 5", 5, 1, 10000},
		{"2 of 7", 7, 2, 21000},
		{"6 of 7", 7, 6, 7000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counts := map[string]float64{}
			for seed := range tt.seeds {
				counts[fmt.Sprint(drawRows(tt.n, uint64(seed)+1e6, tt.total, func(int) bool { return true }, nil))]++
			}
			subsets := subsetCount(tt.total, tt.n)
			if len(counts) != subsets {
				t.Fatalf("%d distinct subsets drawn, want %d", len(counts), subsets)
			}
			e := float64(tt.seeds) / float64(subsets)
			var chi float64
			for _, c := range counts {
				chi += (c - e) * (c - e) / e
			}
			lo, hi := chiSquareBounds(subsets - 1)
			if chi < lo || chi > hi {
				t.Errorf("Pearson's statistic %.1f over %d subsets outside [%.1f, %.1f]", chi, subsets, lo, hi)
			}
		})
	}
}

func subsetCount(n, k int) int {
	r := 1
	for i := range k {
		r = r * (n - i) / (i + 1)
	}
	return r
}

// TestStratifiedInclusion checks that a stratified sample gives each
// stratum its proportional share and, within a stratum, draws each row
// with probability share/size.
func TestStratifiedInclusion(t *testing.T) {
	const total, n, seeds = 1000, 40, 3000
	key := func(i int) string { // strata of 500, 300, 150, 49 and 1 rows, interleaved
		switch m := i % 20; {
		case i == 999:
			return "one"
		case m < 10:
			return "a"
		case m < 16:
			return "b"
		case m < 19:
			return "c"
		}
		return "d"
	}
	sizes := map[string]int64{}
	for i := range total {
		sizes[key(i)]++
	}
	share := map[string]int64{"a": 20, "b": 12, "c": 6, "d": 2, "one": 0}
	counts := make([]float64, total)
	for seed := range seeds {
		got := map[string]int64{}
		for _, r := range drawRows(n, uint64(seed), total, func(int) bool { return true }, key) {
			got[key(int(r))]++
			counts[r]++
		}
		for k, want := range share {
			if got[k] != want {
				t.Fatalf("seed %d: stratum %s got %d rows, want %d", seed, k, got[k], want)
			}
		}
	}
	var chi float64
	cells := 0
	for i, c := range counts {
		k := key(i)
		if share[k] == 0 {
			if c != 0 {
				t.Errorf("row %d of stratum %s drawn %v times, want 0", i, k, c)
			}
			continue
		}
		p := float64(share[k]) / float64(sizes[k])
		e := seeds * p
		chi += (c - e) * (c - e) / (e * (1 - p))
		cells++
	}
	lo, hi := chiSquareBounds(cells - 4) // one constraint per stratum
	if chi < lo || chi > hi {
		t.Errorf("Pearson's statistic %.1f over %d rows outside [%.1f, %.1f]", chi, cells, lo, hi)
	}
}

func TestAllocate(t *testing.T) {
	tests := []struct {
		name  string
		n     int64
		sizes []int64
		want  []int64
	}{
		{"exact shares", 10, []int64{50, 30, 20}, []int64{5, 3, 2}},
		{"largest remainder", 7, []int64{60, 30, 10}, []int64{4, 2, 1}},
		{"equal remainders go to the earlier", 10, []int64{10, 10, 10}, []int64{4, 3, 3}},
		{"equal remainders go to the larger", 5, []int64{1, 3, 2, 4}, []int64{0, 2, 1, 2}},
		{"small strata get nothing", 2, []int64{98, 1, 1}, []int64{2, 0, 0}},
		{"n equals the rows", 7, []int64{3, 4}, []int64{3, 4}},
		{"n above the rows", 100, []int64{3, 4}, []int64{3, 4}},
		{"one stratum", 5, []int64{9}, []int64{5}},
		{"no overflow", 1e9, []int64{1e15, 3e15}, []int64{2.5e8, 7.5e8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allocateProportional(tt.n, tt.sizes)
			if !slices.Equal(got, tt.want) {
				t.Errorf("allocateProportional(%d, %v) = %v, want %v", tt.n, tt.sizes, got, tt.want)
			}
			var sum, total int64
			for _, size := range tt.sizes {
				total += size
			}
			for i, g := range got {
				sum += g
				exact := float64(tt.sizes[i])
				if tt.n < total {
					exact = float64(tt.n) * float64(tt.sizes[i]) / float64(total)
				}
				if g > tt.sizes[i] || math.Abs(float64(g)-exact) >= 1 {
					t.Errorf("share %d of stratum %d (size %d) is not within one of its proportion %.2f", g, i, tt.sizes[i], exact)
				}
			}
			if sum != min(tt.n, total) {
				t.Errorf("shares sum to %d, want %d", sum, min(tt.n, total))
			}
		})
	}
}

// TestSampleRNG pins the random source: PCG-DXSM's output for a seed and
// the derivations made from it.
func TestSampleRNG(t *testing.T) {
	r := newSampleRNG(1)
	var got []string
	for range 2 {
		got = append(got, strconv.FormatUint(r.src.Uint64(), 16))
	}
	got = append(got, strconv.FormatFloat(r.float(), 'g', -1, 64), strconv.FormatUint(r.intn(1000), 10))
	want := []string{"2e0159500258dbd7", "eeb811233424dcc4", "0.016780059697675542", "98"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for range 10000 {
		if f := r.float(); f <= 0 || f >= 1 {
			t.Fatalf("float %v outside (0, 1)", f)
		}
		if v := r.intn(3); v >= 3 {
			t.Fatalf("intn(3) = %d", v)
		}
	}
}

// BenchmarkSampleOffer measures the sampler's cost per eligible row.
func BenchmarkSampleOffer(b *testing.B) {
	b.ReportAllocs()
	s := newSampler(500, 1, false)
	for i := range b.N {
		s.offer(int64(i), nil, false)
	}
}

// TestSampleIntegerIDs checks that an integer id column becomes a string
// id in the eval set.
func TestSampleIntegerIDs(t *testing.T) {
	intRow := func(i int64) cell {
		return func(col int) []parquet.Value { return []parquet.Value{parquet.Int64Value(i).Level(0, 0, col)} }
	}
	path := writeTestFile(t, "intids.parquet", []parquet.Field{named("id", parquet.Int(64)), named("input", parquet.String())},
		[]parquet.Row{row(intRow(7), str("a")), row(intRow(-3), str("b"))})
	var buf bytes.Buffer
	if _, err := Sample(path, &buf, SampleOptions{N: 2}); err != nil {
		t.Fatal(err)
	}
	items, _, err := readAll(t, writeBytes(t, buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].ID != "7" || items[1].ID != "-3" {
		t.Errorf("items %+v, want ids 7 and -3", items)
	}
}

// ExampleSample draws a sample of 10 rows, stratified by locale, from a
// log of 1,000 requests.
func ExampleSample() {
	var logs bytes.Buffer
	items := make([]records.Item, 1000)
	for i := range items {
		items[i] = records.Item{ID: fmt.Sprintf("req-%d", i), Input: "How do I reset my password?", Output: "Open Settings.",
			Extra: map[string]string{"locale": []string{"en", "en", "en", "es", "de"}[i%5]}}
	}
	if err := WriteItems(&logs, items, []string{"locale"}, nil); err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "evalgate-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "logs.parquet")
	if err := os.WriteFile(path, logs.Bytes(), 0o644); err != nil {
		panic(err)
	}

	var sample bytes.Buffer
	res, err := Sample(path, &sample, SampleOptions{N: 10, Seed: 1, Stratify: "locale", Name: "weekly", Version: "w40"})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: %d of %d rows\n", res.Method, res.RowsSampled, res.RowsEligible)
	for _, st := range res.Strata {
		fmt.Printf("%s: %d of %d\n", st.Value, st.Sampled, st.Eligible)
	}
	fmt.Println(res.Metadata[MetaSampleStrata])
	// Output:
	// stratified-reservoir: 10 of 1000 rows
	// de: 2 of 200
	// en: 6 of 600
	// es: 2 of 200
	// [{"value":"de","eligible":200,"sampled":2},{"value":"en","eligible":600,"sampled":6},{"value":"es","eligible":200,"sampled":2}]
}

// FuzzSample feeds arbitrary bytes to Sample, uniform, stratified and
// with a time window. None may panic, and every error about the file
// must name it.
func FuzzSample(f *testing.F) {
	valid, err := os.ReadFile(writeLogs(f, 40, "us"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	if data, err := os.ReadFile("../../shared/data/interop/qa-duckdb-nulls-stringcontext.parquet"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := writeBytes(t, data)
		for _, opts := range []SampleOptions{
			{N: 3, Seed: 1},
			{N: 3, Seed: 1, Stratify: "locale"},
			{N: 3, Seed: 1, Since: testLogBase.Add(time.Hour), Until: testLogBase.Add(5 * time.Hour)},
		} {
			var buf bytes.Buffer
			_, err := Sample(path, &buf, opts)
			var re *RowError
			if errors.As(err, &re) && re.File != path {
				t.Fatalf("%+v: error %q does not name the file", opts, err)
			}
		}
	})
}

// TestOfferRun checks that offering a run of rows at once draws the same
// sample as offering them one by one, and that a run of 2^60 rows takes
// no time.
func TestOfferRun(t *testing.T) {
	tests := []struct {
		name  string
		k     int
		runs  []int64 // lengths of consecutive runs
		seeds int
	}{
		{"one run", 10, []int64{5000}, 50},
		{"runs shorter than the reservoir", 10, []int64{3, 4, 2, 9, 1000}, 50},
		{"reservoir never fills", 100, []int64{30, 20}, 10},
		{"run of one", 5, []int64{1, 1, 1, 1, 1, 1, 1, 300}, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(tt.seeds) {
				one, run := reservoir{k: tt.k}, reservoir{k: tt.k}
				rngOne, rngRun := newSampleRNG(seed), newSampleRNG(seed)
				var row int64
				for _, n := range tt.runs {
					run.offerRun(row, n, rngRun)
					for range n {
						one.offer(row, rngOne)
						row++
					}
				}
				if !slices.Equal(one.rows, run.rows) || one.seen != run.seen {
					t.Fatalf("seed %d: one by one %v (seen %d), as runs %v (seen %d)", seed, one.rows, one.seen, run.rows, run.seen)
				}
				if rngOne.src.Uint64() != rngRun.src.Uint64() {
					t.Fatalf("seed %d: the random sources diverged", seed)
				}
			}
		})
	}
	huge := reservoir{k: 500}
	huge.offerRun(0, 1<<60, newSampleRNG(1))
	if len(huge.rows) != 500 || huge.seen != 1<<60 {
		t.Errorf("%d rows held, %d seen", len(huge.rows), huge.seen)
	}
}
