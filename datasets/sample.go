package datasets

// Sampling of production logs into an eval set.
//
// Sample reads the log file twice, streaming both times, and never holds a
// log row it will not write:
//
//  1. The first pass reads only the columns that decide which rows may be
//     drawn: the timestamp (with Since or Until) and the stratify column.
//     Each eligible row's index (not the row) is offered to a reservoir
//     (reservoir sampling, with the skips of Li's Algorithm L), one
//     reservoir of capacity N for a uniform sample, or one of capacity N
//     per stratum.
//     When no column is needed the pass reads nothing: every row is
//     eligible and the footer gives their number.
//  2. With the counts of eligible rows per stratum now known, N is
//     allocated across the strata in proportion to them, and each
//     stratum's reservoir is cut down to its share by a uniform
//     subsample (a uniform subsample of a uniform sample is uniform).
//  3. The second pass reads every column that is written and copies the
//     chosen rows, in file order, into the eval set.
//
// Memory is 8 bytes per index held: at most N for a uniform sample and
// min(N, rows of the stratum) per stratum for a stratified one (so at most
// N·strata, and never more than the eligible rows), the ids of the rows
// written (to refuse duplicates), the row group the Parquet writer buffers
// (at most 65,536 rows) and the reader's pages. It does not grow with the
// number of rows in the log.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Key-value metadata that Sample writes besides MetaName and MetaVersion.
// Counts are decimal integers; times are RFC 3339 in UTC, empty when
// unbounded.
const (
	// MetaSampleSourceSHA256 is the lower-case hex SHA-256 of the log file's bytes.
	MetaSampleSourceSHA256 = "evalgate.sample.source_sha256"
	// MetaSampleSource is the log file's base name (no directory, so that
	// the output does not depend on where the log was read from).
	MetaSampleSource = "evalgate.sample.source"
	// MetaSampleRowsSeen is the number of rows in the log file.
	MetaSampleRowsSeen = "evalgate.sample.rows_seen"
	// MetaSampleRowsEligible is the number of rows that could be drawn:
	// those whose timestamp lies in [since, until).
	MetaSampleRowsEligible = "evalgate.sample.rows_eligible"
	// MetaSampleRowsSampled is the number of rows written.
	MetaSampleRowsSampled = "evalgate.sample.rows_sampled"
	// MetaSampleSince is the inclusive lower bound on the timestamp.
	MetaSampleSince = "evalgate.sample.since"
	// MetaSampleUntil is the exclusive upper bound on the timestamp.
	MetaSampleUntil = "evalgate.sample.until"
	// MetaSampleTimeColumn names the column Since and Until apply to;
	// empty when neither was given.
	MetaSampleTimeColumn = "evalgate.sample.time_column"
	// MetaSampleSeed is the seed of the random source.
	MetaSampleSeed = "evalgate.sample.seed"
	// MetaSampleN is the number of rows asked for.
	MetaSampleN = "evalgate.sample.n"
	// MetaSampleStratify names the stratify column; empty for a uniform sample.
	MetaSampleStratify = "evalgate.sample.stratify"
	// MetaSampleStrata is a JSON array with one object per stratum,
	// {"value": "en", "eligible": 25000, "sampled": 125}, in Strata order;
	// a null value is JSON null. "[]" for a uniform sample.
	MetaSampleStrata = "evalgate.sample.strata"
	// MetaSampleMethod is SampleReservoir or SampleStratifiedReservoir.
	MetaSampleMethod = "evalgate.sample.method"
	// MetaSampleWarnings is a JSON array of the warnings' messages.
	MetaSampleWarnings = "evalgate.sample.warnings"
	// MetaSampleDropped is a JSON array of the log columns that were not
	// copied into the sample (nested columns).
	MetaSampleDropped = "evalgate.sample.dropped_columns"
)

// Values of MetaSampleMethod.
const (
	// SampleReservoir is a uniform sample without replacement of the
	// eligible rows.
	SampleReservoir = "reservoir"
	// SampleStratifiedReservoir is a uniform sample without replacement
	// within each stratum, with N allocated in proportion to the strata's
	// eligible rows.
	SampleStratifiedReservoir = "stratified-reservoir"
)

// DefaultTimeColumn is the column SampleOptions.Since and Until apply to
// unless TimeColumn names another.
const DefaultTimeColumn = "timestamp"

// MaxStrata is the largest number of distinct values (null counting as
// one) that a stratify column may hold. It bounds the sampler's memory
// at MaxStrata reservoirs.
const MaxStrata = 10_000

