package datasets

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// role is what a decoded column contributes to a records.Item.
type role uint8

const (
	roleExtra role = iota // another scalar string column, kept in records.Item.Extra
	roleCheck             // another list<string> column, only checked (Validate)
	roleID
	roleInput
	roleSystem
	roleContext
	roleExpected
	roleExpectedAny
	roleTask
	roleMustNotContain
	roleOutput
	roleModelVersion
	roleLatency // a numeric latency_ms column: the recorded call's latency
	roleMessages
)

// knownRole returns the role of a column name that the eval-set schema fixes.
func knownRole(name string) (role, bool) {
	switch name {
	case colID:
		return roleID, true
	case colInput:
		return roleInput, true
	case colSystem:
		return roleSystem, true
	case colContext:
		return roleContext, true
	case colExpected:
		return roleExpected, true
	case colExpectedAny:
		return roleExpectedAny, true
	case colTask:
		return roleTask, true
	case colMustNotContain:
		return roleMustNotContain, true
	case colOutput:
		return roleOutput, true
	case colModelVersion:
		return roleModelVersion, true
	case colMessages:
		return roleMessages, true
	}
	return 0, false
}

// acceptsKind reports whether a column in role r may have kind k, and
// names the accepted types for messages.
func acceptsKind(r role, k fieldKind) (bool, string) {
	switch r {
	case roleContext:
		return k == kindString || k == kindStringList, "string or list<string>"
	case roleExpectedAny, roleMustNotContain:
		return k == kindStringList, "list<string>"
	case roleMessages:
		return k == kindMessages, "list<struct<role: string, content: string>>"
	case roleID:
		// pandas and Hugging Face write integer ids; they read as
		// their decimal string.
		return k == kindString || k == kindInt, "string or integer"
	}
	return k == kindString, "string"
}

// schemaProblems lists what is wrong with an eval set's columns: a missing
// id or input, a fixed column of the wrong type, a name used twice.
func schemaProblems(file string, fields []field) []*RowError {
	var probs []*RowError
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		if seen[f.Name] {
			probs = append(probs, &RowError{File: file, Row: -1, Column: f.Name,
				Err: fmt.Errorf("%w: the column name appears more than once", ErrUnsupported)})
			continue
		}
		seen[f.Name] = true
		r, ok := knownRole(f.Name)
		if !ok {
			continue
		}
		if ok, want := acceptsKind(r, f.kind); !ok {
			probs = append(probs, &RowError{File: file, Row: -1, Column: f.Name,
				Err: fmt.Errorf("%w: want %s, found %s", ErrWrongType, want, f.Type)})
		}
	}
	for _, name := range []string{colID, colInput} {
		if name == colInput && seen[colMessages] {
			continue // a set of conversations needs no input column
		}
		if !seen[name] {
			probs = append(probs, &RowError{File: file, Row: -1, Column: name, Err: ErrMissingColumn})
		}
	}
	return probs
}

// use is one decoded column.
type use struct {
	field *field
	role  role
	// slot is the index in itemDecoder.spans of the values of the field's
	// leaf; content, for roleMessages, that of the content leaf.
	slot, content int
}

// itemDecoder turns rows of projected leaf columns into Items, reporting
// every problem it finds in a row.
type itemDecoder struct {
	file   string
	uses   []use
	leaves []int             // leaf columns decoded, ascending, for the row stream
	byLeaf []int             // leaf column index → index in spans, or -1
	spans  [][]parquet.Value // by slot: one per decoded leaf
	extras int               // number of roleExtra uses
	input  bool              // an input column is decoded
	// messages is set when a messages column is decoded.
	messages bool
}

