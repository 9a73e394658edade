package datasets

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/records"
)

// Sentinel errors of Import, wrapped by its *LineError and *RowError values.
var (
	// ErrSyntax reports a line of a JSONL file that is not a JSON object,
	// or a CSV/TSV record that cannot be parsed.
	ErrSyntax = errors.New("syntax error")
	// ErrMapping reports a column mapping that cannot be applied: a role
	// that is not an eval-set column, a source column that does not
	// exist, two source columns that could both be one role, or no
	// column for input.
	ErrMapping = errors.New("column mapping")
)

// Source formats Import reads.
const (
	FormatJSONL   = "jsonl"
	FormatCSV     = "csv"
	FormatTSV     = "tsv"
	FormatParquet = "parquet"
)

// Key-value metadata Import writes beside MetaName and MetaVersion, so
// that a set says where it came from.
const (
	// MetaImportSource is the base name of the file the set was imported from.
	MetaImportSource = "evalgate.import.source"
	// MetaImportColumns is the mapping applied, as "input=question,expected=answer".
	MetaImportColumns = "evalgate.import.columns"
	// MetaImportIDs says where the ids came from: "column NAME" or
	// "derived: …" (see ImportOptions).
	MetaImportIDs = "evalgate.import.ids"
)

// derivedIDRule describes how Import derives ids; it is written to
// MetaImportIDs and printed.
const derivedIDRule = "derived: the first 16 hex digits of the SHA-256 of the row's input, system, context and expected (and messages, in a row with a conversation), with -2, -3, … on repeated content"

// ImportOptions controls Import. The zero value imports a file whose
// format is known by its extension, maps columns automatically and
// gives the set no identity.
type ImportOptions struct {
	// Format is FormatJSONL, FormatCSV, FormatTSV or FormatParquet, or
	// "" to choose by the file's extension (.jsonl, .ndjson, .json,
	// .csv, .tsv, .tab, .parquet, .pq) or, failing that, by its first
	// bytes.
	Format string
	// Map maps eval-set columns (id, input, system, context, expected,
	// expected_any, task, must_not_contain, output, model_version,
	// messages) to the source's column names. Columns it leaves out are
	// mapped automatically when exactly one source column has the eval-set
	// name or one of its usual synonyms (AutoColumns lists them); messages
	// only from a column of conversations: in JSONL a list of {"role",
	// "content"} objects, in Parquet a list<struct<role, content>>.
	Map map[string]string
	// Name and Version, when set, become the set's evalgate.name and
	// evalgate.version metadata. Set both or neither.
	Name, Version string
}

// MappedColumn is one eval-set column Import filled, and from what.
type MappedColumn struct {
	// Column is the eval-set column (input, expected, …).
	Column string
	// Source is the source column it was read from.
	Source string
	// Auto is true when Import chose the mapping itself.
	Auto bool
}

// ImportResult describes what Import wrote.
type ImportResult struct {
	// Info describes the written set, with its SHA-256.
	Info Info
	// Format is the source format read.
	Format string
	// Mapped lists the eval-set columns filled from source columns, in
	// schema order.
	Mapped []MappedColumn
	// Extra lists the source columns copied unchanged as extra string
	// columns (usable as fairness groups), in source order.
	Extra []string
	// Ignored lists the source columns not imported, each as
	// "name (reason)".
	Ignored []string
	// IDs says where the ids came from, as written to MetaImportIDs.
	IDs string
	// DerivedIDs is true when the source had no id column and ids were
	// derived from each row's content.
	DerivedIDs bool
}

// LineError is a problem at a line of a text source (JSONL, CSV, TSV),
// as *RowError is for a Parquet file.
type LineError struct {
	// File is the source's path.
	File string
	// Line is the 1-based line number where the row starts.
	Line int64
	// Field is the source column (JSON key, CSV header), or "" when the
	// problem is the whole line.
	Field string
	// Err is the problem, wrapping one of the package's sentinels.
	Err error
}

