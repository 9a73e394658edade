package datasets

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// writeRowGroupRows is the number of rows per row group in files this
// package writes; the Parquet writer buffers one row group in memory.
const writeRowGroupRows = 64 * 1024

// orderedGroup is a Parquet group whose fields keep the order given, unlike
// parquet.Group, which sorts them by name.
type orderedGroup []parquet.Field

// namedNode gives a node a field name.
type namedNode struct {
	parquet.Node
	name string
}

func (n namedNode) Name() string { return n.name }

func (n namedNode) Value(base reflect.Value) reflect.Value { return reflect.Value{} }

func (g orderedGroup) ID() int                     { return 0 }
func (g orderedGroup) Type() parquet.Type          { return parquet.Group{}.Type() }
func (g orderedGroup) Optional() bool              { return false }
func (g orderedGroup) Repeated() bool              { return false }
func (g orderedGroup) Required() bool              { return true }
func (g orderedGroup) Leaf() bool                  { return false }
func (g orderedGroup) Fields() []parquet.Field     { return g }
func (g orderedGroup) Encoding() encoding.Encoding { return nil }
func (g orderedGroup) Compression() compress.Codec { return nil }
func (g orderedGroup) GoType() reflect.Type        { return reflect.TypeFor[map[string]any]() }
func (g orderedGroup) String() string {
	names := make([]string, len(g))
	for i, f := range g {
		names[i] = f.Name()
	}
	return "group{" + strings.Join(names, ", ") + "}"
}

// optionalString is an optional STRING column, dictionary-encoded when
// dict is set (for columns with few distinct values).
func optionalString(dict bool) parquet.Node {
	n := parquet.String()
	if dict {
		n = parquet.Encoded(n, &parquet.RLEDictionary)
	}
	return parquet.Optional(n)
}

// requiredString is a required STRING column.
func requiredString() parquet.Node { return parquet.String() }

// optionalStringList is a 3-level LIST of required strings, the shape
// pyarrow and DuckDB read as list<string>.
func optionalStringList() parquet.Node {
	return parquet.Optional(parquet.List(parquet.Encoded(parquet.String(), &parquet.RLEDictionary)))
}

// fixedItemColumns is the eval-set schema's fixed part, in file order.
func fixedItemColumns() []parquet.Field {
	return []parquet.Field{
		namedNode{requiredString(), colID},
		namedNode{requiredString(), colInput},
		namedNode{optionalString(true), colSystem},
		namedNode{optionalStringList(), colContext},
		namedNode{optionalString(true), colExpected},
		namedNode{optionalStringList(), colExpectedAny},
		namedNode{optionalString(true), colTask},
		namedNode{optionalStringList(), colMustNotContain},
		namedNode{optionalString(false), colOutput},
		namedNode{optionalString(true), colModelVersion},
	}
}

// writerOptions are the options of every file this package writes: zstd,
// data page v1 (which every reader understands), bounded row groups, the
// key-value metadata in key order, and a fixed created_by. parquet-go's
// default created_by reads the binary's build info, so the same rows written
// by `go run` and by a test binary would otherwise differ in their bytes and
// so in their SHA-256.
func writerOptions(schema *parquet.Schema, meta map[string]string) []parquet.WriterOption {
	opts := []parquet.WriterOption{
		schema,
		parquet.Compression(&parquet.Zstd),
		parquet.DataPageVersion(1),
		parquet.MaxRowsPerRowGroup(writeRowGroupRows),
		parquet.CreatedBy("github.com/evalgate/evalgate", "", ""),
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		opts = append(opts, parquet.KeyValueMetadata(k, meta[k]))
	}
	return opts
}