// SampleOptions says which rows Sample draws and how it labels the result.
type SampleOptions struct {
	// N is the number of rows to draw, at least 1. When fewer rows are
	// eligible, all of them are written and a warning says so.
	N int
	// Seed seeds the random source; the same file and options always give
	// the same bytes.
	Seed uint64
	// Stratify, when set, names a string, integer or bool column: each of
	// its values (null included) is a stratum, and N is allocated across
	// strata in proportion to their eligible rows.
	Stratify string
	// Since and Until, when not zero, bound the rows that are eligible to
	// those whose TimeColumn lies in [Since, Until). A row whose timestamp
	// is null is then not eligible.
	Since, Until time.Time
	// TimeColumn names the timestamp column; DefaultTimeColumn when empty.
	// It may be an INT64 TIMESTAMP, an INT96, a DATE or a string in RFC
	// 3339 (or "2006-01-02 15:04:05", or YYYY-MM-DD; without an offset it
	// is read as UTC).
	TimeColumn string
	// Name and Version are the eval set's identity (MetaName,
	// MetaVersion). Name defaults to the log file's base name without its
	// extension and with "-sample" appended ("prod-logs-sample"); Version
	// to the first 12 hex digits of the log's SHA-256, "-seed" and the
	// seed ("06108894921c-seed7").
	Name, Version string
}

// Stratum is one value of the stratify column.
type Stratum struct {
	// Value is the column's value, formatted as a decimal for an integer
	// column and as true or false for a bool one; "" when Null.
	Value string
	// Null marks the stratum of null values.
	Null bool
	// Eligible is the number of eligible rows with this value.
	Eligible int64
	// Sampled is the number of them in the sample.
	Sampled int64
}

// SampleResult describes a sample that Sample wrote.
type SampleResult struct {
	// Source describes the log file: path, digest, size, rows and columns.
	Source Info
	// RowsSeen is the number of rows in the log; RowsEligible the number
	// that could be drawn; RowsSampled the number written.
	RowsSeen, RowsEligible, RowsSampled int64
	// Method is SampleReservoir or SampleStratifiedReservoir.
	Method string
	// Strata lists the strata, null first, then by value (numerically for
	// an integer column); nil for a uniform sample.
	Strata []Stratum
	// Columns lists the columns of the eval set written, in file order.
	Columns []string
	// Dropped lists the log's columns that were not copied (nested ones).
	Dropped []string
	// Warnings are the caveats: fewer eligible rows than N, null
	// timestamps, strata that got no row, dropped columns.
	Warnings []error
	// Metadata is the key-value metadata written.
	Metadata map[string]string
}

// Sample draws a random sample of the rows of the log file at path and
// writes it to w as an eval set (the schema of WriteItems: id, input,
// context and the other fixed columns, then every other column of the
// log that is a scalar or a list of strings, in the log's order, with its
// type). Rows keep their order in the log. The log must have an id column
// (a string, or an integer, which is written as its decimal string) and an
// input string column; a fixed column of the eval-set schema, if present,
// must have its type. A row that is drawn must have a non-empty id, a non-null
// input, valid UTF-8 strings, and an id that no other drawn row has.
//
// Errors about the file wrap a *RowError naming it (and the column and
// row when known); all are wrapped as "sample logs: …". Errors that w
// returns are passed on wrapped. On error, what was written to w is not
// a valid file.
func Sample(path string, w io.Writer, opts SampleOptions) (*SampleResult, error) {
	res, err := sample(path, func() (*LogFile, error) { return openLogs(path) }, w, opts)
	if err != nil {
		return nil, fmt.Errorf("sample logs: %w", err)
	}
	return res, nil
}

// SampleAt is Sample for logs read through an io.ReaderAt (see
// OpenLogsAt), such as an object in object storage: the logs are read in
// ranges, never whole, and r.Name stands for the path.
func SampleAt(r Remote, w io.Writer, opts SampleOptions) (*SampleResult, error) {
	res, err := sample(r.Name, func() (*LogFile, error) { return openLogsAt(r) }, w, opts)
	if err != nil {
		return nil, fmt.Errorf("sample logs: %w", err)
	}
	return res, nil
}

