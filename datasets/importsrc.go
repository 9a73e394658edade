package datasets

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// detectFormat chooses a source format: Parquet when the file starts
// with Parquet magic, else by path's extension (.jsonl, .ndjson, .json,
// .csv, .tsv, .tab), else by its first bytes.
func detectFormat(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if bytes.HasPrefix(head[:n], []byte("PAR1")) {
		return FormatParquet, nil
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL, nil
	case ".csv":
		return FormatCSV, nil
	case ".tsv", ".tab":
		return FormatTSV, nil
	}
	if f := sniffText(head[:n]); f != "" {
		return f, nil
	}
	return "", fmt.Errorf("%s: cannot tell the format from the first bytes or the name; give it (jsonl, csv, tsv or parquet)", path)
}

// sniffText guesses whether head, the first bytes of a file, starts a
// JSONL, TSV or CSV file, or returns "".
func sniffText(head []byte) string {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(head, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '{' {
		return FormatJSONL
	}
	line, _, _ := bytes.Cut(head, []byte("\n"))
	if len(line) == 0 || bytes.IndexByte(line, 0) >= 0 {
		return ""
	}
	switch {
	case bytes.IndexByte(line, '\t') >= 0:
		return FormatTSV
	case bytes.IndexByte(line, ',') >= 0:
		return FormatCSV
	}
	return ""
}

// openRowSource opens path as format.
func openRowSource(format, path string) (rowSource, error) {
	switch format {
	case FormatJSONL:
		return openJSONL(path)
	case FormatCSV:
		return openCSV(path, ',')
	case FormatTSV:
		return openCSV(path, '\t')
	case FormatParquet:
		return openParquetRows(path)
	}
	return nil, fmt.Errorf("unknown format %q (want jsonl, csv, tsv or parquet)", format)
}

// jsonlRows reads a JSONL file in two streaming passes: the first finds
// the keys (in order of first appearance) and their types, and reports
// syntax errors; the second yields the rows.
type jsonlRows struct {
	path string
	f    *os.File
	r    *bufio.Reader
	cols []srcColumn
	idx  map[string]int
	line int64
	e    error
	vals []value
}

func openJSONL(path string) (*jsonlRows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	j := &jsonlRows{path: path, f: f, r: bufio.NewReaderSize(f, 64*1024), idx: map[string]int{}}
	kinds := map[string]string{} // column → "scalar", "list", or the type of a value that cannot be imported
	turns := map[string]bool{}   // columns with a conversation in some row
	for {
		fields, ok := j.nextObject()
		if !ok {
			break
		}
		for _, kv := range fields {
			i, seen := j.idx[kv.key]
			if !seen {
				i = len(j.cols)
				j.idx[kv.key] = i
				j.cols = append(j.cols, srcColumn{name: kv.key, ok: true})
			}
			v := jsonValue(kv.raw)
			c := &j.cols[i]
			switch {
			case v.null:
			case v.typ == typTurns:
				turns[kv.key] = true
			case v.typ != "":
				if c.ok {
					c.ok, c.typ, c.rows = false, v.typ, true
				}
			case v.isList:
				kinds[kv.key] = "list"
			default:
				if kinds[kv.key] == "" {
					kinds[kv.key] = "scalar"
				}
			}
		}
	}
	if j.e != nil {
		f.Close()
		return nil, j.e
	}
	for i := range j.cols {
		c := &j.cols[i]
		switch {
		case turns[c.name]:
			// Only messages may be mapped to it; a row of another type
			// fails there, naming its line.
			c.conv, c.rows = true, c.rows || kinds[c.name] != ""
			if c.ok {
				c.ok, c.typ = false, "list<struct<role, content>>"
			}
		case !c.ok:
		case kinds[c.name] == "list":
			c.typ = "list<string>"
		default:
			c.typ = "string"
		}
	}
	if len(j.cols) == 0 {
		f.Close()
		return nil, fmt.Errorf("%s: no JSON objects", path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	j.r.Reset(f)
	j.line = 0
	j.vals = make([]value, len(j.cols))
	return j, nil
}

type jsonField struct {
	key string
	raw json.RawMessage
}

// nextObject reads the next non-blank line as a JSON object, keeping
// its keys in order.
func (j *jsonlRows) nextObject() ([]jsonField, bool) {
	for {
		b, err := j.r.ReadBytes('\n')
		if len(b) == 0 && err != nil {
			if err != io.EOF {
				j.e = fmt.Errorf("%s: %w", j.path, err)
			}
			return nil, false
		}
		j.line++
		if j.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if len(bytes.TrimSpace(b)) == 0 {
			if err != nil {
				return nil, false
			}
			continue
		}
		fields, perr := parseObject(b)
		if perr != nil {
			j.e = &LineError{File: j.path, Line: j.line, Err: fmt.Errorf("%w: %v", ErrSyntax, perr)}
			return nil, false
		}
		return fields, true
	}
}

// parseObject parses one JSON object and nothing after it.
func parseObject(b []byte) ([]jsonField, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want a JSON object, found %v", t)
	}
	var out []jsonField
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		for _, f := range out {
			if f.key == key {
				return nil, fmt.Errorf("key %q appears twice", key)
			}
		}
		out = append(out, jsonField{key, raw})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("more than one JSON value on the line")
	}
	return out, nil
}

// jsonValue converts one JSON value.
func jsonValue(raw json.RawMessage) value {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return value{null: true}
	}
	switch raw[0] {
	case 'n':
		return value{null: true}
	case 't', 'f':
		return value{s: string(raw)}
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return value{typ: "a malformed string"}
		}
		return value{s: s}
	case '{':
		return value{typ: "an object"}
	case '[':
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			return value{typ: "a malformed list"}
		}
		if isTurns(elems) {
			return value{typ: typTurns, objs: elems}
		}
		list := make([]string, 0, len(elems))
		for _, e := range elems {
			e = bytes.TrimSpace(e)
			switch {
			case len(e) > 0 && e[0] == 'n':
			case len(e) > 0 && e[0] == '"':
				var s string
				if json.Unmarshal(e, &s) != nil {
					return value{typ: "a malformed list"}
				}
				list = append(list, s)
			default:
				return value{typ: "a list of non-strings"}
			}
		}
		return value{list: list, isList: true}
	}
	return value{s: string(raw)} // a number, in its source spelling
}

