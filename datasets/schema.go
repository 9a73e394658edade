package datasets

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// Column describes one top-level column of a Parquet file.
type Column struct {
	// Name is the column's name at the top level of the schema.
	Name string
	// Type is a human-readable type such as "string", "binary" (a
	// BYTE_ARRAY without a STRING annotation, which evalgate reads as a
	// string), "list<string>", "int64", "double", "bool",
	// "timestamp(us)" or "struct<a: int32, b: string>".
	Type string
	// Nullable reports whether the column may hold nulls (it is OPTIONAL).
	Nullable bool
}

// Names of the eval-set columns that the eval-set schema fixes (see the package doc).
const (
	colID             = "id"
	colInput          = "input"
	colSystem         = "system"
	colContext        = "context"
	colExpected       = "expected"
	colExpectedAny    = "expected_any"
	colTask           = "task"
	colMustNotContain = "must_not_contain"
	colOutput         = "output"
	colModelVersion   = "model_version"
	colMessages       = "messages"
	// colLatencyMS is not fixed: when it is an integer or floating-point
	// column it is read as the recorded call's latency (records.Item.LatencyMS).
	colLatencyMS = "latency_ms"
)

// fieldKind classifies a top-level column by how this package decodes it.
type fieldKind uint8

const (
	kindOther      fieldKind = iota // not decoded
	kindString                      // a scalar string (BYTE_ARRAY, STRING/ENUM or unannotated)
	kindStringList                  // a list of strings, in any LIST form
	kindInt                         // a scalar INT32 or INT64
	kindFloat                       // a scalar FLOAT or DOUBLE
	kindMessages                    // a list of struct<role: string, content: string>, in any LIST form
	kindBool                        // a scalar BOOLEAN (read only in results files)
)

// field is a top-level column and what is needed to decode it.
type field struct {
	Column
	kind fieldKind
	// leaf is the index of the leaf column that holds the values when kind
	// is not kindOther, and -1 otherwise.
	leaf int
	// maxDef is the leaf's maximum definition level: a value is present
	// when its definition level equals maxDef.
	maxDef int
	// listDef is, for kindStringList and kindMessages, the definition
	// level from which a value is an entry of the list (possibly a null
	// element); a level of listDef-1 means an empty list and anything
	// lower a null list.
	listDef int
	// For kindMessages, leaf and maxDef are the role's; content and
	// contentDef the content's leaf and maximum definition level; elemDef
	// the level from which an entry is a (non-null) struct.
	content, contentDef, elemDef int
}

// schemaNode pairs the parquet-go column tree with the raw schema elements
// of the footer, which carry the physical and logical types exactly as the
// writer declared them.
type schemaNode struct {
	elem     *format.SchemaElement
	col      *parquet.Column
	children []*schemaNode
	// levels of this node, counted from the root.
	maxRep, maxDef int
}

// buildSchema walks the parquet-go column tree of f in pre-order, which is
// the order of the footer's flattened schema, and describes each top-level
// column.
func buildSchema(f *parquet.File) ([]field, error) {
	elems := f.Metadata().Schema
	next := 0
	var walk func(c *parquet.Column, rep, def, depth int) (*schemaNode, error)
	walk = func(c *parquet.Column, rep, def, depth int) (*schemaNode, error) {
		if next >= len(elems) {
			return nil, fmt.Errorf("%w: schema has more columns than footer elements", ErrCorrupt)
		}
		if depth > 64 {
			return nil, fmt.Errorf("%w: schema nested deeper than 64 levels", ErrUnsupported)
		}
		n := &schemaNode{elem: &elems[next], col: c}
		next++
		if n.elem.Name != c.Name() {
			return nil, fmt.Errorf("%w: schema element %q does not match column %q", ErrCorrupt, n.elem.Name, c.Name())
		}
		if depth > 0 {
			switch {
			case c.Optional():
				def++
			case c.Repeated():
				rep++
				def++
			}
		}
		n.maxRep, n.maxDef = rep, def
		for _, child := range c.Columns() {
			cn, err := walk(child, rep, def, depth+1)
			if err != nil {
				return nil, err
			}
			n.children = append(n.children, cn)
		}
		return n, nil
	}
	root, err := walk(f.Root(), 0, 0, 0)
	if err != nil {
		return nil, err
	}
	fields := make([]field, 0, len(root.children))
	for _, n := range root.children {
		fields = append(fields, describeField(n))
	}
	return fields, nil
}