func sample(path string, open func() (*LogFile, error), w io.Writer, opts SampleOptions) (*SampleResult, error) {
	switch {
	case opts.N < 1:
		return nil, fmt.Errorf("N is %d; want at least 1", opts.N)
	case !opts.Since.IsZero() && !opts.Until.IsZero() && !opts.Since.Before(opts.Until):
		return nil, fmt.Errorf("since %s is not before until %s", formatBound(opts.Since), formatBound(opts.Until))
	}
	if opts.TimeColumn == "" {
		opts.TimeColumn = DefaultTimeColumn
	}
	f, err := open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if opts.Name == "" {
		base := filepath.Base(path)
		opts.Name = strings.TrimSuffix(base, filepath.Ext(base)) + "-sample"
	}
	if opts.Version == "" {
		opts.Version = f.Info().SHA256[:12] + "-seed" + strconv.FormatUint(opts.Seed, 10)
	}
	plan, err := planSample(f, &opts)
	if err != nil {
		return nil, err
	}
	res := &SampleResult{Source: f.Info(), Method: SampleReservoir, Columns: plan.names, Dropped: plan.dropped}
	if opts.Stratify != "" {
		res.Method = SampleStratifiedReservoir
	}

	// Pass 1: choose row indices.
	s := newSampler(opts.N, opts.Seed, opts.Stratify != "")
	var nullTimes int64
	var first, last time.Time // range of the timestamps seen
	var anyTime bool
	if plan.timeSlot < 0 && plan.strataSlot < 0 {
		// Every row is eligible: offer them all at once, which costs
		// O(N log(rows/N)) whatever the footer claims the rows are.
		res.RowsSeen = res.Source.Rows
		s.offerAll(res.Source.Rows)
	} else {
		rows, err := f.Rows(plan.pass1)
		if err != nil {
			return nil, err
		}
		var key []byte
		for rows.Scan() {
			res.RowsSeen++
			if plan.timeSlot >= 0 {
				t, null, err := rowTime(rows, plan.timeSlot)
				if err != nil {
					rows.Close()
					return nil, err
				}
				if null {
					nullTimes++
					continue
				}
				if !anyTime || t.Before(first) {
					first = t
				}
				if !anyTime || t.After(last) {
					last = t
				}
				anyTime = true
				if (!opts.Since.IsZero() && t.Before(opts.Since)) || (!opts.Until.IsZero() && !t.Before(opts.Until)) {
					continue
				}
			}
			var null bool
			if plan.strataSlot >= 0 {
				key, null, err = stratumKey(rows, plan.strataSlot, key[:0])
				if err != nil {
					rows.Close()
					return nil, err
				}
			}
			if err := s.offer(rows.Row(), key, null); err != nil {
				rows.Close()
				return nil, &RowError{File: path, Row: -1, Column: opts.Stratify, Err: err}
			}
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	chosen, strata := s.finish()
	res.RowsEligible, res.RowsSampled = s.eligible, int64(len(chosen))
	if res.RowsEligible == 0 {
		msg := "no row is eligible"
		switch {
		case res.RowsSeen == 0:
			msg = "the file has no rows"
		case plan.timeSlot >= 0 && !anyTime:
			msg = fmt.Sprintf("no row is eligible: every %s is null", opts.TimeColumn)
		case plan.timeSlot >= 0:
			msg = fmt.Sprintf("no row is eligible: %s runs from %s to %s, outside [%s, %s)",
				opts.TimeColumn, formatBound(first), formatBound(last), orUnbounded(opts.Since), orUnbounded(opts.Until))
		}
		return nil, &RowError{File: path, Row: -1, Err: errors.New(msg)}
	}
	if opts.Stratify != "" {
		res.Strata = make([]Stratum, len(strata))
		for i, st := range strata {
			res.Strata[i] = Stratum{Value: st.value, Null: st.null, Eligible: st.eligible, Sampled: st.sampled}
		}
	}
	res.Warnings = sampleWarnings(res, &opts, nullTimes, plan)
	res.Metadata = sampleMetadata(res, &opts, plan.timeSlot >= 0)

	// Pass 2: copy the chosen rows.
	if err := writeSample(f, plan, chosen, w, res.Metadata); err != nil {
		return nil, err
	}
	return res, nil
}

// samplePlan is which columns each pass reads and where each goes.
type samplePlan struct {
	pass1      []int // log columns read by pass 1
	timeSlot   int   // index in pass1 of the time column, or -1
	strataSlot int   // index in pass1 of the stratify column, or -1
	// out lists the written columns in file order: the fixed eval-set
	// columns, then the extras.
	out     []outColumn
	pass2   []int // log columns read by pass 2; outColumn.slot indexes it
	names   []string
	dropped []string
}

// outColumn is one column of the written eval set.
type outColumn struct {
	name string
	role role // roleID … roleModelVersion for a fixed column, roleExtra otherwise
	// slot is the index in samplePlan.pass2 of the log column that fills
	// it, or -1 when the log lacks it (it is then null).
	slot int
	kind LogKind // the log column's kind
	node parquet.Field
}

// fixedRoles are the eval-set schema's fixed columns, in the order of
// fixedItemColumns.
var fixedRoles = []role{roleID, roleInput, roleSystem, roleContext, roleExpected, roleExpectedAny,
	roleTask, roleMustNotContain, roleOutput, roleModelVersion}

// planSample resolves the columns of both passes and checks their types.
func planSample(f *LogFile, opts *SampleOptions) (*samplePlan, error) {
	path := f.src.path
	p := &samplePlan{timeSlot: -1, strataSlot: -1}
	missing := func(name, why string) error {
		return &RowError{File: path, Row: -1, Column: name,
			Err: fmt.Errorf("%w: %s; the file's columns are %s", ErrMissingColumn, why, f.columnNames())}
	}
	wrongType := func(lf *logField, want string) error {
		return &RowError{File: path, Row: -1, Column: lf.Name, Err: fmt.Errorf("%w: want %s, found %s", ErrWrongType, want, lf.Type)}
	}
	if !opts.Since.IsZero() || !opts.Until.IsZero() {
		i := f.Lookup(opts.TimeColumn)
		if i < 0 {
			return nil, missing(opts.TimeColumn, "no timestamp column to bound by since and until")
		}
		lf := &f.fields[i]
		switch {
		case lf.Kind == LogTime || lf.Kind == LogString:
		case lf.Kind == LogInt:
			return nil, wrongType(lf, "a timestamp (an INT64 without a TIMESTAMP annotation has no unit)")
		default:
			return nil, wrongType(lf, "a timestamp (INT64 TIMESTAMP, INT96 or DATE) or an RFC 3339 string")
		}
		p.timeSlot = len(p.pass1)
		p.pass1 = append(p.pass1, i)
	}
	if opts.Stratify != "" {
		i := f.Lookup(opts.Stratify)
		if i < 0 {
			return nil, missing(opts.Stratify, "no such column to stratify by")
		}
		lf := &f.fields[i]
		if lf.Kind != LogString && lf.Kind != LogInt && lf.Kind != LogBool {
			return nil, wrongType(lf, "a string, integer or bool column to stratify by")
		}
		p.strataSlot = len(p.pass1)
		p.pass1 = append(p.pass1, i)
	}

	fixed := fixedItemColumns()
	slot := func(i int) int {
		p.pass2 = append(p.pass2, i)
		return len(p.pass2) - 1
	}
	for j, r := range fixedRoles {
		oc := outColumn{name: fixed[j].Name(), role: r, slot: -1, node: fixed[j]}
		if i := f.Lookup(oc.name); i >= 0 {
			lf := &f.fields[i]
			var ok bool
			switch r {
			case roleContext:
				ok = lf.Kind == LogString || lf.Kind == LogStringList
			case roleExpectedAny, roleMustNotContain:
				ok = lf.Kind == LogStringList
			case roleID:
				ok = lf.Kind == LogString || lf.Kind == LogInt
			default:
				ok = lf.Kind == LogString
			}
			if !ok {
				want := "string"
				switch r {
				case roleContext:
					want = "string or list<string>"
				case roleExpectedAny, roleMustNotContain:
					want = "list<string>"
				case roleID:
					want = "string or integer"
				}
				return nil, wrongType(lf, want)
			}
			oc.slot, oc.kind = slot(i), lf.Kind
		} else if r == roleID || r == roleInput {
			return nil, missing(oc.name, "an eval set needs it")
		}
		p.out = append(p.out, oc)
	}
	seen := make(map[string]bool, len(f.fields))
	for i := range f.fields {
		lf := &f.fields[i]
		if seen[lf.Name] {
			return nil, &RowError{File: path, Row: -1, Column: lf.Name, Err: fmt.Errorf("%w: the column name appears more than once", ErrUnsupported)}
		}
		seen[lf.Name] = true
		if _, fixed := knownRole(lf.Name); fixed {
			continue // placed above
		}
		oc := outColumn{name: lf.Name, role: roleExtra, kind: lf.Kind}
		switch lf.Kind {
		case LogOther:
			p.dropped = append(p.dropped, lf.Name)
			continue
		case LogString:
			oc.node = namedNode{optionalString(true), lf.Name}
		case LogStringList:
			oc.node = namedNode{optionalStringList(), lf.Name}
		default:
			oc.node = namedNode{parquet.Optional(parquet.Leaf(lf.typ)), lf.Name}
		}
		oc.slot = slot(i)
		p.out = append(p.out, oc)
	}
	for _, oc := range p.out {
		p.names = append(p.names, oc.name)
	}
	return p, nil
}

// rowTime decodes the current row's timestamp from pass-1 slot i.
func rowTime(rows *LogRows, i int) (t time.Time, null bool, err error) {
	v, err := rows.Value(i)
	if err != nil || v.Null {
		return t, v.Null, err
	}
	if v.Kind == LogTime {
		return v.Time, false, nil
	}
	t, err = ParseTime(v.Str)
	if err != nil {
		return t, false, &RowError{File: rows.file.src.path, Row: rows.Row(), Column: rows.cols[i].Name, Err: err}
	}
	return t, false, nil
}

// timeLayouts are the string timestamps ParseTime accepts, tried in order.
// Fractional seconds are accepted after the seconds in each.
var timeLayouts = []string{
	time.RFC3339,
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02 15:04:05",
	time.DateOnly,
}

// ParseTime parses a timestamp as written in logs and on the command
// line: RFC 3339 ("2026-10-01T09:30:00Z", with any offset and optional
// fractional seconds), the same with a space for the T (as pandas and
// DuckDB print), or a date alone (YYYY-MM-DD). A time without an offset,
// and a date, are read as UTC. The result is in UTC.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time: want RFC 3339 (2006-01-02T15:04:05Z) or a date (2006-01-02)", clipString(s, 64))
}

// clipString shortens s to at most n bytes, for messages.
func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// stratumKey appends the current row's value of pass-1 slot i, formatted
// as Stratum.Value, to key.
func stratumKey(rows *LogRows, i int, key []byte) ([]byte, bool, error) {
	if rows.cols[i].Kind == LogString {
		b, null, err := rows.rawBytes(i)
		return append(key, b...), null, err
	}
	v, err := rows.Value(i)
	if err != nil || v.Null {
		return key, v.Null, err
	}
	if v.Kind == LogBool {
		return strconv.AppendBool(key, v.Bool), false, nil
	}
	return strconv.AppendInt(key, v.Int, 10), false, nil
}

// sampleRNG is the sampler's random source. Its bits come from PCG-DXSM
// (math/rand/v2's PCG, whose output for a seed is fixed by the
// algorithm), and its floats and bounded integers are derived here rather
// than by math/rand/v2's methods, so that a seed gives the same sample
// whatever the Go release.
type sampleRNG struct{ src *rand.PCG }

// sampleStream is PCG's second seed word ("evalgate" in ASCII); the
// user's seed is the first.
const sampleStream = 0x6576616c67617465

func newSampleRNG(seed uint64) sampleRNG { return sampleRNG{rand.NewPCG(seed, sampleStream)} }

// float returns a uniform float64 in the open interval (0, 1).
func (r sampleRNG) float() float64 {
	return (float64(r.src.Uint64()>>11) + 0.5) * 0x1p-53
}

// intn returns a uniform integer in [0, n), n > 0, by Lemire's
// multiply-and-reject method (unbiased).
func (r sampleRNG) intn(n uint64) uint64 {
	hi, lo := bits.Mul64(r.src.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.src.Uint64(), n)
		}
	}
	return hi
}

