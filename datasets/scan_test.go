package datasets

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/records"
)

// genItem is a representative item: an input, two passages, a label.
func genItem(i int) records.Item {
	return records.Item{
		ID:    fmt.Sprintf("q-%07d", i),
		Input: fmt.Sprintf("What is the refund window for order %d, placed in region %d?", i, i%8),
		Context: []string{
			fmt.Sprintf("Orders can be refunded within %d days of delivery.", 14+(i%3)*7),
			fmt.Sprintf("Shipping to region %d takes %d business days.", i%8, 2+i%5),
		},
		Expected: fmt.Sprintf("%d days", 14+(i%3)*7),
		Task:     []string{"billing", "shipping", "returns"}[i%3],
	}
}

// TestScanMemoryBounded scans 200,000 rows and checks that the heap in use
// does not grow with the rows read. It measures live heap after a forced
// GC at fixed row counts, not time, so it cannot be flaky on a slow
// machine; the bounds are generous (the reader needs about a page per
// column and one batch of rows).
func TestScanMemoryBounded(t *testing.T) {
	const rows = 200_000
	path := writeManyItems(t, rows, genItem)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}

	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	base := heap()
	var early, peak uint64
	n := 0
	for r.Scan() {
		n++
		if n%20_000 == 0 {
			h := heap()
			peak = max(peak, h)
			if n == 20_000 {
				early = h
			}
		}
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if n != rows {
		t.Fatalf("scanned %d rows, want %d", n, rows)
	}
	last := heap()
	t.Logf("file %d bytes; heap in use: %d KiB at open, %d KiB after 20k rows, %d KiB peak, %d KiB at the end",
		st.Size(), base>>10, early>>10, peak>>10, last>>10)
	const budget = 32 << 20
	if peak > base+budget {
		t.Errorf("heap in use rose from %d KiB to %d KiB while scanning; want less than %d KiB more",
			base>>10, peak>>10, budget>>10)
	}
	// The heap after 20k rows and after all 200k must be about the same.
	if peak > early+8<<20 {
		t.Errorf("heap in use grew from %d KiB after 20k rows to %d KiB; it must not grow with rows", early>>10, peak>>10)
	}
}

// FuzzOpen feeds arbitrary bytes to Open, Scan, Validate and Inspect.
// None may panic, and every error must name the file.
func FuzzOpen(f *testing.F) {
	var buf bytes.Buffer
	items := []records.Item{
		{ID: "a", Input: "x", Context: []string{"p1", "p2"}, Extra: map[string]string{"g": "1"}},
		{ID: "b", Input: "y", Context: []string{}, ExpectedAny: []string{"y"}, Extra: map[string]string{"g": "2"}},
		{ID: "c", Input: "z", MustNotContain: []string{"no"}},
	}
	if err := WriteItems(&buf, items, []string{"g"}, map[string]string{MetaName: "n"}); err != nil {
		f.Fatal(err)
	}
	valid := buf.Bytes()
	f.Add(valid)
	f.Add(valid[:len(valid)/2])
	f.Add(append(append([]byte{}, valid[:4]...), valid[len(valid)-8:]...))
	for _, name := range []string{"bad-null-id.parquet", "qa-duckdb-nulls-stringcontext.parquet"} {
		if data, err := os.ReadFile("../../shared/data/interop/" + name); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := writeBytes(t, data)
		check := func(what string, err error) {
			if err != nil && !strings.Contains(err.Error(), path) {
				t.Fatalf("%s: error %q does not name the file", what, err)
			}
		}
		if r, err := Open(path); err != nil {
			check("Open", err)
		} else {
			for r.Scan() {
				_ = r.Item()
			}
			check("Scan", r.Err())
			check("Close", r.Close())
		}
		_, err := Validate(path)
		check("Validate", err)
		rep, err := Inspect(path)
		check("Inspect", err)
		if err == nil {
			check("WriteText", rep.WriteText(&bytes.Buffer{}))
		}
	})
}

func BenchmarkScan(b *testing.B) {
	const rows = 20_000
	path := writeManyItems(b, rows, genItem)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for r.Scan() {
			n++
		}
		if err := r.Err(); err != nil || n != rows {
			b.Fatalf("scanned %d rows, err %v", n, err)
		}
		r.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}
