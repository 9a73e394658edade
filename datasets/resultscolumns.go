package datasets

// Columnar, parallel decoding of results files for ResultsReader.
//
// Instead of assembling a parquet.Row per result, each row group's
// projected columns are read page by page and stored straight into the
// fields of a chunk of Results, column after column. A page is read as
// arrays (its definition levels, and its values or dictionary indexes:
// Page.Data) rather than one parquet.Value at a time; a page that does not
// have the expected shape is read value by value, as before. Row groups
// are decoded by several goroutines at once; the chunks are handed to Scan
// (or ReadChunk) in file order, so callers see exactly the sequence (and
// the first error) a single pass would give. Memory is bounded by the
// number of row groups in flight and the chunks each may buffer, not by
// the rows.

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
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
	// maxGroupValues is how many distinct values of each group column a
	// decoder numbers to share Groups maps (ReadChunk); maxGroupMaps
	// bounds the shared maps. Results beyond them get maps of their own.
	maxGroupValues = 64
	maxGroupMaps   = 4096
)

// rowResults, set by tests, makes ResultsReader assemble rows instead.
var rowResults bool

// valueResults, set by tests, makes the columnar decoder read every page
// value by value.
var valueResults bool

// resultChunk is a run of consecutive decoded results; err, when set,
// follows them and ends the stream.
type resultChunk = rowGroupBatch[[]records.Result]

// chunkPool recycles the chunks' slices. A slice in the pool is cleared:
// Scan clears each result as it copies it out, and ReleaseChunk clears
// the chunk.
var chunkPool = sync.Pool{New: func() any { return make([]records.Result, 0, chunkRows) }}

// ReadChunk returns the next results of the file, in file order, as a
// slice of at most a few thousand that the caller owns: an alternative
// to Scan and Result (do not mix them) that saves copying each result
// and, for results with the same group values, allocating a Groups map
// per result. The Groups maps of a chunk's results may be shared with
// other results and must not be modified. ReadChunk returns nil at the
// end of the file or at the first error, which Err reports; the results
// before the error are returned first.
//
// Pass each chunk to ReleaseChunk once its results are no longer needed,
// so that its memory is reused; the strings and maps of its results stay
// valid.
func (r *ResultsReader) ReadChunk() []records.Result {
	if r.err != nil || r.src.closed {
		return nil
	}
	if r.stream == nil && r.pipe == nil {
		r.start()
		if r.pipe != nil {
			r.pipe.shareGroups = true
		}
	}
	if r.pipe != nil {
		c, err := r.pipe.nextChunk()
		if err != nil {
			r.err = err
		}
		return c
	}
	c := chunkPool.Get().([]records.Result)
	for len(c) < chunkRows && r.Scan() {
		c = append(c, r.Result())
	}
	if len(c) == 0 {
		chunkPool.Put(c)
		return nil
	}
	return c
}

// ReleaseChunk hands a chunk from ReadChunk back for reuse.
func (r *ResultsReader) ReleaseChunk(c []records.Result) {
	if cap(c) < chunkRows {
		return
	}
	clear(c)
	chunkPool.Put(c[:0])
}

// Skip leaves the named fixed columns (for example "model" or "expected")
// unread: the matching fields of each records.Result stay zero. A caller that
// does not use them saves decoding them, and their values are not
// checked. id cannot be skipped; other names are ignored. Call it before
// the first Scan or ReadChunk.
func (r *ResultsReader) Skip(columns ...string) {
	if r.stream != nil || r.pipe != nil {
		return
	}
	keep := r.uses[:0]
	for _, u := range r.uses {
		skip := false
		if !u.group && !u.score && u.name != resID {
			for _, c := range columns {
				skip = skip || c == u.name
			}
		}
		if !skip {
			keep = append(keep, u)
		}
	}
	clear(r.uses[len(keep):])
	r.uses = keep
}

// rgJob is the decoding of one row group.
type rgJob = rowGroupJob[[]records.Result]

