package datasets

import (
	"cmp"
	"fmt"
	"hash/maphash"
	"slices"

	"github.com/evalgate/evalgate/records"
)

// MaxProblems is the number of problems Validate lists before it sums up
// the rest in a final "and N more problems" error.
const MaxProblems = 100

// Validate reads the whole eval set at path and returns every problem it
// finds, each a *RowError: a missing id or input column, a fixed column of
// the wrong type, a null or empty id, a null input, a duplicate id, a
// string that is not valid UTF-8 (in any top-level string or list<string>
// column), corrupt data. Problems are ordered by row (file-level ones
// first) and capped at MaxProblems, followed by one more *RowError saying
// how many were left out.
//
// The second result is non-nil only when the file cannot be read at all
// (missing, truncated, not Parquet, encrypted); it wraps a *RowError naming
// the file. Corruption found after some rows were read is a problem in the
// list instead.
//
// Duplicate detection keeps a set of 64-bit hashes of the ids seen, about
// 16 to 40 bytes per row (some 40 MB for a million rows) whatever the
// length of the ids. A hash seen twice is checked exactly in a second pass
// over the id column only, so a hash collision never reports a false
// duplicate; that pass keeps the ids whose hashes repeated.
func Validate(path string) ([]error, error) {
	return validate(path, newIDHash())
}

// newIDHash returns a freshly seeded hash of ids for duplicate detection.
func newIDHash() func(string) uint64 {
	seed := maphash.MakeSeed()
	return func(s string) uint64 { return maphash.String(seed, s) }
}

// problemList keeps the first MaxProblems problems in order and counts
// the rest.
type problemList struct {
	kept  []*RowError
	extra int
}

func (l *problemList) add(p *RowError) {
	if len(l.kept) < MaxProblems {
		l.kept = append(l.kept, p)
		return
	}
	l.extra++
}

func (l *problemList) total() int { return len(l.kept) + l.extra }

// validate is Validate with the id hash function as a parameter, so that
// tests can force collisions.
func validate(path string, hash func(string) uint64) ([]error, error) {
	src, err := openSource(path)
	if err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	defer src.close()
	return validateSource(src, hash), nil
}

// validateSource lists the problems of the set src reads, as Validate
// does once the file is open.
func validateSource(src *source, hash func(string) uint64) []error {
	path := src.path
	var probs problemList
	for _, p := range schemaProblems(path, src.fields) {
		probs.add(p)
	}

	dec := newItemDecoder(src, true)
	hasID := false
	for _, u := range dec.uses {
		hasID = hasID || u.role == roleID
	}
	seen := make(map[uint64]struct{})
	suspects := make(map[uint64]struct{})
	stream := newRowStream(src, dec.leaves)
	defer stream.close()
	var (
		item    records.Item
		rowErrs []*RowError
	)
	for {
		row, idx, ok := stream.next()
		if !ok {
			break
		}
		rowErrs = dec.decode(row, idx, &item, rowErrs[:0])
		for _, p := range rowErrs {
			probs.add(p)
		}
		if hasID && item.ID != "" {
			h := hash(item.ID)
			if _, dup := seen[h]; dup {
				suspects[h] = struct{}{}
			} else {
				seen[h] = struct{}{}
			}
		}
	}
	rowsRead := stream.row
	seen = nil

	var dups problemList
	if len(suspects) > 0 {
		findDuplicates(src, hash, suspects, rowsRead, &dups)
	}

	// Corruption that stopped the read is always listed, first.
	var out []error
	limit := MaxProblems
	if stream.err != nil {
		out = append(out, stream.err)
		limit--
	}
	merged := mergeProblems(probs.kept, dups.kept)
	listed := min(len(merged), limit)
	for _, p := range merged[:listed] {
		out = append(out, p)
	}
	if extra := probs.total() + dups.total() - listed; extra > 0 {
		out = append(out, &RowError{File: path, Row: -1, Err: fmt.Errorf("and %d more problems", extra)})
	}
	return out
}

// findDuplicates re-reads the id column of the first rows rows and reports
// every row whose id (among those whose hash is in suspects) appeared in
// an earlier row.
func findDuplicates(src *source, hash func(string) uint64, suspects map[uint64]struct{}, rows int64, dups *problemList) {
	id := src.field(colID)
	if id < 0 || (src.fields[id].kind != kindString && src.fields[id].kind != kindInt) {
		return
	}
	f := &src.fields[id]
	first := make(map[string]int64)
	stream := newRowStream(src, []int{f.leaf})
	defer stream.close()
	stream.limit = rows
	for {
		row, idx, ok := stream.next()
		if !ok {
			return // an error here was already reported by the first pass
		}
		s, null, err := stringValue(row, f)
		if err != nil || null || s == "" {
			continue
		}
		if _, ok := suspects[hash(s)]; !ok {
			continue
		}
		if at, ok := first[s]; ok {
			dups.add(&RowError{File: src.path, Row: idx, Column: colID,
				Err: fmt.Errorf("%w %q first seen at row %d", ErrDuplicateID, s, at)})
			continue
		}
		first[s] = idx
	}
}

// mergeProblems merges two lists sorted by row into one, file-level
// problems (row -1) first; at equal rows a comes first.
func mergeProblems(a, b []*RowError) []*RowError {
	out := make([]*RowError, 0, len(a)+len(b))
	out = append(out, a...)
	out = append(out, b...)
	slices.SortStableFunc(out, func(x, y *RowError) int { return cmp.Compare(x.Row, y.Row) })
	return out
}
