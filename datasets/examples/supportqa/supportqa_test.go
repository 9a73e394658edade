package supportqa

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/datasets"
)

// committed is the path of the committed eval set, from this directory.
const committed = "../support-qa.parquet"

func TestItemsDeterministic(t *testing.T) {
	a, b := Items(DefaultSeed), Items(DefaultSeed)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Items(DefaultSeed) differs between two calls")
	}
	if reflect.DeepEqual(a, Items(DefaultSeed+1)) {
		t.Fatal("Items gives the same set for two seeds")
	}
}

// sentences splits a passage the way the builtin models do: at '.', '!'
// or '?' followed by a space.
func sentences(p string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(p); i++ {
		if strings.ContainsRune(".!?", rune(p[i])) && p[i+1] == ' ' {
			out = append(out, strings.TrimSpace(p[start:i+1]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(p[start:]))
}

func TestItemsShape(t *testing.T) {
	items := Items(DefaultSeed)
	if len(items) != 400 {
		t.Errorf("got %d items, want 400", len(items))
	}
	allowed := map[string][]string{
		"region":        {"amer", "emea", "apac"},
		"channel":       {"email", "chat", "social"},
		"customer_tier": {"free", "plus", "business"},
		"phrasing":      {"direct", "paraphrase", "colloquial"},
		"task":          {"shipping", "returns", "billing", "account", "technical"},
	}
	seen := map[string]map[string]int{}
	ids := map[string]bool{}
	for i, it := range items {
		if it.Row != int64(i) || ids[it.ID] || !strings.HasPrefix(it.ID, "sqa-") {
			t.Errorf("item %d: row %d, id %q (duplicate %v)", i, it.Row, it.ID, ids[it.ID])
		}
		ids[it.ID] = true
		if it.Input == "" || it.Expected == "" {
			t.Errorf("%s: empty input or expected", it.ID)
		}
		if n := len(it.Context); n < 3 || n > 5 {
			t.Errorf("%s: %d passages, want 3 to 5", it.ID, n)
		}
		// The expected answer, or a variant, appears in exactly one
		// sentence of the context, so that only that sentence scores.
		refs := append([]string{it.Expected}, it.ExpectedAny...)
		hits := 0
		for _, p := range it.Context {
			ss := sentences(p)
			if len(ss) < 2 || len(ss) > 4 {
				t.Errorf("%s: passage has %d sentences, want 2 to 4: %q", it.ID, len(ss), p)
			}
			for _, s := range ss {
				if strings.Contains(s, "{V}") {
					t.Errorf("%s: unfilled placeholder in %q", it.ID, s)
				}
				if mentionsAny(s, refs) {
					hits++
				}
			}
		}
		if hits != 1 {
			t.Errorf("%s: %d context sentences hold the answer %q, want 1", it.ID, hits, it.Expected)
		}
		groups := map[string]string{"task": it.Task}
		for _, c := range ExtraColumns() {
			groups[c] = it.Extra[c]
		}
		if len(it.Extra) != len(ExtraColumns()) {
			t.Errorf("%s: Extra = %v, want the keys %v", it.ID, it.Extra, ExtraColumns())
		}
		for c, v := range groups {
			if !slices.Contains(allowed[c], v) {
				t.Errorf("%s: %s = %q, want one of %q", it.ID, c, v, allowed[c])
			}
			if seen[c] == nil {
				seen[c] = map[string]int{}
			}
			seen[c][v]++
		}
	}
	// Every group is big enough to measure.
	for c, vs := range allowed {
		for _, v := range vs {
			if seen[c][v] < 30 {
				t.Errorf("%s = %s has %d items, want at least 30", c, v, seen[c][v])
			}
		}
	}
}

func TestReplaceWords(t *testing.T) {
	dict := map[string]string{"package": "parcel", "you": "u", "don't": "dont"}
	tests := []struct{ in, want string }{
		{"Where is my package?", "Where is my parcel?"},
		{"Package lost, don't you know", "Parcel lost, dont u know"},
		{"packages youth", "packages youth"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := replaceWords(tt.in, dict); got != tt.want {
			t.Errorf("replaceWords(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMentionsAny(t *testing.T) {
	tests := []struct {
		text string
		refs []string
		want bool
	}{
		{"Express costs $14.99 per order.", []string{"$14.99"}, true},
		{"Express costs $14.99 per order.", []string{"14.99"}, true},
		{"Orders over $150 ship free.", []string{"$50"}, false},
		{"Within 15 days.", []string{"5 days"}, false},
		{"A 1-year warranty.", []string{"1-year"}, true},
		{"Anything.", []string{"", "the"}, false},
	}
	for _, tt := range tests {
		if got := mentionsAny(tt.text, tt.refs); got != tt.want {
			t.Errorf("mentionsAny(%q, %q) = %v, want %v", tt.text, tt.refs, got, tt.want)
		}
	}
}

// TestCommittedFile checks that support-qa.parquet is exactly what the
// generator writes, and that it reads back as the same items.
func TestCommittedFile(t *testing.T) {
	want, err := os.ReadFile(committed)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("%s does not exist yet; write it with: go run ./datasets/examples/gen", committed)
	}
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, DefaultSeed); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("%s (%d bytes, created_by %q) differs from the generator's output (%d bytes, created_by %q); regenerate it with: go run ./datasets/examples/gen",
			committed, len(want), createdBy(want), buf.Len(), createdBy(buf.Bytes()))
	}

	r, err := datasets.Open(committed)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	if info.Name != Name || info.Version != Version || info.Metadata["evalgate.seed"] != "1" || info.Rows != 400 {
		t.Errorf("info = %s %s seed %s rows %d", info.Name, info.Version, info.Metadata["evalgate.seed"], info.Rows)
	}
	items := Items(DefaultSeed)
	i := 0
	for r.Scan() {
		got, want := r.Item(), items[i]
		if got.ID != want.ID || got.Input != want.Input || got.Expected != want.Expected || got.Task != want.Task ||
			!slices.Equal(got.Context, want.Context) || !slices.Equal(got.ExpectedAny, want.ExpectedAny) ||
			!reflect.DeepEqual(got.Extra, want.Extra) {
			t.Fatalf("row %d reads back as %+v, want %+v", i, got, want)
		}
		i++
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(items) {
		t.Errorf("read %d rows, want %d", i, len(items))
	}
}

// createdBy returns the Parquet footer's created_by string as far as it can
// be found: parquet-go writes its module path and, when the binary's build
// information has it, its version. A difference there means the writer did
// not pin created_by.
func createdBy(file []byte) string {
	const app = "github.com/parquet-go/parquet-go"
	i := bytes.LastIndex(file, []byte(app))
	if i < 0 {
		return ""
	}
	end := i
	for end < len(file) && file[end] >= ' ' && file[end] <= '~' {
		end++
	}
	return string(file[i:end])
}
