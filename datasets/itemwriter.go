package datasets

import (
	"fmt"
	"io"

	"github.com/evalgate/evalgate/records"
)

// ItemWriter writes an eval set one item at a time, as WriteItems does,
// so that generators can write sets larger than memory. Errors are
// wrapped as "write eval set: …".
type ItemWriter struct {
	iw  *itemWriter
	n   int64
	err error
}

// NewItemWriter starts an eval set on w with the columns WriteItems
// describes. Since it cannot look ahead at the items, it writes the
// messages column only when extraColumns lists MessagesColumn; an item
// with records.Item.Messages is then an error without it. Call Close to
// write the footer; it does not close w.
func NewItemWriter(w io.Writer, extraColumns []string, meta map[string]string) (*ItemWriter, error) {
	iw, err := newItemWriter(w, extraColumns, meta)
	if err != nil {
		return nil, fmt.Errorf("write eval set: %w", err)
	}
	return &ItemWriter{iw: iw}, nil
}

// Write appends one item. After an error every later call fails.
func (w *ItemWriter) Write(it *records.Item) error {
	if w.err != nil {
		return w.err
	}
	if err := w.iw.write(w.n, it); err != nil {
		w.err = fmt.Errorf("write eval set: %w", err)
	}
	w.n++
	return w.err
}

// Close flushes the buffered rows and writes the footer.
func (w *ItemWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	if err := w.iw.close(); err != nil {
		w.err = fmt.Errorf("write eval set: %w", err)
		return w.err
	}
	w.err = fmt.Errorf("write eval set: %w", errClosed)
	return nil
}
