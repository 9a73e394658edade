package datasets

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Key-value metadata keys that hold an eval set's identity.
const (
	// MetaName is the Parquet key-value metadata key of the eval set's name.
	MetaName = "evalgate.name"
	// MetaVersion is the Parquet key-value metadata key of the eval set's version.
	MetaVersion = "evalgate.version"
)

// Info describes a Parquet file: its identity, size and schema.
type Info struct {
	// Path is the file's path as given to Open (or OpenSet, OpenResults,
	// …), or the name given to NewReader (or NewResultsReader, …).
	Path string
	// Name and Version are the evalgate.name and evalgate.version key-value
	// metadata; empty when absent.
	Name, Version string
	// SHA256 is the lower-case hex SHA-256 digest of the file's bytes.
	SHA256 string
	// Size is the file's size in bytes.
	Size int64
	// Rows is the number of rows, summed over the row groups.
	Rows int64
	// RowGroups is the number of row groups in the file.
	RowGroups int
	// Columns lists the top-level columns in schema order.
	Columns []Column
	// Metadata holds all key-value metadata of the file, including
	// evalgate.name and evalgate.version. When a key repeats, the first
	// value wins.
	Metadata map[string]string
}

// source is a digested Parquet file with its footer read and its schema
// resolved. Readers read it through ra; a source made by openSource owns
// the file and closes it, a view of a Set's source (see Set.view) does
// not.
type source struct {
	path   string // the name errors show
	ra     io.ReaderAt
	closer io.Closer // closes ra; nil when the source does not own it
	closed bool
	set    *Set // the Set a view was handed out by, or nil
	pf     *parquet.File
	fields []field
	info   Info
}

