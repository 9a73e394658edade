package datasets

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// Fixed columns of results.parquet, in file order.
const (
	resID               = "id"
	resSample           = "sample"
	resModel            = "model"
	resOutput           = "output"
	resError            = "error"
	resErrorKind        = "error_kind"
	resHTTPStatus       = "http_status"
	resAttempts         = "attempts"
	resLatencyMS        = "latency_ms"
	resPromptTokens     = "prompt_tokens"
	resCompletionTokens = "completion_tokens"
	resConfidence       = "confidence"
	resTask             = "task"
	resExpected         = "expected"
	resTruncated        = "truncated"
	resCached           = "cached"
	// The groundedness check (records.Result.Groundedness): null when the
	// result has none.
	resGroundMethod    = "groundedness_method"
	resGroundScore     = "groundedness_score"
	resGroundVerdict   = "groundedness_verdict"
	resGroundEscalated = "groundedness_escalated"
	resUnsupported     = "unsupported_claims"
)

// GroundednessColumns are the names of results.parquet's columns that
// hold records.Result.Groundedness, in file order: groundedness_method
// (string), groundedness_score (double), groundedness_verdict (string),
// groundedness_escalated (bool) and unsupported_claims (list<string>).
// Pass them to ResultsReader.Skip to leave them unread.
var GroundednessColumns = []string{resGroundMethod, resGroundScore, resGroundVerdict, resGroundEscalated, resUnsupported}

// ScorePrefix starts the name of each score column of results.parquet:
// the score "f1" is the double column "score_f1".
const ScorePrefix = "score_"

// resultColumn is one fixed column of results.parquet.
type resultColumn struct {
	name string
	kind fieldKind
	node parquet.Node
}

// resultColumns lists the fixed columns of results.parquet. id is a
// required string, the other strings are optional (an empty string is
// written as null), confidence is an optional double (0, not measured, is
// written as null), truncated is an optional int64 (1 when the output was
// cut to run.max_output_bytes, null otherwise), so is cached (1 when the
// answer came from the response cache) and the other numbers are
// required. The groundedness columns follow (GroundednessColumns), all
// optional: null when the result has no groundedness check.
func resultColumns() []resultColumn {
	int64Node := parquet.Int(64)
	doubleNode := parquet.Leaf(parquet.DoubleType)
	return []resultColumn{
		{resID, kindString, requiredString()},
		{resSample, kindInt, int64Node},
		{resModel, kindString, optionalString(true)},
		{resOutput, kindString, optionalString(false)},
		{resError, kindString, optionalString(true)},
		{resErrorKind, kindString, optionalString(true)},
		{resHTTPStatus, kindInt, int64Node},
		{resAttempts, kindInt, int64Node},
		{resLatencyMS, kindFloat, doubleNode},
		{resPromptTokens, kindInt, int64Node},
		{resCompletionTokens, kindInt, int64Node},
		{resConfidence, kindFloat, parquet.Optional(doubleNode)},
		{resTask, kindString, optionalString(true)},
		{resExpected, kindString, optionalString(true)},
		{resTruncated, kindInt, parquet.Optional(int64Node)},
		{resCached, kindInt, parquet.Optional(int64Node)},
		{resGroundMethod, kindString, optionalString(true)},
		{resGroundScore, kindFloat, parquet.Optional(doubleNode)},
		{resGroundVerdict, kindString, optionalString(true)},
		{resGroundEscalated, kindBool, parquet.Optional(parquet.Leaf(parquet.BooleanType))},
		{resUnsupported, kindStringList, optionalStringList()},
	}
}

