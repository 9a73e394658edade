package datasets

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
)

// importText writes data to a file named name and imports it.
func importText(t *testing.T, name, data string, opts ImportOptions) (ImportResult, string, error) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, name)
	if err := os.WriteFile(src, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "out.parquet")
	res, err := Import(context.Background(), src, dst, opts)
	return res, dst, err
}

// readItems reads every item of an eval set.
func readItems(t *testing.T, path string) []records.Item {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []records.Item
	for r.Scan() {
		out = append(out, r.Item())
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportBadRows(t *testing.T) {
	for _, tt := range []struct {
		name, file, data string
		opts             ImportOptions
		sentinel         error
		line             int64
		field            string
		text             string
	}{
		{"jsonl null input", "qa.jsonl", "{\"question\": \"a\"}\n\n{\"question\": null}\n", ImportOptions{}, ErrNullInput, 3, "question", "qa.jsonl:3: field \"question\": null input"},
		{"jsonl missing input key", "qa.jsonl", "{\"question\": \"a\"}\n{\"answer\": \"b\"}\n", ImportOptions{}, ErrNullInput, 2, "question", ""},
		{"jsonl syntax", "qa.jsonl", "{\"question\": \"a\"}\n{\"question\": \"b\"\n", ImportOptions{}, ErrSyntax, 2, "", "qa.jsonl:2: syntax error"},
		{"jsonl not an object", "qa.jsonl", "{\"question\": \"a\"}\n[1, 2]\n", ImportOptions{}, ErrSyntax, 2, "", "want a JSON object"},
		{"jsonl two values", "qa.jsonl", "{\"question\": \"a\"} {\"question\": \"b\"}\n", ImportOptions{}, ErrSyntax, 1, "", "more than one JSON value"},
		{"jsonl object where context goes", "qa.jsonl", "{\"question\": \"a\", \"passages\": [\"p\"]}\n{\"question\": \"b\", \"passages\": {\"text\": \"p\"}}\n",
			ImportOptions{Map: map[string]string{"context": "passages"}}, ErrWrongType, 2, "passages", "want a string or a list of strings, found an object"},
		{"jsonl list where input goes", "qa.jsonl", "{\"question\": [\"a\"]}\n", ImportOptions{}, ErrWrongType, 1, "question", "found a list"},
		{"jsonl duplicate id", "qa.jsonl", "{\"id\": 1, \"question\": \"a\"}\n{\"id\": 2, \"question\": \"b\"}\n{\"id\": 1, \"question\": \"c\"}\n",
			ImportOptions{}, ErrDuplicateID, 3, "id", `duplicate id "1" (first at line 1)`},
		{"jsonl empty id", "qa.jsonl", "{\"id\": \"\", \"question\": \"a\"}\n", ImportOptions{}, ErrEmptyID, 1, "id", ""},
		{"jsonl null id", "qa.jsonl", "{\"id\": \"x\", \"question\": \"a\"}\n{\"question\": \"b\"}\n", ImportOptions{}, ErrNullID, 2, "id", ""},
		{"csv field count", "qa.csv", "question,answer\na,b\nc,d,e\n", ImportOptions{}, ErrSyntax, 3, "", "qa.csv:3: syntax error: wrong number of fields"},
		{"csv quote", "qa.csv", "question,answer\na,b\n\"c,d\n", ImportOptions{}, ErrSyntax, 3, "", ""},
		{"csv empty input", "qa.csv", "prompt,label\na,b\n,d\n", ImportOptions{}, ErrNullInput, 3, "prompt", `qa.csv:3: field "prompt": null input`},
		{"tsv duplicate id", "qa.tsv", "id\tquestion\nx\ta\nx\tb\n", ImportOptions{}, ErrDuplicateID, 3, "id", "first at line 2"},
		{"csv invalid utf-8", "qa.csv", "question\nab\xffc\n", ImportOptions{}, ErrInvalidUTF8, 2, "question", ""},
		{"jsonl unknown role", "chat.jsonl", `{"messages": [{"role": "user", "content": "Hi"}]}` + "\n" + `{"messages": [{"role": "user", "content": "Hi"}, {"role": "bot", "content": "Hello"}]}` + "\n",
			ImportOptions{}, ErrBadMessage, 2, "messages", `chat.jsonl:2: field "messages": bad message: turn 1 (0-based): role "bot" is not one of system, developer, user, assistant`},
		{"jsonl tool turn", "chat.jsonl", `{"chat": [{"role": "user", "content": "Hi"}, {"role": "tool", "content": "42"}]}` + "\n",
			ImportOptions{}, ErrBadMessage, 1, "chat", "turn 1 (0-based): role \"tool\" needs the tool_call_id"},
		{"jsonl empty content", "chat.jsonl", `{"turns": [{"role": "system", "content": "s"}, {"role": "user", "content": " "}]}` + "\n",
			ImportOptions{}, ErrBadMessage, 1, "turns", `turn 1 (0-based, role "user"): content is empty`},
		{"jsonl no user turn", "chat.jsonl", `{"conversation": [{"role": "system", "content": "s"}]}` + "\n",
			ImportOptions{}, ErrBadMessage, 1, "conversation", "no user turn"},
		{"jsonl content parts", "chat.jsonl", `{"messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}]}` + "\n",
			ImportOptions{}, ErrBadMessage, 1, "messages", "turn 0 (0-based): content: want a string, found a list"},
		{"jsonl extra key", "chat.jsonl", `{"messages": [{"role": "user", "content": "Hi", "name": "ann"}]}` + "\n",
			ImportOptions{}, ErrBadMessage, 1, "messages", `turn 0 (0-based): key "name" is not imported`},
		{"jsonl no role", "chat.jsonl", `{"messages": [{"content": "Hi"}]}` + "\n",
			ImportOptions{}, ErrBadMessage, 1, "messages", `turn 0 (0-based): no "role" key`},
		{"jsonl null turn", "chat.jsonl", `{"messages": [{"role": "user", "content": "Hi"}, null]}` + "\n",
			ImportOptions{}, ErrBadMessage, 1, "messages", "turn 1 (0-based): want an object, found null"},
		{"jsonl string where messages go", "chat.jsonl", `{"messages": [{"role": "user", "content": "Hi"}]}` + "\n" + `{"messages": "Hi"}` + "\n",
			ImportOptions{}, ErrWrongType, 2, "messages", "want a list of {role, content} objects, found a string"},
		{"jsonl neither input nor conversation", "chat.jsonl", `{"messages": [{"role": "user", "content": "Hi"}]}` + "\n" + `{"messages": null}` + "\n",
			ImportOptions{}, ErrNullInput, 2, "messages", "no conversation"},
		{"jsonl null input, empty conversation", "chat.jsonl", `{"question": "a", "messages": []}` + "\n" + `{"question": null, "messages": []}` + "\n",
			ImportOptions{}, ErrNullInput, 2, "question", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, dst, err := importText(t, tt.file, tt.data, tt.opts)
			if err == nil {
				t.Fatal("got no error")
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("got %v, want %v", err, tt.sentinel)
			}
			var le *LineError
			if !errors.As(err, &le) || le.Line != tt.line || le.Field != tt.field {
				t.Errorf("got %v, want line %d field %q", err, tt.line, tt.field)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("got %q, want it to contain %q", err, tt.text)
			}
			if _, serr := os.Stat(dst); !errors.Is(serr, os.ErrNotExist) {
				t.Errorf("%s exists after a failed import (%v)", dst, serr)
			}
			if left := tempFiles(t, filepath.Dir(dst)); len(left) > 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		})
	}
}

// tempFiles lists the hidden files in dir (atomicfile's temporary files).
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestImportMapping(t *testing.T) {
	for _, tt := range []struct {
		name    string
		columns []string
		explict map[string]string
		want    map[string]string
		auto    []string
		errText string
	}{
		{"synonyms", []string{"Question", "answer", "passages", "qid", "gender"}, nil,
			map[string]string{"input": "Question", "expected": "answer", "context": "passages", "id": "qid"}, []string{"context", "expected", "id", "input"}, ""},
		{"exact name wins over a synonym", []string{"input", "question", "answer"}, nil,
			map[string]string{"input": "input", "expected": "answer"}, []string{"expected", "input"}, ""},
		{"ambiguous", []string{"question", "prompt", "answer"}, nil, nil, nil, `input could be any of "question", "prompt"; choose one with --map input=COLUMN`},
		{"explicit settles ambiguity", []string{"question", "prompt", "answer"}, map[string]string{"input": "prompt"},
			map[string]string{"input": "prompt", "expected": "answer"}, []string{"expected"}, ""},
		{"explicit takes a column from auto", []string{"question", "answer", "label"}, map[string]string{"expected": "label"},
			map[string]string{"input": "question", "expected": "label"}, []string{"input"}, ""},
		{"empty leaves unmapped", []string{"question", "answer"}, map[string]string{"expected": ""},
			map[string]string{"input": "question"}, []string{"input"}, ""},
		{"no input", []string{"text", "answer"}, nil, nil, nil, `no column for input among "text", "answer"`},
		{"unknown role", []string{"question"}, map[string]string{"inputs": "question"}, nil, nil, `"inputs" is not an eval-set column`},
		{"unknown column", []string{"question"}, map[string]string{"expected": "answer"}, nil, nil, `the source has no column "answer"`},
		{"one column twice", []string{"question"}, map[string]string{"expected": "question", "input": "question"}, nil, nil, `column "question" is mapped to both expected and input`},
		{"index columns are never mapped", []string{"__index_level_0__", "id", "question"}, nil,
			map[string]string{"id": "id", "input": "question"}, []string{"id", "input"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, auto, err := ResolveMapping(tt.columns, tt.explict)
			if tt.errText != "" {
				if err == nil || !errors.Is(err, ErrMapping) || !strings.Contains(err.Error(), tt.errText) {
					t.Fatalf("got %v, want an ErrMapping containing %q", err, tt.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if FormatMapping(m) != FormatMapping(tt.want) || len(m) != len(tt.want) {
				t.Errorf("got %s, want %s", FormatMapping(m), FormatMapping(tt.want))
			}
			var gotAuto []string
			for k := range auto {
				gotAuto = append(gotAuto, k)
			}
			slices.Sort(gotAuto)
			if !slices.Equal(gotAuto, tt.auto) {
				t.Errorf("automatic %v, want %v", gotAuto, tt.auto)
			}
		})
	}
}

func TestParseMapping(t *testing.T) {
	m, err := ParseMapping(" input=question, expected = answer,context=passages")
	if err != nil || FormatMapping(m) != "input=question,context=passages,expected=answer" {
		t.Errorf("got %v, %v", m, err)
	}
	for _, bad := range []string{"input", "=question", "input=a,input=b"} {
		if _, err := ParseMapping(bad); !errors.Is(err, ErrMapping) {
			t.Errorf("ParseMapping(%q): got %v, want ErrMapping", bad, err)
		}
	}
}

// TestImportDerivedIDs checks that ids derived from content do not
// depend on a row's position, that repeated content gets a suffix, and
// that the file and the result say how ids were made.
func TestImportDerivedIDs(t *testing.T) {
	a := `{"question": "What is 2+2?", "answer": "4"}` + "\n"
	b := `{"question": "Capital of France?", "answer": "Paris", "passages": "Paris is the capital."}` + "\n"
	res1, dst1, err := importText(t, "qa.jsonl", a+b+a, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, dst2, err := importText(t, "qa.jsonl", b+a, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	first, second := readItems(t, dst1), readItems(t, dst2)
	if len(first) != 3 || len(second) != 2 {
		t.Fatalf("got %d and %d items", len(first), len(second))
	}
	if first[0].ID != second[1].ID || first[1].ID != second[0].ID {
		t.Errorf("ids depend on position: %s %s vs %s %s", first[0].ID, first[1].ID, second[0].ID, second[1].ID)
	}
	if first[0].ID == first[1].ID || len(first[0].ID) != 16 {
		t.Errorf("ids %q and %q: want distinct 16-digit ids", first[0].ID, first[1].ID)
	}
	if first[2].ID != first[0].ID+"-2" {
		t.Errorf("repeated content got id %q, want %q", first[2].ID, first[0].ID+"-2")
	}
	if !slices.Equal(first[1].Context, []string{"Paris is the capital."}) {
		t.Errorf("a string context became %q, want a one-passage list", first[1].Context)
	}
	info := res1.Info
	if !res1.DerivedIDs || !strings.HasPrefix(info.Metadata[MetaImportIDs], "derived:") || info.Metadata[MetaImportSource] != "qa.jsonl" {
		t.Errorf("derived %v, metadata %v: want derived ids said in both", res1.DerivedIDs, info.Metadata)
	}
	if probs, err := Validate(dst1); err != nil || len(probs) > 0 {
		t.Errorf("Validate: %v %v", probs, err)
	}
}

// TestImportValues checks how values of each source become item fields:
// numbers keep their spelling, ids are strings, extras keep their
// columns, index columns and objects are dropped and said to be.
func TestImportValues(t *testing.T) {
	data := `{"Unnamed: 0": 0, "qid": 7, "prompt": "Q", "reference": "R", "contexts": ["c1", null, "c2"], "age": 41, "ok": true, "meta": {"x": 1}, "input2": "I"}` + "\n"
	res, dst, err := importText(t, "data.ndjson", data, ImportOptions{Name: "n", Version: "v"})
	if err != nil {
		t.Fatal(err)
	}
	items := readItems(t, dst)
	want := records.Item{ID: "7", Input: "Q", Expected: "R", Context: []string{"c1", "c2"},
		Extra: map[string]string{"age": "41", "ok": "true", "input2": "I"}}
	got := items[0]
	got.Row = 0
	if got.ID != want.ID || got.Input != want.Input || got.Expected != want.Expected || !slices.Equal(got.Context, want.Context) ||
		len(got.Extra) != 3 || got.Extra["age"] != "41" || got.Extra["ok"] != "true" || got.Extra["input2"] != "I" {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if res.Info.Name != "n" || res.Info.Version != "v" || res.Format != FormatJSONL {
		t.Errorf("identity %s %s, format %s", res.Info.Name, res.Info.Version, res.Format)
	}
	ignored := strings.Join(res.Ignored, "; ")
	if !strings.Contains(ignored, "Unnamed: 0 (an index column)") || !strings.Contains(ignored, "meta (an object)") {
		t.Errorf("ignored %q, want the index column and the object named", ignored)
	}
}

// TestImportInterrupted cancels an import and fails one half-way: the
// destination keeps its old bytes and no temporary file is left.
func TestImportInterrupted(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "big.jsonl")
	var b strings.Builder
	for i := range 5000 {
		b.WriteString(`{"question": "q` + strings.Repeat("x", i%7) + `", "n": ` + string(rune('0'+i%10)) + "}\n")
	}
	if err := os.WriteFile(src, []byte(b.String()+"{\"question\": null}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "out.parquet")
	if err := os.WriteFile(dst, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Import(ctx, src, dst, ImportOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled import: got %v, want context.Canceled", err)
	}
	_, err := Import(context.Background(), src, dst, ImportOptions{})
	var le *LineError
	if !errors.As(err, &le) || le.Line != 5001 || !errors.Is(err, ErrNullInput) {
		t.Errorf("got %v, want a null input at line 5001", err)
	}
	if got, _ := os.ReadFile(dst); string(got) != "old" {
		t.Errorf("destination holds %q after failed imports, want the old bytes", got)
	}
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// TestOpenSetColumns reads a set through a mapping that swaps two of its
// columns, and refuses mappings that name nothing.
func TestOpenSetColumns(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "qa.jsonl")
	if err := os.WriteFile(src, []byte(`{"question": "Q1", "answer": "A1", "input": "shadowed"}`+"\n"+`{"question": "Q2", "answer": "A2", "input": "shadowed"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	set := filepath.Join(dir, "qa.parquet")
	// The source's own "input" is left out (named like an eval-set
	// column but not mapped to it); the set has input and expected.
	if _, err := Import(context.Background(), src, set, ImportOptions{Map: map[string]string{"input": "question", "expected": "answer"}}); err != nil {
		t.Fatal(err)
	}
	s, err := OpenSetColumns(set, map[string]string{"input": "expected", "expected": "input"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Reader()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for r.Scan() {
		got = append(got, r.Item().Input+"/"+r.Item().Expected)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	s.Close()
	if !slices.Equal(got, []string{"A1/Q1", "A2/Q2"}) {
		t.Errorf("got %v, want input and expected swapped by the mapping", got)
	}
	for _, tt := range []struct {
		columns map[string]string
		text    string
	}{
		{map[string]string{"input": "question"}, `the file has no column "question"`},
		{map[string]string{"inputs": "input"}, `"inputs" is not an eval-set column`},
	} {
		if _, err := OpenSetColumns(set, tt.columns); !errors.Is(err, ErrMapping) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("OpenSetColumns(%v): got %v, want %q", tt.columns, err, tt.text)
		}
	}
}

// TestImportRealJSONL imports RAGTruth's JSONL export, whose reference
// column holds an object in some rows and a string in others.
func TestImportRealJSONL(t *testing.T) {
	src := sharedData(t, "ragtruth-dev", "ragtruth-dev.jsonl")
	dst := filepath.Join(t.TempDir(), "rt.parquet")
	res, err := Import(context.Background(), src, dst, ImportOptions{Map: map[string]string{"input": "source"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Info.Rows != 208 || FormatMapping(mappingOf(res)) != "id=id,input=source,task=task_type,output=response" {
		t.Errorf("got %d rows mapped %s", res.Info.Rows, FormatMapping(mappingOf(res)))
	}
	_, err = Import(context.Background(), src, dst, ImportOptions{Map: map[string]string{"input": "source", "context": "reference"}})
	var le *LineError
	if !errors.As(err, &le) || le.Field != "reference" || !errors.Is(err, ErrWrongType) {
		t.Errorf("got %v, want the first row whose reference is an object named", err)
	}
}

func mappingOf(res ImportResult) map[string]string {
	m := map[string]string{}
	for _, c := range res.Mapped {
		m[c.Column] = c.Source
	}
	return m
}

// TestIntegerIDs reads a set whose id column is int64, as pandas writes
// it, with every reader: ids are decimal strings and duplicates are found.
func TestIntegerIDs(t *testing.T) {
	for _, tt := range []struct {
		name string
		ids  []int64
		dup  bool
	}{
		{"unique", []int64{7, -3, 1 << 40}, false},
		{"duplicate", []int64{7, 8, 7}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var b strings.Builder
			for i, id := range tt.ids {
				b.WriteString(`{"id": ` + strconv.FormatInt(id, 10) + `, "question": "q` + strconv.Itoa(i) + `"}` + "\n")
			}
			src := filepath.Join(dir, "qa.jsonl")
			if err := os.WriteFile(src, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			// A Parquet file with an INT64 id, written as pandas would.
			path := filepath.Join(dir, "qa.parquet")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			type row struct {
				ID    int64  `parquet:"id"`
				Input string `parquet:"input"`
			}
			w := parquet.NewGenericWriter[row](f)
			for i, id := range tt.ids {
				if _, err := w.Write([]row{{id, "q" + strconv.Itoa(i)}}); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			f.Close()
			probs, err := Validate(path)
			if err != nil {
				t.Fatal(err)
			}
			if tt.dup {
				if len(probs) != 1 || !errors.Is(probs[0], ErrDuplicateID) || !strings.Contains(probs[0].Error(), `row 2 (0-based), column "id": duplicate id "7" first seen at row 0`) {
					t.Errorf("problems %v, want the duplicate 7 at row 2", probs)
				}
				return
			}
			if len(probs) > 0 {
				t.Fatalf("problems: %v", probs)
			}
			var want []string
			for _, id := range tt.ids {
				want = append(want, strconv.FormatInt(id, 10))
			}
			var got []string
			for _, it := range readItems(t, path) {
				got = append(got, it.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("Reader ids %v, want %v", got, want)
			}
			s, err := OpenSet(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			cr, err := s.ItemColumns()
			if err != nil {
				t.Fatal(err)
			}
			defer cr.Close()
			got = got[:0]
			for cr.Next() {
				got = append(got, cr.Columns().ID...)
			}
			if err := cr.Err(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("ItemColumnReader ids %v, want %v", got, want)
			}
		})
	}
}

// FuzzImportText imports arbitrary JSONL and CSV: an import either fails
// with a positioned error, leaving nothing behind, or writes a set that
// Validate accepts, with one row per record.
func FuzzImportText(f *testing.F) {
	f.Add([]byte("{\"question\": \"a\", \"answer\": \"b\"}\n{\"question\": \"c\", \"passages\": [\"p\", null]}\n"), false)
	f.Add([]byte("{\"id\": 1, \"question\": \"a\"}\n\n{\"id\": 1.5, \"question\": \"b\", \"x\": {\"y\": 1}}\n"), false)
	f.Add([]byte("question,answer\na,b\n\"c\nd\",\"[\"\"x\"\"]\"\n"), true)
	f.Add([]byte("{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}]}\n{\"question\": \"b\", \"chat\": null}\n"), false)
	f.Fuzz(func(t *testing.T, data []byte, csv bool) {
		name := "f.jsonl"
		if csv {
			name = "f.csv"
		}
		res, dst, err := importText(t, name, string(data), ImportOptions{})
		if err != nil {
			var le *LineError
			if errors.As(err, &le) && le.Line < 1 {
				t.Errorf("line %d in %v", le.Line, err)
			}
			if _, serr := os.Stat(dst); serr == nil {
				t.Errorf("%s written despite %v", dst, err)
			}
			return
		}
		probs, err := Validate(dst)
		if err != nil || len(probs) > 0 {
			t.Fatalf("imported set is not valid: %v %v", probs, err)
		}
		if got := int64(len(readItems(t, dst))); got != res.Info.Rows || got == 0 {
			t.Errorf("read %d items, import said %d rows", got, res.Info.Rows)
		}
	})
}

// TestImportConversations imports conversations from JSONL (by each
// automatic name and by --map) and from Parquet: each row's turns arrive
// in messages as they were, a row may have only an input, and the set
// validates.
func TestImportConversations(t *testing.T) {
	conv := []records.Message{{Role: "system", Content: "Answer with a city."}, {Role: "user", Content: "Capital of France?"},
		{Role: "assistant", Content: "Paris"}, {Role: "user", Content: "And of Italy?"}}
	line := func(key string) string {
		return `{"id": "c1", "` + key + `": [{"role": "system", "content": "Answer with a city."}, {"content": "Capital of France?", "role": "user"}, {"role": "assistant", "content": "Paris"}, {"role": "user", "content": "And of Italy?"}], "answer": "Rome"}` + "\n" +
			`{"id": "p2", "question": "Capital of Spain?", "answer": "Madrid"}` + "\n"
	}
	parquetSrc := func(t *testing.T) string {
		return writeRows(t, []chatRowWithInput{
			{ID: "c1", Messages: []turn{t2("system", "Answer with a city."), t2("user", "Capital of France?"), t2("assistant", "Paris"), t2("user", "And of Italy?")}},
			{ID: "p2", Input: sp("Capital of Spain?")},
		})
	}
	for _, tt := range []struct {
		name string
		src  func(t *testing.T) string
		opts ImportOptions
		from string // the source column of messages
		auto bool
	}{
		{"messages", func(t *testing.T) string { return writeText(t, "chat.jsonl", line("messages")) }, ImportOptions{}, "messages", true},
		{"conversation", func(t *testing.T) string { return writeText(t, "chat.jsonl", line("conversation")) }, ImportOptions{}, "conversation", true},
		{"chat", func(t *testing.T) string { return writeText(t, "chat.jsonl", line("chat")) }, ImportOptions{}, "chat", true},
		{"turns", func(t *testing.T) string { return writeText(t, "chat.jsonl", line("Turns")) }, ImportOptions{}, "Turns", true},
		{"--map", func(t *testing.T) string { return writeText(t, "chat.jsonl", line("dialog")) }, ImportOptions{Map: map[string]string{"messages": "dialog"}}, "dialog", false},
		{"parquet", parquetSrc, ImportOptions{}, "messages", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.src(t)
			dst := filepath.Join(t.TempDir(), "out.parquet")
			res, err := Import(context.Background(), src, dst, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, m := range res.Mapped {
				if m.Column == "messages" {
					found = m.Source == tt.from && m.Auto == tt.auto
				}
			}
			if !found {
				t.Errorf("mapped %+v, want messages from %q (auto %v)", res.Mapped, tt.from, tt.auto)
			}
			items := readItems(t, dst)
			if len(items) != 2 {
				t.Fatalf("got %d items, want 2", len(items))
			}
			if it := items[0]; it.ID != "c1" || it.Input != "" || !slices.Equal(it.Messages, conv) {
				t.Errorf("item 0: %+v, want c1 with no input and messages %+v", it, conv)
			}
			if it := items[1]; it.ID != "p2" || it.Input != "Capital of Spain?" || it.Messages != nil {
				t.Errorf("item 1: %+v, want p2 with its input and no messages", it)
			}
			if probs, err := Validate(dst); err != nil || len(probs) != 0 {
				t.Errorf("Validate: %v, %v; want no problems", probs, err)
			}
		})
	}
}

// TestImportConversationIDs: derived ids tell apart rows that differ only
// in their conversation, and rows without one keep the ids they had.
func TestImportConversationIDs(t *testing.T) {
	data := `{"messages": [{"role": "user", "content": "Hi"}]}` + "\n" + `{"messages": [{"role": "user", "content": "Hello"}]}` + "\n"
	_, dst, err := importText(t, "chat.jsonl", data, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	items := readItems(t, dst)
	if len(items) != 2 || items[0].ID == items[1].ID || strings.Contains(items[1].ID, "-") {
		t.Errorf("ids %q and %q, want two different content ids", items[0].ID, items[1].ID)
	}
	plain := contentDigest(&records.Item{Input: "q", Expected: "a"})
	if got := hex.EncodeToString(plain[:8]); got != "99a7987a200aa809" {
		t.Errorf("id of a row without a conversation %s, want the one it had before messages were imported", got)
	}
}

// writeText writes data to a file named name in a new directory.
func writeText(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestImportParquetBadTurn: a Parquet source's bad turn is an error naming
// the row and the turn, and nothing is written.
func TestImportParquetBadTurn(t *testing.T) {
	for _, tt := range []struct {
		name string
		rows []chatRowWithInput
		want string
	}{
		{"unknown role", []chatRowWithInput{{ID: "a", Input: sp("q")}, {ID: "b", Messages: []turn{t2("user", "Hi"), t2("bot", "x")}}},
			`row 1 (0-based), column "messages": bad message: turn 1 (0-based): role "bot"`},
		{"null content", []chatRowWithInput{{ID: "a", Messages: []turn{{Role: sp("user")}}}},
			`row 0 (0-based), column "messages": bad message: turn 0 (0-based): content is null`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			src := writeRows(t, tt.rows)
			dst := filepath.Join(t.TempDir(), "out.parquet")
			_, err := Import(context.Background(), src, dst, ImportOptions{})
			var re *RowError
			if !errors.Is(err, ErrBadMessage) || !errors.As(err, &re) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want a bad message containing %q", err, tt.want)
			}
			if _, serr := os.Stat(dst); !errors.Is(serr, os.ErrNotExist) {
				t.Errorf("%s exists after a failed import (%v)", dst, serr)
			}
		})
	}
}
