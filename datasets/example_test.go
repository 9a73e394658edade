package datasets_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/records"
)

// Example writes a small eval set, then streams it back.
func Example() {
	dir, err := os.MkdirTemp("", "evalgate-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "refunds.parquet")

	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	items := []records.Item{
		{ID: "q-1", Input: "What is the refund window?", Context: []string{"Refunds within 14 days."}, Expected: "14 days",
			Extra: map[string]string{"gender": "female"}},
		{ID: "q-2", Input: "How long is shipping?", Context: []string{"Shipping takes 2 days."}, Expected: "2 days",
			Extra: map[string]string{"gender": "male"}},
	}
	meta := map[string]string{datasets.MetaName: "refunds", datasets.MetaVersion: "1.0.0"}
	if err := datasets.WriteItems(f, items, []string{"gender"}, meta); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := datasets.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	info := r.Info()
	fmt.Printf("%s %s: %d rows\n", info.Name, info.Version, info.Rows)
	for r.Scan() {
		it := r.Item()
		fmt.Printf("row %d: %s %q expects %q (gender %s)\n", it.Row, it.ID, it.Input, it.Expected, it.Extra["gender"])
	}
	if err := r.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// refunds 1.0.0: 2 rows
	// row 0: q-1 "What is the refund window?" expects "14 days" (gender female)
	// row 1: q-2 "How long is shipping?" expects "2 days" (gender male)
}

// ExampleValidate lists every problem of a set, each with its position.
func ExampleValidate() {
	dir, err := os.MkdirTemp("", "evalgate-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "bad.parquet")

	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	items := []records.Item{
		{ID: "q-1", Input: "first"},
		{ID: "", Input: "no id"},
		{ID: "q-1", Input: "again"},
	}
	if err := datasets.WriteItems(f, items, nil, nil); err != nil {
		log.Fatal(err)
	}
	f.Close()

	problems, err := datasets.Validate(path)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range problems {
		var re *datasets.RowError
		if errors.As(p, &re) {
			fmt.Printf("row %d, column %q: %v (duplicate: %t)\n", re.Row, re.Column, re.Err, errors.Is(p, datasets.ErrDuplicateID))
		}
	}
	// Output:
	// row 1, column "id": empty id (duplicate: false)
	// row 2, column "id": duplicate id "q-1" first seen at row 0 (duplicate: true)
}

// ExampleOpenSet opens and hashes an eval set once, checks its digest
// against a pinned one, and reads it several times; a file replaced in
// between is reported, naming the file.
func ExampleOpenSet() {
	dir, err := os.MkdirTemp("", "evalgate-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "set.parquet")
	write := func(input string) {
		f, err := os.Create(path + ".tmp")
		if err != nil {
			log.Fatal(err)
		}
		if err := datasets.WriteItems(f, []records.Item{{ID: "q-1", Input: input}}, nil, nil); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(path+".tmp", path); err != nil {
			log.Fatal(err)
		}
	}
	write("first")

	set, err := datasets.OpenSet(path)
	if err != nil {
		log.Fatal(err)
	}
	defer set.Close()
	// A config that pins the digest is checked once, here: every later
	// read is of the same open file, checked to be unchanged.
	pinned := set.Info().SHA256
	problems, err := set.Validate()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("problems:", len(problems))
	r, err := set.Reader()
	if err != nil {
		log.Fatal(err)
	}
	for r.Scan() {
		fmt.Println("read", r.Item().ID, r.Item().Input)
	}
	r.Close()

	write("second") // the file is replaced mid-run
	_, err = set.ItemColumns()
	fmt.Println("changed:", errors.Is(err, datasets.ErrChanged))
	fmt.Println("names the file and digest:", strings.Contains(err.Error(), path+" changed while evalgate was reading it (was SHA-256 "+pinned+")"))
	// Output:
	// problems: 0
	// read q-1 first
	// changed: true
	// names the file and digest: true
}
