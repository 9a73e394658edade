package datasets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// turn is one {role, content} struct of a messages column; the pointers
// make the fields optional, as pyarrow writes them.
type turn struct {
	Role    *string `parquet:"role,optional"`
	Content *string `parquet:"content,optional"`
}

// chatRow is a row of an eval set of conversations, without an input
// column.
type chatRow struct {
	ID       string `parquet:"id"`
	Messages []turn `parquet:"messages,optional,list"`
	Expected string `parquet:"expected,optional"`
}

// chatRowWithInput has an input column too.
type chatRowWithInput struct {
	ID       string  `parquet:"id"`
	Input    *string `parquet:"input,optional"`
	Messages []turn  `parquet:"messages,optional,list"`
}

func t2(role, content string) turn { return turn{sp(role), sp(content)} }

// writeRows writes rows with parquet-go's generic writer and returns the
// file's path.
func writeRows[T any](t *testing.T, rows []T) string {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "chat.parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMessagesColumnReads(t *testing.T) {
	path := writeRows(t, []chatRow{
		{ID: "c1", Messages: []turn{t2("system", "Be brief."), t2("user", "Hi"), t2("assistant", "Hello."), t2("user", "Capital of France?")}, Expected: "Paris"},
		{ID: "c2", Messages: []turn{t2("developer", "Answer in one word."), t2("user", "2+2?")}},
	})
	items, _, err := readAll(t, path)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]records.Message{
		{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}, {Role: "assistant", Content: "Hello."}, {Role: "user", Content: "Capital of France?"}},
		{{Role: "developer", Content: "Answer in one word."}, {Role: "user", Content: "2+2?"}},
	}
	if len(items) != 2 {
		t.Fatalf("got %d items, want 2", len(items))
	}
	for i, it := range items {
		if !reflect.DeepEqual(it.Messages, want[i]) {
			t.Errorf("item %s: got messages %+v, want %+v", it.ID, it.Messages, want[i])
		}
		if it.Input != "" {
			t.Errorf("item %s: got input %q, want empty", it.ID, it.Input)
		}
	}
	if items[0].Expected != "Paris" {
		t.Errorf("got expected %q, want Paris", items[0].Expected)
	}
	probs, err := Validate(path)
	if err != nil || len(probs) != 0 {
		t.Errorf("Validate: got %v, %v; want no problems", probs, err)
	}
}

func TestMessagesColumnProblems(t *testing.T) {
	cases := []struct {
		name string
		rows []chatRowWithInput
		// want are substrings of the one problem Validate finds.
		want   []string
		sentry error
	}{
		{"unknown role", []chatRowWithInput{{ID: "a", Messages: []turn{t2("user", "q"), t2("bot", "x")}}},
			[]string{`row 0`, `column "messages"`, `item "a"`, "turn 1", `role "bot"`}, ErrBadMessage},
		{"tool role", []chatRowWithInput{{ID: "b", Messages: []turn{t2("user", "q"), t2("tool", "42")}}},
			[]string{`item "b"`, "turn 1", "tool_call_id"}, ErrBadMessage},
		{"empty content", []chatRowWithInput{{ID: "ok", Input: sp("x")}, {ID: "c", Messages: []turn{t2("system", "s"), t2("user", "  ")}}},
			[]string{`row 1`, `item "c"`, "turn 1", "content is empty"}, ErrBadMessage},
		{"null content", []chatRowWithInput{{ID: "d", Messages: []turn{{Role: sp("user")}}}},
			[]string{`item "d"`, "turn 0", "content is null"}, ErrBadMessage},
		{"no user turn", []chatRowWithInput{{ID: "e", Messages: []turn{t2("system", "s"), t2("assistant", "a")}}},
			[]string{`item "e"`, "no user turn"}, ErrBadMessage},
		{"neither input nor messages", []chatRowWithInput{{ID: "f"}},
			[]string{`row 0`, `column "input"`}, ErrNullInput},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeRows(t, c.rows)
			probs, err := Validate(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(probs) != 1 {
				t.Fatalf("got %d problems %v, want 1", len(probs), probs)
			}
			if !errors.Is(probs[0], c.sentry) {
				t.Errorf("got %v, want an error wrapping %v", probs[0], c.sentry)
			}
			for _, w := range c.want {
				if !strings.Contains(probs[0].Error(), w) {
					t.Errorf("got %q, want it to contain %q", probs[0], w)
				}
			}
			if _, _, err := readAll(t, path); !errors.Is(err, c.sentry) {
				t.Errorf("Reader: got %v, want an error wrapping %v", err, c.sentry)
			}
		})
	}
}