// WriteResults writes results to w as results.parquet: one row per
// result, with the fixed columns id, sample, model, output, error,
// error_kind, http_status (0 when no response), attempts, latency_ms
// (double, milliseconds), prompt_tokens, completion_tokens, confidence
// (a nullable double: null when records.Result.Confidence is 0, not measured),
// task, expected, truncated and cached (nullable int64s: 1 when
// records.Result.Truncated, resp. Cached, else null), then the
// groundedness check of records.Result.Groundedness: groundedness_method,
// groundedness_score, groundedness_verdict, groundedness_escalated and
// unsupported_claims (a list of strings, empty when every claim is
// supported), all null when Groundedness is nil; then one optional
// string column per name in groups, named exactly as the group and filled
// from records.Result.Groups; then one optional double column per name in scores,
// named ScorePrefix+name and filled from records.Result.Scores (a missing score is
// null). All columns are flat, so DuckDB, Spark and pandas read the file
// directly. meta becomes the file's key-value metadata.
//
// A group that collides with a fixed column or a score column, a
// repeated or empty name, a key of Groups or Scores not listed, or a
// string that is not valid UTF-8 is an error. The same input always gives
// the same bytes.
func WriteResults(w io.Writer, results []records.Result, groups []string, scores []string, meta map[string]string) error {
	rw, err := NewResultsWriter(w, groups, scores, meta)
	if err != nil {
		return err
	}
	for i := range results {
		if err := rw.Write(&results[i]); err != nil {
			return err
		}
	}
	return rw.Close()
}

// ResultsWriter writes results.parquet one result at a time, with the
// same bytes as WriteResults for the same results, holding at most one
// batch of rows and the Parquet writer's current row group (65,536 rows)
// in memory, however many results it writes. Errors are wrapped as
// "write results: …".
type ResultsWriter struct {
	rowBatch
	groups []string
	scores []string
	n      int64 // results written, and the row index of the next
	err    error
}

// NewResultsWriter starts a results file on w with the columns
// WriteResults describes; it checks groups and scores as WriteResults
// does. Call Close to write the footer; it does not close w.
func NewResultsWriter(w io.Writer, groups []string, scores []string, meta map[string]string) (*ResultsWriter, error) {
	pw, err := newResultsParquetWriter(w, groups, scores, meta)
	if err != nil {
		return nil, fmt.Errorf("write results: %w", err)
	}
	return &ResultsWriter{rowBatch: newRowBatch(pw), groups: slices.Clone(groups), scores: slices.Clone(scores)}, nil
}

// Write appends one result. After an error every later call fails.
func (rw *ResultsWriter) Write(r *records.Result) error {
	if rw.err != nil {
		return rw.err
	}
	row, err := resultRow(rw.n, r, rw.groups, rw.scores)
	if err == nil {
		err = rw.add(row)
	}
	if err != nil {
		rw.err = fmt.Errorf("write results: %w", err)
		return rw.err
	}
	rw.n++
	return nil
}

// Rows returns how many results Write has accepted, one row each; they
// reach w a row group at a time and at Close.
func (rw *ResultsWriter) Rows() int64 { return rw.n }

// Close flushes the buffered rows and writes the footer.
func (rw *ResultsWriter) Close() error {
	if rw.err != nil {
		return rw.err
	}
	err := rw.close()
	if err != nil {
		rw.err = fmt.Errorf("write results: %w", err)
		return rw.err
	}
	rw.err = fmt.Errorf("write results: %w", errClosed)
	return nil
}

func newResultsParquetWriter(w io.Writer, groups []string, scores []string, meta map[string]string) (*parquet.Writer, error) {
	fixed := resultColumns()
	fields := make([]parquet.Field, 0, len(fixed)+len(groups)+len(scores))
	used := make(map[string]string, cap(fields))
	for _, c := range fixed {
		fields = append(fields, namedNode{c.node, c.name})
		used[c.name] = "a fixed column"
	}
	claim := func(kind, name, column string) error {
		switch {
		case name == "":
			return fmt.Errorf("%s: empty name", kind)
		case !utf8.ValidString(name):
			return fmt.Errorf("%s %q: %w", kind, name, ErrInvalidUTF8)
		}
		if prev, ok := used[column]; ok {
			return fmt.Errorf("%s %q: column %q is already %s", kind, name, column, prev)
		}
		used[column] = kind + " " + name
		return nil
	}
	for _, g := range groups {
		if err := claim("group", g, g); err != nil {
			return nil, err
		}
		fields = append(fields, namedNode{optionalString(true), g})
	}
	for _, s := range scores {
		if err := claim("score", s, ScorePrefix+s); err != nil {
			return nil, err
		}
		fields = append(fields, namedNode{parquet.Optional(parquet.Leaf(parquet.DoubleType)), ScorePrefix + s})
	}

	return newParquetWriter(w, "evalgate_results", fields, meta, freeTextBounds()...)
}