// openSource opens path, digests it, reads its footer and resolves its
// columns. Errors are *RowError values naming the file.
func openSource(path string) (*source, error) {
	f, st, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	s, err := newSource(path, f, st.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	s.closer = f
	return s, nil
}

// openRegular opens path, which must name a regular file, and returns the
// file and its status. Errors are *RowError values naming the file.
func openRegular(path string) (*os.File, os.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fileError(path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fileError(path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, fileError(path, errors.New("not a regular file"))
	}
	return f, st, nil
}

// newSource digests the size bytes of ra, reads the footer and resolves
// the columns. name is what errors and Info.Path show. The source does
// not own ra: closing it does not close ra. Errors are *RowError values
// naming the file.
func newSource(name string, ra io.ReaderAt, size int64) (*source, error) {
	if size < 0 {
		return nil, fileError(name, fmt.Errorf("negative size %d", size))
	}
	h := sha256.New()
	n, err := io.Copy(h, io.NewSectionReader(ra, 0, size))
	if err != nil {
		return nil, fileError(name, err)
	}
	if n != size {
		return nil, fileError(name, fmt.Errorf("%w: read %d of %d bytes (truncated while reading?)", ErrCorrupt, n, size))
	}
	if err := checkFraming(name, ra, size); err != nil {
		return nil, fileError(name, err)
	}
	if err := checkFooter(ra, size); err != nil {
		return nil, fileError(name, err)
	}
	var pf *parquet.File
	err = protect(func() error {
		var err error
		pf, err = parquet.OpenFile(ra, size,
			parquet.SkipPageIndex(true),
			parquet.SkipBloomFilters(true),
			parquet.ReadBufferSize(64*1024),
		)
		return err
	})
	if err != nil {
		return nil, fileError(name, classifyOpenError(err))
	}
	s := &source{path: name, ra: ra, pf: pf}
	if err := protect(func() error {
		var err error
		s.fields, err = buildSchema(pf)
		return err
	}); err != nil {
		return nil, fileError(name, classifyOpenError(err))
	}
	md := pf.Metadata()
	if md.NumRows < 0 {
		return nil, corruptf(name, -1, "footer declares %d rows", md.NumRows)
	}
	var total int64 // the footer's NumRows is not trusted: some writers leave it 0
	for i := range md.RowGroups {
		rg := &md.RowGroups[i]
		if rg.NumRows < 0 {
			return nil, corruptf(name, -1, "row group %d declares %d rows", i, rg.NumRows)
		}
		for j := range rg.Columns {
			cc := &rg.Columns[j]
			if cc.CryptoMetadata.Value != nil || cc.EncryptedColumnMetadata != nil {
				return nil, fileError(name, fmt.Errorf("%w: column chunks are encrypted", ErrUnsupported))
			}
			if cc.FilePath != "" {
				return nil, fileError(name, fmt.Errorf("%w: column chunks are stored in another file (%q)", ErrUnsupported, cc.FilePath))
			}
		}
		total += rg.NumRows
	}
	s.info = Info{
		Path:      name,
		SHA256:    hex.EncodeToString(h.Sum(nil)),
		Size:      size,
		Rows:      total,
		RowGroups: len(md.RowGroups),
		Metadata:  make(map[string]string, len(md.KeyValueMetadata)),
	}
	for _, kv := range md.KeyValueMetadata {
		if _, ok := s.info.Metadata[kv.Key]; !ok {
			s.info.Metadata[kv.Key] = kv.Value
		}
	}
	s.info.Name = s.info.Metadata[MetaName]
	s.info.Version = s.info.Metadata[MetaVersion]
	s.info.Columns = make([]Column, len(s.fields))
	for i, fd := range s.fields {
		s.info.Columns[i] = fd.Column
	}
	return s, nil
}

// checkFraming checks the magic bytes and footer length before the Parquet
// library sees the file, so that a truncated file gets a clear message and
// a corrupt footer length cannot make the library allocate gigabytes.
func checkFraming(name string, f io.ReaderAt, size int64) error {
	const magicLen, tailLen = 4, 8
	if size < magicLen+tailLen {
		return fmt.Errorf("%w: file is %d bytes, too short for Parquet (truncated?)", ErrCorrupt, size)
	}
	var head [magicLen]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return err
	}
	var tail [tailLen]byte
	if _, err := f.ReadAt(tail[:], size-tailLen); err != nil {
		return err
	}
	switch {
	case bytes.Equal(head[:], []byte("PARE")) || bytes.Equal(tail[4:], []byte("PARE")):
		return fmt.Errorf("%w: the footer is encrypted", ErrUnsupported)
	case !bytes.Equal(head[:], []byte("PAR1")):
		return notParquet(name, f, size)
	case !bytes.Equal(tail[4:], []byte("PAR1")):
		return fmt.Errorf("%w: no Parquet magic at the end of the file (truncated?)", ErrCorrupt)
	}
	footer := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footer > size-magicLen-tailLen {
		return fmt.Errorf("%w: footer length %d exceeds the %d-byte file", ErrCorrupt, footer, size)
	}
	return nil
}

// notParquet is the error for a file without Parquet magic at its start:
// when its first bytes look like JSONL, CSV or TSV, ErrNotParquet saying
// so and naming the command that converts it; otherwise ErrCorrupt.
func notParquet(name string, f io.ReaderAt, size int64) error {
	head := make([]byte, min(size, 4096))
	n, _ := f.ReadAt(head, 0)
	if kind := sniffText(head[:n]); kind != "" {
		dst := strings.TrimSuffix(name, filepath.Ext(name)) + ".parquet"
		if dst == name {
			dst = strings.TrimSuffix(name, filepath.Ext(name)) + ".imported.parquet"
		}
		return &notParquetError{fmt.Sprintf("%v: this looks like %s; convert it with `evalgate dataset import %s --out %s`",
			ErrNotParquet, strings.ToUpper(kind), name, dst)}
	}
	return fmt.Errorf("%w: no Parquet magic at the start of the file (not Parquet?)", ErrCorrupt)
}

// notParquetError is ErrNotParquet with its message; it also matches
// ErrCorrupt, which such files were reported as before ErrNotParquet.
type notParquetError struct{ msg string }

func (e *notParquetError) Error() string { return e.msg }

// Is reports whether target is ErrNotParquet or ErrCorrupt.
func (e *notParquetError) Is(target error) bool {
	return target == ErrNotParquet || target == ErrCorrupt
}

// classifyOpenError marks an error from opening a file with ErrCorrupt,
// or ErrUnsupported when the library reports encryption, unless it already
// wraps one of them.
func classifyOpenError(err error) error {
	if errors.Is(err, ErrCorrupt) || errors.Is(err, ErrUnsupported) {
		return err
	}
	msg := err.Error()
	if strings.Contains(msg, "ecrypt") || strings.Contains(msg, "ncrypt") {
		return fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return fmt.Errorf("%w: %v", ErrCorrupt, err)
}

// close closes the file when the source owns it; the source reads no
// more either way.
func (s *source) close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.closer == nil {
		return nil
	}
	return s.closer.Close()
}

// check reports, for a view handed out by a Set, whether the file changed
// since the Set hashed it (see Set.Check); nil for other sources.
func (s *source) check() error {
	if s.set == nil {
		return nil
	}
	return s.set.Check()
}

// field returns the index of the top-level column named name, or -1.
func (s *source) field(name string) int {
	for i := range s.fields {
		if s.fields[i].Name == name {
			return i
		}
	}
	return -1
}

// batchRows is the number of rows read from the library at a time; it
// bounds the reader's memory together with the page size.
const batchRows = 128

// rowStream reads the values of selected leaf columns, one row group at a
// time and batchRows rows at a time. Values of the same leaf are
// contiguous within a row, in the order of leaves.
type rowStream struct {
	src    *source
	leaves []int // projected leaf column indices, ascending
	// limit stops the stream after this many rows; negative means no limit.
	limit int64

	rg      int   // index of the next row group to open
	rgStart int64 // file index of the current row group's first row
	rows    parquet.RowReadSeekCloser
	checker *chunkChecker
	want    int64 // rows the current row group declares
	got     int64 // rows read from the current row group
	batch   []parquet.Row
	n       int   // rows in batch
	pos     int   // next row in batch
	row     int64 // file index of the next row to return
	done    bool
	err     error // a *RowError
}

// newRowStream returns a stream over the given leaf columns. With no
// leaves it yields no rows.
func newRowStream(src *source, leaves []int) *rowStream {
	return &rowStream{
		src:     src,
		leaves:  leaves,
		limit:   -1,
		batch:   make([]parquet.Row, batchRows),
		checker: &chunkChecker{r: src.ra, size: src.info.Size},
	}
}

// next returns the next row and its 0-based index in the file. It returns
// false at the end of the file or on an error, which err then reports.
func (s *rowStream) next() (parquet.Row, int64, bool) {
	for s.pos >= s.n {
		if s.done || s.err != nil || len(s.leaves) == 0 {
			return nil, 0, false
		}
		if s.limit >= 0 && s.row >= s.limit {
			s.finish()
			return nil, 0, false
		}
		if !s.fill() {
			return nil, 0, false
		}
	}
	r := s.batch[s.pos]
	s.pos++
	idx := s.row
	s.row++
	return r, idx, true
}

// fill reads the next batch of rows, opening the next row group as needed.
func (s *rowStream) fill() bool {
	groups := s.src.pf.RowGroups()
	if s.rows == nil {
		if s.rg >= len(groups) {
			s.finish()
			return false
		}
		g := groups[s.rg]
		s.rg++
		s.rgStart = s.row
		var rows parquet.RowReadSeekCloser
		err := protect(func() error {
			selected := make([]parquet.ColumnChunk, 0, len(s.leaves))
			for _, leaf := range s.leaves {
				c, err := s.src.columnChunk(s.rg-1, leaf, s.checker)
				if err != nil {
					return err
				}
				selected = append(selected, c)
			}
			rows = parquet.NewColumnChunkRowReader(selected)
			return nil
		})
		if err != nil {
			s.fail(err)
			return false
		}
		s.rows, s.want, s.got = rows, g.NumRows(), 0
	}
	var n int
	var readErr error
	err := protect(func() error {
		n, readErr = s.rows.ReadRows(s.batch)
		return nil
	})
	if err == nil && readErr != nil && readErr != io.EOF {
		err = fmt.Errorf("%w: %v", ErrCorrupt, readErr)
	}
	if err != nil {
		s.fail(err)
		return false
	}
	s.n, s.pos = n, 0
	s.got += int64(n)
	if s.got > s.want {
		s.fail(fmt.Errorf("%w: row group holds more rows than the %d it declares", ErrCorrupt, s.want))
		return false
	}
	if readErr == io.EOF || n == 0 {
		if s.got != s.want {
			s.fail(fmt.Errorf("%w: row group holds %d rows but declares %d", ErrCorrupt, s.got, s.want))
			return false
		}
		s.closeRows()
	}
	return true
}

// columnChunk returns leaf column leaf of row group rg once it is safe for
// parquet-go to read: the column exists, its codec is one parquet-go
// decodes, and checker has bounded its pages (see chunkChecker).
func (s *source) columnChunk(rg, leaf int, checker *chunkChecker) (parquet.ColumnChunk, error) {
	chunks := s.pf.RowGroups()[rg].ColumnChunks()
	meta := s.pf.Metadata().RowGroups[rg].Columns
	if leaf < 0 || leaf >= len(chunks) || leaf >= len(meta) {
		return nil, fmt.Errorf("%w: row group has %d columns, want column %d", ErrCorrupt, len(chunks), leaf)
	}
	if codec := meta[leaf].MetaData.Codec; !supportedCodec(codec) {
		return nil, fmt.Errorf("%w: column %q is compressed with %s, which parquet-go cannot decode",
			ErrUnsupported, strings.Join(meta[leaf].MetaData.PathInSchema, "."), codec)
	}
	if err := checker.check(&meta[leaf]); err != nil {
		return nil, err
	}
	return chunks[leaf], nil
}

// supportedCodec reports whether parquet-go can decompress pages
// compressed with codec. It cannot read the deprecated Hadoop LZ4 and LZO.
func supportedCodec(codec format.CompressionCodec) bool {
	switch codec {
	case format.Uncompressed, format.Snappy, format.Gzip, format.Brotli, format.Zstd, format.Lz4Raw:
		return true
	}
	return false
}

// fail records err, positioned at the current row group.
func (s *rowStream) fail(err error) {
	s.err = &RowError{
		File: s.src.path,
		Row:  -1,
		Err:  fmt.Errorf("row group %d (rows from %d): %w", max(s.rg-1, 0), s.rgStart, err),
	}
	s.close()
}

// finish ends the stream.
func (s *rowStream) finish() {
	s.done = true
	s.close()
}

// close releases the current row group's reader and the checker's
// decoder; the stream yields no more rows.
func (s *rowStream) close() {
	s.done = true
	s.closeRows()
	s.checker.close()
}

// closeRows closes the current row group's reader, if any.
func (s *rowStream) closeRows() {
	if s.rows != nil {
		rows := s.rows
		s.rows = nil
		_ = protect(func() error { return rows.Close() })
	}
}
