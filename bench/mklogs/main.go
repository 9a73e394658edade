// Command mklogs writes a synthetic production log in the shape of
// ../shared/data/interop/prod-logs-duckdb.parquet (id, timestamp, input,
// context as list<string>, output, model_version, gender, locale,
// latency_ms as double), zstd-compressed (fastest level) in row groups of 1,000,000 rows
// as pyarrow writes them, for the drift benchmark (bench/drift10m.sh).
//
// The text is drawn from a fixed vocabulary with a seeded generator, and
// latency is log-normal with microsecond resolution, so that it has about
// as many distinct values as rows. With -shift the log drifts: inputs are
// about 10% longer, latency 15% higher, a second model version serves 40%
// of the traffic and the locale mix moves; gender does not change.
//
//	go run ./bench/mklogs -n 10000000 -out ref.parquet
//	go run ./bench/mklogs -n 10000000 -shift -seed 2 -out cur.parquet
//
// It writes rows as they are generated, so its memory is one row group.
package main

import (
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// logRow is one request of the production log.
type logRow struct {
	ID           string    `parquet:"id"`
	Timestamp    time.Time `parquet:"timestamp,timestamp(microsecond)"`
	Input        string    `parquet:"input"`
	Context      []string  `parquet:"context,list"`
	Output       string    `parquet:"output"`
	ModelVersion string    `parquet:"model_version,dict"`
	Gender       string    `parquet:"gender,dict"`
	Locale       string    `parquet:"locale,dict"`
	LatencyMS    float64   `parquet:"latency_ms"`
}

var vocabulary = strings.Fields(`account password reset invoice refund order shipping delivery address card payment
	subscription plan upgrade cancel trial login email phone verify code security settings profile privacy data export
	delete report error crash slow app update version device browser mobile desktop sync backup restore file upload
	download share link team member invite role permission admin billing tax receipt discount coupon price renewal
	warranty return exchange damaged missing late track package carrier store pickup schedule appointment support
	agent chat ticket status priority urgent help question answer please thanks today tomorrow week month year
	how what why when where can could would should will my your our their the a an to of in on for with without`)

const rowsPerGroup = 1_000_000

func main() {
	n := flag.Int("n", 10_000_000, "rows")
	out := flag.String("out", "logs.parquet", "output `file`")
	shift := flag.Bool("shift", false, "write the drifted log")
	seed := flag.Uint64("seed", 1, "generator `seed`")
	flag.Parse()
	if err := write(*out, *n, *shift, *seed); err != nil {
		log.Fatal(err)
	}
}

func write(path string, n int, shift bool, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := parquet.NewGenericWriter[logRow](f, parquet.Compression(&zstd.Codec{Level: zstd.SpeedFastest}), parquet.MaxRowsPerRowGroup(rowsPerGroup))
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	passages := make([]string, 64)
	for i := range passages {
		passages[i] = words(rng, 25+rng.IntN(40))
	}
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	lengthScale, latencyScale, newShare := 1.0, 1.0, 0.0
	locales := []string{"en", "en", "en", "es", "de", "fr"}
	if shift {
		lengthScale, latencyScale, newShare = 1.1, 1.15, 0.4
		locales = []string{"en", "en", "es", "es", "de", "fr", "pt"}
	}
	batch := make([]logRow, 0, 4096)
	for i := range n {
		version := "support-bot@2026-09-14"
		if rng.Float64() < newShare {
			version = "support-bot@2026-10-20"
		}
		batch = append(batch, logRow{
			ID:           fmt.Sprintf("req-%09d", i),
			Timestamp:    start.Add(time.Duration(i) * 37 * time.Millisecond),
			Input:        words(rng, int(float64(4+rng.IntN(40))*lengthScale)) + "?",
			Context:      []string{passages[rng.IntN(len(passages))]},
			Output:       words(rng, 5+rng.IntN(90)) + ".",
			ModelVersion: version,
			Gender:       []string{"female", "male"}[rng.IntN(2)],
			Locale:       locales[rng.IntN(len(locales))],
			LatencyMS:    math.Round(latencyScale*math.Exp(5.5+0.6*rng.NormFloat64())*1000) / 1000,
		})
		if len(batch) == cap(batch) || i == n-1 {
			if _, err := w.Write(batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return f.Close()
}

// words returns k words from the vocabulary, space-separated.
func words(rng *rand.Rand, k int) string {
	var b strings.Builder
	for j := range max(k, 1) {
		if j > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(vocabulary[rng.IntN(len(vocabulary))])
	}
	return b.String()
}