// reservoir keeps a uniform sample without replacement of up to k of the
// row indices offered to it: Algorithm R, with the skips of Li's
// Algorithm L ("Reservoir-sampling algorithms of time complexity
// O(n(1 + log(N/n)))", ACM TOMS 1994), so that once it is full it draws
// random numbers only for the O(k log(N/k)) rows it takes.
type reservoir struct {
	k    int
	rows []int64
	seen int64   // rows offered
	next int64   // once full, the offer number (from 0) of the next row to take
	w    float64 // Algorithm L's W
}

// offer considers one row index.
func (r *reservoir) offer(row int64, rng sampleRNG) {
	pos := r.seen
	r.seen++
	if len(r.rows) < r.k {
		r.rows = append(r.rows, row)
		if len(r.rows) == r.k {
			r.w = math.Exp(math.Log(rng.float()) / float64(r.k))
			r.next = pos + 1 + r.skip(rng)
		}
		return
	}
	if pos < r.next {
		return
	}
	r.rows[rng.intn(uint64(r.k))] = row
	r.w *= math.Exp(math.Log(rng.float()) / float64(r.k))
	r.next = pos + 1 + r.skip(rng)
}

// offerRun offers count consecutive rows from first. It draws the same
// random numbers as offering them one by one, but skips at once over the
// rows it would pass over, so its time does not grow with count once the
// reservoir is full.
func (r *reservoir) offerRun(first, count int64, rng sampleRNG) {
	end := r.seen + count
	base := first - r.seen // row index of offer number pos is base + pos
	for r.seen < end {
		if len(r.rows) == r.k {
			if r.next >= end {
				r.seen = end
				return
			}
			r.seen = r.next
		}
		r.offer(base+r.seen, rng)
	}
}

