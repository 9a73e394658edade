package datasets

import (
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// MaxDistinct bounds the distinct values Inspect counts per column; past
// it the count is reported as a lower bound (Capped).
const MaxDistinct = 100_000

// Report is what Inspect found in a Parquet file: its Info and, for each
// top-level string column, how many distinct values and nulls it holds.
type Report struct {
	Info
	// Strings holds one entry per top-level scalar string column, in
	// schema order.
	Strings []StringStats
}

// StringStats describes the values of one string column.
type StringStats struct {
	// Name is the column's name.
	Name string
	// Distinct is the number of distinct non-null values. It counts
	// distinct 64-bit FNV-1a hashes of the values, which is exact barring a
	// hash collision (a chance below 1e-9 at MaxDistinct values) and keeps
	// memory at about 40 bytes per distinct value whatever their length.
	// When Capped, counting stopped at MaxDistinct and the true number is
	// at least Distinct.
	Distinct int64
	// Capped reports that the column has at least MaxDistinct distinct values.
	Capped bool
	// Nulls is the number of null values.
	Nulls int64
}

// Inspect describes any Parquet file, eval set or not: its identity,
// digest, row count and columns, and the cardinality and null count of
// each top-level string column, which it reads by streaming the file. A
// file that cannot be read gives an error wrapping a *RowError that names
// the file; when the footer was readable but the data was not, the Report
// still holds the Info.
func Inspect(path string) (Report, error) {
	src, err := openSource(path)
	if err != nil {
		return Report{}, fmt.Errorf("inspect eval set: %w", err)
	}
	defer src.close()
	rep := Report{Info: src.info}

	// One counter per scalar string column, found by leaf column index.
	type counter struct {
		maxDef int
		seen   map[uint64]struct{}
	}
	var leaves []int
	counters := map[int]int{} // leaf → index in rep.Strings and stats
	var stats []counter
	for i := range src.fields {
		f := &src.fields[i]
		if f.kind != kindString {
			continue
		}
		counters[f.leaf] = len(stats)
		leaves = append(leaves, f.leaf)
		stats = append(stats, counter{maxDef: f.maxDef, seen: map[uint64]struct{}{}})
		rep.Strings = append(rep.Strings, StringStats{Name: f.Name})
	}
	h := fnv.New64a()
	stream := newRowStream(src, leaves)
	defer stream.close()
	for {
		row, idx, ok := stream.next()
		if !ok {
			break
		}
		for _, v := range row {
			i, ok := counters[v.Column()]
			if !ok {
				return rep, fmt.Errorf("inspect eval set: %w", corruptf(path, idx, "unexpected values of leaf column %d", v.Column()))
			}
			st, c := &rep.Strings[i], &stats[i]
			if v.IsNull() || v.DefinitionLevel() < c.maxDef || v.Kind() != parquet.ByteArray {
				st.Nulls++
				continue
			}
			if st.Capped {
				continue
			}
			h.Reset()
			h.Write(v.ByteArray())
			c.seen[h.Sum64()] = struct{}{}
			st.Distinct = int64(len(c.seen))
			if st.Distinct >= MaxDistinct {
				st.Capped = true
				c.seen = nil
			}
		}
	}
	if stream.err != nil {
		return rep, fmt.Errorf("inspect eval set: %w", stream.err)
	}
	return rep, nil
}

// WriteText writes the report as aligned plain text: identity, digest and
// size, then one line per column (type, nullability, and for string
// columns the distinct and null counts), then the key-value metadata
// sorted by key with long values shortened.
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	orNone := func(s string) string {
		if s == "" {
			return "(none)"
		}
		return printable(s, 200)
	}
	fmt.Fprintf(tw, "file:\t%s\n", printable(r.Path, 500))
	fmt.Fprintf(tw, "name:\t%s\n", orNone(r.Name))
	fmt.Fprintf(tw, "version:\t%s\n", orNone(r.Version))
	fmt.Fprintf(tw, "sha256:\t%s\n", r.SHA256)
	fmt.Fprintf(tw, "size:\t%d bytes\n", r.Size)
	fmt.Fprintf(tw, "rows:\t%d in %d row group%s\n", r.Rows, r.RowGroups, plural(r.RowGroups))
	if err := tw.Flush(); err != nil {
		return err
	}

	fmt.Fprintf(tw, "\nCOLUMN\tTYPE\tNULLABLE\tDISTINCT\tNULLS\n")
	for _, c := range r.Columns {
		distinct, nulls := "-", "-"
		if i := slices.IndexFunc(r.Strings, func(s StringStats) bool { return s.Name == c.Name }); i >= 0 {
			s := r.Strings[i]
			distinct = strconv.FormatInt(s.Distinct, 10)
			if s.Capped {
				distinct = "≥" + distinct
			}
			nulls = strconv.FormatInt(s.Nulls, 10)
		}
		nullable := "no"
		if c.Nullable {
			nullable = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", printable(c.Name, 60), printable(c.Type, 60), nullable, distinct, nulls)
	}
	if err := tw.Flush(); err != nil {
		return err
	}

	if len(r.Metadata) > 0 {
		keys := make([]string, 0, len(r.Metadata))
		for k := range r.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		fmt.Fprintf(tw, "\nMETADATA\tVALUE\n")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\n", printable(k, 60), printable(r.Metadata[k], 60))
		}
	}
	return tw.Flush()
}

// printable shortens s to at most n runes and quotes it when it holds
// control characters or invalid UTF-8, so that one value cannot break the
// table.
func printable(s string, n int) string {
	if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u2028' || r == '\u2029'
	}) >= 0 {
		s = strconv.Quote(s)
	}
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n-1]) + "…"
	}
	return s
}

// plural returns "s" unless n is 1.
func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