// freeTextBounds turns off the min/max statistics of the columns that hold
// free text of any length (a model's answer, an error message, an
// expected answer, the model name an endpoint reports): Parquet copies
// each row group's smallest and largest value into the footer whole, so
// one long answer would make a footer that readers refuse (see
// maxFooterBytes). No reader of results files uses these bounds.
func freeTextBounds() []parquet.WriterOption {
	return []parquet.WriterOption{
		parquet.SkipPageBounds(resModel),
		parquet.SkipPageBounds(resOutput),
		parquet.SkipPageBounds(resError),
		parquet.SkipPageBounds(resExpected),
		parquet.SkipPageBounds(resUnsupported, "list", "element"),
	}
}

// resultRow encodes one result; idx is its position, for errors.
func resultRow(idx int64, r *records.Result, groups, scores []string) (parquet.Row, error) {
	for g := range r.Groups {
		if !slices.Contains(groups, g) {
			return nil, &RowError{Row: idx, Column: g, Err: errors.New("group is in records.Result.Groups but not in groups")}
		}
	}
	for s := range r.Scores {
		if !slices.Contains(scores, s) {
			return nil, &RowError{Row: idx, Column: ScorePrefix + s, Err: errors.New("score is in records.Result.Scores but not in scores")}
		}
	}
	row := make(parquet.Row, 0, len(resultColumns())+len(groups)+len(scores))
	col := 0 // the column of the next value: a list may hold several
	var err error
	put := func(v parquet.Value, rep, def int) { row = append(row, v.Level(rep, def, col)) }
	str := func(name, s string, required bool) {
		switch {
		case err != nil:
			return
		case !utf8.ValidString(s):
			err = &RowError{Row: idx, Column: name, Err: utf8Error(s)}
		case required:
			put(parquet.ByteArrayValue([]byte(s)), 0, 0)
		case s == "":
			put(parquet.NullValue(), 0, 0)
		default:
			put(parquet.ByteArrayValue([]byte(s)), 0, 1)
		}
		col++
	}
	i64 := func(v int) { put(parquet.Int64Value(int64(v)), 0, 0); col++ }
	f64 := func(v float64) { put(parquet.DoubleValue(v), 0, 0); col++ }
	opt := func(v parquet.Value, present bool) {
		if present {
			put(v, 0, 1)
		} else {
			put(parquet.NullValue(), 0, 0)
		}
		col++
	}

	str(resID, r.ID, true)
	if err != nil {
		return nil, err
	}
	i64(r.Sample)
	str(resModel, r.Model, false)
	str(resOutput, r.Output, false)
	str(resError, r.Error, false)
	str(resErrorKind, r.ErrorKind, false)
	if err != nil {
		return nil, err
	}
	i64(r.HTTPStatus)
	i64(r.Attempts)
	f64(r.LatencyMS)
	i64(r.PromptTokens)
	i64(r.CompletionTokens)
	opt(parquet.DoubleValue(r.Confidence), r.Confidence != 0)
	str(resTask, r.Task, false)
	str(resExpected, r.Expected, false)
	opt(parquet.Int64Value(1), r.Truncated)
	opt(parquet.Int64Value(1), r.Cached)
	g := r.Groundedness
	if g == nil {
		g = &records.Groundedness{}
	}
	str(resGroundMethod, g.Method, false)
	opt(parquet.DoubleValue(g.Score), r.Groundedness != nil)
	str(resGroundVerdict, g.Verdict, false)
	opt(parquet.BooleanValue(g.Escalated), r.Groundedness != nil)
	switch {
	case r.Groundedness == nil:
		put(parquet.NullValue(), 0, 0)
	case len(g.Unsupported) == 0:
		put(parquet.NullValue(), 0, 1) // an empty list
	}
	for i, s := range g.Unsupported {
		if err == nil && !utf8.ValidString(s) {
			err = &RowError{Row: idx, Column: resUnsupported, Err: fmt.Errorf("element %d: %w", i, utf8Error(s))}
		}
		put(parquet.ByteArrayValue([]byte(s)), min(i, 1), 2)
	}
	col++
	for _, g := range groups {
		str(g, r.Groups[g], false)
	}
	if err != nil {
		return nil, err
	}
	for _, s := range scores {
		v, ok := r.Scores[s]
		opt(parquet.DoubleValue(v), ok)
	}
	return row, nil
}