// Error formats the error as
//
//	qa.jsonl:42: field "question": null input
func (e *LineError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns Err.
func (e *LineError) Unwrap() error { return e.Err }

// importRoles are the eval-set columns a mapping may fill, in schema order.
var importRoles = []string{colID, colInput, colSystem, colContext, colExpected, colExpectedAny,
	colTask, colMustNotContain, colOutput, colModelVersion, colMessages}

// ImportRoles lists the eval-set columns a mapping may fill (dataset
// import's --map, the config's dataset.columns), in schema order.
func ImportRoles() []string { return slices.Clone(importRoles) }

// autoNames are the source names (lower case) each eval-set column is
// mapped from automatically; the eval-set name itself comes first and
// wins over its synonyms. No name is listed twice.
var autoNames = map[string][]string{
	colID:             {"id", "_id", "uid", "qid", "question_id", "example_id", "item_id", "sample_id"},
	colInput:          {"input", "question", "prompt", "query", "instruction"},
	colSystem:         {"system", "system_prompt"},
	colContext:        {"context", "contexts", "passages", "passage", "documents", "retrieved_contexts"},
	colExpected:       {"expected", "answer", "reference", "label", "target", "ground_truth", "gold", "expected_output", "reference_answer"},
	colExpectedAny:    {"expected_any", "acceptable_answers", "aliases"},
	colTask:           {"task", "task_type", "category"},
	colMustNotContain: {"must_not_contain"},
	colOutput:         {"output", "response", "completion", "prediction", "model_output"},
	colModelVersion:   {"model_version"},
	colMessages:       {"messages", "conversation", "chat", "turns"},
}

// AutoColumns returns, for each eval-set column, the source names Import
// and ColumnMapping map to it automatically (compared case-insensitively).
func AutoColumns() map[string][]string {
	out := make(map[string][]string, len(autoNames))
	for k, v := range autoNames {
		out[k] = slices.Clone(v)
	}
	return out
}

// droppedColumns are index columns that pandas writes and that carry no
// data: they are never imported.
var droppedColumns = map[string]bool{"__index_level_0__": true, "Unnamed: 0": true, "": true}

// srcColumn is a column of a source, with the kind of its values.
type srcColumn struct {
	name string
	typ  string // for messages: "string", "list<string>", "int64", "object", …
	ok   bool   // its values can be imported (scalar or list of strings)
	// rows is true when only some rows hold values that cannot be
	// imported (JSONL): a mapping to it fails at the first such row,
	// naming its line.
	rows bool
	// conv is true for a column of conversations (lists of {role,
	// content}), which only messages may be mapped from.
	conv bool
}

// ResolveMapping decides which source column fills each eval-set column:
// explicit (role → source column) first, then AutoColumns for the rest.
// It returns the mapping (role → source column), which roles were chosen
// automatically, and an error wrapping ErrMapping when an explicit entry
// names an unknown role or column, two columns could both fill a role, or
// nothing fills input. A role mapped to "" is left unmapped.
func ResolveMapping(columns []string, explicit map[string]string) (map[string]string, map[string]bool, error) {
	return resolveMapping(columns, nil, nil, explicit)
}

// resolveMapping is ResolveMapping where the columns in unusable (whose
// values cannot be imported) are never chosen automatically, except the
// columns of conversations in conv for messages. With conv nil, messages
// is chosen by name alone.
func resolveMapping(columns []string, unusable, conv map[string]bool, explicit map[string]string) (map[string]string, map[string]bool, error) {
	have := make(map[string]bool, len(columns))
	for _, c := range columns {
		have[c] = true
	}
	m := map[string]string{}
	auto := map[string]bool{}
	used := map[string]string{} // source column → role
	var errs []error
	keys := make([]string, 0, len(explicit))
	for k := range explicit {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, role := range keys {
		src := explicit[role]
		if !slices.Contains(importRoles, role) {
			errs = append(errs, fmt.Errorf("%w: %q is not an eval-set column (want one of %s)", ErrMapping, role, strings.Join(importRoles, ", ")))
			continue
		}
		if src == "" {
			continue
		}
		if !have[src] {
			errs = append(errs, fmt.Errorf("%w: %s=%s: the source has no column %q (it has %s)", ErrMapping, role, src, src, quoteList(columns)))
			continue
		}
		if r, dup := used[src]; dup {
			errs = append(errs, fmt.Errorf("%w: column %q is mapped to both %s and %s", ErrMapping, src, r, role))
			continue
		}
		m[role], used[src] = src, role
	}
	for _, role := range importRoles {
		if _, set := explicit[role]; set {
			continue
		}
		var exact string
		var cands []string
		for _, c := range columns {
			if _, taken := used[c]; taken || droppedColumns[c] {
				continue
			}
			if role == colMessages && conv != nil {
				if !conv[c] {
					continue
				}
			} else if unusable[c] {
				continue
			}
			if c == role {
				exact = c
			}
			if slices.Contains(autoNames[role], strings.ToLower(c)) {
				cands = append(cands, c)
			}
		}
		switch {
		case exact != "":
			m[role], used[exact], auto[role] = exact, role, true
		case len(cands) == 1:
			m[role], used[cands[0]], auto[role] = cands[0], role, true
		case len(cands) > 1:
			errs = append(errs, fmt.Errorf("%w: %s could be any of %s; choose one with --map %s=COLUMN (or dataset.columns.%s)",
				ErrMapping, role, quoteList(cands), role, role))
		}
	}
	_, input := m[colInput]
	_, messages := m[colMessages]
	if !input && !messages && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("%w: no column for input among %s; name it with --map input=COLUMN (or dataset.columns.input), or a column of conversations with --map messages=COLUMN",
			ErrMapping, quoteList(columns)))
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	return m, auto, nil
}

// quoteList formats names as "a", "b", "c".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// FormatMapping formats a mapping as "input=question,expected=answer", in
// schema order.
func FormatMapping(m map[string]string) string {
	var parts []string
	for _, role := range importRoles {
		if src, ok := m[role]; ok {
			parts = append(parts, role+"="+src)
		}
	}
	return strings.Join(parts, ",")
}

// ParseMapping parses "input=question,expected=answer" into a mapping.
func ParseMapping(s string) (map[string]string, error) {
	m := map[string]string{}
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	for _, part := range strings.Split(s, ",") {
		role, src, ok := strings.Cut(strings.TrimSpace(part), "=")
		role = strings.TrimSpace(role)
		if !ok || role == "" {
			return nil, fmt.Errorf("%w: %q: want COLUMN=SOURCE_COLUMN", ErrMapping, part)
		}
		if _, dup := m[role]; dup {
			return nil, fmt.Errorf("%w: %s is mapped twice", ErrMapping, role)
		}
		m[role] = strings.TrimSpace(src)
	}
	return m, nil
}

// value is one cell of a source row.
type value struct {
	null   bool
	s      string   // a scalar, numbers in their source spelling
	list   []string // a list of strings; nil for a scalar
	isList bool
	typ    string // the value's type when it cannot be imported, for messages; "" when it can
	// A conversation, whose typ is typTurns: objs holds a JSONL list's
	// elements (objects or nulls, checked when mapped), turns a Parquet
	// list<struct<role, content>>'s turns.
	objs  []json.RawMessage
	turns []records.Message
}

// typTurns is the type of a value that holds a conversation.
const typTurns = "a list of {role, content} objects"

// rowSource is a source format's rows, streamed.
type rowSource interface {
	columns() []srcColumn
	// next returns the next row's values, in columns order, and its
	// position; false at the end or on an error, which err reports.
	next() ([]value, int64, bool)
	err() error
	// at returns the error for a problem with field in the row at pos.
	at(pos int64, field string, err error) error
	close() error
}

// Import reads the JSONL, CSV, TSV or Parquet file at src, maps its
// columns to the eval-set schema (see ImportOptions.Map) and writes an
// eval set to dst, streaming: memory does not grow with the rows, except
// for 24 bytes per row to check that ids are unique. Ids are the id
// column's values as strings (an integer id 7 becomes "7"); without an id
// column they are derived from each row's content (ImportResult.DerivedIDs,
// and MetaImportIDs in the file). The file is written atomically: on an
// error, or when ctx is cancelled, dst is left as it was (absent or the
// old file). Errors name the line (*LineError) or row (*RowError) and the
// field, and are wrapped as "import eval set: …".
func Import(ctx context.Context, src, dst string, opts ImportOptions) (ImportResult, error) {
	res, err := importSet(ctx, src, dst, opts)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import eval set: %w", err)
	}
	return res, nil
}

