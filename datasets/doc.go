// Package datasets reads, checks and writes the Parquet files that evalgate
// consumes and produces.
//
// It is the layer between a config that names an eval set and the runner
// that replays it against a model (docs/ARCHITECTURE.md draws the whole
// pipeline). It owns:
//
//   - the eval-set schema (one row per test item; see records.Item), and its
//     identity: the name and version stored as Parquet key-value metadata
//     (evalgate.name, evalgate.version) plus the SHA-256 of the file's bytes;
//   - a streaming reader (Open, Reader.Scan, Reader.Item, Reader.Err) that
//     reads one row group at a time, a bounded batch of rows at a time, so
//     memory does not grow with the number of rows;
//   - Set (OpenSet), an eval set opened, hashed and footer-read once per
//     run, which hands out Readers, ItemColumnReaders and validations of
//     the same open file and reports, with ErrChanged, a file changed or
//     replaced since it was hashed (Set.Check says what it can and cannot
//     see);
//   - validation (Validate) that lists every problem in a file with its
//     position, and description (Inspect) of any Parquet file;
//   - Freeze, which stamps a name and version into a set;
//   - writers for eval sets (WriteItems, or ItemWriter one item at a time)
//     and for the per-call results file (WriteResults, or ResultsWriter one
//     result at a time), whose columns DuckDB, Spark and pandas read
//     directly; and readers of results files (ReadResults, or the streaming
//     OpenResults, ResultsReader.Scan, ResultsReader.Result,
//     ResultsReader.Err).
//
// # Eval-set schema
//
// One row per test item. Column names are fixed; types are what pandas,
// pyarrow, DuckDB and Spark write by default:
//
//	column            type                    required  meaning
//	id                string (or integer)     yes       unique within the set; an integer reads as its decimal string
//	input             string                  yes (1)   the user's question or prompt
//	messages          list<struct<role: string, content: string>>
//	                                          no        a conversation sent as the prompt (2)
//	system            string                  no        per-row system prompt
//	context           list<string> or string  no        retrieved passages, for the prompt and groundedness
//	expected          string                  no        reference answer or label
//	expected_any      list<string>            no        other acceptable answers
//	task              string                  no        slice name for per-task tables
//	must_not_contain  list<string>            no        strings the output must never contain
//	output            string                  no        recorded output, for replay and production sampling
//	model_version     string                  no        the recorded output's model version ("name@version" names both)
//	latency_ms        integer or float        no        the recorded output's latency, for replay (another type is left alone)
//	any other         string                  no        usable as a fairness group by naming it in the config
//
// (1) A set with a messages column may leave input out, or null in a row
// whose messages hold a conversation.
//
// (2) Each turn's role is system, developer, user or assistant ("tool"
// needs a tool_call_id, which a {role, content} turn cannot carry), its
// content is not empty, and a conversation has at least one user turn;
// anything else is an ErrBadMessage naming the item and the turn. A null
// or empty list means the row's input is the prompt. WriteItems writes
// this column when an item has records.Item.Messages (ItemWriter when
// told with MessagesColumn).
//
// A config may pin the set's SHA-256 (dataset.sha256); a mismatch is an
// error, and every report records the set's name, version, digest and
// row count.
//
// Every reader reads an io.ReaderAt of a known size (NewReader,
// NewItemColumnReader, NewResultsReader, NewColumnReader), so a set held
// in memory or elsewhere needs no path; Open, OpenItemColumns,
// OpenResults and OpenColumns are conveniences that open a file, and a
// Set hands out readers of its one open file. Each of these digests the
// bytes once when it is made; a Set's readers share its digest.
//
// The reader accepts the physical shapes that other tools write: plain or
// dictionary-encoded BYTE_ARRAY strings with or without a STRING (UTF8)
// annotation, optional or required columns, lists in the standard 3-level
// LIST form whatever the inner names (DuckDB and pyarrow write
// context.list.element, Spark may write context.list.item), legacy 2-level
// lists (a repeated field inside the LIST group, or a repeated top-level
// field), and every compression codec parquet-go decodes (not the
// deprecated Hadoop LZ4, nor LZO). Columns of other types (a timestamp,
// a number other than latency_ms) are described by Info but not decoded.
//
// Data errors carry their position: every problem is a *RowError whose Err
// wraps one of the sentinel errors (ErrMissingColumn, ErrWrongType,
// ErrNullID, ErrEmptyID, ErrNullInput, ErrDuplicateID, ErrInvalidUTF8,
// ErrCorrupt, ErrUnsupported), which callers test with errors.Is. A file
// that changed under a Set is the one exception: its error wraps
// ErrChanged and names the file, with no row or column. Rows are
// numbered from 0, as in pandas' iloc or SQL's OFFSET; messages say so.
//
// Nothing in this package panics or hangs on bad input. Panics raised
// inside the Parquet library are recovered and returned as ErrCorrupt
// errors naming the file. Because the library trusts the sizes written in
// a file, and running out of memory cannot be recovered, the footer and
// every page header are checked before the library reads them, and a file
// past these limits is refused with ErrUnsupported: a 64 MiB footer, a
// schema nested 64 deep, a 256 MiB page or 16 Mi values in one page.
// Compressed pages (other than snappy, whose header states its size) are
// decompressed once under the size their page header declares, so a
// decompression bomb is refused as ErrCorrupt.
//
// Production logs are read with OpenLogs (any column, timestamps in every
// Parquet shape or as RFC 3339 strings) and sampled with Sample, reservoir
// sampling in two streaming passes whose memory is set by the sample size;
// OpenColumns streams chosen numeric and string columns for drift.
// WriteReview writes the answers routed to human review.
//
// # Bringing other files in
//
// Import converts a JSONL, CSV/TSV or Parquet file written by another
// tool (pandas, Polars, Hugging Face datasets) into an eval set, streaming
// its rows: it maps columns by name (ResolveMapping, AutoColumns) or as
// told, makes ids strings or derives them from each row's content, and
// writes the file atomically with its identity. A JSONL field of lists of
// {role, content} objects, or a Parquet list<struct<role, content>>
// column, becomes the messages column, each turn checked as Validate
// checks it. A problem in a text source
// is a *LineError naming the 1-based line and the field. OpenSetColumns
// reads a Parquet set whose columns have other names through the same
// kind of mapping, without converting it (the config's dataset.columns).
// An integer id column is read as decimal strings by every reader. A
// JSONL, CSV or TSV file given to a Parquet reader is reported with
// ErrNotParquet, naming the command that imports it.
package datasets