// describeField classifies one top-level column.
func describeField(n *schemaNode) field {
	f := field{
		Column: Column{Name: n.elem.Name, Type: typeName(n, 0), Nullable: n.col.Optional()},
		leaf:   -1,
	}
	if n.col.Repeated() {
		// A top-level repeated field is a legacy 2-level list that is never
		// null, only empty.
		f.Column.Type = "list<" + typeName(n, 0) + ">"
		if isLeaf(n) && isStringLeaf(n) && n.maxRep == 1 {
			f.kind, f.leaf, f.maxDef, f.listDef = kindStringList, n.col.Index(), n.maxDef, n.maxDef
		}
		return f
	}
	if isLeaf(n) {
		switch {
		case isStringLeaf(n):
			f.kind = kindString
		case physical(n) == format.Int32 || physical(n) == format.Int64:
			if isPlainInt(n.elem) {
				f.kind = kindInt
			}
		case physical(n) == format.Float || physical(n) == format.Double:
			if n.elem.LogicalType.Value == nil {
				f.kind = kindFloat
			}
		case physical(n) == format.Boolean:
			f.kind = kindBool
		}
		if f.kind != kindOther {
			f.leaf, f.maxDef = n.col.Index(), n.maxDef
		}
		return f
	}
	elem, rep, ok := listElement(n)
	switch {
	case !ok:
	case isStringLeaf(elem) && elem.maxRep == 1:
		f.kind, f.leaf, f.maxDef, f.listDef = kindStringList, elem.col.Index(), elem.maxDef, rep.maxDef
	case !isLeaf(elem) && len(elem.children) == 2:
		role, content := elem.children[0], elem.children[1]
		if role.elem.Name == "content" {
			role, content = content, role
		}
		if role.elem.Name == "role" && content.elem.Name == "content" &&
			isStringLeaf(role) && isStringLeaf(content) && role.maxRep == 1 && content.maxRep == 1 {
			f.kind, f.leaf, f.maxDef, f.listDef = kindMessages, role.col.Index(), role.maxDef, rep.maxDef
			f.content, f.contentDef, f.elemDef = content.col.Index(), content.maxDef, elem.maxDef
		}
	}
	return f
}

// listElement finds the repeated node and the element node of a group in
// any of the LIST forms of the Parquet spec's backward-compatibility rules:
// a 3-level list (group → repeated group → element, whatever the names), a
// 2-level list (group → repeated element), or a repeated group that is
// itself the element. A group without a LIST annotation is accepted when
// it has exactly one repeated child, as some writers omit the annotation.
func listElement(n *schemaNode) (elem, rep *schemaNode, ok bool) {
	if len(n.children) != 1 || !n.children[0].col.Repeated() {
		return nil, nil, false
	}
	rep = n.children[0]
	if isLeaf(rep) {
		return rep, rep, true // 2-level
	}
	if len(rep.children) != 1 || rep.elem.Name == "array" || rep.elem.Name == n.elem.Name+"_tuple" {
		return rep, rep, true // the repeated group is the element (a struct)
	}
	return rep.children[0], rep, true
}

// isLeaf reports whether n is a primitive column.
func isLeaf(n *schemaNode) bool { return n.elem.Type.Valid && len(n.children) == 0 }

// physical returns the physical type of a leaf.
func physical(n *schemaNode) format.Type { return n.elem.Type.V }

// isStringLeaf reports whether a leaf holds strings: BYTE_ARRAY with a
// STRING or ENUM annotation (logical or converted) or none at all.
func isStringLeaf(n *schemaNode) bool {
	if !isLeaf(n) || physical(n) != format.ByteArray {
		return false
	}
	switch leafTypeName(n.elem) {
	case "string", "enum", "binary":
	default:
		return false
	}
	// parquet-go must agree that values are byte arrays; Kind panics on
	// types that have none, which protect turns into an error upstream.
	return n.col.Type().Kind() == parquet.ByteArray
}

// isPlainInt reports whether an INT32/INT64 leaf is a plain signed integer
// (no annotation, or a signed INT annotation).
func isPlainInt(e *format.SchemaElement) bool {
	if lt := e.LogicalType.Value; lt != nil {
		t, ok := lt.(*format.IntType)
		return ok && t.IsSigned
	}
	if e.ConvertedType.Valid {
		switch e.ConvertedType.V {
		case deprecated.Int8, deprecated.Int16, deprecated.Int32, deprecated.Int64:
			return true
		}
		return false
	}
	return true
}

// typeName returns a human-readable type for n, ignoring n's own
// repetition.
func typeName(n *schemaNode, depth int) string {
	if depth > 8 {
		return "…"
	}
	if isLeaf(n) {
		return leafTypeName(n.elem)
	}
	if isAnnotated(n.elem, deprecated.List) {
		if elem, rep, ok := listElement(n); ok {
			if elem == rep && !isLeaf(rep) {
				return "list<" + structName(rep, depth+1) + ">"
			}
			return "list<" + typeName(elem, depth+1) + ">"
		}
	}
	if isAnnotated(n.elem, deprecated.Map) || isAnnotated(n.elem, deprecated.MapKeyValue) {
		if len(n.children) == 1 && n.children[0].col.Repeated() && len(n.children[0].children) == 2 {
			kv := n.children[0]
			return "map<" + typeName(kv.children[0], depth+1) + ", " + typeName(kv.children[1], depth+1) + ">"
		}
	}
	return structName(n, depth)
}

