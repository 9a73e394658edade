package datasets

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// LogKind says how LogRows decodes a column of a production log file.
type LogKind uint8

const (
	// LogOther is a nested column (a struct, a map, a list of anything but
	// strings) or one parquet-go cannot describe. It is never read.
	LogOther LogKind = iota
	// LogString is a scalar string: BYTE_ARRAY with a STRING or ENUM
	// annotation, or none.
	LogString
	// LogStringList is a list of strings, in any of the LIST forms that
	// Open accepts.
	LogStringList
	// LogInt is a signed INT32 or INT64 with no annotation, or a signed
	// INT annotation.
	LogInt
	// LogFloat is a FLOAT or DOUBLE with no annotation.
	LogFloat
	// LogBool is a BOOLEAN.
	LogBool
	// LogTime is a point in time: an INT64 with a TIMESTAMP annotation
	// (milli-, micro- or nanoseconds, logical or converted type), a legacy
	// INT96 timestamp (as Spark and Impala write), or an INT32 DATE.
	LogTime
	// LogScalar is any other scalar column (decimal, unsigned integer,
	// time of day, uuid, json, fixed-length bytes): its values are read
	// but not decoded, and can be copied as they are.
	LogScalar
)

// String names the kind, as used in error messages.
func (k LogKind) String() string {
	switch k {
	case LogString:
		return "string"
	case LogStringList:
		return "list<string>"
	case LogInt:
		return "integer"
	case LogFloat:
		return "float"
	case LogBool:
		return "bool"
	case LogTime:
		return "timestamp"
	case LogScalar:
		return "scalar"
	}
	return "other"
}

// LogColumn describes one top-level column of a log file.
type LogColumn struct {
	Column
	// Kind says how the column is decoded.
	Kind LogKind
}

// logField is a LogColumn with what is needed to decode it.
type logField struct {
	LogColumn
	field field // the column as the eval-set reader resolved it
	// leaf is the index of the leaf column holding the values, or -1 for
	// LogOther.
	leaf   int
	maxDef int
	// typ is the leaf's parquet-go type, for copying LogScalar, LogInt,
	// LogFloat, LogBool and LogTime values into another file.
	typ parquet.Type
	// unit converts an INT64 timestamp to nanoseconds (1e6 for ms, 1e3 for
	// us, 1 for ns); 0 for INT96 and DATE.
	unit int64
}

// LogFile is an open production-log Parquet file: any Parquet file whose
// columns LogRows reads generically, one row group and a bounded batch of
// rows at a time. The same checks guard it as Open's files: a corrupt
// footer or page is refused before parquet-go reads it. Use it as
//
//	f, err := datasets.OpenLogs(path)
//	if err != nil { ... }
//	defer f.Close()
//	rows, err := f.Rows([]int{f.Lookup("timestamp")})
//	if err != nil { ... }
//	for rows.Scan() {
//		v, err := rows.Value(0)
//		...
//	}
//	if err := rows.Err(); err != nil { ... }
//
// A LogFile may run several passes (Rows) one after the other, over the
// same bytes it digested when it was opened.
type LogFile struct {
	src    *source
	fields []logField
}

// OpenLogs opens the Parquet file at path: it computes the SHA-256 of the
// file's bytes, reads and checks the footer, and classifies every
// top-level column (see LogKind). Unlike Open it requires no column.
// Errors wrap a *RowError naming the file and are wrapped as
// "read logs: …". The caller must Close the LogFile.
func OpenLogs(path string) (*LogFile, error) {
	f, err := openLogs(path)
	if err != nil {
		return nil, fmt.Errorf("read logs: %w", err)
	}
	return f, nil
}

func openLogs(path string) (*LogFile, error) {
	src, err := openSource(path)
	if err != nil {
		return nil, err
	}
	return newLogFile(path, src)
}