// newItemDecoder decodes the fixed columns whose types are right and every
// other scalar string column (into records.Item.Extra). With checkAll it also
// decodes other list<string> columns, only to check their values.
func newItemDecoder(src *source, checkAll bool) *itemDecoder {
	d := &itemDecoder{file: src.path}
	seen := make(map[string]bool, len(src.fields))
	maxLeaf := -1
	for i := range src.fields {
		f := &src.fields[i]
		if seen[f.Name] || f.kind == kindOther || f.kind == kindBool {
			continue
		}
		seen[f.Name] = true
		r, known := knownRole(f.Name)
		switch {
		case f.Name == colLatencyMS && (f.kind == kindInt || f.kind == kindFloat):
			// Not a fixed column: a latency_ms of another type is left
			// alone as before (a string one is an ordinary column).
			r = roleLatency
		case known:
			if ok, _ := acceptsKind(r, f.kind); !ok {
				continue
			}
		case f.kind == kindString:
			r = roleExtra
			d.extras++
		case f.kind == kindStringList && checkAll:
			r = roleCheck
		default:
			continue
		}
		d.input = d.input || r == roleInput
		d.messages = d.messages || r == roleMessages
		u := use{field: f, role: r, slot: len(d.leaves), content: -1}
		d.leaves = append(d.leaves, f.leaf)
		maxLeaf = max(maxLeaf, f.leaf)
		if f.kind == kindMessages {
			u.content = len(d.leaves)
			d.leaves = append(d.leaves, f.content)
			maxLeaf = max(maxLeaf, f.content)
		}
		d.uses = append(d.uses, u)
	}
	d.byLeaf = make([]int, maxLeaf+1)
	for i := range d.byLeaf {
		d.byLeaf[i] = -1
	}
	for slot, leaf := range d.leaves {
		d.byLeaf[leaf] = slot
	}
	d.spans = make([][]parquet.Value, len(d.leaves))
	slices.Sort(d.leaves)
	return d
}

// decode fills it from row, the idx-th row of the file, and appends the
// row's problems to probs.
func (d *itemDecoder) decode(row parquet.Row, idx int64, it *records.Item, probs []*RowError) []*RowError {
	*it = records.Item{Row: idx}
	if d.extras > 0 {
		it.Extra = make(map[string]string, d.extras)
	}
	clear(d.spans)
	for i := 0; i < len(row); {
		leaf := row[i].Column()
		j := i + 1
		for j < len(row) && row[j].Column() == leaf {
			j++
		}
		if leaf < 0 || leaf >= len(d.byLeaf) || d.byLeaf[leaf] < 0 || d.spans[d.byLeaf[leaf]] != nil {
			return append(probs, corruptf(d.file, idx, "unexpected values of leaf column %d", leaf))
		}
		d.spans[d.byLeaf[leaf]] = row[i:j]
		i = j
	}
	// Without an input column (allowed beside a messages column), a row
	// needs its conversation.
	nullInput := !d.input && d.messages
	var msgErr error
	for _, u := range d.uses {
		span := d.spans[u.slot]
		if len(span) == 0 {
			probs = append(probs, corruptf(d.file, idx, "column %q has no value in this row", u.field.Name))
			continue
		}
		if u.role == roleLatency {
			ms, err := numberValue(span, u.field)
			if err != nil {
				probs = append(probs, &RowError{File: d.file, Row: idx, Column: u.field.Name, Err: err})
			}
			it.LatencyMS = ms
			continue
		}
		if u.role == roleMessages {
			msgs, err := messagesValue(span, d.spans[u.content], u.field)
			msgErr = err
			if len(msgs) > 0 {
				it.Messages = msgs
			}
			continue
		}
		if u.field.kind == kindStringList {
			list, err := listValue(span, u.field)
			if err != nil {
				probs = append(probs, &RowError{File: d.file, Row: idx, Column: u.field.Name, Err: err})
				continue
			}
			switch u.role {
			case roleContext:
				it.Context = list
			case roleExpectedAny:
				it.ExpectedAny = list
			case roleMustNotContain:
				it.MustNotContain = list
			}
			continue
		}
		s, null, err := stringValue(span, u.field)
		if err != nil {
			probs = append(probs, &RowError{File: d.file, Row: idx, Column: u.field.Name, Err: err})
			continue
		}
		switch u.role {
		case roleID:
			switch {
			case null:
				probs = append(probs, &RowError{File: d.file, Row: idx, Column: colID, Err: ErrNullID})
			case s == "":
				probs = append(probs, &RowError{File: d.file, Row: idx, Column: colID, Err: ErrEmptyID})
			}
			it.ID = s
		case roleInput:
			nullInput = null
			it.Input = s
		case roleSystem:
			it.System = s
		case roleContext:
			if !null {
				it.Context = []string{s}
			}
		case roleExpected:
			it.Expected = s
		case roleTask:
			it.Task = s
		case roleOutput:
			it.Output = s
		case roleModelVersion:
			it.ModelVersion = s
		case roleExtra:
			it.Extra[u.field.Name] = s
		}
	}
	switch {
	case msgErr != nil: // after the loop, which decodes the id
		probs = append(probs, &RowError{File: d.file, Row: idx, Column: colMessages, Err: fmt.Errorf("item %q: %w", it.ID, msgErr)})
	case it.Messages != nil:
		probs = checkMessages(d.file, idx, it, probs)
	case nullInput:
		// A row without a conversation needs its input.
		probs = append(probs, &RowError{File: d.file, Row: idx, Column: colInput, Err: ErrNullInput})
	}
	return probs
}