// columnPipe runs the decoders and hands their chunks over in file order.
// The decoders start at the first read, so that shareGroups can be set.
type columnPipe struct {
	r           *ResultsReader
	shareGroups bool // share Groups maps between results (ReadChunk)
	started     bool
	pipe        *rowGroupPipe[[]records.Result]
	pending     error // follows the chunk nextChunk last returned
	chunk       []records.Result
	pos         int
}

// fastResults reports whether every projected column is a flat scalar,
// which the columnar decoder handles: one value per row.
func fastResults(uses []resultUse) bool {
	if rowResults {
		return false
	}
	for _, u := range uses {
		if u.field.leaf < 0 || u.field.maxDef > 1 || slices.Contains(GroundednessColumns, u.field.Name) {
			return false // ResultsReader reads the groundedness columns apart
		}
		switch u.field.kind {
		case kindString, kindInt, kindFloat:
		default:
			return false
		}
	}
	return len(uses) > 0
}

// startPipe prepares the decoders over every row group of the file; they
// start at the first read.
func (r *ResultsReader) startPipe() *columnPipe {
	return &columnPipe{r: r}
}

// start starts the dispatcher and the decoders.
func (p *columnPipe) start() {
	p.started = true
	r := p.r
	p.pipe = startRowGroupPipe(r.src.pf, resultsLen, putChunk, func() rowGroupDecoder[[]records.Result] {
		return newRGDecoder(r, p.shareGroups)
	})
}

func resultsLen(c []records.Result) int { return len(c) }

func putChunk(c []records.Result) { chunkPool.Put(c) }

// nextChunk returns the next chunk of results, or nil and the error that
// ended the stream (nil at the end). The results before an error are
// returned first, then the error.
func (p *columnPipe) nextChunk() ([]records.Result, error) {
	if !p.started {
		p.start()
	}
	if err := p.pending; err != nil {
		p.pending = nil
		return nil, err
	}
	if p.pipe == nil { // closed before the first read
		return nil, nil
	}
	c, err := p.pipe.next()
	if c != nil && p.r.ground != nil {
		if n, gerr := p.r.fillGround(c); gerr != nil {
			clear(c[n:]) // the pool holds cleared slices
			c, err = c[:n], gerr
			if n == 0 {
				chunkPool.Put(c)
				return nil, err
			}
		}
	}
	if c != nil {
		p.pending = err
		return c, nil
	}
	return nil, err
}

// next stores the next result in *res and returns true; at the end or on
// an error it returns false and the error (nil at the end).
func (p *columnPipe) next(res *records.Result) (bool, error) {
	for p.pos >= len(p.chunk) {
		if p.chunk != nil {
			chunkPool.Put(p.chunk[:0]) // each slot was cleared as it was read
			p.chunk = nil
		}
		c, err := p.nextChunk()
		if c == nil {
			return false, err
		}
		p.chunk, p.pos = c, 0
	}
	*res = p.chunk[p.pos]
	p.chunk[p.pos] = records.Result{}
	p.pos++
	return true, nil
}

// close stops the decoders and waits for them.
func (p *columnPipe) close() {
	p.started = true
	if p.pipe != nil {
		p.pipe.close()
	}
}

// rgDecoder decodes row groups; each decoding goroutine has its own.
type rgDecoder struct {
	r       *ResultsReader
	checker *chunkChecker
	cols    []colCursor
	targets []resField // what each of r.uses fills
	vals    []parquet.Value
	intern  []map[string]string

	// Shared Groups maps (share): the chunk's values of each group column,
	// the values of each numbered so far, and the maps by numbers.
	share  bool
	gcol   []int // index among the group columns of each use, or -1
	gvals  [][]string
	gids   [][]int16 // the number of each value in gvals, or -1
	gnums  [][]string
	shared map[uint64]map[string]string
}

// resField is the field of records.Result a column fills.
type resField uint8

const (
	fieldNone resField = iota
	fieldID
	fieldSample
	fieldModel
	fieldOutput
	fieldError
	fieldErrorKind
	fieldHTTPStatus
	fieldAttempts
	fieldLatencyMS
	fieldPromptTokens
	fieldCompletionTokens
	fieldConfidence
	fieldTask
	fieldExpected
	fieldTruncated
	fieldCached
	fieldGroup
	fieldScore
)