// OpenLogsAt is OpenLogs for logs read through an io.ReaderAt, such as an
// object in object storage (r.Changed is not used: reads pinned to one
// version, as objstore's are, fail on their own when it is replaced).
// Its digest streams the bytes once; nothing is read whole.
func OpenLogsAt(r Remote) (*LogFile, error) {
	f, err := openLogsAt(r)
	if err != nil {
		return nil, fmt.Errorf("read logs: %w", err)
	}
	return f, nil
}

func openLogsAt(r Remote) (*LogFile, error) {
	src, err := newSource(r.Name, r.ReaderAt, r.Size)
	if err != nil {
		if r.Close != nil {
			r.Close()
		}
		return nil, err
	}
	if r.Close != nil {
		src.closer = closerFunc(r.Close)
	}
	return newLogFile(r.Name, src)
}

// newLogFile classifies the columns of src.
func newLogFile(path string, src *source) (*LogFile, error) {
	f := &LogFile{src: src}
	if err := protect(func() error {
		var err error
		f.fields, err = logFields(src)
		return err
	}); err != nil {
		src.close()
		return nil, fileError(path, classifyOpenError(err))
	}
	return f, nil
}

// logFields classifies the top-level columns of src.
func logFields(src *source) ([]logField, error) {
	cols := src.pf.Root().Columns()
	if len(cols) != len(src.fields) {
		return nil, fmt.Errorf("%w: %d top-level columns, %d described", ErrCorrupt, len(cols), len(src.fields))
	}
	// Leaf schema elements in pre-order, so that leaf column i is leaves[i].
	var leaves []*format.SchemaElement
	schema := src.pf.Metadata().Schema
	for i := 1; i < len(schema); i++ {
		if schema[i].Type.Valid {
			leaves = append(leaves, &schema[i])
		}
	}
	out := make([]logField, len(cols))
	for i, c := range cols {
		fd := src.fields[i]
		lf := logField{LogColumn: LogColumn{Column: fd.Column}, field: fd, leaf: -1}
		switch fd.kind {
		case kindString:
			lf.Kind = LogString
		case kindStringList:
			lf.Kind = LogStringList
		case kindInt:
			lf.Kind = LogInt
		case kindFloat:
			lf.Kind = LogFloat
		}
		if lf.Kind != LogOther {
			lf.leaf, lf.maxDef = fd.leaf, fd.maxDef
		}
		if c.Leaf() && !c.Repeated() {
			idx := c.Index()
			if idx < 0 || idx >= len(leaves) {
				return nil, fmt.Errorf("%w: column %q is leaf %d of %d", ErrCorrupt, fd.Name, idx, len(leaves))
			}
			if lf.Kind == LogOther {
				lf.Kind = scalarKind(leaves[idx], &lf.unit)
				lf.leaf, lf.maxDef = idx, c.MaxDefinitionLevel()
			}
			if lf.Kind != LogString {
				lf.typ = c.Type()
			}
		}
		out[i] = lf
	}
	return out, nil
}

// scalarKind classifies a top-level scalar column that the eval-set reader
// does not decode, and sets *unit for INT64 timestamps.
func scalarKind(e *format.SchemaElement, unit *int64) LogKind {
	switch e.Type.V {
	case format.Boolean:
		if e.LogicalType.Value == nil && !e.ConvertedType.Valid {
			return LogBool
		}
	case format.Int96:
		return LogTime
	case format.Int32:
		if _, ok := e.LogicalType.Value.(*format.DateType); ok || (e.LogicalType.Value == nil && e.ConvertedType.Valid && e.ConvertedType.V == deprecated.Date) {
			return LogTime
		}
	case format.Int64:
		switch lt := e.LogicalType.Value.(type) {
		case *format.TimestampType:
			switch lt.Unit.Value.(type) {
			case *format.MilliSeconds:
				*unit = 1e6
			case *format.MicroSeconds:
				*unit = 1e3
			case *format.NanoSeconds:
				*unit = 1
			default:
				return LogScalar
			}
			return LogTime
		case nil:
			if e.ConvertedType.Valid {
				switch e.ConvertedType.V {
				case deprecated.TimestampMillis:
					*unit = 1e6
					return LogTime
				case deprecated.TimestampMicros:
					*unit = 1e3
					return LogTime
				}
			}
		}
	}
	return LogScalar
}

