package datasets

// Columnar reading of an eval set's reference columns, for scoring.
//
// Scoring needs a few columns of each item (id, expected, expected_any,
// task; groundedness and boundaries add context and must_not_contain),
// not whole Items. ItemColumnReader reads only those, row group by row
// group on several goroutines at once, page by page as arrays where the
// page allows (see colCursor), and hands the row groups' batches over in
// file order.

import (
	"fmt"
	"io"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// ItemColumns holds some columns of a run of consecutive items of an eval
// set, as ItemColumnReader reads them: element i of each slice belongs to
// the item at file row Row+i. Optional columns that are absent or null
// read as their zero value, as in records.Item.
type ItemColumns struct {
	// Row is the 0-based file index of the first item.
	Row int64
	// ID, Expected, ExpectedAny and Task are as in records.Item.
	ID          []string
	Expected    []string
	ExpectedAny [][]string
	Task        []string
	// Input, System, Context and MustNotContain are as in records.Item, when the
	// reader was asked for them; nil otherwise.
	Input, System  []string
	Context        [][]string
	MustNotContain [][]string
	// Extra holds, for each name in ItemColumnReader.Extra, the values of
	// that string column ("" for a null, or when the set lacks it).
	Extra [][]string
	// Messages are as in records.Item, when the reader was asked for
	// them; nil otherwise.
	Messages [][]records.Message
}

// Len is the number of items.
func (c *ItemColumns) Len() int { return len(c.ID) }

// ItemColumnReader streams the reference columns of an eval set (id,
// expected, expected_any and task, and on request input, system,
// context, must_not_contain and other string columns) in batches of consecutive
// items, without decoding the other columns. Its memory does not grow
// with the number of rows: a few row groups' open pages and batches are
// in flight. Use it as
//
//	r, err := datasets.OpenItemColumns(path)
//	if err != nil { ... }
//	defer r.Close()
//	r.Context = true // optional, before the first Next
//	for r.Next() {
//		c := r.Columns()
//		for i := range c.Len() { ... c.ID[i], c.Expected[i] ... }
//	}
//	if err := r.Err(); err != nil { ... }
//
// Next stops at the first bad row in the columns it reads (null or empty
// id, invalid UTF-8, corrupt data), with the error Reader would give for
// it; problems in columns it does not read (a null input, say) are not
// seen: run Validate for those. An ItemColumnReader is not safe for
// concurrent use.
type ItemColumnReader struct {
	// Input, System, Context and MustNotContain, set before the first
	// Next, also read those columns into the ItemColumns fields of the
	// same names. A null input is an error, as with Reader, unless the
	// set has a messages column: this reader does not read conversations,
	// so it leaves to Reader and Validate the check that such a row has
	// one, and reads the input as "".
	Input, System, Context, MustNotContain bool
	// Messages, set before the first Next, also reads the messages
	// column into ItemColumns.Messages.
	Messages bool
	// Extra, set before the first Next, names other string columns to
	// read into ItemColumns.Extra, such as fairness group columns.
	Extra []string

	src     *source
	cols    []itemColumn
	pipe    *itemPipe
	cur     *ItemColumns
	pending error // follows cur
	err     error
}

// itemColumn is one column ItemColumnReader decodes.
type itemColumn struct {
	field *field
	role  role
	extra int // index in Extra, for roleExtra
	// nullOK is set for the input column of a set with a messages
	// column, where a row's conversation may stand in for its input
	// (which Reader and Validate check; this reader does not read the
	// conversations).
	nullOK bool
}

// OpenItemColumns opens the eval set at path as Open does (digest,
// footer, schema checks, with the same errors) for reading its reference
// columns. The caller must Close the reader.
func OpenItemColumns(path string) (*ItemColumnReader, error) {
	src, err := openSource(path)
	if err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	return newItemColumnReader(src)
}

// NewItemColumnReader returns an ItemColumnReader over the size bytes of
// ra, as NewReader returns a Reader: it digests them, reads the footer
// and checks the schema as OpenItemColumns does, with name standing for
// the file in errors and Info.Path. ra must allow concurrent ReadAt
// calls (row groups are decoded on several goroutines) and its bytes must
// not change while the reader reads them. Closing the reader does not
// close ra.
func NewItemColumnReader(ra io.ReaderAt, size int64, name string) (*ItemColumnReader, error) {
	src, err := newSource(name, ra, size)
	if err != nil {
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	return newItemColumnReader(src)
}

// newItemColumnReader returns an ItemColumnReader over src, which it
// closes on error.
func newItemColumnReader(src *source) (*ItemColumnReader, error) {
	if err := schemaError(src); err != nil {
		src.close()
		return nil, fmt.Errorf("read eval set: %w", err)
	}
	return &ItemColumnReader{src: src}, nil
}

// Info describes the file: identity, digest, row count and columns.
func (r *ItemColumnReader) Info() Info { return r.src.info }

// resolve picks the columns to decode, in schema order, so that a row's
// first problem is reported for the same column as Reader reports it.
func (r *ItemColumnReader) resolve() error {
	want := map[role]bool{roleID: true, roleExpected: true, roleExpectedAny: true, roleTask: true,
		roleInput: r.Input, roleSystem: r.System, roleContext: r.Context, roleMustNotContain: r.MustNotContain, roleMessages: r.Messages}
	seen := map[string]bool{}
	for i := range r.src.fields {
		f := &r.src.fields[i]
		if seen[f.Name] {
			continue
		}
		seen[f.Name] = true
		if ro, ok := knownRole(f.Name); ok && want[ro] {
			if ok, _ := acceptsKind(ro, f.kind); ok {
				r.cols = append(r.cols, itemColumn{field: f, role: ro, nullOK: ro == roleInput && r.hasMessages()})
			}
		}
		for x, name := range r.Extra {
			if name != f.Name {
				continue
			}
			if f.kind != kindString {
				return &RowError{File: r.src.path, Row: -1, Column: name, Err: fmt.Errorf("%w: want string, found %s", ErrWrongType, f.Type)}
			}
			r.cols = append(r.cols, itemColumn{field: f, role: roleExtra, extra: x})
		}
	}
	return nil
}

// hasMessages reports whether the set has a messages column of the
// conversation type.
func (r *ItemColumnReader) hasMessages() bool {
	for i := range r.src.fields {
		if f := &r.src.fields[i]; f.Name == colMessages && f.kind == kindMessages {
			return true
		}
	}
	return false
}

// HasExtra reports whether records.Item.Extra holds column name, as Reader decodes
// the set: whether the set has a string column of that name other than
// the columns the eval-set schema fixes. records.Item.Extra lacks the others, so a reader
// that stands in for Reader should leave them out of Extra.
func (r *ItemColumnReader) HasExtra(name string) bool {
	for i := range r.src.fields {
		f := &r.src.fields[i]
		if f.Name == name {
			_, known := knownRole(name)
			return !known && f.kind == kindString
		}
	}
	return false
}

// Next advances to the next batch of items, which Columns then returns.
// It returns false at the end of the set or at the first error, which
// Err reports; the items before the error are returned first.
func (r *ItemColumnReader) Next() bool {
	r.cur = nil
	if r.err != nil || r.src.closed {
		return false
	}
	if r.pending != nil {
		r.err, r.pending = r.pending, nil
		r.checkSource()
		return false
	}
	if r.pipe == nil {
		if err := r.resolve(); err != nil {
			r.err = fmt.Errorf("read eval set: %w", err)
			return false
		}
		r.pipe = r.startPipe()
	}
	c, err := r.pipe.next()
	switch {
	case c != nil:
		r.cur, r.pending = c, err
		return true
	case err != nil:
		r.err = err
	}
	r.checkSource()
	return false
}

// checkSource makes Err report a change of the file, at the end of the
// set or at an error, when a Set handed the reader out.
func (r *ItemColumnReader) checkSource() {
	if err := r.src.check(); err != nil {
		r.err = fmt.Errorf("read eval set: %w", err)
	}
}

// Columns returns the batch that the last successful Next read. Its
// slices are not reused by later calls.
func (r *ItemColumnReader) Columns() *ItemColumns { return r.cur }

// Err returns the error that stopped Next, or nil at the end of the set.
// It wraps a *RowError giving the file, row and column, or, for a reader
// handed out by a Set whose file changed, ErrChanged.
func (r *ItemColumnReader) Err() error { return r.err }

// Close stops the decoding and releases the file that OpenItemColumns
// opened; it does not close the io.ReaderAt given to NewItemColumnReader,
// nor the file of the Set that handed the reader out. It is safe to call
// more than once.
func (r *ItemColumnReader) Close() error {
	if r.pipe != nil {
		r.pipe.close()
	}
	if err := r.src.close(); err != nil {
		return fmt.Errorf("read eval set: %w", err)
	}
	return nil
}

type (
	itemJob   = rowGroupJob[*ItemColumns]
	itemBatch = rowGroupBatch[*ItemColumns]
	itemPipe  = rowGroupPipe[*ItemColumns]
)

func (r *ItemColumnReader) startPipe() *itemPipe {
	return startRowGroupPipe(r.src.pf, itemsLen, nil, func() rowGroupDecoder[*ItemColumns] {
		return &itemColumnDecoder{r: r, checker: &chunkChecker{r: r.src.ra, size: r.src.info.Size}}
	})
}

// itemsLen is the number of items in c, which may be nil.
func itemsLen(c *ItemColumns) int {
	if c == nil {
		return 0
	}
	return c.Len()
}

// itemColumnDecoder decodes row groups; each decoding goroutine has its
// own.
type itemColumnDecoder struct {
	r       *ItemColumnReader
	checker *chunkChecker
	scalars []colCursor  // by column, for scalar columns
	lists   []listCursor // by column, for list columns (a messages column's roles)
	// contents are, by column, a messages column's contents.
	contents []listCursor
	vals     []parquet.Value
	intern   []map[string]string
}

func (d *itemColumnDecoder) close() { d.checker.close() }

// run decodes row group j.index and closes j.out.
func (d *itemColumnDecoder) run(j *itemJob) {
	defer close(j.out)
	r := d.r
	fail := func(err error) {
		j.send(itemBatch{err: fmt.Errorf("read eval set: %w", &RowError{
			File: r.src.path,
			Row:  -1,
			Err:  fmt.Errorf("row group %d (rows from %d): %w", j.index, j.start, err),
		})})
	}
	defer d.closeColumns()
	want := r.src.pf.Metadata().RowGroups[j.index].NumRows
	if err := protect(func() error { return d.open(j.index) }); err != nil {
		fail(err)
		return
	}
	var got int64
	for {
		n := int(min(int64(chunkRows), want-got))
		if n <= 0 {
			break
		}
		b := d.newBatch(j.start+got, n)
		bad, rowErr := n, error(nil)
		for ci := range r.cols {
			var short int
			err := protect(func() error {
				var err error
				short, err = d.column(ci, b, min(n, bad+1), &bad, &rowErr)
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
			b.truncate(bad)
			j.send(itemBatch{data: b, err: fmt.Errorf("read eval set: %w", rowErr)})
			return
		}
		got += int64(n)
		if !j.send(itemBatch{data: b}) {
			return
		}
	}
	// Every column must end with the row group.
	for ci, c := range r.cols {
		var extra bool
		err := protect(func() error {
			var err error
			if c.field.kind == kindStringList || c.field.kind == kindMessages {
				var ok bool
				ok, err = d.lists[ci].fill()
				extra = ok
				if err == nil && !ok && c.field.kind == kindMessages {
					ok, err = d.contents[ci].fill()
					extra = ok
				}
				return wrapReadErr(err)
			}
			extra, err = d.scalars[ci].more(d.vals[:1])
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

// wrapReadErr is wrapRead for a possibly nil error.
func wrapReadErr(err error) error {
	if err == nil {
		return nil
	}
	return wrapRead(err)
}

// newBatch allocates the slices of a batch of n items from file row start.
func (d *itemColumnDecoder) newBatch(start int64, n int) *ItemColumns {
	r := d.r
	b := &ItemColumns{Row: start, ID: make([]string, n), Expected: make([]string, n), ExpectedAny: make([][]string, n), Task: make([]string, n)}
	if r.Input {
		b.Input = make([]string, n)
	}
	if r.System {
		b.System = make([]string, n)
	}
	if r.Context {
		b.Context = make([][]string, n)
	}
	if r.MustNotContain {
		b.MustNotContain = make([][]string, n)
	}
	if r.Messages {
		b.Messages = make([][]records.Message, n)
	}
	if len(r.Extra) > 0 {
		b.Extra = make([][]string, len(r.Extra))
		for i := range b.Extra {
			b.Extra[i] = make([]string, n)
		}
	}
	return b
}

// truncate keeps the first n items.
func (b *ItemColumns) truncate(n int) {
	b.ID, b.Expected, b.ExpectedAny, b.Task = b.ID[:n], b.Expected[:n], b.ExpectedAny[:n], b.Task[:n]
	if b.Input != nil {
		b.Input = b.Input[:n]
	}
	if b.System != nil {
		b.System = b.System[:n]
	}
	if b.Context != nil {
		b.Context = b.Context[:n]
	}
	if b.MustNotContain != nil {
		b.MustNotContain = b.MustNotContain[:n]
	}
	if b.Messages != nil {
		b.Messages = b.Messages[:n]
	}
	for i := range b.Extra {
		b.Extra[i] = b.Extra[i][:n]
	}
}

// open checks and opens the column chunks of row group rg.
func (d *itemColumnDecoder) open(rg int) error {
	r := d.r
	chunks := make([]parquet.ColumnChunk, len(r.cols))
	contents := make([]parquet.ColumnChunk, len(r.cols))
	for i, c := range r.cols {
		var err error
		if chunks[i], err = r.src.columnChunk(rg, c.field.leaf, d.checker); err != nil {
			return err
		}
		if c.field.kind == kindMessages {
			if contents[i], err = r.src.columnChunk(rg, c.field.content, d.checker); err != nil {
				return err
			}
		}
	}
	if d.intern == nil {
		d.intern = make([]map[string]string, len(r.cols))
		d.scalars = make([]colCursor, len(r.cols))
		d.lists = make([]listCursor, len(r.cols))
		d.contents = make([]listCursor, len(r.cols))
		d.vals = make([]parquet.Value, chunkRows)
	}
	clear(d.intern)
	for i, c := range r.cols {
		pages := chunks[i].Pages()
		if c.field.kind == kindMessages {
			d.contents[i] = listCursor{pages: contents[i].Pages(), buf: d.contents[i].buf, span: d.contents[i].span}
		}
		if c.field.kind == kindStringList || c.field.kind == kindMessages {
			d.lists[i] = listCursor{pages: pages, buf: d.lists[i].buf, span: d.lists[i].span}
			continue
		}
		intern := c.role == roleTask || c.role == roleExtra
		d.scalars[i] = colCursor{pages: pages, field: c.field, intern: intern, internTo: &d.intern[i]}
	}
	return nil
}

// closeColumns releases the pages and column chunks of the row group.
func (d *itemColumnDecoder) closeColumns() {
	for i := range d.scalars {
		c := &d.scalars[i]
		c.release()
		if c.pages != nil {
			pages := c.pages
			_ = protect(func() error { return pages.Close() })
		}
		c.pages = nil
	}
	for i := range d.lists {
		d.closeList(&d.lists[i])
		d.closeList(&d.contents[i])
	}
}

// closeList releases a list cursor's pages.
func (d *itemColumnDecoder) closeList(c *listCursor) {
	c.release()
	if c.pages != nil {
		pages := c.pages
		_ = protect(func() error { return pages.Close() })
	}
	c.pages = nil
}

// column decodes the first n rows of column ci into b; it returns the
// number of rows read when the column ends early, or -1. A bad row lowers
// *bad and sets *rowErr, as rgDecoder.column does.
func (d *itemColumnDecoder) column(ci int, b *ItemColumns, n int, bad *int, rowErr *error) (int, error) {
	col := d.r.cols[ci]
	fail := func(row int, err error) {
		*bad = row
		*rowErr = &RowError{File: d.r.src.path, Row: b.Row + int64(row), Column: col.field.Name, Err: err}
	}
	if col.field.kind == kindMessages {
		roles, contents := &d.lists[ci], &d.contents[ci]
		for row := range n {
			rs, err := roles.row()
			if err != nil {
				return 0, wrapRead(err)
			}
			cs, err := contents.row()
			if err != nil {
				return 0, wrapRead(err)
			}
			if rs == nil || cs == nil {
				return row, nil
			}
			if row < *bad {
				msgs, err := messagesValue(rs, cs, col.field)
				if err != nil {
					fail(row, err)
				} else if len(msgs) > 0 {
					b.Messages[row] = msgs
				}
			}
			roles.done()
			contents.done()
		}
		return -1, nil
	}
	if col.field.kind == kindStringList {
		c := &d.lists[ci]
		for row := range n {
			span, err := c.row()
			if err != nil {
				return 0, wrapRead(err)
			}
			if span == nil {
				return row, nil
			}
			if row < *bad {
				list, err := listValue(span, col.field)
				if err != nil {
					fail(row, err)
				} else {
					b.setList(col, row, list)
				}
			}
			c.done()
		}
		return -1, nil
	}
	c := &d.scalars[ci]
	for k := 0; k < n; {
		if c.page == nil {
			if err := c.nextPage(); err != nil {
				if err == io.EOF {
					return k, nil
				}
				return 0, wrapRead(err)
			}
			if c.fast && col.field.kind != kindString {
				// An integer id: read value by value, as stringValue
				// formats it.
				c.fast, c.vals = false, c.page.Values()
			}
		}
		if c.fast {
			m := min(n-k, c.left())
			if m == 0 {
				c.release()
				continue
			}
			for i := range m {
				row := k + i
				s, null, valid, _ := c.nextString()
				if row >= *bad {
					continue
				}
				var err error
				if !valid {
					err = utf8Error(s)
				} else {
					err = b.setString(col, row, s, null)
				}
				if err != nil {
					fail(row, err)
				}
			}
			k += m
			continue
		}
		got, err := c.vals.ReadValues(d.vals[:n-k])
		if got == 0 {
			if err == nil {
				return 0, wrapRead(io.ErrNoProgress)
			}
			if err != io.EOF {
				return 0, wrapRead(err)
			}
			c.release()
			continue
		}
		for i := range got {
			row := k + i
			if row >= *bad {
				break
			}
			v := d.vals[i : i+1]
			if v[0].RepetitionLevel() != 0 {
				fail(row, fmt.Errorf("%w: a row continues a scalar column's previous row", ErrCorrupt))
				break
			}
			s, null, err := stringValue(v, col.field)
			if err == nil {
				err = b.setString(col, row, s, null)
			}
			if err != nil {
				fail(row, err)
				break
			}
		}
		k += got
	}
	return -1, nil
}

// setString stores the value of scalar column col in row, as
// itemDecoder.decode does.
func (b *ItemColumns) setString(col itemColumn, row int, s string, null bool) error {
	switch col.role {
	case roleID:
		switch {
		case null:
			return ErrNullID
		case s == "":
			return ErrEmptyID
		}
		b.ID[row] = s
	case roleInput:
		if null && !col.nullOK {
			return ErrNullInput
		}
		b.Input[row] = s
	case roleSystem:
		b.System[row] = s
	case roleExpected:
		b.Expected[row] = s
	case roleTask:
		b.Task[row] = s
	case roleContext:
		if !null {
			b.Context[row] = []string{s}
		}
	case roleExtra:
		b.Extra[col.extra][row] = s
	}
	return nil
}

// setList stores the value of list column col in row.
func (b *ItemColumns) setList(col itemColumn, row int, list []string) {
	switch col.role {
	case roleExpectedAny:
		b.ExpectedAny[row] = list
	case roleContext:
		b.Context[row] = list
	case roleMustNotContain:
		b.MustNotContain[row] = list
	}
}

// listCursor reads a list column's values row by row: a row is its first
// value and the values after it that continue it (repetition level above
// 0), which may lie on the next pages.
type listCursor struct {
	pages   parquet.Pages
	page    parquet.Page
	vals    parquet.ValueReader
	buf     []parquet.Value
	pos, n  int
	eof     bool
	span    []parquet.Value
	pending []parquet.Page // pages the current span may point into
}

// fill makes sure an unread value is buffered, reading pages as needed;
// it returns false at the end of the column chunk.
func (c *listCursor) fill() (bool, error) {
	for c.pos >= c.n {
		if c.eof {
			return false, nil
		}
		if c.vals == nil {
			p, err := c.pages.ReadPage()
			if err == io.EOF {
				c.eof = true
				return false, nil
			}
			if err != nil {
				return false, err
			}
			c.page, c.vals = p, p.Values()
		}
		if c.buf == nil {
			c.buf = make([]parquet.Value, 256)
		}
		n, err := c.vals.ReadValues(c.buf)
		if n > 0 {
			c.pos, c.n = 0, n
			return true, nil
		}
		if err == nil {
			return false, io.ErrNoProgress
		}
		if err != io.EOF {
			return false, err
		}
		// The span being built may still point into the page.
		c.pending = append(c.pending, c.page)
		c.page, c.vals = nil, nil
	}
	return true, nil
}

// row returns the values of the next row, or nil at the end of the chunk.
// They are valid until done.
func (c *listCursor) row() ([]parquet.Value, error) {
	c.span = c.span[:0]
	ok, err := c.fill()
	if err != nil || !ok {
		return nil, err
	}
	c.span = append(c.span, c.buf[c.pos])
	c.pos++
	for {
		ok, err := c.fill()
		if err != nil {
			return nil, err
		}
		if !ok || c.buf[c.pos].RepetitionLevel() == 0 {
			break
		}
		c.span = append(c.span, c.buf[c.pos])
		c.pos++
	}
	return c.span, nil
}

// done releases the pages that only the last row pointed into.
func (c *listCursor) done() {
	for _, p := range c.pending {
		parquet.Release(p)
	}
	c.pending = c.pending[:0]
	clear(c.span)
}

// release returns every page to the library.
func (c *listCursor) release() {
	c.done()
	if c.page != nil {
		parquet.Release(c.page)
	}
	c.page, c.vals, c.pos, c.n, c.eof = nil, nil, 0, 0, false
	clear(c.buf)
}