// skip draws the number of rows to pass over before the next one taken: a
// geometric variable with success probability w.
func (r *reservoir) skip(rng sampleRNG) int64 {
	s := math.Floor(math.Log(rng.float()) / math.Log1p(-r.w))
	if !(s < 1<<62) { // +Inf or NaN when w has underflowed
		return 1 << 62
	}
	return int64(s)
}

// stratum is one stratum while sampling.
type stratum struct {
	value    string
	null     bool
	eligible int64
	sampled  int64
	res      reservoir
}

// sampler chooses row indices, uniformly or per stratum.
type sampler struct {
	n        int
	rng      sampleRNG
	eligible int64
	all      *stratum            // the one stratum of a uniform sample
	byValue  map[string]*stratum // stratified: non-null values
	null     *stratum            // stratified: the null stratum, once seen
}

func newSampler(n int, seed uint64, stratified bool) *sampler {
	s := &sampler{n: n, rng: newSampleRNG(seed)}
	if stratified {
		s.byValue = map[string]*stratum{}
	} else {
		s.all = &stratum{res: reservoir{k: n}}
	}
	return s
}

// errTooManyStrata reports a stratify column with more than MaxStrata values.
var errTooManyStrata = fmt.Errorf("%w: more than %d distinct values; stratify by a column with fewer", ErrUnsupported, MaxStrata)