// Info describes the file: identity, digest, row count and columns.
func (f *LogFile) Info() Info { return f.src.info }

// Columns lists the top-level columns in schema order.
func (f *LogFile) Columns() []LogColumn {
	out := make([]LogColumn, len(f.fields))
	for i := range f.fields {
		out[i] = f.fields[i].LogColumn
	}
	return out
}

// Lookup returns the index in Columns of the first column named name, or
// -1 when there is none.
func (f *LogFile) Lookup(name string) int {
	for i := range f.fields {
		if f.fields[i].Name == name {
			return i
		}
	}
	return -1
}

// columnNames lists the column names, for messages.
func (f *LogFile) columnNames() string {
	names := make([]string, len(f.fields))
	for i := range f.fields {
		names[i] = f.fields[i].Name
	}
	return strings.Join(names, ", ")
}

// Close releases the file. It is safe to call more than once.
func (f *LogFile) Close() error {
	if err := f.src.close(); err != nil {
		return fmt.Errorf("read logs: %w", err)
	}
	return nil
}

// Rows starts a pass over the file that reads only the columns whose
// indices (in Columns) are given; Value(i) then decodes the value of
// cols[i]. A LogOther column cannot be read. With no columns the pass
// yields no rows (Info().Rows says how many there are). The caller must
// Close the LogRows, or read it to the end.
func (f *LogFile) Rows(cols []int) (*LogRows, error) {
	r := &LogRows{file: f, cols: make([]*logField, len(cols))}
	var leaves []int
	maxLeaf := -1
	for i, c := range cols {
		if c < 0 || c >= len(f.fields) {
			return nil, fmt.Errorf("read logs: column index %d out of range [0, %d)", c, len(f.fields))
		}
		lf := &f.fields[c]
		if lf.Kind == LogOther {
			return nil, fmt.Errorf("read logs: %w", &RowError{File: f.src.path, Row: -1, Column: lf.Name,
				Err: fmt.Errorf("%w: a %s column cannot be read", ErrUnsupported, lf.Type)})
		}
		r.cols[i] = lf
		if !slices.Contains(leaves, lf.leaf) {
			leaves = append(leaves, lf.leaf)
		}
		maxLeaf = max(maxLeaf, lf.leaf)
	}
	slices.Sort(leaves)
	r.byLeaf = make([]int, maxLeaf+1)
	for i := range r.byLeaf {
		r.byLeaf[i] = -1
	}
	for i, leaf := range leaves {
		r.byLeaf[leaf] = i
	}
	r.spans = make([][]parquet.Value, len(leaves))
	r.stream = newRowStream(f.src, leaves)
	return r, nil
}

// LogRows is one pass over a log file's rows, reading the columns given to
// LogFile.Rows. It is not safe for concurrent use.
type LogRows struct {
	file   *LogFile
	cols   []*logField
	byLeaf []int // leaf column → index in spans, or -1
	spans  [][]parquet.Value
	stream *rowStream
	row    int64
	err    error
}

