package pipeline

import (
	"slices"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
)

// TestDatasetColumnsAgree ties the config's list of mappable columns
// (dataset.columns keys, checked at load) to the importer's: configs cannot
// import datasets, so the list is written twice, and this test keeps the
// two the same.
func TestDatasetColumnsAgree(t *testing.T) {
	if got, want := configs.DatasetColumns, datasets.ImportRoles(); !slices.Equal(got, want) {
		t.Errorf("configs.DatasetColumns = %v, datasets.ImportRoles() = %v", got, want)
	}
}
