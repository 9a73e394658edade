package datasets

// Columnar, parallel decoding of results files for ResultsReader.
//
// Instead of assembling a parquet.Row per result, each row group's
// projected columns are read page by page as values and stored straight
// into the fields of a chunk of Results, column after column. Row groups
// are decoded by several goroutines at once; the chunks are handed to Scan
// in file order, so callers see exactly the sequence (and the first error)
// a single pass would give. Memory is bounded by the number of row groups
// in flight and the chunks each may buffer, not by the rows.

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

const (
	// chunkRows is the number of results decoded and handed over at a time.
	chunkRows = 2048
	// chunksAhead is how many decoded chunks of one row group may wait
	// for Scan.
	chunksAhead = 4
	// maxInterned bounds the distinct strings a decoder interns per row
	// group and column.
	maxInterned = 1024
)

// rowResults, set by tests, makes ResultsReader assemble rows instead.
var rowResults bool

// resultChunk is a run of consecutive decoded results; err, when set,
// follows them and ends the stream.
type resultChunk struct {
	results []Result
	err     error
}

// chunkPool recycles the chunks' slices: Scan copies each result out and
// clears its slot, so a used chunk holds nothing.
var chunkPool = sync.Pool{New: func() any { return make([]Result, 0, chunkRows) }}

// rgJob is the decoding of one row group; its chunks arrive on out, which
// the decoder closes when the row group is done.
type rgJob struct {
	index int   // row group index
	start int64 // file index of its first row
	out   chan resultChunk
}

// columnPipe runs the decoders and hands their chunks over in file order.
type columnPipe struct {
	jobs    chan *rgJob // to the decoders
	ordered chan *rgJob // to Scan, in row group order
	quit    chan struct{}
	wg      sync.WaitGroup
	cur     *rgJob
	chunk   []Result
	pos     int
	done    bool
}

// fastResults reports whether every projected column is a flat scalar,
// which the columnar decoder handles: one value per row.
func fastResults(uses []resultUse) bool {
	if rowResults {
		return false
	}
	for _, u := range uses {
		if u.field.leaf < 0 || u.field.maxDef > 1 {
			return false
		}
		switch u.field.kind {
		case kindString, kindInt, kindFloat:
		default:
			return false
		}
	}
	return len(uses) > 0
}

// startPipe starts the decoders over every row group of the file.
func (r *ResultsReader) startPipe() *columnPipe {
	groups := r.src.pf.Metadata().RowGroups
	workers := min(max(runtime.GOMAXPROCS(0), 1), max(len(groups), 1), 8)
	p := &columnPipe{
		jobs:    make(chan *rgJob, workers),
		ordered: make(chan *rgJob, workers),
		quit:    make(chan struct{}),
	}
	p.wg.Add(1 + workers)
	go func() { // dispatcher
		defer p.wg.Done()
		defer close(p.jobs)
		defer close(p.ordered)
		var start int64
		for i := range groups {
			j := &rgJob{index: i, start: start, out: make(chan resultChunk, chunksAhead)}
			start += groups[i].NumRows
			for _, ch := range []chan *rgJob{p.ordered, p.jobs} {
				select {
				case ch <- j:
				case <-p.quit:
					return
				}
			}
		}
	}()
	for range workers {
		go func() {
			defer p.wg.Done()
			d := &rgDecoder{r: r, quit: p.quit, checker: &chunkChecker{r: r.src.file, size: r.src.info.Size}}
			defer d.checker.close()
			for j := range p.jobs {
				d.run(j)
			}
		}()
	}
	return p
}

// next stores the next result in *res and returns true; at the end or on
// an error it returns false and the error (nil at the end).
func (p *columnPipe) next(res *Result) (bool, error) {
	for p.pos >= len(p.chunk) {
		if p.done {
			return false, nil
		}
		if p.cur == nil {
			j, ok := <-p.ordered
			if !ok {
				p.done = true
				return false, nil
			}
			p.cur = j
		}
		c, ok := <-p.cur.out
		if !ok {
			p.cur = nil
			continue
		}
		if p.chunk != nil {
			chunkPool.Put(p.chunk[:0])
		}
		p.chunk, p.pos = c.results, 0
		if c.err != nil && len(c.results) == 0 {
			p.done = true
			return false, c.err
		}
		if c.err != nil {
			// Hand out the results before the error, then the error.
			p.cur = &rgJob{out: make(chan resultChunk, 1)}
			p.cur.out <- resultChunk{err: c.err}
		}
	}
	*res = p.chunk[p.pos]
	p.chunk[p.pos] = Result{}
	p.pos++
	return true, nil
}