// ReadResults reads a results file written by WriteResults (or by any
// tool, with the same column names and compatible types: strings, INT32
// or INT64 integers, FLOAT or DOUBLE scores). Every top-level string
// column that is not a fixed column becomes a group (a null value reads as
// ""); every FLOAT or DOUBLE column named ScorePrefix+name becomes a
// score (a null is left out of records.Result.Scores). Other columns are ignored.
// Fixed columns other than id may be absent and read as zero (files
// written before the confidence column read with Confidence 0, those
// before the truncated column with Truncated false). It returns
// the results in file order and the file's key-value metadata. Errors wrap
// a *RowError naming the file, row and column.
//
// Unlike OpenResults, ReadResults holds every result in memory.
func ReadResults(path string) ([]records.Result, map[string]string, error) {
	r, err := OpenResults(path)
	if err != nil {
		return nil, nil, err
	}
	defer r.Close()
	var out []records.Result
	for r.Scan() {
		out = append(out, r.Result())
	}
	if err := r.Err(); err != nil {
		return nil, nil, err
	}
	return out, r.Info().Metadata, nil
}

// resultUse is one column ReadResults decodes.
type resultUse struct {
	field *field
	name  string // fixed column name, group name or score name
	group bool
	score bool
}

// resultUses resolves the columns of a results file that ReadResults
// decodes, checking the fixed columns' types.
func resultUses(path string, fields []field) ([]resultUse, error) {
	fixed := make(map[string]fieldKind)
	for _, c := range resultColumns() {
		fixed[c.name] = c.kind
	}
	var uses []resultUse
	seen := make(map[string]bool)
	for i := range fields {
		f := &fields[i]
		if seen[f.Name] {
			return nil, &RowError{File: path, Row: -1, Column: f.Name, Err: fmt.Errorf("%w: the column name appears more than once", ErrUnsupported)}
		}
		seen[f.Name] = true
		if want, ok := fixed[f.Name]; ok {
			if f.kind != want {
				return nil, &RowError{File: path, Row: -1, Column: f.Name, Err: fmt.Errorf("%w: want %s, found %s", ErrWrongType, kindName(want), f.Type)}
			}
			uses = append(uses, resultUse{field: f, name: f.Name})
			continue
		}
		switch {
		case strings.HasPrefix(f.Name, ScorePrefix) && f.kind == kindFloat:
			uses = append(uses, resultUse{field: f, name: strings.TrimPrefix(f.Name, ScorePrefix), score: true})
		case strings.HasPrefix(f.Name, ScorePrefix) && f.kind != kindString:
			return nil, &RowError{File: path, Row: -1, Column: f.Name, Err: fmt.Errorf("%w: want double, found %s", ErrWrongType, f.Type)}
		case f.kind == kindString:
			uses = append(uses, resultUse{field: f, name: f.Name, group: true})
		}
	}
	if !seen[resID] {
		return nil, &RowError{File: path, Row: -1, Column: resID, Err: ErrMissingColumn}
	}
	return uses, nil
}

