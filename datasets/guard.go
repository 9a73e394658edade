package datasets

// Checks made before the Parquet library sees bytes of a file.
//
// parquet-go trusts sizes and counts written in a file: a corrupt footer or
// page header can make it allocate gigabytes (which kills the process, as
// recover cannot catch running out of memory) and a corrupt LZ4 page makes
// it retry with ever larger buffers. So the footer and every page header
// of a column chunk are checked here first, with the limits below, and
// compressed pages whose format could expand without bound are decompressed
// once under a bound.

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// Limits on what evalgate reads. Files from DuckDB, pyarrow and Spark stay
// far below them (their pages hold about a megabyte).
const (
	maxFooterBytes = 64 << 20  // bytes of the footer's metadata
	maxSchemaDepth = 64        // nesting of groups in the schema, and of thrift structs
	maxPageBytes   = 256 << 20 // bytes of one page, compressed or not
	maxPageValues  = 1 << 24   // values (including nulls) in one page
)

// checkFooter reads the footer of a file whose framing checkFraming has
// accepted, checks its thrift encoding and schema shape, and returns
// nil when parquet-go can be trusted to open it.
func checkFooter(r io.ReaderAt, size int64) error {
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n > maxFooterBytes {
		return fmt.Errorf("%w: the footer is %d bytes, more than the %d evalgate reads", ErrUnsupported, n, maxFooterBytes)
	}
	footer := make([]byte, n)
	if _, err := r.ReadAt(footer, size-8-n); err != nil {
		return err
	}
	if _, err := walkThrift(footer, 12); err != nil {
		return fmt.Errorf("%w: footer: %v", ErrCorrupt, err)
	}
	var md format.FileMetaData
	proto := &thrift.CompactProtocol{}
	if err := thrift.NewDecoder(proto.NewReaderFromBytes(footer)).Decode(&md); err != nil {
		return fmt.Errorf("%w: footer: %v", ErrCorrupt, err)
	}
	return checkSchemaShape(&md)
}

// checkSchemaShape checks that the flattened schema nests at most
// maxSchemaDepth deep and that every row group has one column chunk per
// leaf, which bounds what parquet-go reserves from these counts.
func checkSchemaShape(md *format.FileMetaData) error {
	if len(md.Schema) == 0 {
		return fmt.Errorf("%w: the schema is empty", ErrCorrupt)
	}
	leaves := 0
	var open []int32 // children still to come at each open group
	for i := range md.Schema {
		e := &md.Schema[i]
		if e.NumChildren.Valid && e.NumChildren.V < 0 {
			return fmt.Errorf("%w: schema element %q has %d children", ErrCorrupt, e.Name, e.NumChildren.V)
		}
		if i > 0 && len(open) == 0 {
			return fmt.Errorf("%w: schema element %q lies outside the root", ErrCorrupt, e.Name)
		}
		if e.Type.Valid {
			leaves++
		}
		if e.NumChildren.Valid && e.NumChildren.V > 0 && !e.Type.Valid {
			open = append(open, e.NumChildren.V)
			if len(open) > maxSchemaDepth {
				return fmt.Errorf("%w: the schema nests deeper than %d levels", ErrUnsupported, maxSchemaDepth)
			}
			continue
		}
		for len(open) > 0 {
			open[len(open)-1]--
			if open[len(open)-1] > 0 {
				break
			}
			open = open[:len(open)-1]
		}
	}
	for i := range md.RowGroups {
		if got := len(md.RowGroups[i].Columns); got != leaves {
			return fmt.Errorf("%w: row group %d has %d column chunks for %d leaf columns", ErrCorrupt, i, got, leaves)
		}
	}
	return nil
}

// walkThrift checks that b starts with one well-formed thrift compact
// struct whose containers claim no more elements than bytes remain and
// whose nesting stays within depth, and returns its length in bytes.
func walkThrift(b []byte, depth int) (int, error) {
	w := thriftWalker{b: b}
	if err := w.structure(depth); err != nil {
		return 0, err
	}
	return w.off, nil
}