func importSet(ctx context.Context, src, dst string, opts ImportOptions) (ImportResult, error) {
	if (opts.Name == "") != (opts.Version == "") {
		return ImportResult{}, errors.New("set both name and version, or neither")
	}
	for _, s := range []string{opts.Name, opts.Version} {
		if !utf8.ValidString(s) {
			return ImportResult{}, fmt.Errorf("name or version: %w", ErrInvalidUTF8)
		}
	}
	format := opts.Format
	if format == "" {
		var err error
		if format, err = detectFormat(src); err != nil {
			return ImportResult{}, err
		}
	}
	rs, err := openRowSource(format, src)
	if err != nil {
		return ImportResult{}, err
	}
	defer rs.close()
	res := ImportResult{Format: format}

	cols := rs.columns()
	names := make([]string, len(cols))
	unusable, conv := map[string]bool{}, map[string]bool{}
	for i, c := range cols {
		names[i] = c.name
		if !c.ok {
			unusable[c.name] = true
		}
		if c.conv {
			conv[c.name] = true
		}
	}
	mapping, auto, err := resolveMapping(names, unusable, conv, opts.Map)
	if err != nil {
		return ImportResult{}, err
	}
	byRole := map[string]int{} // role → column index
	roleOf := map[string]string{}
	for role, s := range mapping {
		i := slices.Index(names, s)
		if role == colMessages && !cols[i].conv {
			return ImportResult{}, fmt.Errorf("%w: %s=%s: column %q is %s, not a list of {role, content} turns", ErrMapping, role, s, s, cols[i].typ)
		}
		if role != colMessages && !cols[i].ok && !cols[i].rows {
			return ImportResult{}, fmt.Errorf("%w: %s=%s: column %q is %s, which cannot be imported", ErrMapping, role, s, s, cols[i].typ)
		}
		byRole[role], roleOf[s] = i, role
	}
	for _, role := range importRoles {
		if s, ok := mapping[role]; ok {
			res.Mapped = append(res.Mapped, MappedColumn{Column: role, Source: s, Auto: auto[role]})
		}
	}
	var extraIdx []int
	for i, c := range cols {
		switch _, fixed := knownRole(c.name); {
		case roleOf[c.name] != "":
		case droppedColumns[c.name]:
			res.Ignored = append(res.Ignored, fmt.Sprintf("%s (an index column)", c.name))
		case fixed:
			res.Ignored = append(res.Ignored, fmt.Sprintf("%s (named like an eval-set column but not mapped to it)", c.name))
		case !c.ok || strings.HasPrefix(c.typ, "list"):
			res.Ignored = append(res.Ignored, fmt.Sprintf("%s (%s)", c.name, c.typ))
		case !utf8.ValidString(c.name):
			res.Ignored = append(res.Ignored, fmt.Sprintf("%q (name is not valid UTF-8)", c.name))
		default:
			extraIdx = append(extraIdx, i)
			res.Extra = append(res.Extra, c.name)
		}
	}
	idCol, hasID := byRole[colID]
	if hasID {
		res.IDs = "column " + cols[idCol].name
	} else {
		res.IDs, res.DerivedIDs = derivedIDRule, true
	}

	meta := map[string]string{
		MetaImportSource:  filepath.Base(src),
		MetaImportColumns: FormatMapping(mapping),
		MetaImportIDs:     res.IDs,
	}
	if opts.Name != "" {
		meta[MetaName], meta[MetaVersion] = opts.Name, opts.Version
	}
	tmp, err := atomicfile.Create(dst, 0o644)
	if err != nil {
		return ImportResult{}, err
	}
	defer tmp.Abort()
	columns := res.Extra
	if _, ok := byRole[colMessages]; ok {
		columns = append([]string{MessagesColumn}, res.Extra...)
	}
	w, err := NewItemWriter(tmp, columns, meta)
	if err != nil {
		return ImportResult{}, err
	}

	seen := map[[16]byte]int64{} // id digest → position of its first row
	var n int64
	for {
		vals, pos, ok := rs.next()
		if !ok {
			break
		}
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return ImportResult{}, err
			}
		}
		it, err := makeItem(rs, vals, pos, cols, byRole, extraIdx)
		if err != nil {
			return ImportResult{}, err
		}
		digest := func(id string) [16]byte {
			key := sha256.Sum256([]byte(id))
			return [16]byte(key[:16])
		}
		if !hasID {
			d := contentDigest(&it)
			base := hex.EncodeToString(d[:8])
			it.ID = base
			for k := 2; ; k++ {
				if _, dup := seen[digest(it.ID)]; !dup {
					break
				}
				it.ID = base + "-" + strconv.Itoa(k)
			}
		}
		short := digest(it.ID)
		if first, dup := seen[short]; dup {
			return ImportResult{}, rs.at(pos, cols[idCol].name,
				fmt.Errorf("%w %q (first at %s)", ErrDuplicateID, it.ID, posName(rs, first)))
		}
		seen[short] = pos
		if err := w.Write(&it); err != nil {
			return ImportResult{}, rs.at(pos, "", err)
		}
		n++
	}
	if err := rs.err(); err != nil {
		return ImportResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return ImportResult{}, err
	}
	if n == 0 {
		return ImportResult{}, fmt.Errorf("%s: no rows", src)
	}
	if err := w.Close(); err != nil {
		return ImportResult{}, err
	}
	sum := tmp.SHA256()
	if err := tmp.Commit(); err != nil {
		return ImportResult{}, err
	}
	out, err := openSource(dst)
	if err != nil {
		return ImportResult{}, err
	}
	res.Info = out.info
	out.close()
	if res.Info.SHA256 != sum {
		return ImportResult{}, fmt.Errorf("%s changed while it was written (want SHA-256 %s, found %s)", dst, sum, res.Info.SHA256)
	}
	return res, nil
}