// MessageRoles are the roles a turn of the messages column may have, as
// the chat completions API takes them from a {role, content} message. A
// "tool" turn is not among them: the API takes one only with the
// tool_call_id of an earlier assistant turn's tool call, which a {role,
// content} turn cannot carry.
var MessageRoles = []string{"system", "developer", "user", "assistant"}

// checkMessages appends the problems of it's conversation (turnProblems),
// each naming the item.
func checkMessages(file string, idx int64, it *records.Item, probs []*RowError) []*RowError {
	for _, p := range turnProblems(it.Messages) {
		probs = append(probs, &RowError{File: file, Row: idx, Column: colMessages,
			Err: fmt.Errorf("item %q: %w: %s", it.ID, ErrBadMessage, p)})
	}
	return probs
}

// turnProblems describes what is wrong with a conversation: a role the
// API does not take, a turn with empty content, no user turn. Each names
// the turn (0-based).
func turnProblems(msgs []records.Message) []string {
	var probs []string
	bad := func(format string, args ...any) {
		probs = append(probs, fmt.Sprintf(format, args...))
	}
	users := 0
	for i, m := range msgs {
		switch {
		case m.Role == "tool":
			bad("turn %d (0-based): role \"tool\" needs the tool_call_id of an earlier assistant tool call, which a {role, content} turn cannot carry; the roles are %s", i, strings.Join(MessageRoles, ", "))
		case !slices.Contains(MessageRoles, m.Role):
			bad("turn %d (0-based): role %q is not one of %s", i, m.Role, strings.Join(MessageRoles, ", "))
		}
		if strings.TrimSpace(m.Content) == "" {
			bad("turn %d (0-based, role %q): content is empty", i, m.Role)
		}
		if m.Role == "user" {
			users++
		}
	}
	if users == 0 {
		bad("the conversation has no user turn (the prompt template applies to the last one)")
	}
	return probs
}

// messagesValue decodes a messages column's values in a row from the
// spans of its role and content leaves: nil for a null or empty list. A
// null turn, role or content is an error naming the turn.
func messagesValue(roles, contents []parquet.Value, f *field) ([]records.Message, error) {
	if len(roles) == 0 || len(roles) != len(contents) {
		return nil, fmt.Errorf("%w: %d roles and %d contents in one row", ErrCorrupt, len(roles), len(contents))
	}
	if roles[0].RepetitionLevel() != 0 || contents[0].RepetitionLevel() != 0 {
		return nil, fmt.Errorf("%w: a row starts inside a list", ErrCorrupt)
	}
	if roles[0].DefinitionLevel() < f.listDef {
		if len(roles) != 1 {
			return nil, fmt.Errorf("%w: an empty or null list has %d values", ErrCorrupt, len(roles))
		}
		return nil, nil
	}
	out := make([]records.Message, 0, len(roles))
	for i := range roles {
		r, c := roles[i], contents[i]
		if r.RepetitionLevel() != c.RepetitionLevel() || min(r.DefinitionLevel(), f.elemDef) != min(c.DefinitionLevel(), f.elemDef) {
			return nil, fmt.Errorf("%w: turn %d: role and content are not aligned", ErrCorrupt, i)
		}
		if r.DefinitionLevel() < f.listDef {
			return nil, fmt.Errorf("%w: turn %d is missing from its list", ErrCorrupt, i)
		}
		if r.DefinitionLevel() < f.elemDef {
			return nil, fmt.Errorf("%w: turn %d (0-based) is null", ErrBadMessage, i)
		}
		var m records.Message
		for _, p := range []struct {
			v    parquet.Value
			def  int
			name string
			dst  *string
		}{{r, f.maxDef, "role", &m.Role}, {c, f.contentDef, "content", &m.Content}} {
			if p.v.IsNull() || p.v.DefinitionLevel() < p.def {
				return nil, fmt.Errorf("%w: turn %d (0-based): %s is null", ErrBadMessage, i, p.name)
			}
			if p.v.Kind() != parquet.ByteArray {
				return nil, fmt.Errorf("%w: %s value in a string field", ErrCorrupt, p.v.Kind())
			}
			b := p.v.ByteArray()
			if !utf8.Valid(b) {
				return nil, fmt.Errorf("turn %d %s: %w", i, p.name, utf8Error(string(b)))
			}
			*p.dst = string(b)
		}
		out = append(out, m)
	}
	return out, nil
}