// Scan advances to the next row. It returns false at the end of the file
// or at the first error, which Err reports.
func (r *LogRows) Scan() bool {
	if r.err != nil {
		return false
	}
	row, idx, ok := r.stream.next()
	if !ok {
		if r.stream.err != nil {
			r.err = fmt.Errorf("read logs: %w", r.stream.err)
		}
		return false
	}
	r.row = idx
	clear(r.spans)
	for i := 0; i < len(row); {
		leaf := row[i].Column()
		j := i + 1
		for j < len(row) && row[j].Column() == leaf {
			j++
		}
		if leaf < 0 || leaf >= len(r.byLeaf) || r.byLeaf[leaf] < 0 || r.spans[r.byLeaf[leaf]] != nil {
			r.fail(corruptf(r.file.src.path, idx, "unexpected values of leaf column %d", leaf))
			return false
		}
		r.spans[r.byLeaf[leaf]] = row[i:j]
		i = j
	}
	for _, lf := range r.cols {
		if len(r.spans[r.byLeaf[lf.leaf]]) == 0 {
			r.fail(corruptf(r.file.src.path, idx, "column %q has no value in this row", lf.Name))
			return false
		}
	}
	return true
}

// fail stops the pass with err, a *RowError.
func (r *LogRows) fail(err error) {
	r.err = fmt.Errorf("read logs: %w", err)
	r.stream.close()
}

// Row returns the 0-based index in the file of the row that the last
// successful Scan read.
func (r *LogRows) Row() int64 { return r.row }

// Err returns the error that stopped Scan, or nil at the end of the file.
// It wraps a *RowError naming the file.
func (r *LogRows) Err() error { return r.err }

// Close ends the pass. It is safe to call more than once.
func (r *LogRows) Close() { r.stream.close() }

// span returns the values of cols[i] in the current row.
func (r *LogRows) span(i int) []parquet.Value { return r.spans[r.byLeaf[r.cols[i].leaf]] }

// LogValue is one decoded value of a log row. Only the field that matches
// Kind is set, and none when Null is.
type LogValue struct {
	// Kind is the column's kind.
	Kind LogKind
	// Null reports a null value (for LogStringList, a null list).
	Null bool
	// Str is a LogString value.
	Str string
	// List is a LogStringList value: empty for an empty list. Null
	// elements are left out.
	List []string
	// Int is a LogInt value.
	Int int64
	// Float is a LogFloat value.
	Float float64
	// Bool is a LogBool value.
	Bool bool
	// Time is a LogTime value, in UTC. Timestamps that do not say they are
	// adjusted to UTC (DuckDB's TIMESTAMP, pandas' naive datetimes) are
	// read as UTC; a DATE is midnight UTC.
	Time time.Time
}

// Value decodes the current row's value of cols[i] (see LogFile.Rows).
// A LogScalar value is not decoded: only Kind and Null are set. Errors
// are *RowError values giving the file, row and column.
func (r *LogRows) Value(i int) (LogValue, error) {
	lf := r.cols[i]
	v, err := decodeLogValue(r.span(i), lf)
	if err != nil {
		return LogValue{}, &RowError{File: r.file.src.path, Row: r.row, Column: lf.Name, Err: err}
	}
	return v, nil
}

// decodeLogValue decodes one column's values in a row.
func decodeLogValue(span []parquet.Value, lf *logField) (LogValue, error) {
	out := LogValue{Kind: lf.Kind}
	switch lf.Kind {
	case LogString:
		s, null, err := stringValue(span, &lf.field)
		out.Str, out.Null = s, null
		return out, err
	case LogStringList:
		l, err := listValue(span, &lf.field)
		out.List, out.Null = l, l == nil && err == nil
		return out, err
	}
	if len(span) != 1 {
		return out, fmt.Errorf("%w: %d values in one row of a scalar column", ErrCorrupt, len(span))
	}
	v := span[0]
	if v.IsNull() || v.DefinitionLevel() < lf.maxDef {
		out.Null = true
		return out, nil
	}
	kindErr := func() error {
		return fmt.Errorf("%w: %s value in a %s column", ErrCorrupt, v.Kind(), lf.Type)
	}
	switch lf.Kind {
	case LogInt:
		switch v.Kind() {
		case parquet.Int32:
			out.Int = int64(v.Int32())
		case parquet.Int64:
			out.Int = v.Int64()
		default:
			return out, kindErr()
		}
	case LogFloat:
		switch v.Kind() {
		case parquet.Float:
			out.Float = float64(v.Float())
		case parquet.Double:
			out.Float = v.Double()
		default:
			return out, kindErr()
		}
	case LogBool:
		if v.Kind() != parquet.Boolean {
			return out, kindErr()
		}
		out.Bool = v.Boolean()
	case LogTime:
		switch v.Kind() {
		case parquet.Int64:
			if lf.unit == 0 {
				return out, kindErr()
			}
			ns := v.Int64()
			out.Time = time.Unix(ns/(1e9/lf.unit), ns%(1e9/lf.unit)*lf.unit).UTC()
		case parquet.Int96:
			out.Time = int96Time(v.Int96())
		case parquet.Int32:
			out.Time = time.Unix(int64(v.Int32())*86400, 0).UTC()
		default:
			return out, kindErr()
		}
	}
	return out, nil
}