// targetOf returns the field of records.Result that u fills.
func targetOf(u resultUse) resField {
	switch {
	case u.group:
		return fieldGroup
	case u.score:
		return fieldScore
	}
	switch u.name {
	case resID:
		return fieldID
	case resSample:
		return fieldSample
	case resModel:
		return fieldModel
	case resOutput:
		return fieldOutput
	case resError:
		return fieldError
	case resErrorKind:
		return fieldErrorKind
	case resHTTPStatus:
		return fieldHTTPStatus
	case resAttempts:
		return fieldAttempts
	case resLatencyMS:
		return fieldLatencyMS
	case resPromptTokens:
		return fieldPromptTokens
	case resCompletionTokens:
		return fieldCompletionTokens
	case resConfidence:
		return fieldConfidence
	case resTask:
		return fieldTask
	case resExpected:
		return fieldExpected
	case resTruncated:
		return fieldTruncated
	case resCached:
		return fieldCached
	}
	return fieldNone
}

func newRGDecoder(r *ResultsReader, share bool) *rgDecoder {
	d := &rgDecoder{
		r: r, share: share && len(r.groups) > 0,
		checker: &chunkChecker{r: r.src.ra, size: r.src.info.Size},
		intern:  make([]map[string]string, len(r.uses)),
		gcol:    make([]int, len(r.uses)),
	}
	for i, u := range r.uses {
		d.targets = append(d.targets, targetOf(u))
		d.gcol[i] = -1
		if u.group && d.share {
			d.gcol[i] = len(d.gvals)
			d.gvals = append(d.gvals, make([]string, chunkRows))
			d.gids = append(d.gids, make([]int16, chunkRows))
			d.gnums = append(d.gnums, nil)
		}
	}
	if d.share {
		d.shared = make(map[uint64]map[string]string)
	}
	return d
}

// close releases the decoder when its goroutine ends.
func (d *rgDecoder) close() { d.checker.close() }

