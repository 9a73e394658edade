package datasets

import (
	"fmt"
	"io"
	"slices"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// ResultsReader streams the results of a results file, one row group at a
// time and a bounded batch of rows at a time, so its memory does not grow
// with the number of rows. Use it as
//
//	r, err := datasets.OpenResults(path)
//	if err != nil { ... }
//	defer r.Close()
//	for r.Scan() {
//		res := r.Result()
//		...
//	}
//	if err := r.Err(); err != nil { ... }
//
// It reads the columns ReadResults reads, the same way. A ResultsReader is
// not safe for concurrent use.
type ResultsReader struct {
	// SkipScores, set before the first Scan, leaves the score columns
	// unread: records.Result.Scores is nil. A caller that re-scores outputs saves
	// decoding them.
	SkipScores bool

	src    *source
	uses   []resultUse
	byLeaf map[int]int
	groups []string
	scores []string
	stream *rowStream
	pipe   *columnPipe
	// With the columnar decoder, the groundedness columns (a list among
	// them, which it does not decode) are assembled row by row beside it:
	// ground reads their leaves, groundUses says how to store them.
	ground     *rowStream
	groundUses []resultUse
	spans      [][]parquet.Value
	res        records.Result
	err        error
}

// OpenResults opens the results file at path: it computes the SHA-256 of
// the file's bytes (streaming them), reads the footer and resolves the
// columns. It fails, with a *RowError naming the file and column, when id
// is missing, a fixed column has the wrong type or a column name repeats.
// Errors are wrapped as "read results: …". The caller must Close the
// ResultsReader.
func OpenResults(path string) (*ResultsReader, error) {
	src, err := openSource(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	return newResultsReader(src)
}

// NewResultsReader returns a ResultsReader over the size bytes of ra, a
// results file held anywhere: it digests them, reads the footer and
// resolves the columns as OpenResults does, with the same errors, in
// which name stands for the file (it is also Info.Path). ra must allow
// concurrent ReadAt calls (row groups are decoded on several goroutines)
// and its bytes must not change while the reader reads them. Closing the
// reader does not close ra.
func NewResultsReader(ra io.ReaderAt, size int64, name string) (*ResultsReader, error) {
	src, err := newSource(name, ra, size)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	return newResultsReader(src)
}

// newResultsReader returns a ResultsReader over src, which it closes on
// error.
func newResultsReader(src *source) (*ResultsReader, error) {
	uses, err := resultUses(src.path, src.fields)
	if err != nil {
		src.close()
		return nil, fmt.Errorf("read results: %w", err)
	}
	r := &ResultsReader{src: src, uses: uses}
	for _, u := range uses {
		switch {
		case u.group:
			r.groups = append(r.groups, u.name)
		case u.score:
			r.scores = append(r.scores, u.name)
		}
	}
	return r, nil
}

// start projects the columns to read, honouring SkipScores, and starts
// the row stream.
func (r *ResultsReader) start() {
	if r.SkipScores {
		r.uses = slices.DeleteFunc(r.uses, func(u resultUse) bool { return u.score })
		r.scores = nil
	}
	r.byLeaf = make(map[int]int, len(r.uses))
	r.spans = make([][]parquet.Value, len(r.uses))
	leaves := make([]int, len(r.uses))
	for i, u := range r.uses {
		leaves[i] = u.field.leaf
		r.byLeaf[u.field.leaf] = i
	}
	var flat, ground []resultUse
	for _, u := range r.uses {
		if slices.Contains(GroundednessColumns, u.field.Name) {
			ground = append(ground, u)
		} else {
			flat = append(flat, u)
		}
	}
	if fastResults(flat) {
		r.uses = flat
		r.pipe = r.startPipe()
		if len(ground) > 0 {
			gl := make([]int, len(ground))
			for i, u := range ground {
				gl[i] = u.field.leaf
			}
			slices.Sort(gl)
			r.ground, r.groundUses = newRowStream(r.src, gl), ground
		}
		return
	}
	r.stream = newRowStream(r.src, leaves)
}

// Info describes the file: identity, digest, row count, columns and
// key-value metadata.
func (r *ResultsReader) Info() Info { return r.src.info }

// Groups lists the file's group columns in file order.
func (r *ResultsReader) Groups() []string { return append([]string(nil), r.groups...) }

// Scores lists the names of the file's score columns (without
// ScorePrefix) in file order; none once SkipScores has taken effect.
func (r *ResultsReader) Scores() []string { return append([]string(nil), r.scores...) }

// Scan advances to the next result, which Result then returns. It returns
// false at the end of the file or at the first error, which Err reports.
func (r *ResultsReader) Scan() bool {
	if r.err != nil || r.src.closed {
		return false
	}
	if r.stream == nil && r.pipe == nil {
		r.start()
	}
	if r.pipe != nil {
		ok, err := r.pipe.next(&r.res)
		if err != nil {
			r.err = err
			r.res = records.Result{}
		}
		return ok
	}
	row, idx, ok := r.stream.next()
	if !ok {
		if r.stream.err != nil {
			r.err = fmt.Errorf("read results: %w", r.stream.err)
		}
		return false
	}
	if err := r.decode(row, idx); err != nil {
		r.err = fmt.Errorf("read results: %w", err)
		r.res = records.Result{}
		return false
	}
	return true
}

// decode fills r.res from one row.
func (r *ResultsReader) decode(row parquet.Row, idx int64) error {
	clear(r.spans)
	for i := 0; i < len(row); {
		leaf := row[i].Column()
		j := i + 1
		for j < len(row) && row[j].Column() == leaf {
			j++
		}
		u, ok := r.byLeaf[leaf]
		if !ok || r.spans[u] != nil {
			return corruptf(r.src.path, idx, "unexpected values of leaf column %d", leaf)
		}
		r.spans[u] = row[i:j]
		i = j
	}
	r.res = records.Result{}
	if len(r.groups) > 0 {
		r.res.Groups = make(map[string]string, len(r.groups))
	}
	if len(r.scores) > 0 {
		r.res.Scores = make(map[string]float64, len(r.scores))
	}
	for i, u := range r.uses {
		if err := decodeResultColumn(&r.res, u, r.spans[i]); err != nil {
			return &RowError{File: r.src.path, Row: idx, Column: u.field.Name, Err: err}
		}
	}
	return nil
}

// fillGround decodes the groundedness columns of the next len(results)
// rows into results, returning how many it filled before an error.
func (r *ResultsReader) fillGround(results []records.Result) (int, error) {
	spans := make([][]parquet.Value, len(r.groundUses))
	for i := range results {
		row, idx, ok := r.ground.next()
		if !ok {
			err := r.ground.err
			if err == nil {
				err = corruptf(r.src.path, -1, "the groundedness columns end before the file's other columns")
			}
			return i, fmt.Errorf("read results: %w", err)
		}
		clear(spans)
		for j := 0; j < len(row); {
			leaf := row[j].Column()
			k := j + 1
			for k < len(row) && row[k].Column() == leaf {
				k++
			}
			for u := range r.groundUses {
				if r.groundUses[u].field.leaf == leaf {
					spans[u] = row[j:k]
				}
			}
			j = k
		}
		for u, use := range r.groundUses {
			if spans[u] == nil {
				return i, fmt.Errorf("read results: %w", corruptf(r.src.path, idx, "no value of column %s", use.field.Name))
			}
			if err := decodeResultColumn(&results[i], use, spans[u]); err != nil {
				return i, fmt.Errorf("read results: %w", &RowError{File: r.src.path, Row: idx, Column: use.field.Name, Err: err})
			}
		}
	}
	return len(results), nil
}

// Result returns the result that the last successful Scan read. Its maps
// are not reused by later calls.
func (r *ResultsReader) Result() records.Result { return r.res }

// Err returns the error that stopped Scan, or nil at the end of the file.
// It wraps a *RowError giving the file, row and column.
func (r *ResultsReader) Err() error { return r.err }

// Close releases the file that OpenResults opened; it does not close the
// io.ReaderAt given to NewResultsReader. It is safe to call more than
// once.
func (r *ResultsReader) Close() error {
	if r.pipe != nil {
		r.pipe.close()
	}
	if r.ground != nil {
		r.ground.close()
	}
	if r.stream != nil {
		r.stream.close()
	}
	if err := r.src.close(); err != nil {
		return fmt.Errorf("read results: %w", err)
	}
	return nil
}