// posName names a row position of rs for a message.
func posName(rs rowSource, pos int64) string {
	if _, ok := rs.(*parquetRows); ok {
		return fmt.Sprintf("row %d (0-based)", pos)
	}
	return fmt.Sprintf("line %d", pos)
}

// contentDigest is the SHA-256 of what an item asks and expects, from
// which Import derives an id.
func contentDigest(it *records.Item) [32]byte {
	fields := []any{it.Input, it.System, it.Context, it.Expected}
	if it.Messages != nil {
		// Appended only here, so that ids derived from rows without a
		// conversation stay as they were.
		fields = append(fields, it.Messages)
	}
	b, _ := json.Marshal(fields)
	return sha256.Sum256(b)
}

// makeItem builds the item of one source row.
func makeItem(rs rowSource, vals []value, pos int64, cols []srcColumn, byRole map[string]int, extra []int) (records.Item, error) {
	var it records.Item
	scalar := func(role string, required error) (string, error) {
		i, ok := byRole[role]
		if !ok {
			return "", nil
		}
		v := vals[i]
		switch {
		case v.typ != "":
			return "", rs.at(pos, cols[i].name, fmt.Errorf("%w: want a string or number, found %s", ErrWrongType, v.typ))
		case v.isList:
			return "", rs.at(pos, cols[i].name, fmt.Errorf("%w: want a string or number, found a list", ErrWrongType))
		case v.null && required != nil:
			return "", rs.at(pos, cols[i].name, required)
		case !utf8.ValidString(v.s):
			return "", rs.at(pos, cols[i].name, utf8Error(v.s))
		}
		return v.s, nil
	}
	list := func(role string, scalarOK bool) ([]string, error) {
		i, ok := byRole[role]
		if !ok {
			return nil, nil
		}
		v := vals[i]
		switch {
		case v.typ != "" && scalarOK:
			return nil, rs.at(pos, cols[i].name, fmt.Errorf("%w: want a string or a list of strings, found %s", ErrWrongType, v.typ))
		case v.typ != "":
			return nil, rs.at(pos, cols[i].name, fmt.Errorf("%w: want a list of strings, found %s", ErrWrongType, v.typ))
		case v.null:
			return nil, nil
		case !v.isList && scalarOK:
			if v.s == "" {
				return nil, nil
			}
			v.list = []string{v.s}
		case !v.isList:
			return nil, rs.at(pos, cols[i].name, fmt.Errorf("%w: want a list of strings, found a string", ErrWrongType))
		}
		for k, s := range v.list {
			if !utf8.ValidString(s) {
				return nil, rs.at(pos, cols[i].name, fmt.Errorf("element %d: %w", k, utf8Error(s)))
			}
		}
		return v.list, nil
	}
	var err error
	set := func(dst *string, role string, required error) {
		if err == nil {
			*dst, err = scalar(role, required)
		}
	}
	setList := func(dst *[]string, role string, scalarOK bool) {
		if err == nil {
			*dst, err = list(role, scalarOK)
		}
	}
	set(&it.ID, colID, ErrNullID)
	if i, ok := byRole[colMessages]; ok && err == nil {
		it.Messages, err = conversation(rs, vals[i], pos, cols[i].name)
	}
	switch _, ok := byRole[colInput]; {
	case err != nil:
	case it.Messages != nil:
		set(&it.Input, colInput, nil)
	case ok:
		// A row without a conversation needs its input.
		set(&it.Input, colInput, ErrNullInput)
	default:
		err = rs.at(pos, cols[byRole[colMessages]].name, fmt.Errorf("%w: the row has no conversation, and no column is mapped to input", ErrNullInput))
	}
	set(&it.System, colSystem, nil)
	setList(&it.Context, colContext, true)
	set(&it.Expected, colExpected, nil)
	setList(&it.ExpectedAny, colExpectedAny, false)
	set(&it.Task, colTask, nil)
	setList(&it.MustNotContain, colMustNotContain, false)
	set(&it.Output, colOutput, nil)
	set(&it.ModelVersion, colModelVersion, nil)
	if err != nil {
		return it, err
	}
	if i, ok := byRole[colID]; ok && it.ID == "" {
		return it, rs.at(pos, cols[i].name, ErrEmptyID)
	}
	for _, i := range extra {
		v := vals[i]
		switch {
		case v.null:
			continue
		case v.typ != "" || v.isList:
			return it, rs.at(pos, cols[i].name, fmt.Errorf("%w: want a string or number, as in the column's first row", ErrWrongType))
		case !utf8.ValidString(v.s):
			return it, rs.at(pos, cols[i].name, utf8Error(v.s))
		case v.s == "":
			continue
		}
		if it.Extra == nil {
			it.Extra = make(map[string]string, len(extra))
		}
		it.Extra[cols[i].name] = v.s
	}
	return it, nil
}

