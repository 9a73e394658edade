// Command score10m writes the inputs of the 10-million-row scoring
// benchmark into a directory: an eval set (set.parquet), a candidate's
// results in the set's order with three group columns (results.parquet)
// and a config (score10m.yaml) that scores them with fairness over the
// three columns and the bootstrap on (and the integrity checks off). It streams both files through
// datasets.ItemWriter and datasets.ResultsWriter, so its memory does not
// grow with -n. See bench/score10m.sh.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
)

var (
	regions  = []string{"amer", "emea", "apac", "latam"}
	tiers    = []string{"free", "plus", "business"}
	channels = []string{"email", "chat", "phone", "social", ""} // "" is (missing)
	answers  = []string{"30 days", "14 days", "free shipping", "two business days", "store credit"}
	outputs  = []string{"Refunds are accepted within %s.", "I think it is %s.", "Sorry, I do not know."}
)

func main() {
	n := flag.Int("n", 10_000_000, "rows")
	dir := flag.String("dir", "score10m-data", "output directory")
	configOnly := flag.Bool("config-only", false, "(re)write only score10m.yaml")
	flag.Parse()
	var err error
	if *configOnly {
		err = writeConfig(*dir)
	} else {
		err = run(*n, *dir)
	}
	if err != nil {
		log.Fatal(err)
	}
}

func run(n int, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	groups := []string{"region", "customer_tier", "channel"}
	setPath := filepath.Join(dir, "set.parquet")
	if err := writeFile(setPath, func(f *os.File) error {
		w, err := datasets.NewItemWriter(f, nil, map[string]string{datasets.MetaName: "score10m", datasets.MetaVersion: "1"})
		if err != nil {
			return err
		}
		for i := range n {
			it := records.Item{ID: id(i), Input: "How long is the refund window?", Expected: answers[i%len(answers)], Task: []string{"billing", "shipping", "returns"}[i%3]}
			if err := w.Write(&it); err != nil {
				return err
			}
		}
		return w.Close()
	}); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(dir, "results.parquet"), func(f *os.File) error {
		w, err := datasets.NewResultsWriter(f, groups, configs.Methods(), map[string]string{"evalgate.model": "bench"})
		if err != nil {
			return err
		}
		// A cheap deterministic generator (xorshift), so that groups and
		// correctness are mixed but reproducible.
		x := uint64(88172645463325252)
		for i := range n {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			expected := answers[i%len(answers)]
			ans := expected
			// Accuracy differs a little by region.
			if int(x%100) < 10+3*int(x>>8%4) {
				ans = answers[(i+1)%len(answers)]
			}
			r := records.Result{
				ID: id(i), Model: "bench", Output: fmt.Sprintf(outputs[x>>16%3], ans), Attempts: 1,
				LatencyMS: float64(200 + x>>20%800), PromptTokens: 40, CompletionTokens: 9,
				Task: []string{"billing", "shipping", "returns"}[i%3], Expected: expected,
				Groups: map[string]string{"region": regions[x>>8%4], "customer_tier": tiers[x>>24%3], "channel": channels[x>>32%5]},
			}
			r.Scores = metrics.ScoreAll(r.Output, []string{expected})
			if err := w.Write(&r); err != nil {
				return err
			}
		}
		return w.Close()
	}); err != nil {
		return err
	}
	return writeConfig(dir)
}

// writeConfig writes score10m.yaml: method contains, fairness over the
// three group columns with the bootstrap on, and the integrity checks
// (groundedness, PII, must_not_contain), which score runs by default in a
// second pass over the files, turned off: the benchmark measures the
// re-scoring that the DuckDB queries compare with.
func writeConfig(dir string) error {
	cfg := `# Written by bench/score10m: scores results.parquet against set.parquet.
dataset:
  path: set.parquet
candidate:
  provider: builtin:extractive-v2
scoring:
  method: contains
  resamples: 2000
fairness:
  groups: [region, customer_tier, channel]
  min_group_size: 30
groundedness:
  method: off
pii:
  detect: false
boundaries:
  must_not_contain: false
gate:
  - {metric: accuracy, min: 0.5}
  - {metric: fairness.accuracy.gap, max: 0.2}
`
	return os.WriteFile(filepath.Join(dir, "score10m.yaml"), []byte(cfg), 0o644)
}

func id(i int) string { return "i-" + strconv.Itoa(10_000_000 + i)[1:] }

func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
