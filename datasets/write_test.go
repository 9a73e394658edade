package datasets

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/evalgate/evalgate/records"
)

func sampleItems() []records.Item {
	return []records.Item{
		{
			ID: "q-1", Input: "What is the refund window?", System: "Answer briefly.",
			Context:     []string{"Refunds within 14 days.", "Shipping takes 2 days."},
			Expected:    "14 days",
			ExpectedAny: []string{"14 days", "two weeks"},
			Task:        "billing", MustNotContain: []string{"medication dose"},
			Output: "14 days", ModelVersion: "bot@1",
			Extra: map[string]string{"gender": "female", "locale": "en"},
		},
		{
			// nil lists are written as null, empty ones as empty lists.
			ID: "q-2", Input: "Ünïcödé ✓ and a\ttab", Context: []string{}, ExpectedAny: nil,
			Extra: map[string]string{"gender": "male"},
		},
		{ID: "q-3", Input: "", Context: []string{""}, MustNotContain: []string{}},
	}
}

func TestWriteItemsRoundTrip(t *testing.T) {
	extra := []string{"gender", "locale"}
	meta := map[string]string{MetaName: "refunds", MetaVersion: "1.0.0", "owner": "support"}
	tests := []struct {
		name  string
		items []records.Item
		extra []string
	}{
		{"sample", sampleItems(), extra},
		{"no rows", nil, extra},
		{"no extra columns", []records.Item{{ID: "a", Input: "x"}}, nil},
		{"many rows", func() []records.Item {
			items := make([]records.Item, 1000)
			for i := range items {
				items[i] = records.Item{ID: strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i), Input: "in"}
			}
			return items
		}(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeItemsFile(t, "items.parquet", tt.items, tt.extra, meta)
			got, info, err := readAll(t, path)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]records.Item, len(tt.items))
			for i, it := range tt.items {
				want[i] = it
				want[i].Row = int64(i)
				if len(tt.extra) > 0 {
					// Every extra column is present in every row; a
					// missing value reads back as "".
					m := map[string]string{}
					for _, name := range tt.extra {
						m[name] = it.Extra[name]
					}
					want[i].Extra = m
				}
			}
			diffItems(t, got, want)
			if info.Name != "refunds" || info.Version != "1.0.0" || info.Metadata["owner"] != "support" {
				t.Errorf("got name %q, version %q, metadata %v", info.Name, info.Version, info.Metadata)
			}
			wantTypes := map[string]string{"id": "string", "context": "list<string>", "expected_any": "list<string>", "must_not_contain": "list<string>", "gender": "string"}
			for _, c := range info.Columns {
				if w, ok := wantTypes[c.Name]; ok && c.Type != w {
					t.Errorf("column %q has type %q, want %q", c.Name, c.Type, w)
				}
			}
			if probs, err := Validate(path); err != nil || len(probs) > 0 {
				t.Errorf("Validate: %v %v", probs, err)
			}
		})
	}
}

func TestWriteItemsDeterministic(t *testing.T) {
	meta := map[string]string{"b": "2", "a": "1", MetaName: "n", MetaVersion: "v"}
	var first []byte
	for i := range 3 {
		var buf bytes.Buffer
		if err := WriteItems(&buf, sampleItems(), []string{"gender", "locale"}, meta); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = buf.Bytes()
			continue
		}
		if !bytes.Equal(buf.Bytes(), first) {
			t.Fatalf("write %d gave different bytes", i+1)
		}
	}
}

func TestWriteItemsErrors(t *testing.T) {
	tests := []struct {
		name  string
		items []records.Item
		extra []string
		want  string
		is    error
	}{
		{"extra collides with a fixed column", nil, []string{"task"}, `extra column "task": the name is already used`, nil},
		{"extra repeated", nil, []string{"g", "g"}, `extra column "g": the name is already used`, nil},
		{"extra empty", nil, []string{""}, "extra column: empty name", nil},
		{"extra not declared", []records.Item{{ID: "a", Input: "x", Extra: map[string]string{"g": "1"}}}, nil,
			`row 0 (0-based), column "g": column is in records.Item.Extra but not in extraColumns`, nil},
		{"invalid UTF-8 input", []records.Item{{ID: "a", Input: "x"}, {ID: "b", Input: "\xff"}}, nil,
			`row 1 (0-based), column "input": invalid UTF-8 at byte 0`, ErrInvalidUTF8},
		{"invalid UTF-8 list element", []records.Item{{ID: "a", Input: "x", Context: []string{"ok", "\xff"}}}, nil,
			`row 0 (0-based), column "context": element 1: invalid UTF-8`, ErrInvalidUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteItems(&bytes.Buffer{}, tt.items, tt.extra, nil)
			if err == nil {
				t.Fatal("got no error")
			}
			if want := "write eval set: " + tt.want; !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got %q, want prefix %q", err, want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error does not wrap %v", tt.is)
			}
		})
	}
}

func FuzzWriteItemsRoundTrip(f *testing.F) {
	f.Add("q-1", "input", "ctx", "exp", "g", uint8(3))
	f.Add("", "", "", "", "", uint8(0))
	f.Add("ü", "\x00", "a\nb", "\u2028", "\t", uint8(255))
	f.Fuzz(func(t *testing.T, id, input, ctx, expected, group string, shape uint8) {
		it := records.Item{ID: id, Input: input, Expected: expected, Extra: map[string]string{"grp": group}}
		switch shape % 3 {
		case 1:
			it.Context = []string{}
		case 2:
			it.Context = []string{ctx, ctx + ctx}
		}
		var buf bytes.Buffer
		err := WriteItems(&buf, []records.Item{it}, []string{"grp"}, nil)
		valid := utf8.ValidString(id) && utf8.ValidString(input) && utf8.ValidString(expected) && utf8.ValidString(group)
		if shape%3 == 2 {
			valid = valid && utf8.ValidString(ctx)
		}
		if !valid {
			if !errors.Is(err, ErrInvalidUTF8) {
				t.Fatalf("WriteItems of invalid UTF-8: got %v, want ErrInvalidUTF8", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		path := writeBytes(t, buf.Bytes())
		got, _, err := readAll(t, path)
		switch {
		case id == "":
			if !errors.Is(err, ErrEmptyID) {
				t.Fatalf("got %v, want ErrEmptyID", err)
			}
			return
		case err != nil:
			t.Fatal(err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], it) {
			t.Fatalf("got %#v, want %#v", got, it)
		}
	})
}