// run decodes row group j.index and closes j.out.
func (d *rgDecoder) run(j *rgJob) {
	defer close(j.out)
	r := d.r
	fail := func(err error) {
		j.send(resultChunk{err: fmt.Errorf("read results: %w", &RowError{
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
	clear(d.intern)
	var got int64
	for {
		n := int(min(int64(chunkRows), want-got))
		if n <= 0 {
			break
		}
		results := chunkPool.Get().([]records.Result)[:n]
		if !d.share && len(r.groups) > 0 || len(r.scores) > 0 {
			for k := range results {
				if !d.share && len(r.groups) > 0 {
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
		if d.share {
			d.shareGroups(results[:bad])
		}
		if rowErr != nil {
			clear(results[bad:]) // the pool holds cleared slices
			j.send(resultChunk{data: results[:bad], err: fmt.Errorf("read results: %w", rowErr)})
			return
		}
		got += int64(n)
		if !j.send(resultChunk{data: results}) {
			return
		}
	}
	// Every column must end with the row group.
	for ci := range d.cols {
		var extra bool
		err := protect(func() error {
			var err error
			extra, err = d.cols[ci].more(d.vals[:1])
			return err
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
	chunks := make([]parquet.ColumnChunk, len(r.uses))
	for i, u := range r.uses {
		var err error
		if chunks[i], err = r.src.columnChunk(rg, u.field.leaf, d.checker); err != nil {
			return err
		}
	}
	for i, u := range r.uses {
		internable := u.group || u.name == resModel || u.name == resErrorKind || u.name == resTask
		d.cols = append(d.cols, colCursor{pages: chunks[i].Pages(), field: u.field, intern: internable, internTo: &d.intern[i]})
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
func (d *rgDecoder) column(ci int, results []records.Result, base int64, bad *int, rowErr *error) (int, error) {
	r := d.r
	u := r.uses[ci]
	c := &d.cols[ci]
	fail := func(row int, err error) {
		// Columns are decoded in order, so a row's earlier columns have
		// already been checked.
		*bad = row
		*rowErr = &RowError{File: r.src.path, Row: base + int64(row), Column: u.field.Name, Err: err}
	}
	for k := 0; k < len(results); {
		if c.page == nil {
			if err := c.nextPage(); err != nil {
				if err == io.EOF {
					return k, nil
				}
				return 0, wrapRead(err)
			}
		}
		if c.fast {
			m := min(len(results)-k, c.left())
			if m == 0 {
				c.release()
				continue
			}
			if row, err := d.span(ci, c, results[k:k+m], k, min(m, *bad-k)); err != nil {
				fail(k+row, err)
			}
			k += m
			continue
		}
		n, err := c.vals.ReadValues(d.vals[:len(results)-k])
		if n == 0 {
			if err == nil {
				return 0, wrapRead(io.ErrNoProgress)
			}
			if err != io.EOF {
				return 0, wrapRead(err)
			}
			c.release()
			continue
		}
		for i := range n {
			row := k + i
			if row >= *bad {
				break
			}
			if err := d.value(ci, &results[row], row, u, d.vals[i:i+1], c.intern); err != nil {
				fail(row, err)
				break
			}
		}
		k += n
	}
	return -1, nil
}

// span decodes the next len(results) values of c's current page, which
// is read as arrays, into results (from row first of the chunk), storing
// only the first upto. It returns the index in results of the first bad
// row and its error.
func (d *rgDecoder) span(ci int, c *colCursor, results []records.Result, first, upto int) (int, error) {
	target := d.targets[ci]
	switch c.field.kind {
	case kindString:
		g := d.gcol[ci]
		var gvals []string
		var gids []int16
		if g >= 0 {
			gvals, gids = d.gvals[g], d.gids[g]
		}
		name := d.r.uses[ci].name
		for i := range results {
			s, null, valid, x := c.nextString()
			if i >= upto {
				continue
			}
			if !valid {
				c.skip(len(results) - i - 1)
				return i, utf8Error(s)
			}
			res := &results[i]
			switch target {
			case fieldID:
				if null {
					c.skip(len(results) - i - 1)
					return i, ErrNullID
				}
				res.ID = s
			case fieldModel:
				res.Model = s
			case fieldOutput:
				res.Output = s
			case fieldError:
				res.Error = s
			case fieldErrorKind:
				res.ErrorKind = s
			case fieldTask:
				res.Task = s
			case fieldExpected:
				res.Expected = s
			case fieldGroup:
				if gvals != nil {
					gvals[first+i] = s
					gids[first+i] = d.numberAt(g, c, x, s)
				} else {
					res.Groups[name] = s
				}
			}
		}
	case kindInt:
		for i := range results {
			n := c.nextInt()
			if i >= upto {
				continue
			}
			res := &results[i]
			switch target {
			case fieldSample:
				res.Sample = int(n)
			case fieldHTTPStatus:
				res.HTTPStatus = int(n)
			case fieldAttempts:
				res.Attempts = int(n)
			case fieldPromptTokens:
				res.PromptTokens = int(n)
			case fieldCompletionTokens:
				res.CompletionTokens = int(n)
			case fieldTruncated:
				res.Truncated = n != 0 // a null reads as 0
			case fieldCached:
				res.Cached = n != 0
			}
		}
	case kindFloat:
		name := d.r.uses[ci].name
		for i := range results {
			x, null := c.nextFloat()
			if i >= upto {
				continue
			}
			res := &results[i]
			switch target {
			case fieldScore:
				if !null {
					res.Scores[name] = x
				}
			case fieldLatencyMS:
				res.LatencyMS = x
			case fieldConfidence:
				res.Confidence = x
			}
		}
	}
	return 0, nil
}

// value stores one value of column ci into res, the row-th of its chunk,
// as decodeResultColumn does, interning short repeated strings.
func (d *rgDecoder) value(ci int, res *records.Result, row int, u resultUse, span []parquet.Value, internable bool) error {
	v := &span[0]
	if v.RepetitionLevel() != 0 {
		return fmt.Errorf("%w: a row continues a scalar column's previous row", ErrCorrupt)
	}
	g := d.gcol[ci]
	if u.field.kind != kindString || !internable || v.IsNull() || v.DefinitionLevel() < u.field.maxDef || v.Kind() != parquet.ByteArray {
		if g >= 0 {
			s, _, err := stringValue(span, u.field)
			if err == nil {
				d.gvals[g][row], d.gids[g][row] = s, d.number(g, s)
			}
			return err
		}
		return decodeResultColumn(res, u, span)
	}
	s, ok := internBytes(&d.intern[ci], v.ByteArray())
	if !ok {
		return utf8Error(string(v.ByteArray()))
	}
	switch {
	case g >= 0:
		d.gvals[g][row], d.gids[g][row] = s, d.number(g, s)
	case u.group:
		res.Groups[u.name] = s
	case u.name == resModel:
		res.Model = s
	case u.name == resErrorKind:
		res.ErrorKind = s
	case u.name == resTask:
		res.Task = s
	}
	return nil
}

// internBytes returns b as a string from *m, adding it while *m holds
// fewer than maxInterned strings; ok is false when b is not valid UTF-8.
func internBytes(m *map[string]string, b []byte) (s string, ok bool) {
	if s, ok := (*m)[string(b)]; ok {
		return s, true
	}
	if !utf8.Valid(b) {
		return "", false
	}
	s = string(b)
	if *m == nil {
		*m = make(map[string]string)
	}
	if len(*m) < maxInterned {
		(*m)[s] = s
	}
	return s, true
}

// shareGroups gives each of results the Groups map of its group values
// (in d.gvals, numbered in d.gids), shared with the other results with
// the same values.
func (d *rgDecoder) shareGroups(results []records.Result) {
	names := d.r.groups
	for row := range results {
		key, ok := uint64(0), len(names) <= 10
		for g := 0; ok && g < len(names); g++ {
			id := d.gids[g][row]
			ok = id >= 0
			key = key<<6 | uint64(id)
		}
		var m map[string]string
		if ok {
			m = d.shared[key]
		}
		if m == nil {
			m = make(map[string]string, len(names))
			for g, name := range names {
				m[name] = d.gvals[g][row]
			}
			if ok && len(d.shared) < maxGroupMaps {
				d.shared[key] = m
			}
		}
		results[row].Groups = m
	}
	for g := range d.gvals {
		clear(d.gvals[g])
	}
}

// numberAt is number(g, s) for the value s at index x of c's dictionary
// (or -1 when not from a dictionary), remembered per dictionary index.
func (d *rgDecoder) numberAt(g int, c *colCursor, x int32, s string) int16 {
	if x < 0 {
		return d.number(g, s)
	}
	if id := c.dictNums[x]; id != -2 {
		return id
	}
	id := d.number(g, s)
	c.dictNums[x] = id
	return id
}

// number returns the number of value v of group column g, numbering it
// when new, or -1 when the column has maxGroupValues numbered already.
func (d *rgDecoder) number(g int, v string) int16 {
	nums := d.gnums[g]
	for i, s := range nums {
		if s == v {
			return int16(i)
		}
	}
	if len(nums) >= maxGroupValues {
		return -1
	}
	d.gnums[g] = append(nums, v)
	return int16(len(nums))
}

// colCursor reads one column chunk page by page: a page with the
// expected shape as arrays (fast), any other value by value (vals).
type colCursor struct {
	pages    parquet.Pages
	field    *field
	intern   bool               // intern the strings (short repeated values)
	internTo *map[string]string // the interned strings

	page parquet.Page
	fast bool
	vals parquet.ValueReader // the page's values, when not fast

	// The page as arrays: n values, the next at pos; definition levels
	// (nil for a required column); the next non-null value at vi.
	n, pos, vi int
	defs       []byte
	// Strings: plain (bytes, offs, and for strings not interned, str,
	// a copy of the page's bytes from offs[0]) or from a dictionary.
	bytes    []byte
	offs     []uint32
	str      string
	ascii    bool
	idx      []int32
	dict     *dictStrings
	lastDict parquet.Dictionary
	dictBuf  dictStrings
	dictNums []int16 // per dictionary value, its group number (-2: not yet)
	// Numbers.
	i64 []int64
	i32 []int32
	f64 []float64
	f32 []float32
}

// dictStrings are a dictionary's values as strings, with their validity.
type dictStrings struct {
	strs  []string
	valid []bool
}

// nextPage reads the next page of the chunk.
func (c *colCursor) nextPage() error {
	p, err := c.pages.ReadPage()
	if err != nil {
		return err
	}
	c.page = p
	c.fast = !valueResults && c.arrays(p)
	if !c.fast {
		c.vals = p.Values()
	}
	return nil
}

// release returns the current page to the library.
func (c *colCursor) release() {
	if c.page != nil {
		parquet.Release(c.page)
	}
	c.page, c.vals, c.fast = nil, nil, false
	c.defs, c.bytes, c.offs, c.str, c.idx, c.dict = nil, nil, nil, "", nil, nil
	c.i64, c.i32, c.f64, c.f32 = nil, nil, nil, nil
}

// left is the number of values of a fast page not read yet.
func (c *colCursor) left() int { return c.n - c.pos }

// arrays prepares reading p as arrays, and reports whether p has the
// shape that allows it: a flat column whose definition levels, values
// or dictionary indexes agree in number, of the column's type.
func (c *colCursor) arrays(p parquet.Page) bool {
	if len(p.RepetitionLevels()) != 0 {
		return false
	}
	n := int(p.NumValues())
	defs := p.DefinitionLevels()
	present := n
	switch c.field.maxDef {
	case 0:
		if len(defs) != 0 {
			return false
		}
		defs = nil
	case 1:
		if len(defs) != n {
			return false
		}
		present = 0
		for _, d := range defs {
			if d == 1 {
				present++
			}
		}
	default:
		return false
	}
	data := p.Data()
	dict := p.Dictionary()
	switch c.field.kind {
	case kindString:
		if dict != nil {
			if data.Kind() != encoding.Int32 {
				return false
			}
			idx := data.Int32()
			ds := c.dictionary(dict)
			if len(idx) != present || ds == nil {
				return false
			}
			for _, x := range idx {
				if uint32(x) >= uint32(len(ds.strs)) {
					return false
				}
			}
			c.idx, c.dict = idx, ds
			break
		}
		if data.Kind() != encoding.ByteArray {
			return false
		}
		b, offs := data.ByteArray()
		if len(offs) != present+1 || !validOffsets(offs, len(b)) {
			return false
		}
		c.bytes, c.offs = b, offs
		if !c.intern {
			page := b[offs[0]:offs[present]]
			c.str, c.ascii = string(page), isASCII(page)
		}
	case kindInt:
		if dict != nil {
			return false
		}
		switch data.Kind() {
		case encoding.Int64:
			c.i64 = data.Int64()
			if len(c.i64) != present {
				return false
			}
		case encoding.Int32:
			c.i32 = data.Int32()
			if len(c.i32) != present {
				return false
			}
		default:
			return false
		}
	case kindFloat:
		if dict != nil {
			return false
		}
		switch data.Kind() {
		case encoding.Double:
			c.f64 = data.Double()
			if len(c.f64) != present {
				return false
			}
		case encoding.Float:
			c.f32 = data.Float()
			if len(c.f32) != present {
				return false
			}
		default:
			return false
		}
	default:
		return false
	}
	c.n, c.pos, c.vi, c.defs = n, 0, 0, defs
	return true
}

// dictionary returns the values of a string dictionary, converting them
// once per dictionary, or nil when it does not hold byte arrays.
func (c *colCursor) dictionary(dict parquet.Dictionary) *dictStrings {
	if dict == c.lastDict {
		return &c.dictBuf
	}
	c.lastDict = nil
	data := dict.Page().Data()
	if data.Kind() != encoding.ByteArray {
		return nil
	}
	b, offs := data.ByteArray()
	n := dict.Len()
	if n < 0 || len(offs) < n+1 || !validOffsets(offs[:n+1], len(b)) {
		return nil
	}
	ds := &c.dictBuf
	ds.strs, ds.valid = ds.strs[:0], ds.valid[:0]
	var all string
	if !c.intern {
		all = string(b[offs[0]:offs[n]])
	}
	for i := range n {
		v := b[offs[i]:offs[i+1]]
		var s string
		ok := true
		if c.intern {
			if s, ok = internBytes(c.internTo, v); !ok {
				s = string(v)
			}
		} else {
			s = all[offs[i]-offs[0] : offs[i+1]-offs[0]]
			ok = utf8.ValidString(s)
		}
		ds.strs, ds.valid = append(ds.strs, s), append(ds.valid, ok)
	}
	c.lastDict = dict
	c.dictNums = c.dictNums[:0]
	for range n {
		c.dictNums = append(c.dictNums, -2)
	}
	return ds
}

// validOffsets reports whether offs ascend within a buffer of size bytes.
func validOffsets(offs []uint32, size int) bool {
	if len(offs) == 0 {
		return false
	}
	for i := 1; i < len(offs); i++ {
		if offs[i] < offs[i-1] {
			return false
		}
	}
	return int64(offs[len(offs)-1]) <= int64(size)
}

// isASCII reports whether b holds only ASCII bytes.
func isASCII(b []byte) bool {
	for len(b) >= 8 {
		if (uint64(b[0])|uint64(b[1])|uint64(b[2])|uint64(b[3])|uint64(b[4])|uint64(b[5])|uint64(b[6])|uint64(b[7]))&0x80 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, x := range b {
		if x >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// present reports whether the value at pos is not null, and moves on.
func (c *colCursor) present() bool {
	i := c.pos
	c.pos++
	if c.defs != nil && c.defs[i] != 1 {
		return false
	}
	return true
}

// nextString returns the next string of a fast page: "" for a null;
// valid is false when s is not UTF-8; x is its index in the page's
// dictionary, or -1.
func (c *colCursor) nextString() (s string, null, valid bool, x int32) {
	if !c.present() {
		return "", true, true, -1
	}
	v := c.vi
	c.vi++
	if c.dict != nil {
		x := c.idx[v]
		return c.dict.strs[x], false, c.dict.valid[x], x
	}
	lo, hi := c.offs[v], c.offs[v+1]
	if c.intern {
		if s, ok := internBytes(c.internTo, c.bytes[lo:hi]); ok {
			return s, false, true, -1
		}
		return string(c.bytes[lo:hi]), false, false, -1
	}
	s = c.str[lo-c.offs[0] : hi-c.offs[0]]
	return s, false, c.ascii || utf8.ValidString(s), -1
}

// nextInt returns the next integer of a fast page, 0 for a null.
func (c *colCursor) nextInt() int64 {
	if !c.present() {
		return 0
	}
	v := c.vi
	c.vi++
	if c.i64 != nil {
		return c.i64[v]
	}
	return int64(c.i32[v])
}

// nextFloat returns the next number of a fast page, 0 for a null.
func (c *colCursor) nextFloat() (x float64, null bool) {
	if !c.present() {
		return 0, true
	}
	v := c.vi
	c.vi++
	if c.f64 != nil {
		return c.f64[v], false
	}
	return float64(c.f32[v]), false
}

// skip moves past n values of a fast page.
func (c *colCursor) skip(n int) {
	for range n {
		if c.present() {
			c.vi++
		}
	}
}

// more reports whether the chunk holds another value, reading it into
// buf when the page is read value by value.
func (c *colCursor) more(buf []parquet.Value) (bool, error) {
	for {
		if c.page == nil {
			if err := c.nextPage(); err != nil {
				if err == io.EOF {
					return false, nil
				}
				return false, wrapRead(err)
			}
		}
		if c.fast {
			if c.left() > 0 {
				return true, nil
			}
			c.release()
			continue
		}
		n, err := c.vals.ReadValues(buf)
		if n > 0 {
			return true, nil
		}
		if err == nil {
			return false, wrapRead(io.ErrNoProgress)
		}
		if err != io.EOF {
			return false, wrapRead(err)
		}
		c.release()
	}
}

// colValues reads one column chunk's values page by page, one
// parquet.Value at a time (ColumnReader reads with it).
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