type thriftWalker struct {
	b   []byte
	off int
}

var errThriftEOF = io.ErrUnexpectedEOF

func (w *thriftWalker) byte() (byte, error) {
	if w.off >= len(w.b) {
		return 0, errThriftEOF
	}
	c := w.b[w.off]
	w.off++
	return c, nil
}

func (w *thriftWalker) uvarint() (uint64, error) {
	v, n := binary.Uvarint(w.b[w.off:])
	switch {
	case n == 0:
		return 0, errThriftEOF
	case n < 0:
		return 0, fmt.Errorf("varint overflow at byte %d", w.off)
	}
	w.off += n
	return v, nil
}

func (w *thriftWalker) skip(n uint64) error {
	if n > uint64(len(w.b)-w.off) {
		return errThriftEOF
	}
	w.off += int(n)
	return nil
}

func (w *thriftWalker) structure(depth int) error {
	if depth <= 0 {
		return errors.New("thrift structs nested too deeply")
	}
	for {
		h, err := w.byte()
		if err != nil {
			return err
		}
		if h == 0 {
			return nil
		}
		if h>>4 == 0 {
			if _, err := w.uvarint(); err != nil { // explicit field id
				return err
			}
		}
		if err := w.value(h&0x0f, depth, false); err != nil {
			return err
		}
	}
}

// value skips one value of compact type t; inList is set for container
// elements, where booleans take a byte.
func (w *thriftWalker) value(t byte, depth int, inList bool) error {
	switch t {
	case 1, 2: // boolean: in the field header, or one byte in a container
		if inList {
			return w.skip(1)
		}
		return nil
	case 3: // i8
		return w.skip(1)
	case 4, 5, 6: // i16, i32, i64
		_, err := w.uvarint()
		return err
	case 7: // double
		return w.skip(8)
	case 8: // binary
		n, err := w.uvarint()
		if err != nil {
			return err
		}
		return w.skip(n)
	case 9, 10: // list, set
		h, err := w.byte()
		if err != nil {
			return err
		}
		size := uint64(h >> 4)
		if size == 15 {
			if size, err = w.uvarint(); err != nil {
				return err
			}
		}
		if size > uint64(len(w.b)-w.off) {
			return fmt.Errorf("list of %d elements in %d bytes", size, len(w.b)-w.off)
		}
		for range size {
			if err := w.value(h&0x0f, depth, true); err != nil {
				return err
			}
		}
		return nil
	case 11: // map
		size, err := w.uvarint()
		if err != nil || size == 0 {
			return err
		}
		kv, err := w.byte()
		if err != nil {
			return err
		}
		if size > uint64(len(w.b)-w.off)/2 {
			return fmt.Errorf("map of %d entries in %d bytes", size, len(w.b)-w.off)
		}
		for range size {
			if err := w.value(kv>>4, depth, true); err != nil {
				return err
			}
			if err := w.value(kv&0x0f, depth, true); err != nil {
				return err
			}
		}
		return nil
	case 12: // struct
		return w.structure(depth - 1)
	case 13: // uuid
		return w.skip(16)
	}
	return fmt.Errorf("unknown thrift type %d at byte %d", t, w.off)
}

// chunkChecker checks the column chunks that a row stream is about to hand
// to parquet-go. Its buffers are reused from chunk to chunk.
type chunkChecker struct {
	r       io.ReaderAt
	size    int64
	payload []byte
	out     []byte
	zstd    *zstd.Decoder
}

// close releases the zstd decoder, if one was made.
func (c *chunkChecker) close() {
	if c.zstd != nil {
		c.zstd.Close()
		c.zstd = nil
	}
}