// offer considers one eligible row; key and null give its stratum (they
// are ignored for a uniform sample).
func (s *sampler) offer(row int64, key []byte, null bool) error {
	s.eligible++
	st := s.all
	if st == nil {
		if null {
			st = s.null
		} else {
			st = s.byValue[string(key)]
		}
		if st == nil {
			if s.strata() >= MaxStrata {
				return errTooManyStrata
			}
			st = &stratum{value: string(key), null: null, res: reservoir{k: s.n}}
			if null {
				s.null = st
			} else {
				s.byValue[st.value] = st
			}
		}
	}
	st.eligible++
	st.res.offer(row, s.rng)
	return nil
}

// strata returns the number of strata seen so far.
func (s *sampler) strata() int {
	if s.null != nil {
		return len(s.byValue) + 1
	}
	return len(s.byValue)
}

// offerAll offers rows 0 to rows-1 of a uniform sample, all eligible.
func (s *sampler) offerAll(rows int64) {
	s.eligible += rows
	s.all.eligible += rows
	s.all.res.offerRun(0, rows, s.rng)
}

// finish returns the chosen row indices in ascending order and, for a
// stratified sample, the strata in Strata order.
func (s *sampler) finish() ([]int64, []*stratum) {
	if s.all != nil {
		s.all.sampled = int64(len(s.all.res.rows))
		return slices.Sorted(slices.Values(s.all.res.rows)), nil
	}
	var strata []*stratum
	if s.null != nil {
		strata = append(strata, s.null)
	}
	for _, st := range s.byValue {
		strata = append(strata, st)
	}
	slices.SortFunc(strata, compareStrata)
	eligible := make([]int64, len(strata))
	for i, st := range strata {
		eligible[i] = st.eligible
	}
	var chosen []int64
	for i, want := range allocateProportional(int64(s.n), eligible) {
		rows := strata[i].res.rows
		// A uniform subsample of want rows: a partial Fisher–Yates shuffle.
		for j := range want {
			k := j + int64(s.rng.intn(uint64(int64(len(rows))-j)))
			rows[j], rows[k] = rows[k], rows[j]
		}
		strata[i].sampled = want
		chosen = append(chosen, rows[:want]...)
	}
	slices.Sort(chosen)
	return chosen, strata
}

// compareStrata orders strata: null first, then integers numerically
// (when both values are integers), then by value.
func compareStrata(a, b *stratum) int {
	if a.null != b.null {
		if a.null {
			return -1
		}
		return 1
	}
	x, errX := strconv.ParseInt(a.value, 10, 64)
	y, errY := strconv.ParseInt(b.value, 10, 64)
	if errX == nil && errY == nil && x != y {
		if x < y {
			return -1
		}
		return 1
	}
	return strings.Compare(a.value, b.value)
}

// allocateProportional divides n among strata in proportion to their sizes, by the
// largest-remainder (Hamilton) method: each stratum gets
// floor(n·size/total), and the rows left over go one each to the strata
// with the largest remainders, ties to the larger stratum and then to the
// earlier one. The shares sum to min(n, total) and no share exceeds its
// stratum's size; each is within one of n·size/total.
func allocateProportional(n int64, sizes []int64) []int64 {
	var total int64
	for _, s := range sizes {
		total += s
	}
	out := make([]int64, len(sizes))
	if n >= total {
		copy(out, sizes)
		return out
	}
	rem := make([]uint64, len(sizes))
	left := n
	for i, s := range sizes {
		hi, lo := bits.Mul64(uint64(n), uint64(s))
		q, r := bits.Div64(hi, lo, uint64(total))
		out[i], rem[i] = int64(q), r
		left -= int64(q)
	}
	order := make([]int, len(sizes))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case rem[a] != rem[b]:
			if rem[a] > rem[b] {
				return -1
			}
			return 1
		case sizes[a] != sizes[b]:
			if sizes[a] > sizes[b] {
				return -1
			}
			return 1
		}
		return a - b
	})
	for _, i := range order[:left] {
		out[i]++
	}
	return out
}