// structName names a group as struct<name: type, ...>.
func structName(n *schemaNode, depth int) string {
	var b strings.Builder
	b.WriteString("struct<")
	for i, c := range n.children {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.elem.Name)
		b.WriteString(": ")
		t := typeName(c, depth+1)
		if c.col.Repeated() {
			t = "list<" + t + ">"
		}
		b.WriteString(t)
	}
	b.WriteString(">")
	return b.String()
}

// isAnnotated reports whether a group carries the LIST or MAP annotation,
// as a logical type or as the older converted type.
func isAnnotated(e *format.SchemaElement, ct deprecated.ConvertedType) bool {
	switch e.LogicalType.Value.(type) {
	case *format.ListType:
		return ct == deprecated.List
	case *format.MapType:
		return ct == deprecated.Map || ct == deprecated.MapKeyValue
	}
	return e.ConvertedType.Valid && e.ConvertedType.V == ct
}

// leafTypeName names the type of a primitive column.
func leafTypeName(e *format.SchemaElement) string {
	switch lt := e.LogicalType.Value.(type) {
	case nil:
	case *format.StringType:
		return "string"
	case *format.EnumType:
		return "enum"
	case *format.JsonType:
		return "json"
	case *format.BsonType:
		return "bson"
	case *format.UUIDType:
		return "uuid"
	case *format.DateType:
		return "date"
	case *format.NullType:
		return "null"
	case *format.Float16Type:
		return "float16"
	case *format.DecimalType:
		return fmt.Sprintf("decimal(%d,%d)", lt.Precision, lt.Scale)
	case *format.TimeType:
		return timeName("time", &lt.Unit, lt.IsAdjustedToUTC)
	case *format.TimestampType:
		return timeName("timestamp", &lt.Unit, lt.IsAdjustedToUTC)
	case *format.IntType:
		if lt.IsSigned {
			return fmt.Sprintf("int%d", lt.BitWidth)
		}
		return fmt.Sprintf("uint%d", lt.BitWidth)
	default:
		return strings.ToLower(lt.String())
	}
	if e.ConvertedType.Valid {
		switch e.ConvertedType.V {
		case deprecated.UTF8:
			return "string"
		case deprecated.Enum:
			return "enum"
		case deprecated.Json:
			return "json"
		case deprecated.Bson:
			return "bson"
		case deprecated.Date:
			return "date"
		case deprecated.Interval:
			return "interval"
		case deprecated.Decimal:
			return fmt.Sprintf("decimal(%d,%d)", e.Precision.V, e.Scale.V)
		case deprecated.TimeMillis:
			return "time(ms)"
		case deprecated.TimeMicros:
			return "time(us)"
		case deprecated.TimestampMillis:
			return "timestamp(ms)"
		case deprecated.TimestampMicros:
			return "timestamp(us)"
		case deprecated.Int8:
			return "int8"
		case deprecated.Int16:
			return "int16"
		case deprecated.Int32:
			return "int32"
		case deprecated.Int64:
			return "int64"
		case deprecated.Uint8:
			return "uint8"
		case deprecated.Uint16:
			return "uint16"
		case deprecated.Uint32:
			return "uint32"
		case deprecated.Uint64:
			return "uint64"
		}
	}
	if !e.Type.Valid {
		return "unknown"
	}
	switch e.Type.V {
	case format.Boolean:
		return "bool"
	case format.Int32:
		return "int32"
	case format.Int64:
		return "int64"
	case format.Int96:
		return "int96"
	case format.Float:
		return "float"
	case format.Double:
		return "double"
	case format.ByteArray:
		return "binary"
	case format.FixedLenByteArray:
		return fmt.Sprintf("fixed_len_byte_array(%d)", e.TypeLength.V)
	}
	return fmt.Sprintf("physical type %d", int32(e.Type.V))
}

// timeName names a time or timestamp type with its unit.
func timeName(kind string, u *format.TimeUnit, utc bool) string {
	unit := "?"
	switch u.Value.(type) {
	case *format.MilliSeconds:
		unit = "ms"
	case *format.MicroSeconds:
		unit = "us"
	case *format.NanoSeconds:
		unit = "ns"
	}
	if utc {
		return kind + "(" + unit + ", utc)"
	}
	return kind + "(" + unit + ")"
}

// firstInvalidUTF8 returns the byte offset of the first invalid UTF-8
// sequence in s, or -1 when s is valid.
func firstInvalidUTF8(s string) int {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return i
			}
		}
	}
	return -1
}