// check reads every page header of a column chunk, in the order parquet-go
// will, and refuses the chunk when one could make parquet-go allocate
// without bound: sizes beyond the chunk or past the limits above, a
// compressed page that decompresses to more than its header declares.
func (c *chunkChecker) check(cc *format.ColumnChunk) error {
	md := &cc.MetaData
	name := strings.Join(md.PathInSchema, ".")
	start := md.DataPageOffset
	if md.DictionaryPageOffset != 0 {
		start = md.DictionaryPageOffset
	}
	size := md.TotalCompressedSize
	if start < 4 || size < 0 || start > c.size || size > c.size-start {
		return fmt.Errorf("%w: column %q: the chunk at offset %d (%d bytes) lies outside the %d-byte file", ErrCorrupt, name, start, size, c.size)
	}
	if md.NumValues < 0 {
		return fmt.Errorf("%w: column %q: the chunk declares %d values", ErrCorrupt, name, md.NumValues)
	}
	end := start + size
	for pos, page := start, 0; pos < end; page++ {
		h, n, err := c.pageHeader(pos, end)
		if err != nil {
			return fmt.Errorf("%w: column %q: page %d header: %v", ErrCorrupt, name, page, err)
		}
		if err := checkPageHeader(h, end-pos-int64(n)); err != nil {
			return fmt.Errorf("column %q: page %d: %w", name, page, err)
		}
		if err := c.checkPayload(md.Codec, h, pos+int64(n)); err != nil {
			return fmt.Errorf("column %q: page %d: %w", name, page, err)
		}
		pos += int64(n) + int64(h.CompressedPageSize)
	}
	return nil
}

// pageHeader decodes the page header at pos, reading a small window first
// and a larger one when the header (with its statistics) does not fit.
func (c *chunkChecker) pageHeader(pos, end int64) (*format.PageHeader, int, error) {
	for window := int64(256); ; window *= 16 {
		window = min(window, end-pos)
		buf := c.grow(&c.payload, int(window))
		if _, err := c.r.ReadAt(buf, pos); err != nil {
			return nil, 0, err
		}
		n, err := walkThrift(buf, 8)
		if err == errThriftEOF && window < end-pos {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		h := new(format.PageHeader)
		proto := &thrift.CompactProtocol{}
		if err := thrift.NewDecoder(proto.NewReaderFromBytes(buf[:n])).Decode(h); err != nil {
			return nil, 0, err
		}
		return h, n, nil
	}
}

// checkPageHeader checks one page header's sizes and counts; room is the
// number of chunk bytes after the header.
func checkPageHeader(h *format.PageHeader, room int64) error {
	corrupt := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
	}
	switch {
	case h.CompressedPageSize < 0 || h.UncompressedPageSize < 0:
		return corrupt("negative page size (%d compressed, %d uncompressed)", h.CompressedPageSize, h.UncompressedPageSize)
	case int64(h.CompressedPageSize) > room:
		return corrupt("a %d-byte page in the %d bytes left of its chunk", h.CompressedPageSize, room)
	case h.CompressedPageSize > maxPageBytes || h.UncompressedPageSize > maxPageBytes:
		return fmt.Errorf("%w: a page of %d bytes (%d compressed), more than the %d evalgate reads",
			ErrUnsupported, h.UncompressedPageSize, h.CompressedPageSize, maxPageBytes)
	}
	values := func(n int32) error {
		if n < 0 {
			return corrupt("a page declares %d values", n)
		}
		if n > maxPageValues {
			return fmt.Errorf("%w: a page of %d values, more than the %d evalgate reads", ErrUnsupported, n, maxPageValues)
		}
		return nil
	}
	if d := h.DataPageHeader; d.Valid {
		if err := values(d.V.NumValues); err != nil {
			return err
		}
	}
	if d := h.DictionaryPageHeader; d.Valid {
		if err := values(d.V.NumValues); err != nil {
			return err
		}
	}
	if d := h.DataPageHeaderV2; d.Valid {
		v := &d.V
		if err := values(v.NumValues); err != nil {
			return err
		}
		if v.NumNulls < 0 || v.NumRows < 0 || v.NumNulls > v.NumValues || v.NumRows > v.NumValues {
			return corrupt("a page declares %d values, %d nulls and %d rows", v.NumValues, v.NumNulls, v.NumRows)
		}
		levels := int64(v.RepetitionLevelsByteLength) + int64(v.DefinitionLevelsByteLength)
		if v.RepetitionLevelsByteLength < 0 || v.DefinitionLevelsByteLength < 0 ||
			levels > int64(h.CompressedPageSize) || levels > int64(h.UncompressedPageSize) {
			return corrupt("levels of %d+%d bytes in a %d-byte page", v.RepetitionLevelsByteLength, v.DefinitionLevelsByteLength, h.CompressedPageSize)
		}
	}
	return nil
}

