package datasets

import (
	"bytes"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/records"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
)

// TestMutatedFilesNeverCrash corrupts valid files, written with every
// codec and both data page versions, in thousands of seeded random ways
// (flipped, replaced, inserted and deleted bytes) and reads each with
// Open/Scan, Validate and Inspect. A panic fails the test, a hang fails it
// after the per-file timeout, and running out of memory kills the test
// binary. TestWrongCodec and TestCheckPayloadBombs pin the inputs of that
// last kind that fuzzing found.
func TestMutatedFilesNeverCrash(t *testing.T) {
	var seeds [][]byte
	var buf bytes.Buffer
	items := []records.Item{
		{ID: "a", Input: "x", Context: []string{"p1", "p2"}, Extra: map[string]string{"g": "1"}},
		{ID: "b", Input: "y", Context: []string{}, ExpectedAny: []string{"y"}, Extra: map[string]string{"g": "2"}},
	}
	if err := WriteItems(&buf, items, []string{"g"}, map[string]string{MetaName: "n"}); err != nil {
		t.Fatal(err)
	}
	seeds = append(seeds, buf.Bytes())
	codecs := []compress.Codec{&parquet.Lz4Raw, &parquet.Gzip, &parquet.Brotli, &parquet.Snappy, &parquet.Uncompressed}
	for _, c := range codecs {
		for _, v := range []int{1, 2} {
			path := writeTestFile(t, "c.parquet",
				[]parquet.Field{named("id", parquet.String()), named("input", parquet.Optional(parquet.String())), named("context", arrowList)},
				[]parquet.Row{row(str("a"), opt(strings.Repeat("hello ", 20)), list(3, "p1", "p2")), row(str("b"), null(), nullAt(1))},
				parquet.Compression(c), parquet.DataPageVersion(v))
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, data)
		}
	}

	rng := rand.New(rand.NewSource(1))
	dir := t.TempDir()
	path := dir + "/mutant.parquet"
	for i := range 3000 {
		data := mutate(rng, seeds[rng.Intn(len(seeds))])
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		done := make(chan any, 1)
		go func() {
			defer func() { done <- recover() }()
			if r, err := Open(path); err == nil {
				for r.Scan() {
				}
				r.Close()
			}
			Validate(path)
			Inspect(path)
		}()
		select {
		case p := <-done:
			if p != nil {
				t.Fatalf("mutant %d: panic: %v (input %q)", i, p, data)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("mutant %d: no answer within 10s (input %q)", i, data)
		}
	}
}

// mutate returns a copy of data with a few random corruptions.
func mutate(rng *rand.Rand, data []byte) []byte {
	out := append([]byte{}, data...)
	if rng.Intn(4) == 0 {
		i := rng.Intn(len(out))
		if rng.Intn(2) == 0 {
			out = append(out[:i], out[min(len(out), i+1+rng.Intn(8)):]...)
		} else {
			ins := []byte{byte(rng.Intn(256)), 0xff, 0xff, 0xff, 0x0f}[:1+rng.Intn(5)]
			out = append(out[:i], append(ins, out[i:]...)...)
		}
	}
	for range 1 + rng.Intn(4) {
		if len(out) == 0 {
			break
		}
		i := rng.Intn(len(out))
		switch rng.Intn(3) {
		case 0:
			out[i] = byte(rng.Intn(256))
		case 1:
			out[i] ^= 1 << rng.Intn(8)
		default:
			out[i] = []byte{0, 0xff, 0x7f, 0x80, 1}[rng.Intn(5)]
		}
	}
	return out
}
