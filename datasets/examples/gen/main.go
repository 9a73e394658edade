// Command gen writes support-qa.parquet, the example eval set, from the
// deterministic generator in package supportqa. Run it from the module
// root:
//
//	go run ./datasets/examples/gen
//
// Flags:
//
//	-out PATH   file to write (default datasets/examples/support-qa.parquet)
//	-seed N     generator seed (default supportqa.DefaultSeed)
//
// The same seed always gives a byte-identical file.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/datasets/examples/supportqa"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(2)
	}
}

// run parses args, writes the eval set and reports the path on stdout.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", filepath.Join("datasets", "examples", "support-qa.parquet"), "file to write")
	seed := fs.Uint64("seed", supportqa.DefaultSeed, "generator seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := writeFile(*out, *seed); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%s %s, seed %d, %d items)\n", *out, supportqa.Name, supportqa.Version, *seed, len(supportqa.Items(*seed)))
	return nil
}

// writeFile writes the set to path atomically (see atomicfile), so that a
// failed run never leaves a truncated file.
func writeFile(path string, seed uint64) error {
	f, err := atomicfile.Create(path, 0o644)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := supportqa.Write(f, seed); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Commit()
}
