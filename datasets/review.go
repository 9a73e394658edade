package datasets

import (
	"fmt"
	"io"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// WriteReview writes rows to w as review.parquet, in the order given, with
// meta as key-value metadata. The bytes depend only on the rows and meta.
func WriteReview(w io.Writer, rows []records.ReviewRow, meta map[string]string) error {
	return protect(func() error {
		schema := parquet.SchemaOf(records.ReviewRow{})
		pw := parquet.NewGenericWriter[records.ReviewRow](w, writerOptions(schema, meta)...)
		if _, err := pw.Write(rows); err != nil {
			return fmt.Errorf("write review file: %w", err)
		}
		if err := pw.Close(); err != nil {
			return fmt.Errorf("write review file: %w", err)
		}
		return nil
	})
}

// ReadReview reads a review.parquet file back.
func ReadReview(r io.ReaderAt, size int64) ([]records.ReviewRow, error) {
	var rows []records.ReviewRow
	err := protect(func() error {
		f, err := parquet.OpenFile(r, size)
		if err != nil {
			return fmt.Errorf("read review file: %w", err)
		}
		pr := parquet.NewGenericReader[records.ReviewRow](f)
		defer pr.Close()
		rows = make([]records.ReviewRow, f.NumRows())
		n, err := pr.Read(rows)
		if err != nil && err != io.EOF {
			return fmt.Errorf("read review file: %w", err)
		}
		rows = rows[:n]
		return nil
	})
	return rows, err
}
