package datasets

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// Freeze gives the eval set at src an identity: it writes a copy to dst
// with the key-value metadata evalgate.name = name and evalgate.version =
// version, keeping every other key, and returns the new file's Info (with
// its new SHA-256). src and dst may be the same path: the copy is written
// to a temporary file in dst's directory and renamed over dst, so dst is
// replaced whole or not at all.
//
// The rows and the schema (column names, order, types, nullability, list
// shapes, row groups) are copied unchanged; the pages are re-encoded with
// zstd, dictionary encoding for BYTE_ARRAY columns and PLAIN for the
// others. Freeze refuses a set that Validate finds problems in, returning
// them all, so that a frozen set is always a valid one.
func Freeze(src, dst string, name, version string) (Info, error) {
	info, err := freeze(src, dst, name, version)
	if err != nil {
		return Info{}, fmt.Errorf("freeze eval set: %w", err)
	}
	return info, nil
}

func freeze(srcPath, dst, name, version string) (Info, error) {
	for _, kv := range [][2]string{{"name", name}, {"version", version}} {
		switch {
		case kv[1] == "":
			return Info{}, fmt.Errorf("empty %s", kv[0])
		case !utf8.ValidString(kv[1]):
			return Info{}, fmt.Errorf("%s: %w", kv[0], ErrInvalidUTF8)
		}
	}
	set, err := OpenSet(srcPath)
	if err != nil {
		return Info{}, err
	}
	defer set.Close()
	probs, err := set.Validate()
	if err != nil {
		return Info{}, err
	}
	if len(probs) > 0 {
		return Info{}, errors.Join(probs...)
	}
	src := set.view()
	defer src.close()

	tmp, err := atomicfile.Create(dst, set.stat.Mode().Perm())
	if err != nil {
		return Info{}, err
	}
	defer tmp.Abort()

	meta := make(map[string]string, len(src.info.Metadata)+2)
	for k, v := range src.info.Metadata {
		meta[k] = v
	}
	meta[MetaName] = name
	meta[MetaVersion] = version
	if err := copyRows(tmp, src, meta); err != nil {
		return Info{}, err
	}
	// The copy is of the validated bytes only if the file did not change.
	if err := set.Close(); err != nil {
		return Info{}, err
	}
	if err := tmp.Commit(); err != nil {
		return Info{}, err
	}

	r, err := Open(dst)
	if err != nil {
		return Info{}, err
	}
	defer r.Close()
	return r.Info(), nil
}

// copyRows writes every row of src to w, one output row group per input
// row group, with the same schema and the given key-value metadata.
func copyRows(w io.Writer, src *source, meta map[string]string) error {
	return protect(func() error {
		root := recoded(src.pf.Root())
		schema := parquet.NewSchema(src.pf.Root().Name(), root)
		opts := writerOptions(schema, meta)
		opts = append(opts, parquet.MaxRowsPerRowGroup(max(src.info.Rows, 1)))
		pw := parquet.NewWriter(w, opts...)
		checker := &chunkChecker{r: src.ra, size: src.info.Size}
		defer checker.close()
		md := src.pf.Metadata()
		for i, g := range src.pf.RowGroups() {
			for j := range md.RowGroups[i].Columns {
				cc := &md.RowGroups[i].Columns[j]
				if !supportedCodec(cc.MetaData.Codec) {
					return fmt.Errorf("%w: row group %d: column %q is compressed with %s", ErrUnsupported, i, strings.Join(cc.MetaData.PathInSchema, "."), cc.MetaData.Codec)
				}
				if err := checker.check(cc); err != nil {
					return fmt.Errorf("row group %d: %w", i, err)
				}
			}
			rows := g.Rows()
			n, err := parquet.CopyRows(pw, rows)
			rows.Close()
			if err != nil {
				return fmt.Errorf("row group %d: %w", i, err)
			}
			if n != g.NumRows() {
				return fmt.Errorf("%w: row group %d: copied %d rows, want %d", ErrCorrupt, i, n, g.NumRows())
			}
			if err := pw.Flush(); err != nil {
				return err
			}
		}
		return pw.Close()
	})
}

// recodedNode presents a column of the source file with the encoding and
// compression Freeze writes, keeping its name, type, repetition and
// children.
type recodedNode struct {
	parquet.Field
	fields []parquet.Field
}

// recoded wraps the column tree of a file.
func recoded(c *parquet.Column) recodedNode {
	n := recodedNode{Field: c}
	for _, child := range c.Columns() {
		n.fields = append(n.fields, recoded(child))
	}
	return n
}

func (n recodedNode) Fields() []parquet.Field { return n.fields }

func (n recodedNode) Encoding() encoding.Encoding {
	if n.Leaf() && n.Type().Kind() == parquet.ByteArray {
		return &parquet.RLEDictionary
	}
	return nil
}

func (n recodedNode) Compression() compress.Codec { return nil }

func (n recodedNode) Value(base reflect.Value) reflect.Value { return reflect.Value{} }
