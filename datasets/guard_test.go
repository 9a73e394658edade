package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

func TestWalkThrift(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		wantLen int
		wantErr string
	}{
		{"empty struct", []byte{0x00}, 1, ""},
		{"i32 field", []byte{0x15, 0x02, 0x00}, 3, ""},
		{"binary field", []byte{0x18, 0x02, 'h', 'i', 0x00}, 5, ""},
		{"list of two i32", []byte{0x19, 0x25, 0x02, 0x04, 0x00}, 5, ""},
		{"list of bools", []byte{0x19, 0x21, 0x01, 0x02, 0x00}, 5, ""},
		{"truncated", []byte{0x15}, 0, "unexpected EOF"},
		{"binary longer than the input", []byte{0x18, 0x7f, 'h'}, 0, "unexpected EOF"},
		{"list claiming 2^31 elements", []byte{0x19, 0xfc, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00}, 0, "list of 2147483647 elements"},
		{"map claiming more entries than bytes", []byte{0x1b, 0x7f, 0x55, 0x00}, 0, "map of 127 entries"},
		{"unknown type", []byte{0x1e, 0x00}, 0, "unknown thrift type 14"},
		{"structs nested too deeply", bytes.Repeat([]byte{0x1c}, 100), 0, "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := walkThrift(tt.data, 8)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("got error %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("got %d, %v; want an error containing %q", n, err, tt.wantErr)
			case tt.wantErr == "" && n != tt.wantLen:
				t.Errorf("got length %d, want %d", n, tt.wantLen)
			}
		})
	}
}

func TestCheckPageHeader(t *testing.T) {
	v2 := func(values, nulls, rows, rep, def int32) thrift.Null[format.DataPageHeaderV2] {
		return thrift.New(format.DataPageHeaderV2{NumValues: values, NumNulls: nulls, NumRows: rows,
			RepetitionLevelsByteLength: rep, DefinitionLevelsByteLength: def})
	}
	tests := []struct {
		name string
		h    format.PageHeader
		room int64
		want error
	}{
		{"fine", format.PageHeader{CompressedPageSize: 10, UncompressedPageSize: 20,
			DataPageHeader: thrift.New(format.DataPageHeader{NumValues: 5})}, 10, nil},
		{"negative size", format.PageHeader{CompressedPageSize: -1}, 10, ErrCorrupt},
		{"page past its chunk", format.PageHeader{CompressedPageSize: 11}, 10, ErrCorrupt},
		{"huge uncompressed size", format.PageHeader{CompressedPageSize: 10, UncompressedPageSize: 1 << 30}, 10, ErrUnsupported},
		{"negative values", format.PageHeader{DataPageHeader: thrift.New(format.DataPageHeader{NumValues: -1})}, 10, ErrCorrupt},
		{"too many values", format.PageHeader{DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{NumValues: 1 << 30})}, 10, ErrUnsupported},
		{"v2 fine", format.PageHeader{CompressedPageSize: 10, UncompressedPageSize: 10, DataPageHeaderV2: v2(4, 1, 4, 2, 2)}, 10, nil},
		{"v2 more nulls than values", format.PageHeader{DataPageHeaderV2: v2(4, 5, 4, 0, 0)}, 10, ErrCorrupt},
		{"v2 levels larger than the page", format.PageHeader{CompressedPageSize: 10, UncompressedPageSize: 10, DataPageHeaderV2: v2(4, 0, 4, 8, 8)}, 10, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkPageHeader(&tt.h, tt.room)
			if (tt.want == nil) != (err == nil) || (tt.want != nil && !errors.Is(err, tt.want)) {
				t.Errorf("got %v, want %v", err, tt.want)
			}
		})
	}
}