// conversation decodes the value of a column mapped to messages: nil for
// a null or empty list, else the turns, each a {role, content} object
// with string values, checked as Validate checks a messages column. An
// error names the turn (0-based) and wraps ErrBadMessage or ErrWrongType.
func conversation(rs rowSource, v value, pos int64, field string) ([]records.Message, error) {
	switch {
	case v.null, v.isList && len(v.list) == 0:
		return nil, nil
	case v.typ != typTurns:
		found := v.typ
		switch {
		case v.isList:
			found = "a list of strings"
		case found == "":
			found = "a string"
		}
		return nil, rs.at(pos, field, fmt.Errorf("%w: want a list of {role, content} objects, found %s", ErrWrongType, found))
	}
	msgs := v.turns
	if v.objs != nil {
		msgs = make([]records.Message, 0, len(v.objs))
		for k, raw := range v.objs {
			m, err := jsonTurn(raw)
			if err != nil {
				return nil, rs.at(pos, field, fmt.Errorf("%w: turn %d (0-based): %v", ErrBadMessage, k, err))
			}
			msgs = append(msgs, m)
		}
	}
	if probs := turnProblems(msgs); len(probs) > 0 {
		return nil, rs.at(pos, field, fmt.Errorf("%w: %s", ErrBadMessage, strings.Join(probs, "; ")))
	}
	return msgs, nil
}