func TestMessagesColumnWrongType(t *testing.T) {
	type row struct {
		ID       string   `parquet:"id"`
		Messages []string `parquet:"messages,list"`
	}
	path := writeRows(t, []row{{ID: "a", Messages: []string{"hi"}}})
	_, err := Open(path)
	if !errors.Is(err, ErrWrongType) || !strings.Contains(err.Error(), "list<struct<role: string, content: string>>") {
		t.Errorf("got %v, want a wrong type naming the messages type", err)
	}
}

// TestWriteItemsMessagesRoundTrip writes conversations with WriteItems and
// ItemWriter and reads back the same turns; rows without one read as nil
// and keep their input.
func TestWriteItemsMessagesRoundTrip(t *testing.T) {
	conv := []records.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"},
		{Role: "assistant", Content: "Hello, ünïcode."}, {Role: "user", Content: "Capital of France?"}}
	items := []records.Item{
		{ID: "c1", Messages: conv, Expected: "Paris", Extra: map[string]string{"lang": "en"}},
		{ID: "p2", Input: "plain question"},
		{ID: "e3", Input: "empty conversation", Messages: []records.Message{}},
		{ID: "c4", Messages: []records.Message{{Role: "user", Content: "2+2?"}}, Context: []string{"a", "b"}},
	}
	want := slices.Clone(items)
	want[2].Messages = nil // an empty list reads as no conversation
	for i := range want {
		want[i].Row = int64(i)
	}
	write := map[string]func(w io.Writer) error{
		"WriteItems": func(w io.Writer) error { return WriteItems(w, items, []string{"lang"}, nil) },
		"ItemWriter": func(w io.Writer) error {
			iw, err := NewItemWriter(w, []string{"lang", MessagesColumn}, nil)
			if err != nil {
				return err
			}
			for i := range items {
				if err := iw.Write(&items[i]); err != nil {
					return err
				}
			}
			return iw.Close()
		},
	}
	for name, fn := range write {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := fn(&buf); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "set.parquet")
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			got, info, err := readAll(t, path)
			if err != nil {
				t.Fatal(err)
			}
			for i := range got {
				if got[i].Extra["lang"] == "" {
					delete(got[i].Extra, "lang")
				}
				if len(got[i].Extra) == 0 {
					got[i].Extra = nil
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read back\n%+v\nwant\n%+v", got, want)
			}
			var typ string
			for _, c := range info.Columns {
				if c.Name == MessagesColumn {
					typ = c.Type
				}
			}
			if typ != "list<struct<role: string, content: string>>" {
				t.Errorf("messages column type %q, want list<struct<role: string, content: string>>", typ)
			}
			if probs, err := Validate(path); err != nil || len(probs) != 0 {
				t.Errorf("Validate: %v, %v; want no problems", probs, err)
			}
		})
	}
}

