package history

import (
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/reports"
)

// PositionOf exposes (*History).position to the external tests.
func PositionOf(h *History, m Metric, p metrics.ControlPoint) reports.ControlPosition {
	return h.position(m, p)
}
