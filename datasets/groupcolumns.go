package datasets

import (
	"fmt"
	"slices"
	"strings"
)

// CheckGroupColumn returns an error when name cannot be a fairness group
// column: when it is one of the eval set's fixed columns (id, input,
// expected, task, …), which are read into records.Item's own fields and
// never into Extra, or one of results.parquet's fixed columns, or starts
// with ScorePrefix; results.parquet has one column per group, so such a
// group could not be written. The error lists the fixed names.
func CheckGroupColumn(name string) error {
	fixed := []string{colID, colInput, colSystem, colContext, colExpected, colExpectedAny, colTask, colMustNotContain, colOutput, colModelVersion}
	for _, c := range resultColumns() {
		if !slices.Contains(fixed, c.name) {
			fixed = append(fixed, c.name)
		}
	}
	switch {
	case slices.Contains(fixed, name):
		return fmt.Errorf("%q is a fixed column of the eval set or of results.parquet, not a group column (the fixed columns are %s)", name, strings.Join(fixed, ", "))
	case strings.HasPrefix(name, ScorePrefix):
		return fmt.Errorf("%q starts with %q, which results.parquet keeps for its score columns", name, ScorePrefix)
	}
	return nil
}