// TestWriteItemsMessagesColumnOnlyWhenUsed: a set without conversations
// has no messages column (its bytes do not change), and an ItemWriter not
// asked for one refuses an item with a conversation.
func TestWriteItemsMessagesColumnOnlyWhenUsed(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteItems(&buf, []records.Item{{ID: "a", Input: "q"}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(buf.Bytes(), []byte("messages")) {
		t.Error("a set without conversations has a messages column")
	}
	iw, err := NewItemWriter(&bytes.Buffer{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = iw.Write(&records.Item{ID: "a", Messages: []records.Message{{Role: "user", Content: "q"}}})
	if err == nil || !strings.Contains(err.Error(), `column "messages"`) {
		t.Errorf("got %v, want an error naming the messages column", err)
	}
	err = WriteItems(&bytes.Buffer{}, []records.Item{{ID: "a", Messages: []records.Message{{Role: "user", Content: "\xff"}}}}, nil, nil)
	if !errors.Is(err, ErrInvalidUTF8) || !strings.Contains(err.Error(), "turn 0 content") {
		t.Errorf("got %v, want invalid UTF-8 naming turn 0's content", err)
	}
}

func TestItemColumnsNullInputBesideMessages(t *testing.T) {
	path := writeRows(t, []chatRowWithInput{
		{ID: "a", Input: sp("plain question")},
		{ID: "b", Messages: []turn{t2("user", "Hi")}},
	})
	r, err := OpenItemColumns(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Input, r.Messages = true, true
	var ids, inputs []string
	var convs [][]records.Message
	for r.Next() {
		c := r.Columns()
		ids, inputs, convs = append(ids, c.ID...), append(inputs, c.Input...), append(convs, c.Messages...)
	}
	if err := r.Err(); err != nil {
		t.Fatalf("got %v, want a conversation row's null input read as empty", err)
	}
	if !reflect.DeepEqual(ids, []string{"a", "b"}) || !reflect.DeepEqual(inputs, []string{"plain question", ""}) {
		t.Errorf("got ids %q inputs %q, want [a b] and [plain question, empty]", ids, inputs)
	}
	if want := [][]records.Message{nil, {{Role: "user", Content: "Hi"}}}; !reflect.DeepEqual(convs, want) {
		t.Errorf("got conversations %+v, want %+v", convs, want)
	}
}

// TestItemColumnsMessagesMatchReader reads conversations of many lengths
// across pages and row groups with both readers.
func TestItemColumnsMessagesMatchReader(t *testing.T) {
	var rows []chatRow
	for i := range 3000 {
		r := chatRow{ID: fmt.Sprintf("r%d", i)}
		for k := range i % 7 { // 0 turns: a null conversation
			r.Messages = append(r.Messages, t2([]string{"user", "assistant"}[k%2], strings.Repeat("x", i%13+1)+fmt.Sprint(i, k)))
		}
		if len(r.Messages) == 0 {
			r.Messages = nil
		}
		rows = append(rows, r)
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[chatRow](&buf, parquet.MaxRowsPerRowGroup(700), parquet.PageBufferSize(512))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "many.parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Reader refuses the rows without a user turn or input; compare the
	// decoded turns directly.
	r, err := OpenItemColumns(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Messages = true
	var got [][]records.Message
	for r.Next() {
		got = append(got, r.Columns().Messages...)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(rows) {
		t.Fatalf("got %d rows, want %d", len(got), len(rows))
	}
	for i, row := range rows {
		var want []records.Message
		for _, m := range row.Messages {
			want = append(want, records.Message{Role: *m.Role, Content: *m.Content})
		}
		if !reflect.DeepEqual(got[i], want) {
			t.Fatalf("row %d: got %+v, want %+v", i, got[i], want)
		}
	}
}

func TestFreezeKeepsMessages(t *testing.T) {
	src := writeRows(t, []chatRow{{ID: "c1", Messages: []turn{t2("system", "s"), t2("user", "q")}}})
	dst := filepath.Join(t.TempDir(), "frozen.parquet")
	if _, err := Freeze(src, dst, "chat", "1.0.0"); err != nil {
		t.Fatal(err)
	}
	items, info, err := readAll(t, dst)
	if err != nil {
		t.Fatal(err)
	}
	want := []records.Message{{Role: "system", Content: "s"}, {Role: "user", Content: "q"}}
	if len(items) != 1 || !reflect.DeepEqual(items[0].Messages, want) || info.Name != "chat" {
		t.Errorf("frozen set: %+v (name %q), want one item with %+v named chat", items, info.Name, want)
	}
}

// FuzzWriteItemsMessages writes a conversation of two turns built from
// the inputs and reads the same turns back, or the reader's ErrBadMessage
// when the turns are not a valid conversation.
func FuzzWriteItemsMessages(f *testing.F) {
	f.Add("system", "Be brief.", "user", "Hi")
	f.Add("user", "", "assistant", "ünïcode\x00")
	f.Fuzz(func(t *testing.T, r1, c1, r2, c2 string) {
		msgs := []records.Message{{Role: r1, Content: c1}, {Role: r2, Content: c2}}
		var buf bytes.Buffer
		err := WriteItems(&buf, []records.Item{{ID: "a", Messages: msgs}}, nil, nil)
		valid := utf8.ValidString(r1) && utf8.ValidString(c1) && utf8.ValidString(r2) && utf8.ValidString(c2)
		if !valid {
			if err == nil {
				t.Fatal("invalid UTF-8 written without an error")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "set.parquet")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		items, _, err := readAll(t, path)
		if len(turnProblems(msgs)) > 0 {
			// The reader checks the turns WriteItems leaves alone.
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("got %v, want a bad message", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 1 || !reflect.DeepEqual(items[0].Messages, msgs) {
			t.Fatalf("read back %+v, want %+v", items, msgs)
		}
	})
}
