// Command mkset writes a synthetic eval set of n rows for benchmarks.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/records"
)

func main() {
	n := flag.Int("n", 10000, "rows")
	out := flag.String("out", "bench-set.parquet", "output file")
	flag.Parse()
	items := make([]records.Item, *n)
	for i := range items {
		items[i] = records.Item{
			ID:       fmt.Sprintf("b-%07d", i),
			Input:    fmt.Sprintf("Question %d: how long is the refund window?", i),
			Context:  []string{"Refunds are accepted within 30 days of delivery.", "Shipping is free over $50."},
			Expected: "30 days",
			Task:     []string{"billing", "shipping", "returns"}[i%3],
			Extra:    map[string]string{"region": []string{"amer", "emea", "apac"}[i%3]},
		}
	}
	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	if err := datasets.WriteItems(f, items, []string{"region"}, map[string]string{datasets.MetaName: "bench", datasets.MetaVersion: "1"}); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