// sampleWarnings lists the caveats of a sample.
func sampleWarnings(res *SampleResult, opts *SampleOptions, nullTimes int64, plan *samplePlan) []error {
	var ws []error
	if int64(opts.N) > res.RowsEligible {
		ws = append(ws, fmt.Errorf("asked for %d rows but only %d are eligible: the sample holds all of them", opts.N, res.RowsEligible))
	}
	if nullTimes > 0 {
		ws = append(ws, fmt.Errorf("%d rows have a null %s and were not eligible", nullTimes, opts.TimeColumn))
	}
	var empty []string
	for _, st := range res.Strata {
		if st.Sampled == 0 {
			empty = append(empty, strataLabel(st))
		}
	}
	if len(empty) > 0 {
		shown := empty[:min(len(empty), 10)]
		more := ""
		if len(empty) > len(shown) {
			more = fmt.Sprintf(" and %d more", len(empty)-len(shown))
		}
		ws = append(ws, fmt.Errorf("%d of %d strata of %s got no row under proportional allocation: %s%s",
			len(empty), len(res.Strata), opts.Stratify, strings.Join(shown, ", "), more))
	}
	for _, name := range plan.dropped {
		ws = append(ws, fmt.Errorf("column %q is not copied into the sample: only scalar and list<string> columns are", name))
	}
	return ws
}

// strataLabel names a stratum in messages.
func strataLabel(st Stratum) string {
	if st.Null {
		return "(null)"
	}
	return strconv.Quote(st.Value)
}

// sampleMetadata is the key-value metadata of the written eval set.
func sampleMetadata(res *SampleResult, opts *SampleOptions, bounded bool) map[string]string {
	type strat struct {
		Value    *string `json:"value"`
		Eligible int64   `json:"eligible"`
		Sampled  int64   `json:"sampled"`
	}
	strata := make([]strat, len(res.Strata))
	for i, st := range res.Strata {
		strata[i] = strat{Eligible: st.Eligible, Sampled: st.Sampled}
		if !st.Null {
			strata[i].Value = &res.Strata[i].Value
		}
	}
	warnings := make([]string, len(res.Warnings))
	for i, w := range res.Warnings {
		warnings[i] = w.Error()
	}
	dropped := res.Dropped
	if dropped == nil {
		dropped = []string{}
	}
	timeColumn := ""
	if bounded {
		timeColumn = opts.TimeColumn
	}
	return map[string]string{
		MetaName:               opts.Name,
		MetaVersion:            opts.Version,
		MetaSampleSourceSHA256: res.Source.SHA256,
		MetaSampleSource:       filepath.Base(res.Source.Path),
		MetaSampleRowsSeen:     strconv.FormatInt(res.RowsSeen, 10),
		MetaSampleRowsEligible: strconv.FormatInt(res.RowsEligible, 10),
		MetaSampleRowsSampled:  strconv.FormatInt(res.RowsSampled, 10),
		MetaSampleSince:        formatBound(opts.Since),
		MetaSampleUntil:        formatBound(opts.Until),
		MetaSampleTimeColumn:   timeColumn,
		MetaSampleSeed:         strconv.FormatUint(opts.Seed, 10),
		MetaSampleN:            strconv.Itoa(opts.N),
		MetaSampleStratify:     opts.Stratify,
		MetaSampleStrata:       sampleJSON(strata),
		MetaSampleMethod:       res.Method,
		MetaSampleWarnings:     sampleJSON(warnings),
		MetaSampleDropped:      sampleJSON(dropped),
	}
}

// sampleJSON encodes v, which cannot fail for the types used here.
func sampleJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// SampleWindow reads the window a sampled set's rows were drawn from out
// of its key-value metadata (MetaSampleSince, MetaSampleUntil and
// MetaSampleTimeColumn, as Sample writes them): since is inclusive, until
// exclusive, and a zero time is an unbounded side. ok is false when the
// set is not a sample, or a bounded one; err names a bound that does not
// parse.
func SampleWindow(meta map[string]string) (since, until time.Time, column string, ok bool, err error) {
	s, u := meta[MetaSampleSince], meta[MetaSampleUntil]
	if s == "" && u == "" {
		return time.Time{}, time.Time{}, "", false, nil
	}
	parse := func(key, v string) (time.Time, error) {
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("metadata %s = %q is not an RFC 3339 time", key, v)
		}
		return t.UTC(), nil
	}
	if since, err = parse(MetaSampleSince, s); err != nil {
		return
	}
	if until, err = parse(MetaSampleUntil, u); err != nil {
		return
	}
	return since, until, meta[MetaSampleTimeColumn], true, nil
}

