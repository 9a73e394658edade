// Command mksamplelogs writes a synthetic production log of n rows for the
// sampling benchmark (bench/sample10m.sh), in the shape of
// ../shared/data/interop/prod-logs-duckdb.parquet: id, timestamp
// (TIMESTAMP(us)), input, context (list<string>), output, model_version,
// gender, locale and latency_ms (double), zstd-compressed, in row groups
// of 122,880 rows as DuckDB writes them. It streams: memory holds one row
// group, whatever n is.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/parquet-go/parquet-go"
)

// logRow is one request to a support bot.
type logRow struct {
	ID           string    `parquet:"id,optional"`
	Timestamp    time.Time `parquet:"timestamp,optional,timestamp(microsecond)"`
	Input        string    `parquet:"input,optional"`
	Context      []string  `parquet:"context,list"`
	Output       string    `parquet:"output,optional"`
	ModelVersion string    `parquet:"model_version,optional"`
	Gender       string    `parquet:"gender,optional"`
	Locale       string    `parquet:"locale,optional"`
	LatencyMS    float64   `parquet:"latency_ms,optional"`
}

func main() {
	n := flag.Int("n", 10_000_000, "rows")
	out := flag.String("out", "logs.parquet", "output file")
	step := flag.Duration("step", 3*time.Second, "time between consecutive requests")
	flag.Parse()
	if err := write(*out, *n, *step); err != nil {
		log.Fatal(err)
	}
}

func write(path string, n int, step time.Duration) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := parquet.NewGenericWriter[logRow](bw,
		parquet.Compression(&parquet.Zstd),
		parquet.MaxRowsPerRowGroup(122_880),
		parquet.CreatedBy("evalgate bench/mksamplelogs", "", ""),
	)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	// Locales are skewed, as real traffic is: 55% en, 25% es, 15% de, 5% fr.
	locales := [20]string{}
	for i := range locales {
		switch {
		case i < 11:
			locales[i] = "en"
		case i < 16:
			locales[i] = "es"
		case i < 19:
			locales[i] = "de"
		default:
			locales[i] = "fr"
		}
	}
	batch := make([]logRow, 1024)
	for start := 0; start < n; start += len(batch) {
		rows := batch[:min(len(batch), n-start)]
		for j := range rows {
			i := start + j
			r := &rows[j]
			r.ID = fmt.Sprintf("req-%08d", i)
			r.Timestamp = base.Add(time.Duration(i) * step)
			r.Input = fmt.Sprintf("How do I reset my password on device %d, case %d?", i%977, i)
			r.Context = []string{fmt.Sprintf("To reset a password open Settings, then Security, then Reset (article %d).", i%4099)}
			if i%10 == 0 {
				r.Output = "Call us at 555-0100 and we will reset it within 24 hours."
			} else {
				r.Output = fmt.Sprintf("Open Settings, then Security, then Reset (article %d).", i%4099)
			}
			r.ModelVersion = "support-bot@2026-09-14"
			if i >= n*3/5 {
				r.ModelVersion = "support-bot@2026-10-20"
			}
			r.Gender = [2]string{"female", "male"}[i%2]
			r.Locale = locales[(i*7)%20]
			r.LatencyMS = float64(120 + (i%50)*3)
		}
		if _, err := w.Write(rows); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}
