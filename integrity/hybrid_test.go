package integrity_test

import (
	"testing"

	"github.com/evalgate/evalgate/integrity"
)

func TestEscalation(t *testing.T) {
	slo, shi := integrity.DefaultBand("summary")
	dlo, dhi := integrity.DefaultBand("data2txt")
	plo, phi := integrity.DefaultBand("")
	for _, b := range [][2]float64{{slo, shi}, {dlo, dhi}, {plo, phi}} {
		if !(0 <= b[0] && b[0] < b[1] && b[1] <= 1) {
			t.Fatalf("default bands summary [%v, %v], data2txt [%v, %v], pooled [%v, %v]: want bands of width > 0 in [0, 1]", slo, shi, dlo, dhi, plo, phi)
		}
	}
	if p, _ := integrity.CalibrationFor(""); !(plo < p.Threshold && p.Threshold < phi) || slo != plo || dhi != phi {
		t.Errorf("default bands summary [%v, %v], data2txt [%v, %v], pooled [%v, %v]: want one band straddling the pooled threshold %v", slo, shi, dlo, dhi, plo, phi, p.Threshold)
	}
	mid := (slo + shi) / 2
	tests := []struct {
		name  string
		e     integrity.Escalation
		task  string
		score float64
		want  bool
	}{
		{"configured band, inside", integrity.Escalation{Band: []float64{0.2, 0.6}}, "news", 0.4, true},
		{"configured band, at lo", integrity.Escalation{Band: []float64{0.2, 0.6}}, "news", 0.2, true},
		{"configured band, at hi", integrity.Escalation{Band: []float64{0.2, 0.6}}, "news", 0.6, true},
		{"configured band, below", integrity.Escalation{Band: []float64{0.2, 0.6}}, "news", 0.19, false},
		{"configured band, above", integrity.Escalation{Band: []float64{0.2, 0.6}}, "news", 0.61, false},
		{"configured band overrides task types", integrity.Escalation{Band: []float64{0, 0}, TaskTypes: map[string]string{"news": "summary"}}, "news", mid, false},
		{"mapped task: summary band", integrity.Escalation{TaskTypes: map[string]string{"news": "summary"}}, "news", mid, true},
		{"mapped task: summary band, outside", integrity.Escalation{TaskTypes: map[string]string{"news": "summary"}}, "news", shi + 0.01, false},
		{"mapped task: data2txt band", integrity.Escalation{TaskTypes: map[string]string{"yelp": "data2txt"}}, "yelp", (dlo + dhi) / 2, true},
		{"mapped task: data2txt band, below", integrity.Escalation{TaskTypes: map[string]string{"yelp": "data2txt"}}, "yelp", dlo - 0.01, false},
		{"unmapped task: pooled band", integrity.Escalation{TaskTypes: map[string]string{"news": "summary"}}, "other", (plo + phi) / 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.Escalate(tt.task, tt.score); got != tt.want {
				lo, hi := tt.e.BandFor(tt.task)
				t.Errorf("Escalate(%q, %v) = %v with band [%v, %v], want %v", tt.task, tt.score, got, lo, hi, tt.want)
			}
		})
	}
}