// isTurns reports whether the elements of a JSON list are objects (a
// conversation's turns), with perhaps some nulls.
func isTurns(elems []json.RawMessage) bool {
	objects := 0
	for _, e := range elems {
		e = bytes.TrimSpace(e)
		switch {
		case len(e) > 0 && e[0] == '{':
			objects++
		case len(e) > 0 && e[0] == 'n':
		default:
			return false
		}
	}
	return objects > 0
}

func (j *jsonlRows) columns() []srcColumn { return j.cols }

func (j *jsonlRows) next() ([]value, int64, bool) {
	fields, ok := j.nextObject()
	if !ok {
		return nil, 0, false
	}
	for i := range j.vals {
		j.vals[i] = value{null: true}
	}
	for _, kv := range fields {
		i, ok := j.idx[kv.key]
		if !ok {
			// The file changed since the first pass.
			j.e = &LineError{File: j.path, Line: j.line, Field: kv.key, Err: errors.New("key not seen on the first read (file changed?)")}
			return nil, 0, false
		}
		j.vals[i] = jsonValue(kv.raw)
	}
	return j.vals, j.line, true
}

func (j *jsonlRows) err() error { return j.e }

func (j *jsonlRows) at(pos int64, field string, err error) error {
	return &LineError{File: j.path, Line: pos, Field: field, Err: err}
}

func (j *jsonlRows) close() error { return j.f.Close() }

// csvRows reads a CSV or TSV file with a header row. An empty cell is
// null; a cell holding a JSON list of strings is a list (for context,
// expected_any and must_not_contain).
type csvRows struct {
	path string
	f    *os.File
	r    *csv.Reader
	cols []srcColumn
	e    error
	vals []value
}

func openCSV(path string, comma rune) (*csvRows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(bufio.NewReaderSize(f, 64*1024))
	r.Comma = comma
	r.ReuseRecord = true
	c := &csvRows{path: path, f: f, r: r}
	header, err := r.Read()
	if err != nil {
		f.Close()
		if err == io.EOF {
			return nil, fmt.Errorf("%s: empty file, no header row", path)
		}
		return nil, c.parseErr(err)
	}
	for i, h := range header {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff")
		}
		c.cols = append(c.cols, srcColumn{name: h, typ: "string", ok: true})
	}
	c.vals = make([]value, len(c.cols))
	return c, nil
}

// parseErr turns a csv.ParseError into a *LineError.
func (c *csvRows) parseErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &LineError{File: c.path, Line: int64(pe.StartLine), Err: fmt.Errorf("%w: %v", ErrSyntax, pe.Err)}
	}
	return fmt.Errorf("%s: %w", c.path, err)
}

func (c *csvRows) columns() []srcColumn { return c.cols }

func (c *csvRows) next() ([]value, int64, bool) {
	rec, err := c.r.Read()
	if err == io.EOF {
		return nil, 0, false
	}
	if err != nil {
		c.e = c.parseErr(err)
		return nil, 0, false
	}
	line, _ := c.r.FieldPos(0)
	for i, s := range rec {
		switch {
		case s == "":
			c.vals[i] = value{null: true}
		case s[0] == '[':
			var list []string
			if json.Unmarshal([]byte(s), &list) == nil {
				c.vals[i] = value{list: list, isList: true}
				continue
			}
			fallthrough
		default:
			c.vals[i] = value{s: strings.Clone(s)}
		}
	}
	return c.vals, int64(line), true
}

func (c *csvRows) err() error { return c.e }

func (c *csvRows) at(pos int64, field string, err error) error {
	return &LineError{File: c.path, Line: pos, Field: field, Err: err}
}

func (c *csvRows) close() error { return c.f.Close() }

