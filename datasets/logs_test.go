package datasets

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// logCell is a present value v of an optional top-level scalar column.
func logCell(v parquet.Value) cell {
	return func(col int) []parquet.Value { return []parquet.Value{v.Level(0, 1, col)} }
}

// logTypesFile writes a two-row file with one column of each shape that
// OpenLogs classifies; the second row is all nulls (or empty lists).
func logTypesFile(t *testing.T) string {
	t.Helper()
	fields := []parquet.Field{
		named("s", parquet.Optional(parquet.String())),
		named("bin", parquet.Optional(parquet.Leaf(parquet.ByteArrayType))),
		named("l", optionalStringList()),
		named("i32", parquet.Optional(parquet.Leaf(parquet.Int32Type))),
		named("i64", parquet.Optional(parquet.Int(64))),
		named("f32", parquet.Optional(parquet.Leaf(parquet.FloatType))),
		named("f64", parquet.Optional(parquet.Leaf(parquet.DoubleType))),
		named("b", parquet.Optional(parquet.Leaf(parquet.BooleanType))),
		named("ts_ms", parquet.Optional(parquet.Timestamp(parquet.Millisecond))),
		named("ts_us", parquet.Optional(parquet.TimestampAdjusted(parquet.Microsecond, false))),
		named("ts_ns", parquet.Optional(parquet.Timestamp(parquet.Nanosecond))),
		named("i96", parquet.Optional(parquet.Leaf(parquet.Int96Type))),
		named("d", parquet.Optional(parquet.Date())),
		named("dec", parquet.Optional(parquet.Decimal(2, 9, parquet.Int32Type))),
		named("u32", parquet.Optional(parquet.Uint(32))),
		named("st", parquet.Optional(parquet.Group{"a": parquet.Int(64), "b": parquet.String()})),
	}
	when := time.Date(2026, 10, 1, 12, 30, 15, 123456789, time.UTC)
	i96 := deprecated.Int96{}
	nanos := uint64(12*3600+30*60+15)*1e9 + 123456789
	i96[0], i96[1], i96[2] = uint32(nanos), uint32(nanos>>32), uint32(julianUnixEpoch+when.Unix()/86400)
	full := row(
		opt("hello"), opt("raw"), list(2, "a", "b"),
		logCell(parquet.Int32Value(-7)), logCell(parquet.Int64Value(1<<40)),
		logCell(parquet.FloatValue(1.5)), logCell(parquet.DoubleValue(2.25)), logCell(parquet.BooleanValue(true)),
		logCell(parquet.Int64Value(when.UnixMilli())), logCell(parquet.Int64Value(when.UnixMicro())),
		logCell(parquet.Int64Value(when.UnixNano())), logCell(parquet.Int96Value(i96)),
		logCell(parquet.Int32Value(int32(when.Unix()/86400))), logCell(parquet.Int32Value(12345)),
		logCell(parquet.Int32Value(9)),
		func(col int) []parquet.Value { return []parquet.Value{parquet.Int64Value(1).Level(0, 1, col)} },
		func(col int) []parquet.Value {
			return []parquet.Value{parquet.ByteArrayValue([]byte("x")).Level(0, 1, col)}
		},
	)
	var nulls []cell
	for range 17 {
		nulls = append(nulls, null())
	}
	return writeTestFile(t, "types.parquet", fields, []parquet.Row{full, row(nulls...)})
}