// jsonTurn decodes one turn of a JSONL conversation: an object with a
// string role and a string content and no other key, since a key such as
// tool_calls or name would change what the model is sent and is not kept.
func jsonTurn(raw json.RawMessage) (records.Message, error) {
	var m records.Message
	if v := bytes.TrimSpace(raw); len(v) > 0 && v[0] != '{' {
		return m, fmt.Errorf("want an object, found %s", jsonKind(v))
	}
	fields, err := parseObject(raw)
	if err != nil {
		return m, err
	}
	var role, content bool
	for _, f := range fields {
		var dst *string
		switch f.key {
		case "role":
			dst, role = &m.Role, true
		case "content":
			dst, content = &m.Content, true
		default:
			return m, fmt.Errorf("key %q is not imported (a turn is {\"role\", \"content\"})", f.key)
		}
		if v := bytes.TrimSpace(f.raw); len(v) == 0 || v[0] != '"' {
			return m, fmt.Errorf("%s: want a string, found %s", f.key, jsonKind(v))
		}
		if err := json.Unmarshal(f.raw, dst); err != nil {
			return m, fmt.Errorf("%s: %v", f.key, err)
		}
		if !utf8.ValidString(*dst) {
			return m, fmt.Errorf("%s: %w", f.key, utf8Error(*dst))
		}
	}
	switch {
	case !role:
		return m, errors.New("no \"role\" key")
	case !content:
		return m, errors.New("no \"content\" key")
	}
	return m, nil
}