// WriteItems writes items to w as an eval set with the schema of
// the eval-set schema (see the package doc): id and input as required strings; system, expected, task,
// output and model_version as optional strings (an empty string is
// written as null); context, expected_any and must_not_contain as
// optional list<string> (a nil slice is written as null, an empty one as
// an empty list); when any item has records.Item.Messages, a messages
// column, list<struct<role: string, content: string>>, filled from them
// in the same way; then one optional string column per name in
// extraColumns, in that order, filled from records.Item.Extra. meta becomes the
// file's key-value metadata (set MetaName and MetaVersion to give the set
// an identity). records.Item.Row is ignored.
//
// Every string must be valid UTF-8 and every key of records.Item.Extra must be
// listed in extraColumns. WriteItems does not check ids for uniqueness or
// emptiness, nor the roles of turns; Validate does. The same input always
// gives the same bytes.
func WriteItems(w io.Writer, items []records.Item, extraColumns []string, meta map[string]string) error {
	for i := range items {
		if items[i].Messages != nil && !slices.Contains(extraColumns, MessagesColumn) {
			extraColumns = append([]string{MessagesColumn}, extraColumns...)
			break
		}
	}
	iw, err := newItemWriter(w, extraColumns, meta)
	if err != nil {
		return fmt.Errorf("write eval set: %w", err)
	}
	for i := range items {
		if err := iw.write(int64(i), &items[i]); err != nil {
			return fmt.Errorf("write eval set: %w", err)
		}
	}
	if err := iw.close(); err != nil {
		return fmt.Errorf("write eval set: %w", err)
	}
	return nil
}

// MessagesColumn is the name of the eval set's column of conversations,
// list<struct<role: string, content: string>>, read into
// records.Item.Messages. Listed in the extraColumns of NewItemWriter, it
// asks for that column rather than a string one.
const MessagesColumn = colMessages

// messagesColumn is the messages column as this package writes it: an
// optional 3-level LIST of required structs of a required role and a
// required content, in that order, the shape pyarrow reads as
// list<struct<role: string, content: string>>.
func messagesColumn() parquet.Node {
	turn := orderedGroup{
		namedNode{parquet.Encoded(parquet.String(), &parquet.RLEDictionary), "role"},
		namedNode{parquet.String(), "content"},
	}
	return parquet.Optional(parquet.List(turn))
}

// itemWriter writes items one at a time, so that tests and generators can
// write sets larger than memory.
type itemWriter struct {
	rowBatch
	extra []string
	// messages is set when the file has a messages column.
	messages bool
}

func newItemWriter(w io.Writer, extraColumns []string, meta map[string]string) (*itemWriter, error) {
	fields := fixedItemColumns()
	seen := make(map[string]bool, len(fields)+len(extraColumns))
	for _, f := range fields {
		seen[f.Name()] = true
	}
	messages := false
	if i := slices.Index(extraColumns, MessagesColumn); i >= 0 {
		messages = true
		fields = append(fields, namedNode{messagesColumn(), MessagesColumn})
		seen[MessagesColumn] = true
		extraColumns = slices.Delete(slices.Clone(extraColumns), i, i+1)
	}
	for _, name := range extraColumns {
		switch {
		case name == "":
			return nil, errors.New("extra column: empty name")
		case !utf8.ValidString(name):
			return nil, fmt.Errorf("extra column %q: %w", name, ErrInvalidUTF8)
		case seen[name]:
			return nil, fmt.Errorf("extra column %q: the name is already used", name)
		}
		seen[name] = true
		fields = append(fields, namedNode{optionalString(true), name})
	}
	pw, err := newParquetWriter(w, "evalgate_eval_set", fields, meta)
	if err != nil {
		return nil, err
	}
	return &itemWriter{rowBatch: newRowBatch(pw), extra: slices.Clone(extraColumns), messages: messages}, nil
}