// stringValue decodes a scalar string column's single value in a row.
// A null decodes to "" with null set.
// stringValue decodes a scalar string column's single value in a row, or
// an integer column's (an id) as its decimal string. A null decodes to ""
// with null set.
func stringValue(span []parquet.Value, f *field) (s string, null bool, err error) {
	if len(span) != 1 {
		return "", false, fmt.Errorf("%w: %d values in one row of a scalar column", ErrCorrupt, len(span))
	}
	v := span[0]
	if v.IsNull() || v.DefinitionLevel() < f.maxDef {
		return "", true, nil
	}
	if f.kind == kindInt {
		switch v.Kind() {
		case parquet.Int64:
			return strconv.FormatInt(v.Int64(), 10), false, nil
		case parquet.Int32:
			return strconv.FormatInt(int64(v.Int32()), 10), false, nil
		}
		return "", false, fmt.Errorf("%w: %s value in an integer column", ErrCorrupt, v.Kind())
	}
	if v.Kind() != parquet.ByteArray {
		return "", false, fmt.Errorf("%w: %s value in a string column", ErrCorrupt, v.Kind())
	}
	b := v.ByteArray()
	if !utf8.Valid(b) {
		return "", false, utf8Error(string(b))
	}
	return string(b), false, nil
}

// numberValue decodes a scalar integer or floating-point column's single
// value in a row as a float64; a null, NaN or infinite value decodes to 0.
func numberValue(span []parquet.Value, f *field) (float64, error) {
	if len(span) != 1 {
		return 0, fmt.Errorf("%w: %d values in one row of a scalar column", ErrCorrupt, len(span))
	}
	v := span[0]
	if v.IsNull() || v.DefinitionLevel() < f.maxDef {
		return 0, nil
	}
	var x float64
	switch v.Kind() {
	case parquet.Int64:
		x = float64(v.Int64())
	case parquet.Int32:
		x = float64(v.Int32())
	case parquet.Double:
		x = v.Double()
	case parquet.Float:
		x = float64(v.Float())
	default:
		return 0, fmt.Errorf("%w: %s value in a numeric column", ErrCorrupt, v.Kind())
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, nil
	}
	return x, nil
}

// listValue decodes a list<string> column's values in a row: nil for a
// null list, an empty slice for an empty one. Null elements are skipped.
func listValue(span []parquet.Value, f *field) ([]string, error) {
	first := span[0]
	if first.RepetitionLevel() != 0 {
		return nil, fmt.Errorf("%w: a row starts inside a list", ErrCorrupt)
	}
	if first.DefinitionLevel() < f.listDef {
		if len(span) != 1 {
			return nil, fmt.Errorf("%w: an empty or null list has %d values", ErrCorrupt, len(span))
		}
		if first.DefinitionLevel() == f.listDef-1 {
			return []string{}, nil
		}
		return nil, nil
	}
	out := make([]string, 0, len(span))
	for i, v := range span {
		if v.DefinitionLevel() < f.listDef {
			return nil, fmt.Errorf("%w: element %d is missing from its list", ErrCorrupt, i)
		}
		if v.IsNull() || v.DefinitionLevel() < f.maxDef {
			continue
		}
		if v.Kind() != parquet.ByteArray {
			return nil, fmt.Errorf("%w: %s value in a string list", ErrCorrupt, v.Kind())
		}
		b := v.ByteArray()
		if !utf8.Valid(b) {
			return nil, fmt.Errorf("element %d: %w", i, utf8Error(string(b)))
		}
		out = append(out, string(b))
	}
	return out, nil
}