// parquetRows reads any Parquet file's string, list<string> and numeric
// columns, as pandas, Polars, pyarrow, DuckDB or Hugging Face datasets
// write them.
type parquetRows struct {
	src    *source
	cols   []srcColumn
	fields []*field // of cols, nil when not decoded
	byLeaf map[int]int
	stream *rowStream
	spans  [][]parquet.Value
	vals   []value
	// content and cspans are byLeaf and spans for the content leaves of
	// messages columns.
	content map[int]int
	cspans  [][]parquet.Value
}

func openParquetRows(path string) (*parquetRows, error) {
	src, err := openSource(path)
	if err != nil {
		return nil, err
	}
	p := &parquetRows{src: src, byLeaf: map[int]int{}, content: map[int]int{}}
	var leaves []int
	seen := map[string]bool{}
	for i := range src.fields {
		f := &src.fields[i]
		if seen[f.Name] {
			continue
		}
		seen[f.Name] = true
		c := srcColumn{name: f.Name, typ: f.Type, ok: f.kind != kindOther && f.kind != kindBool && f.kind != kindMessages, conv: f.kind == kindMessages}
		p.cols = append(p.cols, c)
		if c.conv {
			p.content[f.content] = len(p.cols) - 1
			leaves = append(leaves, f.content)
		} else if !c.ok {
			p.fields = append(p.fields, nil)
			continue
		}
		p.fields = append(p.fields, f)
		p.byLeaf[f.leaf] = len(p.cols) - 1
		leaves = append(leaves, f.leaf)
	}
	slices.Sort(leaves)
	p.stream = newRowStream(src, leaves)
	p.spans = make([][]parquet.Value, len(p.cols))
	p.cspans = make([][]parquet.Value, len(p.cols))
	p.vals = make([]value, len(p.cols))
	return p, nil
}

func (p *parquetRows) columns() []srcColumn { return p.cols }

func (p *parquetRows) next() ([]value, int64, bool) {
	row, idx, ok := p.stream.next()
	if !ok {
		return nil, 0, false
	}
	clear(p.spans)
	clear(p.cspans)
	for i := 0; i < len(row); {
		leaf := row[i].Column()
		j := i + 1
		for j < len(row) && row[j].Column() == leaf {
			j++
		}
		if c, ok := p.byLeaf[leaf]; ok {
			p.spans[c] = row[i:j]
		}
		if c, ok := p.content[leaf]; ok {
			p.cspans[c] = row[i:j]
		}
		i = j
	}
	for i, f := range p.fields {
		p.vals[i] = value{null: true}
		span := p.spans[i]
		if f == nil {
			continue
		}
		if len(span) == 0 {
			p.stream.err = corruptf(p.src.path, idx, "column %q has no value in this row", f.Name)
			return nil, 0, false
		}
		var err error
		if f.kind == kindMessages {
			var msgs []records.Message
			msgs, err = messagesValue(span, p.cspans[i], f)
			p.vals[i] = value{null: msgs == nil, typ: typTurns, turns: msgs}
		} else {
			p.vals[i], err = parquetValue(span, f)
		}
		if err != nil {
			p.stream.err = &RowError{File: p.src.path, Row: idx, Column: f.Name, Err: err}
			return nil, 0, false
		}
	}
	return p.vals, idx, true
}

// parquetValue decodes one cell of a decodable column.
func parquetValue(span []parquet.Value, f *field) (value, error) {
	switch f.kind {
	case kindStringList:
		l, err := listValue(span, f)
		if err != nil {
			return value{}, err
		}
		if l == nil {
			return value{null: true}, nil
		}
		return value{list: l, isList: true}, nil
	case kindString:
		s, null, err := stringValue(span, f)
		return value{s: s, null: null}, err
	}
	if len(span) != 1 {
		return value{}, fmt.Errorf("%w: %d values in one row of a scalar column", ErrCorrupt, len(span))
	}
	v := span[0]
	if v.IsNull() || v.DefinitionLevel() < f.maxDef {
		return value{null: true}, nil
	}
	switch v.Kind() {
	case parquet.Int64:
		return value{s: strconv.FormatInt(v.Int64(), 10)}, nil
	case parquet.Int32:
		return value{s: strconv.FormatInt(int64(v.Int32()), 10)}, nil
	case parquet.Double, parquet.Float:
		x := v.Double()
		if v.Kind() == parquet.Float {
			x = float64(v.Float())
		}
		if math.IsNaN(x) { // pandas' missing value
			return value{null: true}, nil
		}
		return value{s: strconv.FormatFloat(x, 'g', -1, 64)}, nil
	}
	return value{}, fmt.Errorf("%w: %s value in a numeric column", ErrCorrupt, v.Kind())
}

func (p *parquetRows) err() error {
	if p.stream.err != nil {
		return p.stream.err
	}
	return nil
}

func (p *parquetRows) at(pos int64, field string, err error) error {
	return &RowError{File: p.src.path, Row: pos, Column: field, Err: err}
}

func (p *parquetRows) close() error {
	p.stream.close()
	return p.src.close()
}