func TestLogColumnsAndValues(t *testing.T) {
	path := logTypesFile(t)
	f, err := OpenLogs(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	when := time.Date(2026, 10, 1, 12, 30, 15, 123456789, time.UTC)
	tests := []struct {
		name string
		kind LogKind
		want LogValue // of the first row; the second is null
	}{
		{"s", LogString, LogValue{Str: "hello"}},
		{"bin", LogString, LogValue{Str: "raw"}},
		{"l", LogStringList, LogValue{List: []string{"a", "b"}}},
		{"i32", LogInt, LogValue{Int: -7}},
		{"i64", LogInt, LogValue{Int: 1 << 40}},
		{"f32", LogFloat, LogValue{Float: 1.5}},
		{"f64", LogFloat, LogValue{Float: 2.25}},
		{"b", LogBool, LogValue{Bool: true}},
		{"ts_ms", LogTime, LogValue{Time: when.Truncate(time.Millisecond)}},
		{"ts_us", LogTime, LogValue{Time: when.Truncate(time.Microsecond)}},
		{"ts_ns", LogTime, LogValue{Time: when}},
		{"i96", LogTime, LogValue{Time: when}},
		{"d", LogTime, LogValue{Time: when.Truncate(24 * time.Hour)}},
		{"dec", LogScalar, LogValue{}},
		{"u32", LogScalar, LogValue{}},
		{"st", LogOther, LogValue{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := f.Lookup(tt.name)
			if i < 0 {
				t.Fatalf("Lookup(%q) = -1", tt.name)
			}
			if got := f.Columns()[i].Kind; got != tt.kind {
				t.Fatalf("kind %s, want %s", got, tt.kind)
			}
			rows, err := f.Rows([]int{i})
			if tt.kind == LogOther {
				if !errors.Is(err, ErrUnsupported) {
					t.Errorf("Rows of a nested column: got %v, want ErrUnsupported", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			tt.want.Kind = tt.kind
			for n, want := range []LogValue{tt.want, {Kind: tt.kind, Null: true}} {
				if !rows.Scan() {
					t.Fatalf("row %d: Scan false: %v", n, rows.Err())
				}
				got, err := rows.Value(0)
				if err != nil {
					t.Fatalf("row %d: %v", n, err)
				}
				if got.Kind != want.Kind || got.Null != want.Null || got.Str != want.Str || strings.Join(got.List, "|") != strings.Join(want.List, "|") ||
					got.Int != want.Int || got.Float != want.Float || got.Bool != want.Bool || !got.Time.Equal(want.Time) {
					t.Errorf("row %d: got %+v, want %+v", n, got, want)
				}
			}
			if rows.Scan() || rows.Err() != nil {
				t.Errorf("a third row, or error %v", rows.Err())
			}
		})
	}
	if f.Lookup("nope") != -1 {
		t.Error("Lookup of an absent column is not -1")
	}
}

// TestInt96FromSpark reads the INT96 timestamps that Spark 3.4 wrote, whose
// values parquet-testing documents as microseconds since the epoch.
func TestInt96FromSpark(t *testing.T) {
	f, err := OpenLogs(sharedData(t, "parquet-testing", "data", "int96_from_spark.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if k := f.Columns()[0].Kind; k != LogTime {
		t.Fatalf("kind %s, want timestamp", k)
	}
	rows, err := f.Rows([]int{0})
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{1704141296123456, 1704070800000000, 253402225200000000, 1735599600000000, -1, 9089380393200000000}
	for i := 0; rows.Scan(); i++ {
		v, err := rows.Value(0)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case want[i] == -1 && !v.Null:
			t.Errorf("row %d: got %v, want null", i, v.Time)
		case want[i] != -1 && v.Time.UnixMicro() != want[i]:
			t.Errorf("row %d: got %v (%d µs), want %d µs", i, v.Time, v.Time.UnixMicro(), want[i])
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		name, in string
		want     time.Time
		bad      bool
	}{
		{"RFC 3339", "2026-10-01T09:30:00Z", time.Date(2026, 10, 1, 9, 30, 0, 0, time.UTC), false},
		{"offset", "2026-10-01T09:30:00+02:00", time.Date(2026, 10, 1, 7, 30, 0, 0, time.UTC), false},
		{"fraction", "2026-10-01T09:30:00.25Z", time.Date(2026, 10, 1, 9, 30, 0, 250e6, time.UTC), false},
		{"space", "2026-10-01 09:30:00+00:00", time.Date(2026, 10, 1, 9, 30, 0, 0, time.UTC), false},
		{"naive is UTC", "2026-10-01 09:30:00.5", time.Date(2026, 10, 1, 9, 30, 0, 500e6, time.UTC), false},
		{"naive T", "2026-10-01T09:30:00", time.Date(2026, 10, 1, 9, 30, 0, 0, time.UTC), false},
		{"date", "2026-10-01", time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), false},
		{"month only", "2026-10", time.Time{}, true},
		{"epoch number", "1759311000", time.Time{}, true},
		{"empty", "", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTime(tt.in)
			if (err != nil) != tt.bad {
				t.Fatalf("ParseTime(%q) error %v, want error %v", tt.in, err, tt.bad)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("ParseTime(%q) = %v, want %v in UTC", tt.in, got, tt.want)
			}
		})
	}
}

// TestLogsParquetTesting reads every readable column of every file of
// Apache parquet-testing: no panic, and every error names the file.
func TestLogsParquetTesting(t *testing.T) {
	root := sharedData(t, "parquet-testing")
	var files []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.Contains(d.Name(), ".parquet") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 50 {
		t.Fatalf("found %d Parquet files under %s", len(files), root)
	}
	for _, path := range files {
		rel, _ := filepath.Rel(root, path)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			err := func() (err error) {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panic: %v", r)
					}
				}()
				f, err := OpenLogs(path)
				if err != nil {
					return err
				}
				defer f.Close()
				var cols []int
				for i, c := range f.Columns() {
					if c.Kind != LogOther {
						cols = append(cols, i)
					}
				}
				rows, err := f.Rows(cols)
				if err != nil {
					return err
				}
				defer rows.Close()
				for n := 0; rows.Scan() && n < 20000; n++ {
					for i := range cols {
						if _, err := rows.Value(i); err != nil {
							return err
						}
					}
				}
				return rows.Err()
			}()
			if err != nil && !strings.Contains(err.Error(), filepath.Base(path)) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}