// julianUnixEpoch is the Julian day number of 1970-01-01.
const julianUnixEpoch = 2440588

// int96Time decodes a legacy INT96 timestamp: nanoseconds within the day
// in the first eight bytes (little-endian) and the Julian day in the last
// four.
func int96Time(v deprecated.Int96) time.Time {
	nanos := int64(uint64(v[1])<<32 | uint64(v[0]))
	days := int64(int32(v[2])) - julianUnixEpoch
	return time.Unix(days*86400, nanos).UTC()
}

// rawBytes returns the bytes of the current row's LogString value of
// cols[i], valid until the next Scan, without copying or checking them.
func (r *LogRows) rawBytes(i int) (b []byte, null bool, err error) {
	span := r.span(i)
	lf := r.cols[i]
	if len(span) != 1 {
		return nil, false, &RowError{File: r.file.src.path, Row: r.row, Column: lf.Name,
			Err: fmt.Errorf("%w: %d values in one row of a scalar column", ErrCorrupt, len(span))}
	}
	v := span[0]
	if v.IsNull() || v.DefinitionLevel() < lf.maxDef {
		return nil, true, nil
	}
	if v.Kind() != parquet.ByteArray {
		return nil, false, &RowError{File: r.file.src.path, Row: r.row, Column: lf.Name,
			Err: fmt.Errorf("%w: %s value in a string column", ErrCorrupt, v.Kind())}
	}
	return v.ByteArray(), false, nil
}

// rawValue returns a copy of the current row's single value of cols[i], a
// scalar column, that outlives the row; null reports a null.
func (r *LogRows) rawValue(i int) (v parquet.Value, null bool, err error) {
	span := r.span(i)
	lf := r.cols[i]
	if len(span) != 1 {
		return v, false, &RowError{File: r.file.src.path, Row: r.row, Column: lf.Name,
			Err: fmt.Errorf("%w: %d values in one row of a scalar column", ErrCorrupt, len(span))}
	}
	src := span[0]
	if src.IsNull() || src.DefinitionLevel() < lf.maxDef {
		return v, true, nil
	}
	switch src.Kind() {
	case parquet.Boolean:
		v = parquet.BooleanValue(src.Boolean())
	case parquet.Int32:
		v = parquet.Int32Value(src.Int32())
	case parquet.Int64:
		v = parquet.Int64Value(src.Int64())
	case parquet.Int96:
		v = parquet.Int96Value(src.Int96())
	case parquet.Float:
		v = parquet.FloatValue(src.Float())
	case parquet.Double:
		v = parquet.DoubleValue(src.Double())
	case parquet.ByteArray:
		v = parquet.ByteArrayValue(append([]byte(nil), src.ByteArray()...))
	case parquet.FixedLenByteArray:
		v = parquet.FixedLenByteArrayValue(append([]byte(nil), src.ByteArray()...))
	default:
		return v, false, &RowError{File: r.file.src.path, Row: r.row, Column: lf.Name,
			Err: errors.New("value of an unknown physical type")}
	}
	return v, false, nil
}