// formatBound formats t as RFC 3339 in UTC, or "" when it is zero.
func formatBound(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// orUnbounded formats a bound for messages.
func orUnbounded(t time.Time) string {
	if t.IsZero() {
		return "unbounded"
	}
	return formatBound(t)
}

// writeSample copies the rows at the ascending indices chosen into an
// eval set on w.
func writeSample(f *LogFile, plan *samplePlan, chosen []int64, w io.Writer, meta map[string]string) error {
	fields := make([]parquet.Field, len(plan.out))
	for i, oc := range plan.out {
		fields[i] = oc.node
	}
	pw, err := newParquetWriter(w, "evalgate_eval_set", fields, meta)
	if err != nil {
		return fmt.Errorf("write sample: %w", err)
	}
	batch := newRowBatch(pw)
	rows, err := f.Rows(plan.pass2)
	if err != nil {
		return err
	}
	defer rows.Close()
	ids := make(map[string]int64, len(chosen))
	next := 0
	for next < len(chosen) && rows.Scan() {
		if rows.Row() != chosen[next] {
			continue
		}
		next++
		row, err := sampleRow(rows, plan, ids)
		if err != nil {
			return err
		}
		if err := batch.add(row); err != nil {
			return fmt.Errorf("write sample: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if next < len(chosen) {
		return corruptf(f.src.path, -1, "the file ended after %d rows, before row %d", rows.Row()+1, chosen[next])
	}
	if err := batch.close(); err != nil {
		return fmt.Errorf("write sample: %w", err)
	}
	return nil
}

// sampleRow builds the eval-set row for the log row rows is at.
func sampleRow(rows *LogRows, plan *samplePlan, ids map[string]int64) (parquet.Row, error) {
	path, idx := rows.file.src.path, rows.Row()
	rowErr := func(col string, err error) error { return &RowError{File: path, Row: idx, Column: col, Err: err} }
	var row parquet.Row
	str := func(col int, s string, null, required bool) {
		switch {
		case null:
			row = append(row, parquet.NullValue().Level(0, 0, col))
		case required:
			row = append(row, parquet.ByteArrayValue([]byte(s)).Level(0, 0, col))
		default:
			row = append(row, parquet.ByteArrayValue([]byte(s)).Level(0, 1, col))
		}
	}
	list := func(col int, l []string) {
		switch {
		case l == nil:
			row = append(row, parquet.NullValue().Level(0, 0, col))
		case len(l) == 0:
			row = append(row, parquet.NullValue().Level(0, 1, col))
		default:
			for i, s := range l {
				row = append(row, parquet.ByteArrayValue([]byte(s)).Level(min(i, 1), 2, col))
			}
		}
	}
	for col, oc := range plan.out {
		if oc.slot < 0 {
			row = append(row, parquet.NullValue().Level(0, 0, col))
			continue
		}
		if oc.role == roleExtra && oc.kind != LogString && oc.kind != LogStringList {
			v, null, err := rows.rawValue(oc.slot)
			switch {
			case err != nil:
				return nil, err
			case null:
				row = append(row, parquet.NullValue().Level(0, 0, col))
			default:
				row = append(row, v.Level(0, 1, col))
			}
			continue
		}
		v, err := rows.Value(oc.slot)
		if err != nil {
			return nil, err
		}
		switch oc.role {
		case roleID:
			if oc.kind == LogInt && !v.Null {
				v.Str = strconv.FormatInt(v.Int, 10)
			}
			switch {
			case v.Null:
				return nil, rowErr(oc.name, ErrNullID)
			case v.Str == "":
				return nil, rowErr(oc.name, ErrEmptyID)
			}
			if prev, dup := ids[v.Str]; dup {
				return nil, rowErr(oc.name, fmt.Errorf("%w: %q is also the id of row %d, which the sample holds too", ErrDuplicateID, v.Str, prev))
			}
			ids[v.Str] = idx
			str(col, v.Str, false, true)
		case roleInput:
			if v.Null {
				return nil, rowErr(oc.name, ErrNullInput)
			}
			str(col, v.Str, false, true)
		case roleContext:
			switch {
			case oc.kind == LogStringList:
				list(col, v.List)
			case v.Null:
				list(col, nil)
			default:
				list(col, []string{v.Str})
			}
		default:
			if oc.kind == LogStringList {
				list(col, v.List)
			} else {
				str(col, v.Str, v.Null, false)
			}
		}
	}
	return row, nil
}