// close stops the decoders and waits for them.
func (p *columnPipe) close() {
	if p.quit == nil {
		return
	}
	close(p.quit)
	p.wg.Wait()
	p.quit = nil
	p.done = true
}

// rgDecoder decodes row groups; each decoding goroutine has its own.
type rgDecoder struct {
	r       *ResultsReader
	quit    chan struct{}
	checker *chunkChecker
	cols    []colValues
	vals    []parquet.Value
	intern  []map[string]string
}

// colValues reads one column chunk's values page by page.
type colValues struct {
	pages parquet.Pages
	page  parquet.Page
	vals  parquet.ValueReader
	n     int64 // values read
}

// read reads up to len(buf) values of the current page, moving to the
// next page as needed; it returns 0, io.EOF at the end of the chunk.
func (c *colValues) read(buf []parquet.Value) (int, error) {
	for {
		if c.vals == nil {
			p, err := c.pages.ReadPage()
			if err != nil {
				return 0, err
			}
			c.page, c.vals = p, p.Values()
		}
		n, err := c.vals.ReadValues(buf)
		if n > 0 {
			c.n += int64(n)
			return n, nil
		}
		if err == nil {
			return 0, io.ErrNoProgress
		}
		if err != io.EOF {
			return 0, err
		}
		c.release()
	}
}

func (c *colValues) release() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page, c.vals = nil, nil
	}
}

// send hands a chunk to Scan; it returns false when the reader closed.
func (d *rgDecoder) send(j *rgJob, c resultChunk) bool {
	select {
	case j.out <- c:
		return true
	case <-d.quit:
		return false
	}
}

// run decodes row group j.index and closes j.out.
func (d *rgDecoder) run(j *rgJob) {
	defer close(j.out)
	r := d.r
	fail := func(err error) {
		d.send(j, resultChunk{err: fmt.Errorf("read results: %w", &RowError{
			File: r.src.path,
			Row:  -1,
			Err:  fmt.Errorf("row group %d (rows from %d): %w", j.index, j.start, err),
		})})
	}
	defer func() {
		for i := range d.cols {
			d.cols[i].release()
			if d.cols[i].pages != nil {
				pages := d.cols[i].pages
				_ = protect(func() error { return pages.Close() })
			}
		}
		d.cols = d.cols[:0]
	}()
	want := r.src.pf.Metadata().RowGroups[j.index].NumRows
	if err := protect(func() error { return d.open(j.index) }); err != nil {
		fail(err)
		return
	}
	if len(d.intern) < len(r.uses) {
		d.intern = make([]map[string]string, len(r.uses))
	}
	for i := range d.intern {
		d.intern[i] = nil
	}
	var got int64
	for {
		n := int(min(int64(chunkRows), want-got))
		if n <= 0 {
			break
		}
		results := chunkPool.Get().([]Result)[:n]
		clear(results)
		if len(r.groups) > 0 || len(r.scores) > 0 {
			for k := range results {
				if len(r.groups) > 0 {
					results[k].Groups = make(map[string]string, len(r.groups))
				}
				if len(r.scores) > 0 {
					results[k].Scores = make(map[string]float64, len(r.scores))
				}
			}
		}
		bad, rowErr := n, error(nil) // first bad row and its error
		for ci := range r.uses {
			var short int
			err := protect(func() error {
				var err error
				short, err = d.column(ci, results[:min(n, bad+1)], j.start+got, &bad, &rowErr)
				return err
			})
			if err != nil {
				fail(err)
				return
			}
			if short >= 0 && short < min(n, bad+1) {
				fail(fmt.Errorf("%w: row group holds %d rows but declares %d", ErrCorrupt, got+int64(short), want))
				return
			}
		}
		if rowErr != nil {
			d.send(j, resultChunk{results: results[:bad], err: fmt.Errorf("read results: %w", rowErr)})
			return
		}
		got += int64(n)
		if !d.send(j, resultChunk{results: results}) {
			return
		}
	}
	// Every column must end with the row group.
	for ci := range d.cols {
		var extra bool
		err := protect(func() error {
			c := &d.cols[ci]
			n, err := c.read(d.vals[:1])
			if n > 0 {
				extra = true
				return nil
			}
			if err == io.EOF {
				return nil
			}
			return wrapRead(err)
		})
		if err == nil && extra {
			err = fmt.Errorf("%w: row group holds more rows than the %d it declares", ErrCorrupt, want)
		}
		if err != nil {
			fail(err)
			return
		}
	}
}