// TestCheckPayloadBombs checks that pages which decompress to far more than
// their header declares are refused before parquet-go decompresses them.
func TestCheckPayloadBombs(t *testing.T) {
	zeros := make([]byte, 8<<20)
	gz := func() []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		w.Write(zeros)
		w.Close()
		return b.Bytes()
	}
	br := func() []byte {
		var b bytes.Buffer
		w := brotli.NewWriter(&b)
		w.Write(zeros)
		w.Close()
		return b.Bytes()
	}
	zs := func() []byte {
		enc, err := zstd.NewWriter(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		return enc.EncodeAll(zeros, nil)
	}
	lz := func() []byte {
		dst := make([]byte, lz4.CompressBlockBound(len(zeros)))
		n, err := lz4.CompressBlock(zeros, dst, nil)
		if err != nil {
			t.Fatal(err)
		}
		return dst[:n]
	}
	tests := []struct {
		name  string
		codec format.CompressionCodec
		data  []byte
	}{
		{"gzip", format.Gzip, gz()},
		{"brotli", format.Brotli, br()},
		{"zstd", format.Zstd, zs()},
		{"lz4", format.Lz4Raw, lz()},
		{"snappy", format.Snappy, snappy.Encode(nil, zeros)},
		{"garbage lz4", format.Lz4Raw, bytes.Repeat([]byte{0xff}, 64)},
		{"garbage zstd", format.Zstd, bytes.Repeat([]byte{0xff}, 64)},
		{"garbage gzip", format.Gzip, bytes.Repeat([]byte{0xff}, 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &chunkChecker{r: bytes.NewReader(tt.data), size: int64(len(tt.data))}
			defer c.close()
			h := &format.PageHeader{Type: format.DataPage, CompressedPageSize: int32(len(tt.data)), UncompressedPageSize: 1024}
			if err := c.checkPayload(tt.codec, h, 0); !errors.Is(err, ErrCorrupt) {
				t.Errorf("got %v, want ErrCorrupt", err)
			}
			// Declared honestly, the same page passes.
			if !strings.HasPrefix(tt.name, "garbage") {
				h.UncompressedPageSize = int32(len(zeros))
				if err := c.checkPayload(tt.codec, h, 0); err != nil {
					t.Errorf("honest page: %v", err)
				}
			}
		})
	}
}

// relabel rewrites the footer of a Parquet file so that every column chunk
// claims codec, leaving the pages as they were.
func relabel(t *testing.T, data []byte, codec format.CompressionCodec) []byte {
	t.Helper()
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	footer := data[len(data)-8-n : len(data)-8]
	var md format.FileMetaData
	if err := thrift.Unmarshal(&thrift.CompactProtocol{}, footer, &md); err != nil {
		t.Fatal(err)
	}
	for i := range md.RowGroups {
		for j := range md.RowGroups[i].Columns {
			md.RowGroups[i].Columns[j].MetaData.Codec = codec
		}
	}
	newFooter, err := thrift.Marshal(&thrift.CompactProtocol{}, &md)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte{}, data[:len(data)-8-n]...)
	out = append(out, newFooter...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(newFooter)))
	return append(out, "PAR1"...)
}

// TestWrongCodec reads files whose pages are compressed with one codec
// while the footer names another. Each must fail cleanly; labelling
// snappy pages as LZ4_RAW used to make parquet-go retry with doubling
// buffers until the process ran out of memory.
func TestWrongCodec(t *testing.T) {
	codecs := []compress.Codec{&parquet.Uncompressed, &parquet.Snappy, &parquet.Gzip, &parquet.Brotli, &parquet.Zstd, &parquet.Lz4Raw}
	for _, written := range codecs {
		path := writeTestFile(t, "w.parquet",
			[]parquet.Field{named("id", parquet.String()), named("input", parquet.String())},
			[]parquet.Row{row(str("a"), str(strings.Repeat("some input text ", 50))), row(str("b"), str("short"))},
			parquet.Compression(written))
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, claimed := range codecs {
			if claimed == written {
				continue
			}
			t.Run(written.String()+" as "+claimed.String(), func(t *testing.T) {
				path := writeBytes(t, relabel(t, data, claimed.CompressionCodec()))
				done := make(chan error, 1)
				go func() {
					_, _, err := readAll(t, path)
					done <- err
				}()
				select {
				case err := <-done:
					if err == nil {
						return // some codecs decode others' bytes by chance; no harm
					}
					if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), path) {
						t.Errorf("got %v, want an ErrCorrupt error naming the file", err)
					}
				case <-time.After(20 * time.Second):
					t.Fatal("no answer within 20s")
				}
			})
		}
	}
}