// jsonKind names the kind of a JSON value for a message.
func jsonKind(raw []byte) string {
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	case '{':
		return "an object"
	case '[':
		return "a list (content parts are not imported)"
	}
	return "a number"
}

// OpenSetColumns is OpenSet for a set whose columns have other names, as
// a pandas or Hugging Face export has: columns maps eval-set columns (id,
// input, context, expected, …) to the file's column names, and every
// reader the Set hands out, and Validate, read the file as if each named
// column had its eval-set name. A file column that already has a mapped
// eval-set name and is not itself mapped is hidden. Info().Columns lists
// the columns under the names the readers see; the digest is the file's.
// Unlike Import, nothing is mapped automatically: a config says what it
// means. An empty or nil columns is OpenSet.
func OpenSetColumns(path string, columns map[string]string) (*Set, error) {
	return withColumns(OpenSet(path))(columns)
}

// mapColumns renames the fields columns maps (eval-set name → file
// name) and hides the fields they shadow.
func (s *source) mapColumns(columns map[string]string) error {
	renamed := map[string]string{} // file column → eval-set name
	roles := make([]string, 0, len(columns))
	for role := range columns {
		roles = append(roles, role)
	}
	sort.Strings(roles)
	var errs []error
	for _, role := range roles {
		from := columns[role]
		switch {
		case !slices.Contains(importRoles, role):
			errs = append(errs, fmt.Errorf("%w: %q is not an eval-set column (want one of %s)", ErrMapping, role, strings.Join(importRoles, ", ")))
		case s.field(from) < 0:
			names := make([]string, len(s.fields))
			for i, f := range s.fields {
				names[i] = f.Name
			}
			errs = append(errs, &RowError{File: s.path, Row: -1, Column: from,
				Err: fmt.Errorf("%w: %s=%s: the file has no column %q (it has %s)", ErrMapping, role, from, from, quoteList(names))})
		case renamed[from] != "":
			errs = append(errs, fmt.Errorf("%w: column %q is mapped to both %s and %s", ErrMapping, from, renamed[from], role))
		default:
			renamed[from] = role
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	kept := s.fields[:0:0]
	for _, f := range s.fields {
		if role, ok := renamed[f.Name]; ok {
			f.Name = role
			kept = append(kept, f)
			continue
		}
		if _, shadowed := columns[f.Name]; shadowed {
			continue
		}
		kept = append(kept, f)
	}
	s.fields = kept
	s.info.Columns = make([]Column, len(kept))
	for i, f := range kept {
		s.info.Columns[i] = f.Column
	}
	return nil
}
