package reports

import (
	"encoding/json"

	"github.com/evalgate/evalgate/metrics"
)

// ControlPosition is where one report's metric sits on a history's
// control chart: its value, the limits at its n, and the rules that fire
// when it is judged after the history's earlier points.
type ControlPosition struct {
	// Metric is the metric path.
	Metric string
	// Chart is metrics.ChartP or metrics.ChartXmR.
	Chart string
	// Value is the report's value; N its trials on a p-chart, else 0.
	Value float64
	N     int
	// LCL, Center and UCL are the control limits at this point; LCL and
	// UCL are NaN (null) when the chart has none.
	LCL, Center, UCL float64
	// Signals are the Western Electric rules that fire at this point.
	Signals []metrics.Signal
	// Reference says which reports the limits come from.
	Reference string
}

// OutOfControl reports whether any rule fires at the position.
func (p ControlPosition) OutOfControl() bool { return len(p.Signals) > 0 }

type controlPositionJSON struct {
	Metric    string           `json:"metric"`
	Chart     string           `json:"chart"`
	Value     *float64         `json:"value"`
	N         int              `json:"n"`
	LCL       *float64         `json:"lcl"`
	Center    *float64         `json:"center"`
	UCL       *float64         `json:"ucl"`
	Signals   []metrics.Signal `json:"signals"`
	Reference string           `json:"reference"`
}

// MarshalJSON writes undefined values as null and no signals as [].
func (p ControlPosition) MarshalJSON() ([]byte, error) {
	sig := p.Signals
	if sig == nil {
		sig = []metrics.Signal{}
	}
	return json.Marshal(controlPositionJSON{p.Metric, p.Chart, metrics.Finite(p.Value), p.N, metrics.Finite(p.LCL), metrics.Finite(p.Center), metrics.Finite(p.UCL), sig, p.Reference})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *ControlPosition) UnmarshalJSON(b []byte) error {
	var w controlPositionJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*p = ControlPosition{w.Metric, w.Chart, metrics.OrNaN(w.Value), w.N, metrics.OrNaN(w.LCL), metrics.OrNaN(w.Center), metrics.OrNaN(w.UCL), w.Signals, w.Reference}
	if len(p.Signals) == 0 {
		p.Signals = nil
	}
	return nil
}
