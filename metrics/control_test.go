package metrics

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

// The reference values below were computed in R 4.2 with base functions
// (qcc is not installed), printed with sprintf("%.15f"):
//
//	pchart <- function(k, n, ref) {
//	  pbar <- sum(k[1:ref]) / sum(n[1:ref])
//	  s <- sqrt(pbar * (1 - pbar) / n)
//	  list(center = pbar, lcl = pmax(0, pbar - 3 * s), ucl = pmin(1, pbar + 3 * s), z = (k / n - pbar) / s)
//	}
//	xmr <- function(x, ref) {
//	  m <- mean(x[1:ref]); mr <- mean(abs(diff(x[1:ref])))
//	  list(center = m, mr = mr, lcl = m - 2.66 * mr, ucl = m + 2.66 * mr, z = (x - m) / (2.66 / 3 * mr))
//	}

var (
	controlK = []int{361, 340, 375, 362, 366, 300, 356, 368}
	controlN = []int{400, 380, 420, 400, 410, 390, 400, 405}
)

func TestPChartAgainstR(t *testing.T) {
	type want struct {
		center   float64
		lcl, ucl []float64
		z        []float64
		// signals by point index
		signals map[int][]Signal
	}
	tests := []struct {
		name string
		k, n []int
		ref  int
		want want
	}{
		{
			name: "accuracy, all points as reference", k: controlK, n: controlN, ref: 8,
			want: want{
				center: 0.882371294851794,
				lcl:    []float64{0.834046101218963, 0.832790692324186, 0.835210734860262, 0.834046101218963, 0.834639070836824, 0.833430468837885, 0.834046101218963, 0.834345331301194},
				ucl:    []float64{0.930696488484626, 0.931951897379403, 0.929531854843326, 0.930696488484626, 0.930103518866764, 0.931312120865703, 0.930696488484626, 0.930397258402395},
				z:      []float64{1.249578344236413, 0.748208772568876, 0.667030756668171, 1.404776894644389, 0.648092490362919, -6.935346305078879, 0.473585592196556, 1.641029883502634},
				// pchart(k, n, 8): only week 6 (300/390 = 0.769) is beyond its limits.
				signals: map[int][]Signal{5: {{Rule1, -1}}},
			},
		},
		{
			name: "accuracy, first 5 as reference", k: controlK, n: controlN, ref: 5,
			want: want{
				center:  0.897512437810945,
				lcl:     []float64{0.852019175780443, 0.850837335801912, 0.853115560076711, 0.852019175780443, 0.852577396455283, 0.851439620415603, 0.852019175780443, 0.852300870513872},
				ucl:     []float64{0.943005699841448, 0.944187539819979, 0.941909315545180, 0.943005699841448, 0.942447479166608, 0.943585255206288, 0.943005699841448, 0.942724005108018},
				z:       []float64{0.328898959963166, -0.178398905597137, -0.314569077244771, 0.493758538398572, -0.322432838780620, -8.352973130300242, -0.495398932213845, 0.738497125607317},
				signals: map[int][]Signal{5: {{Rule1, -1}}},
			},
		},
		{
			name: "near 1, upper limit clipped", k: []int{19, 20, 20, 18, 20}, n: []int{20, 20, 20, 20, 20}, ref: 5,
			want: want{
				center: 0.97,
				lcl:    []float64{0.855566613263436, 0.855566613263436, 0.855566613263436, 0.855566613263436, 0.855566613263436},
				ucl:    []float64{1, 1, 1, 1, 1},
				z:      []float64{-0.524322505093077, 0.786483757639615, 0.786483757639615, -1.835128767825765, 0.786483757639615},
			},
		},
		{
			name: "error rate near 0, lower limit clipped", k: []int{0, 1, 0, 2, 0, 9}, n: []int{400, 400, 400, 400, 400, 400}, ref: 5,
			want: want{
				center:  0.0015,
				lcl:     []float64{0, 0, 0, 0, 0, 0},
				ucl:     []float64{0.007305116277905, 0.007305116277905, 0.007305116277905, 0.007305116277905, 0.007305116277905, 0.007305116277905},
				z:       []float64{-0.775178271127385, 0.516785514084923, -0.775178271127385, 1.808749299297232, -0.775178271127385, 10.852495795783392},
				signals: map[int][]Signal{5: {{Rule1, 1}}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := PChart(tt.k, tt.n, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if c.Kind != ChartP || c.Reference != tt.ref || math.Abs(c.Center-tt.want.center) > 1e-12 {
				t.Errorf("kind %s, reference %d, center %.15f; want p, %d, %.15f", c.Kind, c.Reference, c.Center, tt.ref, tt.want.center)
			}
			for i, p := range c.Points {
				if math.Abs(p.LCL-tt.want.lcl[i]) > 1e-12 || math.Abs(p.UCL-tt.want.ucl[i]) > 1e-12 || math.Abs(p.Z-tt.want.z[i]) > 1e-12 {
					t.Errorf("point %d: lcl %.15f ucl %.15f z %.15f; want %.15f %.15f %.15f", i+1, p.LCL, p.UCL, p.Z, tt.want.lcl[i], tt.want.ucl[i], tt.want.z[i])
				}
				if want := tt.want.signals[i]; !reflect.DeepEqual(p.Signals, want) {
					t.Errorf("point %d: signals %v, want %v", i+1, p.Signals, want)
				}
				if p.N != tt.n[i] || p.Value != float64(tt.k[i])/float64(tt.n[i]) {
					t.Errorf("point %d: value %g of %d, want %d/%d", i+1, p.Value, p.N, tt.k[i], tt.n[i])
				}
			}
		})
	}
}

func TestXmRChartAgainstR(t *testing.T) {
	x := []float64{0.031, 0.045, 0.028, 0.052, 0.040, 0.036, 0.120, 0.044}
	tests := []struct {
		name                  string
		ref                   int
		center, mr, lcl, ucl  float64
		z                     []float64
		signals               map[int][]Signal
		warnings, notWarnings []string
	}{
		{
			// With the spike in the reference period the moving range
			// swells and the limits take the spike in.
			name: "all points as reference", ref: 8,
			center: 0.0495, mr: 0.033, lcl: -0.03828, ucl: 0.13728,
			z:        []float64{-0.632262474367737, -0.153793574846206, -0.734791524265208, 0.085440874914559, -0.324675324675325, -0.461380724538619, 2.409432672590568, -0.187969924812030},
			warnings: []string{"8 reference points"},
		},
		{
			name: "first 6 as reference", ref: 6,
			center: 0.038666666666667, mr: 0.0142, lcl: 0.000894666666667, ucl: 0.076438666666667,
			z:        []float64{-0.608916657841788, 0.503018108651911, -0.847188393519009, 1.058985491898761, 0.105898549189876, -0.211797098379753, 6.459811500582441, 0.423594196759504},
			signals:  map[int][]Signal{6: {{Rule1, 1}}},
			warnings: []string{"6 reference points"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := XmRChart(x, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(c.Center-tt.center) > 1e-12 || math.Abs(c.MovingRange-tt.mr) > 1e-12 {
				t.Errorf("center %.15f mR %.15f, want %.15f %.15f", c.Center, c.MovingRange, tt.center, tt.mr)
			}
			for i, p := range c.Points {
				if math.Abs(p.LCL-tt.lcl) > 1e-12 || math.Abs(p.UCL-tt.ucl) > 1e-12 || math.Abs(p.Z-tt.z[i]) > 1e-12 || p.N != 0 {
					t.Errorf("point %d: lcl %.15f ucl %.15f z %.15f n %d; want %.15f %.15f %.15f 0", i+1, p.LCL, p.UCL, p.Z, p.N, tt.lcl, tt.ucl, tt.z[i])
				}
				if want := tt.signals[i]; !reflect.DeepEqual(p.Signals, want) {
					t.Errorf("point %d: signals %v, want %v", i+1, p.Signals, want)
				}
			}
			checkChartWarnings(t, c.Warnings, tt.warnings)
		})
	}
}

func checkChartWarnings(t *testing.T, got Warnings, want []string) {
	t.Helper()
	text := fmt.Sprint(got)
	if len(got) != len(want) {
		t.Errorf("%d warnings %s, want %d", len(got), text, len(want))
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("warnings %s lack %q", text, w)
		}
	}
}

func TestChartWarnings(t *testing.T) {
	chart := func(c ControlChart, err error) ControlChart {
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	k20, n20 := make([]int, 20), make([]int, 20)
	for i := range k20 {
		k20[i], n20[i] = 180+i%3, 200
	}
	tests := []struct {
		name  string
		chart ControlChart
		want  []string
	}{
		{"20 reference points, large n", chart(PChart(k20, n20, 20)), nil},
		{"few points", chart(PChart(controlK, controlN, 8)), []string{"limits from 8 reference points; with fewer than 20 they are provisional"}},
		{"small n·p̄", chart(PChart([]int{0, 1, 0}, []int{400, 400, 400}, 3)), []string{"provisional", "at 3 of 3 points n·p̄ or n·(1−p̄) is below 5"}},
		{"p̄ is 0", chart(PChart([]int{0, 0, 1}, []int{400, 400, 400}, 2)), []string{"provisional", "every reference point is 0, so the limits collapse"}},
		{"one reference point", chart(XmRChart([]float64{0.1, 0.2}, 1)), []string{"provisional", "no moving range"}},
		{"constant reference", chart(XmRChart([]float64{0.1, 0.1, 0.1, 0.2}, 3)), []string{"provisional", "every reference point is 0.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkChartWarnings(t, tt.chart.Warnings, tt.want)
		})
	}
}

func TestDegenerateLimits(t *testing.T) {
	tests := []struct {
		name    string
		chart   func() (ControlChart, error)
		point   int
		lcl     float64
		z       float64
		signals []Signal
	}{
		// p̄ = 0: a p-chart's limits are both 0, so the first error is a
		// signal, as the chart says.
		{"p̄ 0, a point above", func() (ControlChart, error) { return PChart([]int{0, 0, 1}, []int{400, 400, 400}, 2) }, 2, 0, math.Inf(1), []Signal{{Rule1, 1}}},
		{"p̄ 0, a point on it", func() (ControlChart, error) { return PChart([]int{0, 0, 0}, []int{400, 400, 400}, 2) }, 2, 0, 0, nil},
		{"no moving range", func() (ControlChart, error) { return XmRChart([]float64{0.1, 0.9}, 1) }, 1, math.NaN(), math.NaN(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.chart()
			if err != nil {
				t.Fatal(err)
			}
			p := c.Points[tt.point]
			same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
			if !same(p.LCL, tt.lcl) || !same(p.Z, tt.z) || !reflect.DeepEqual(p.Signals, tt.signals) {
				t.Errorf("lcl %g z %g signals %v; want %g %g %v", p.LCL, p.Z, p.Signals, tt.lcl, tt.z, tt.signals)
			}
		})
	}
}

func TestWesternElectric(t *testing.T) {
	nan := math.NaN()
	run := func(v float64, n int) []float64 {
		z := make([]float64, n)
		for i := range z {
			z[i] = v
		}
		return z
	}
	up, down := 1, -1
	tests := []struct {
		name string
		z    []float64
		want map[int][]Signal
	}{
		{"in control", []float64{0.5, -1.2, 2.1, -0.3, 1.9, -2.5}, nil},
		{"rule 1 above", []float64{0, 3.5}, map[int][]Signal{1: {{Rule1, up}}}},
		{"rule 1 below", []float64{0, -4}, map[int][]Signal{1: {{Rule1, down}}}},
		{"exactly 3σ is not beyond", []float64{3}, nil},
		{"infinite z", []float64{0, math.Inf(-1)}, map[int][]Signal{1: {{Rule1, down}}}},
		{"rule 2 below", []float64{-2.5, 0.5, -2.1}, map[int][]Signal{2: {{Rule2, down}}}},
		{"rule 2 across sides does not fire", []float64{2.5, -2.5, 0}, nil},
		{"rule 2 on the completing point only", []float64{2.5, 2.5, 0.5}, map[int][]Signal{1: {{Rule2, up}}}},
		{"rule 2 window of 3", []float64{2.5, 0, 0, 2.5}, nil},
		{"rules 1 and 2 together", []float64{2.5, 3.5}, map[int][]Signal{1: {{Rule1, up}, {Rule2, up}}}},
		{"rule 3", []float64{1.5, 1.2, 0.3, 1.1, 1.3}, map[int][]Signal{4: {{Rule3, up}}}},
		{"rule 3 needs 4 of 5", []float64{1.5, 0.2, 0.3, 1.1, 1.3}, nil},
		{"rule 3 and rule 2 below", []float64{-1.5, -2.2, -1.1, -2.3}, map[int][]Signal{3: {{Rule2, down}, {Rule3, down}}}},
		{"rule 4 after 8", run(0.5, 8), map[int][]Signal{7: {{Rule4, up}}}},
		{"rule 4 goes on firing", run(-0.5, 9), map[int][]Signal{7: {{Rule4, down}}, 8: {{Rule4, down}}}},
		{"7 in a row is not enough", run(0.5, 7), nil},
		{"the center line breaks a run", []float64{0.5, 0.5, 0.5, 0.5, 0, 0.5, 0.5, 0.5, 0.5}, nil},
		{"NaN breaks a run and fires nothing", []float64{0.5, 0.5, 0.5, 0.5, nan, 0.5, 0.5, 0.5, 0.5}, nil},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := WesternElectric(tt.z)
			if len(got) != len(tt.z) {
				t.Fatalf("%d results for %d points", len(got), len(tt.z))
			}
			for i, s := range got {
				if !reflect.DeepEqual(s, tt.want[i]) {
					t.Errorf("point %d (z %g): %v, want %v", i+1, tt.z[i], s, tt.want[i])
				}
			}
		})
	}
}

// Next judges a new point exactly as the chart that includes it does.
func TestNextMatchesChart(t *testing.T) {
	tests := []struct {
		name        string
		whole, head func() (ControlChart, error)
		x           float64
		n           int
	}{
		{"p-chart",
			func() (ControlChart, error) { return PChart(controlK, controlN, 5) },
			func() (ControlChart, error) { return PChart(controlK[:5], controlN[:5], 5) },
			float64(controlK[5]) / float64(controlN[5]), controlN[5]},
		{"individuals, rule 4 completed by the new point",
			func() (ControlChart, error) {
				return XmRChart([]float64{1, 2, 1, 2, 1, 2, 1, 2, 3, 3, 3, 3, 3, 3, 3, 3}, 8)
			},
			func() (ControlChart, error) {
				return XmRChart([]float64{1, 2, 1, 2, 1, 2, 1, 2, 3, 3, 3, 3, 3, 3, 3}, 8)
			},
			3, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole, err := tt.whole()
			if err != nil {
				t.Fatal(err)
			}
			head, err := tt.head()
			if err != nil {
				t.Fatal(err)
			}
			want := whole.Points[len(head.Points)]
			if got := head.Next(tt.x, tt.n); !reflect.DeepEqual(got, want) {
				t.Errorf("Next = %+v, want %+v", got, want)
			}
			if len(want.Signals) == 0 {
				t.Error("the test point should be out of control")
			}
		})
	}
}

func TestChartErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"p lengths differ", chartErr(PChart([]int{1, 2}, []int{3}, 1)), ErrObservation},
		{"p reference 0", chartErr(PChart([]int{1}, []int{3}, 0)), ErrReference},
		{"p reference past the end", chartErr(PChart([]int{1}, []int{3}, 2)), ErrReference},
		{"p no trials", chartErr(PChart([]int{0}, []int{0}, 1)), ErrObservation},
		{"p k above n", chartErr(PChart([]int{4}, []int{3}, 1)), ErrObservation},
		{"p negative k", chartErr(PChart([]int{-1}, []int{3}, 1)), ErrObservation},
		{"xmr reference 0", chartErr(XmRChart([]float64{1}, 0)), ErrReference},
		{"xmr no points", chartErr(XmRChart(nil, 1)), ErrReference},
		{"xmr NaN", chartErr(XmRChart([]float64{1, math.NaN()}, 1)), ErrObservation},
		{"xmr infinity", chartErr(XmRChart([]float64{math.Inf(1)}, 1)), ErrObservation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) {
				t.Errorf("error %v, want %v", tt.err, tt.want)
			}
		})
	}
}

func chartErr(_ ControlChart, err error) error { return err }

func TestSignalJSON(t *testing.T) {
	tests := []struct {
		name string
		s    Signal
		json string
	}{
		{"rule 1 below", Signal{Rule1, -1}, `{"rule":1,"side":"below","text":"one point beyond 3σ"}`},
		{"rule 4 above", Signal{Rule4, 1}, `{"rule":4,"side":"above","text":"8 in a row on one side of the center"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.s.MarshalJSON()
			if err != nil || string(b) != tt.json {
				t.Fatalf("MarshalJSON = %s, %v; want %s", b, err, tt.json)
			}
			var back Signal
			if err := back.UnmarshalJSON(b); err != nil || back != tt.s {
				t.Errorf("round trip gave %+v, %v", back, err)
			}
		})
	}
	for _, bad := range []string{`{"rule":5,"side":"above"}`, `{"rule":1,"side":"left"}`, `[]`} {
		var s Signal
		if err := s.UnmarshalJSON([]byte(bad)); err == nil {
			t.Errorf("UnmarshalJSON(%s) accepted it", bad)
		}
	}
}

// A week whose accuracy fell is flagged on the p-chart of the weeks before.
func ExamplePChart() {
	k := []int{361, 340, 375, 362, 366, 300, 356, 368}
	n := []int{400, 380, 420, 400, 410, 390, 400, 405}
	c, _ := PChart(k, n, 5)
	fmt.Printf("center %.4f\n", c.Center)
	for i, p := range c.Points {
		if p.OutOfControl() {
			fmt.Printf("week %d: %.3f outside [%.3f, %.3f]: %v\n", i+1, p.Value, p.LCL, p.UCL, p.Signals)
		}
	}
	// Output:
	// center 0.8975
	// week 6: 0.769 outside [0.851, 0.944]: [rule 1 (one point beyond 3σ, below)]
}