// write appends one item; idx is its position, for error messages.
func (iw *itemWriter) write(idx int64, it *records.Item) error {
	if it.Messages != nil && !iw.messages {
		return &RowError{Row: idx, Column: colMessages, Err: errors.New("records.Item.Messages is set but the file has no messages column: list \"messages\" in extraColumns")}
	}
	for name := range it.Extra {
		if !slices.Contains(iw.extra, name) {
			return &RowError{Row: idx, Column: name, Err: errors.New("column is in records.Item.Extra but not in extraColumns")}
		}
	}
	var row parquet.Row
	if n := len(iw.rows); n < cap(iw.rows) {
		row = iw.rows[:n+1][n][:0]
	}
	col := 0
	var err error
	str := func(name, s string, required bool) {
		if err != nil {
			return
		}
		if !utf8.ValidString(s) {
			err = &RowError{Row: idx, Column: name, Err: utf8Error(s)}
			return
		}
		switch {
		case required:
			row = append(row, parquet.ByteArrayValue([]byte(s)).Level(0, 0, col))
		case s == "":
			row = append(row, parquet.NullValue().Level(0, 0, col))
		default:
			row = append(row, parquet.ByteArrayValue([]byte(s)).Level(0, 1, col))
		}
		col++
	}
	list := func(name string, l []string) {
		if err != nil {
			return
		}
		switch {
		case l == nil:
			row = append(row, parquet.NullValue().Level(0, 0, col))
		case len(l) == 0:
			row = append(row, parquet.NullValue().Level(0, 1, col))
		default:
			for i, s := range l {
				if !utf8.ValidString(s) {
					err = &RowError{Row: idx, Column: name, Err: fmt.Errorf("element %d: %w", i, utf8Error(s))}
					return
				}
				rep := 1
				if i == 0 {
					rep = 0
				}
				row = append(row, parquet.ByteArrayValue([]byte(s)).Level(rep, 2, col))
			}
		}
		col++
	}
	str(colID, it.ID, true)
	str(colInput, it.Input, true)
	str(colSystem, it.System, false)
	list(colContext, it.Context)
	str(colExpected, it.Expected, false)
	list(colExpectedAny, it.ExpectedAny)
	str(colTask, it.Task, false)
	list(colMustNotContain, it.MustNotContain)
	str(colOutput, it.Output, false)
	str(colModelVersion, it.ModelVersion, false)
	if iw.messages && err == nil {
		row, err = appendMessages(row, idx, col, it.Messages)
		col += 2
	}
	for _, name := range iw.extra {
		str(name, it.Extra[name], false)
	}
	if err != nil {
		return err
	}
	return iw.add(row)
}

// appendMessages appends the values of a messages column, whose role and
// content leaves are the columns col and col+1, to row: a nil slice is
// null, an empty one an empty list. Levels are those of messagesColumn:
// the list is defined at 1, a turn at 2.
func appendMessages(row parquet.Row, idx int64, col int, msgs []records.Message) (parquet.Row, error) {
	switch {
	case msgs == nil:
		return append(row, parquet.NullValue().Level(0, 0, col), parquet.NullValue().Level(0, 0, col+1)), nil
	case len(msgs) == 0:
		return append(row, parquet.NullValue().Level(0, 1, col), parquet.NullValue().Level(0, 1, col+1)), nil
	}
	for leaf := range 2 {
		for i, m := range msgs {
			s, name := m.Role, "role"
			if leaf == 1 {
				s, name = m.Content, "content"
			}
			if !utf8.ValidString(s) {
				return row, &RowError{Row: idx, Column: colMessages, Err: fmt.Errorf("turn %d %s: %w", i, name, utf8Error(s))}
			}
			rep := 1
			if i == 0 {
				rep = 0
			}
			row = append(row, parquet.ByteArrayValue([]byte(s)).Level(rep, 2, col+leaf))
		}
	}
	return row, nil
}

// newParquetWriter starts a file on w with the named schema of fields, in
// their order, and this package's writer options.
func newParquetWriter(w io.Writer, name string, fields []parquet.Field, meta map[string]string, extra ...parquet.WriterOption) (*parquet.Writer, error) {
	schema := parquet.NewSchema(name, orderedGroup(fields))
	var pw *parquet.Writer
	err := protect(func() error {
		pw = parquet.NewWriter(w, append(writerOptions(schema, meta), extra...)...)
		return nil
	})
	return pw, err
}

// rowBatch buffers rows for a Parquet writer and hands them over batchRows
// at a time.
type rowBatch struct {
	w    *parquet.Writer
	rows []parquet.Row
}

func newRowBatch(w *parquet.Writer) rowBatch {
	return rowBatch{w: w, rows: make([]parquet.Row, 0, batchRows)}
}

// add appends row, flushing when the batch is full.
func (b *rowBatch) add(row parquet.Row) error {
	b.rows = append(b.rows, row)
	if len(b.rows) == cap(b.rows) {
		return b.flush()
	}
	return nil
}

// flush hands the buffered rows to the Parquet writer.
func (b *rowBatch) flush() error {
	if len(b.rows) == 0 {
		return nil
	}
	err := protect(func() error {
		_, err := b.w.WriteRows(b.rows)
		return err
	})
	b.rows = b.rows[:0]
	return err
}

// close flushes the rows and writes the footer; it does not close the
// underlying io.Writer.
func (b *rowBatch) close() error {
	if err := b.flush(); err != nil {
		return err
	}
	return protect(b.w.Close)
}