// open checks and opens the projected column chunks of row group rg.
func (d *rgDecoder) open(rg int) error {
	r := d.r
	chunks := r.src.pf.RowGroups()[rg].ColumnChunks()
	meta := r.src.pf.Metadata().RowGroups[rg].Columns
	for _, u := range r.uses {
		leaf := u.field.leaf
		if leaf < 0 || leaf >= len(chunks) || leaf >= len(meta) {
			return fmt.Errorf("%w: row group has %d columns, want column %d", ErrCorrupt, len(chunks), leaf)
		}
		if codec := meta[leaf].MetaData.Codec; !supportedCodec(codec) {
			return fmt.Errorf("%w: column %q is compressed with %s, which parquet-go cannot decode",
				ErrUnsupported, strings.Join(meta[leaf].MetaData.PathInSchema, "."), codec)
		}
		if err := d.checker.check(&meta[leaf]); err != nil {
			return err
		}
	}
	for _, u := range r.uses {
		d.cols = append(d.cols, colValues{pages: chunks[u.field.leaf].Pages()})
	}
	if d.vals == nil {
		d.vals = make([]parquet.Value, chunkRows)
	}
	return nil
}

// wrapRead marks a library read error as corruption.
func wrapRead(err error) error {
	if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnsupported) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrCorrupt, err)
}

// column decodes column ci into results, whose first row has file index
// base. A row whose value is bad lowers *bad to its index and sets
// *rowErr, unless an earlier row (or an earlier column of the same row)
// already failed. It returns the number of rows read when the column ends
// early, or -1.
func (d *rgDecoder) column(ci int, results []Result, base int64, bad *int, rowErr *error) (int, error) {
	r := d.r
	u := r.uses[ci]
	c := &d.cols[ci]
	internable := u.group || u.name == resModel || u.name == resErrorKind || u.name == resTask
	for k := 0; k < len(results); {
		n, err := c.read(d.vals[:len(results)-k])
		if err == io.EOF {
			return k, nil
		}
		if err != nil {
			return 0, wrapRead(err)
		}
		for i := range n {
			row := k + i
			if row >= *bad {
				break
			}
			res := &results[row]
			if err := d.value(ci, res, u, d.vals[i:i+1], internable); err != nil {
				// Columns are decoded in order, so a row's earlier
				// columns have already been checked.
				*bad = row
				*rowErr = &RowError{File: r.src.path, Row: base + int64(row), Column: u.field.Name, Err: err}
				break
			}
		}
		k += n
	}
	return -1, nil
}

// value stores one value of column ci into res, as decodeResultColumn
// does, interning short repeated strings.
func (d *rgDecoder) value(ci int, res *Result, u resultUse, span []parquet.Value, internable bool) error {
	v := &span[0]
	if v.RepetitionLevel() != 0 {
		return fmt.Errorf("%w: a row continues a scalar column's previous row", ErrCorrupt)
	}
	if u.field.kind != kindString || !internable || v.IsNull() || v.DefinitionLevel() < u.field.maxDef || v.Kind() != parquet.ByteArray {
		return decodeResultColumn(res, u, span)
	}
	b := v.ByteArray()
	m := d.intern[ci]
	s, ok := m[string(b)]
	if !ok {
		if !utf8.Valid(b) {
			return utf8Error(string(b))
		}
		s = string(b)
		if m == nil {
			m = make(map[string]string)
			d.intern[ci] = m
		}
		if len(m) < maxInterned {
			m[s] = s
		}
	}
	if u.group {
		res.Groups[u.name] = s
		return nil
	}
	switch u.name {
	case resModel:
		res.Model = s
	case resErrorKind:
		res.ErrorKind = s
	case resTask:
		res.Task = s
	}
	return nil
}
