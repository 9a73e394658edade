package supportqa

//go:generate go run ../gen -out ../support-qa.parquet

import (
	"fmt"
	"io"
	"strconv"

	"github.com/evalgate/evalgate/datasets"
)

// Metadata returns the Parquet key-value metadata of the set generated from
// seed: its name and version (the set's identity), and the generator and
// seed that reproduce it.
func Metadata(seed uint64) map[string]string {
	return map[string]string{
		datasets.MetaName:    Name,
		datasets.MetaVersion: Version,
		"evalgate.generator": Generator,
		"evalgate.seed":      strconv.FormatUint(seed, 10),
	}
}

// Write writes the set generated from seed to w as Parquet. The same seed
// always gives the same bytes.
func Write(w io.Writer, seed uint64) error {
	if err := datasets.WriteItems(w, Items(seed), ExtraColumns(), Metadata(seed)); err != nil {
		return fmt.Errorf("write %s: %w", Name, err)
	}
	return nil
}