// checkPayload checks that a compressed page decompresses to no more than
// its header declares. Pages that parquet-go does not decompress (v2 pages
// marked uncompressed, index pages) are left alone.
func (c *chunkChecker) checkPayload(codec format.CompressionCodec, h *format.PageHeader, pos int64) error {
	src := int64(h.CompressedPageSize)
	switch h.Type {
	case format.DataPage, format.DictionaryPage:
	case format.DataPageV2:
		if !h.DataPageHeaderV2.Valid {
			return nil
		}
		v := &h.DataPageHeaderV2.V
		if v.IsCompressed.Valid && !v.IsCompressed.V {
			return nil
		}
		levels := int64(v.RepetitionLevelsByteLength) + int64(v.DefinitionLevelsByteLength)
		pos += levels
		src -= levels
	default:
		return nil
	}
	limit := int(h.UncompressedPageSize)
	switch {
	case codec == format.Uncompressed:
		return nil
	case src <= 0 && codec != format.Lz4Raw:
		return nil // nothing to decompress, nothing to allocate
	}
	switch codec {
	case format.Snappy:
		// The block starts with its decoded length, which parquet-go
		// allocates; ten bytes hold any varint.
		head := c.grow(&c.payload, int(min(src, 10)))
		if _, err := c.r.ReadAt(head, pos); err != nil {
			return err
		}
		n, err := snappy.DecodedLen(head)
		if err != nil {
			return fmt.Errorf("%w: snappy: %v", ErrCorrupt, err)
		}
		if n > limit {
			return fmt.Errorf("%w: snappy block of %d bytes in a page that declares %d", ErrCorrupt, n, limit)
		}
		return nil
	}
	data := c.grow(&c.payload, int(src))
	if _, err := c.r.ReadAt(data, pos); err != nil {
		return err
	}
	var (
		n   int64
		err error
	)
	switch codec {
	case format.Lz4Raw:
		var m int
		m, err = lz4.UncompressBlock(data, c.grow(&c.out, limit))
		n = int64(m)
	case format.Zstd:
		if c.zstd == nil {
			c.zstd, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxPageBytes))
			if err != nil {
				return err
			}
		}
		var fh zstd.Header
		if err = fh.Decode(data); err == nil && fh.HasFCS && fh.FrameContentSize > uint64(limit) {
			return fmt.Errorf("%w: zstd frame of %d bytes in a page that declares %d", ErrCorrupt, fh.FrameContentSize, limit)
		}
		var out []byte
		out, err = c.zstd.DecodeAll(data, c.out[:0])
		if cap(out) <= maxPageBytes {
			c.out = out[:0]
		}
		n = int64(len(out))
	case format.Gzip:
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(bytes.NewReader(data)); err == nil {
			n, err = io.Copy(io.Discard, io.LimitReader(zr, int64(limit)+1))
		}
	case format.Brotli:
		n, err = io.Copy(io.Discard, io.LimitReader(brotli.NewReader(bytes.NewReader(data)), int64(limit)+1))
	default:
		return fmt.Errorf("%w: compressed with %s, which parquet-go cannot decode", ErrUnsupported, codec)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, codec, err)
	}
	if n > int64(limit) {
		return fmt.Errorf("%w: %s data decompresses to more than the %d bytes its page declares", ErrCorrupt, codec, limit)
	}
	return nil
}

// grow returns (*buf)[:n], reallocating when it is too small.
func (c *chunkChecker) grow(buf *[]byte, n int) []byte {
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	return (*buf)[:n]
}