// decodeResultColumn stores one column's value of a row into r.
func decodeResultColumn(r *records.Result, u resultUse, span []parquet.Value) error {
	if u.field.kind == kindStringList { // unsupported_claims
		list, err := listValue(span, u.field)
		if err != nil {
			return err
		}
		if list != nil {
			g := groundedness(r)
			if len(list) > 0 {
				g.Unsupported = list
			}
		}
		return nil
	}
	if len(span) != 1 {
		return fmt.Errorf("%w: %d values in one row of a scalar column", ErrCorrupt, len(span))
	}
	v := span[0]
	null := v.IsNull() || v.DefinitionLevel() < u.field.maxDef
	switch u.field.kind {
	case kindString:
		s, null, err := stringValue(span, u.field)
		if err != nil {
			return err
		}
		if u.group {
			r.Groups[u.name] = s
			return nil
		}
		switch u.name {
		case resID:
			if null {
				return ErrNullID
			}
			r.ID = s
		case resModel:
			r.Model = s
		case resOutput:
			r.Output = s
		case resError:
			r.Error = s
		case resErrorKind:
			r.ErrorKind = s
		case resTask:
			r.Task = s
		case resExpected:
			r.Expected = s
		case resGroundMethod:
			if !null {
				groundedness(r).Method = s
			}
		case resGroundVerdict:
			if !null {
				groundedness(r).Verdict = s
			}
		}
	case kindBool:
		switch {
		case null:
		case v.Kind() != parquet.Boolean:
			return fmt.Errorf("%w: %s value in a boolean column", ErrCorrupt, v.Kind())
		case u.name == resGroundEscalated:
			groundedness(r).Escalated = v.Boolean()
		}
	case kindInt:
		var n int64
		switch {
		case null:
		case v.Kind() == parquet.Int64:
			n = v.Int64()
		case v.Kind() == parquet.Int32:
			n = int64(v.Int32())
		default:
			return fmt.Errorf("%w: %s value in an integer column", ErrCorrupt, v.Kind())
		}
		switch u.name {
		case resSample:
			r.Sample = int(n)
		case resHTTPStatus:
			r.HTTPStatus = int(n)
		case resAttempts:
			r.Attempts = int(n)
		case resPromptTokens:
			r.PromptTokens = int(n)
		case resCompletionTokens:
			r.CompletionTokens = int(n)
		case resTruncated:
			r.Truncated = !null && n != 0
		case resCached:
			r.Cached = !null && n != 0
		}
	case kindFloat:
		var x float64
		switch {
		case null:
		case v.Kind() == parquet.Double:
			x = v.Double()
		case v.Kind() == parquet.Float:
			x = float64(v.Float())
		default:
			return fmt.Errorf("%w: %s value in a floating-point column", ErrCorrupt, v.Kind())
		}
		switch {
		case u.score && !null:
			r.Scores[u.name] = x
		case u.name == resLatencyMS:
			r.LatencyMS = x
		case u.name == resConfidence:
			r.Confidence = x
		case u.name == resGroundScore && !null:
			groundedness(r).Score = x
		}
	}
	return nil
}

// groundedness returns r.Groundedness, allocating it at the first of its
// columns that is not null.
func groundedness(r *records.Result) *records.Groundedness {
	if r.Groundedness == nil {
		r.Groundedness = &records.Groundedness{}
	}
	return r.Groundedness
}

// kindName names the type a fieldKind stands for, for messages.
func kindName(k fieldKind) string {
	switch k {
	case kindString:
		return "string"
	case kindStringList:
		return "list<string>"
	case kindInt:
		return "int64"
	case kindFloat:
		return "double"
	case kindBool:
		return "bool"
	}
	return "other"
}

// errClosed is the error of a write after Close.
var errClosed = errors.New("the writer is closed")
