package reviews

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Errors of a review.csv row, for errors.Is; RowError wraps them.
var (
	// ErrDecision marks a decision that is not one of DecisionNames.
	ErrDecision = errors.New("unknown decision")
	// ErrColumns marks a header without the id, sample, decision and note
	// columns.
	ErrColumns = errors.New("missing column")
	// ErrCell marks a cell that cannot be read: a sample that is not a
	// whole number, invalid UTF-8, control characters in a note, an empty
	// id, an answer decided twice.
	ErrCell = errors.New("bad cell")
)

// RowError is an error in one row of a review.csv: Line is the 1-based
// line of the file the row starts on (the header is line 1), Column the
// column's name.
type RowError struct {
	Line   int
	Column string
	Err    error
}

func (e *RowError) Error() string {
	return fmt.Sprintf("review.csv line %d, column %s: %v", e.Line, e.Column, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// ReadCSV reads the decisions of a filled review.csv (render.WriteReviewCSV
// wrote it; a spreadsheet may have reordered its columns or added a byte
// order mark). It needs the id, sample, decision and note columns. A row
// whose decision is empty is an answer not yet reviewed and is left out;
// a decision is trimmed and lower-cased and must be one of DecisionNames.
// The apostrophe the writer put before a cell starting with =, +, -, @, a
// tab or a carriage return is taken off. Errors are *RowError.
func ReadCSV(r io.Reader) ([]Decision, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, &RowError{Line: 1, Column: "header", Err: fmt.Errorf("%w: %w", ErrColumns, err)}
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := col[h]; !dup {
			col[h] = i
		}
	}
	for _, name := range []string{"id", "sample", "decision", "note"} {
		if _, ok := col[name]; !ok {
			return nil, &RowError{Line: 1, Column: name, Err: fmt.Errorf("%w: the header has no %s column", ErrColumns, name)}
		}
	}
	var out []Decision
	seen := map[[2]string]bool{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, &RowError{Line: line, Column: "-", Err: fmt.Errorf("%w: %w", ErrCell, err)}
		}
		line, _ := cr.FieldPos(0)
		cell := func(name string) string {
			if i := col[name]; i < len(rec) {
				return unneutralise(rec[i])
			}
			return ""
		}
		bad := func(column string, kind error, format string, args ...any) error {
			return &RowError{Line: line, Column: column, Err: fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))}
		}
		decision := strings.ToLower(strings.TrimSpace(cell("decision")))
		note := cell("note")
		if decision == "" {
			if strings.TrimSpace(note) != "" {
				return nil, bad("decision", ErrDecision, "a note without a decision: want one of %s", strings.Join(DecisionNames(), ", "))
			}
			continue
		}
		if !slices.Contains(DecisionNames(), decision) {
			return nil, bad("decision", ErrDecision, "%q is not one of %s", decision, strings.Join(DecisionNames(), ", "))
		}
		id := cell("id")
		if id == "" {
			return nil, bad("id", ErrCell, "empty id")
		}
		sample, err := strconv.Atoi(strings.TrimSpace(cell("sample")))
		if err != nil || sample < 0 {
			return nil, bad("sample", ErrCell, "%q is not a whole number ≥ 0", cell("sample"))
		}
		for _, f := range []struct{ name, v string }{{"id", id}, {"note", note}} {
			if !utf8.ValidString(f.v) {
				return nil, bad(f.name, ErrCell, "invalid UTF-8")
			}
		}
		if strings.ContainsFunc(note, func(r rune) bool {
			return r != '\n' && r != '\t' && (unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r))
		}) {
			return nil, bad("note", ErrCell, "control characters")
		}
		k := [2]string{id, strconv.Itoa(sample)}
		if seen[k] {
			return nil, bad("id", ErrCell, "answer %q sample %d is decided twice", id, sample)
		}
		seen[k] = true
		out = append(out, Decision{ID: id, Sample: sample, Decision: decision, Note: note})
	}
	return out, nil
}

// unneutralise takes off the apostrophe render.CSVCell puts before a
// cell a spreadsheet would read as a formula.
func unneutralise(s string) string {
	if len(s) >= 2 && s[0] == '\'' {
		switch s[1] {
		case '=', '+', '-', '@', '\t', '\r':
			return s[1:]
		}
	}
	return s
}
