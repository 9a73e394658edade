package render

import (
	"strings"

	"github.com/evalgate/evalgate/reports"
)

// controlTable lays out a report's control map (report.json's controls)
// as plain-text cells: one row per section, one column per framework, each
// cell the control ids joined by commas.
func controlTable(controls map[string][]reports.Control) (header []string, rows [][]string) {
	frameworks := []string{reports.FrameworkSOC2, reports.FrameworkISO42001, reports.FrameworkEUAIAct, reports.FrameworkNISTRMF}
	header = append([]string{"section"}, frameworks...)
	for _, section := range reports.Sections() {
		cs, ok := controls[section]
		if !ok {
			continue
		}
		row := []string{section}
		for _, f := range frameworks {
			var ids []string
			for _, c := range cs {
				if c.Framework == f {
					ids = append(ids, c.ID)
				}
			}
			row = append(row, strings.Join(ids, ", "))
		}
		rows = append(rows, row)
	}
	return header, rows
}
