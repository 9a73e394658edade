package metrics

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat"
)

// closeTo reports whether got is within rel (relative) or abs (absolute)
// of want.
func closeTo(got, want, rel, abs float64) bool {
	if got == want {
		return true
	}
	d := math.Abs(got - want)
	return d <= abs || d <= rel*math.Abs(want)
}

// seq returns f(i) for i in [0, n), as a Python list comprehension would.
func seq(n int, f func(i int) float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func TestKS2SampleAgainstSciPy(t *testing.T) {
	small1 := []float64{0.61, 0.29, 0.06, 0.59, -1.73, -0.74, 0.51, -0.56, 0.39, 1.64, 0.05, -0.06, 0.64, -0.82, 0.37, 1.77, 1.09, -1.28, 2.36, 1.31}
	small2 := []float64{1.05, 0.77, 1.22, 0.15, 1.58, 0.42, 2.1, 0.93, 1.41, -0.3, 0.88, 1.97}
	tests := []struct {
		name   string
		a, b   []float64
		d, p   float64
		method string
	}{
		{
			// scipy.stats.ks_2samp(small1, small2) → (0.5, 0.0330116225120336);
			// R: ks.test(small1, small2) → 0.5, 0.033011622512026828 (exact)
			name: "small exact", a: small1, b: small2, d: 0.5, p: 0.0330116225120336, method: KSExact,
		},
		{
			// scipy.stats.ks_2samp([1,2,2,3,3,3,4], [2,3,3,4,4,5,5,6])
			name: "ties", a: []float64{1, 2, 2, 3, 3, 3, 4}, b: []float64{2, 3, 3, 4, 4, 5, 5, 6},
			d: 0.48214285714285715, p: 0.2522144522144522, method: KSExact,
		},
		{
			// scipy.stats.ks_2samp([1,2,3,4,5], [1,2,3,4,5])
			name: "identical", a: []float64{1, 2, 3, 4, 5}, b: []float64{1, 2, 3, 4, 5}, d: 0, p: 1, method: KSExact,
		},
		{
			// scipy.stats.ks_2samp([1,2,3], [10,11,12,13]); R: ks.test → 1, 0.057142857142857939
			name: "disjoint", a: []float64{1, 2, 3}, b: []float64{10, 11, 12, 13}, d: 1, p: 0.05714285714285715, method: KSExact,
		},
		{
			// scipy.stats.ks_2samp(list(range(50)), list(range(10, 60)))
			name: "equal sizes", a: seq(50, func(i int) float64 { return float64(i) }), b: seq(50, func(i int) float64 { return float64(i + 10) }),
			d: 0.2, p: 0.2719135601522248, method: KSExact,
		},
		{
			// scipy.stats.ks_2samp([i % 1000 for i in range(10000)], [(i % 1000) + 3 for i in range(8000)])
			name: "exact at 10000", a: seq(10000, func(i int) float64 { return float64(i % 1000) }), b: seq(8000, func(i int) float64 { return float64(i%1000 + 3) }),
			d: 0.003, p: 0.9999999999989715, method: KSExact,
		},
		{
			// scipy.stats.ks_2samp([i % 1000 for i in range(20000)], [(i*i) % 1013 for i in range(30000)])
			name: "asymptotic large", a: seq(20000, func(i int) float64 { return float64(i % 1000) }), b: seq(30000, func(i int) float64 { return float64(i * i % 1013) }),
			d: 0.02966666666666673, p: 1.3102545071670221e-09, method: KSAsymptotic,
		},
		{
			// scipy.stats.ks_2samp([i % 997 for i in range(10001)], [100, 250, 400, 650, 900])
			name: "asymptotic one small", a: seq(10001, func(i int) float64 { return float64(i % 997) }), b: []float64{100, 250, 400, 650, 900},
			d: 0.19594040595940404, p: 0.9687867505378575, method: KSAsymptotic,
		},
		{
			// scipy.stats.ks_2samp([i % 1000 for i in range(100000)], [i % 1001 for i in range(120000)])
			name: "asymptotic small drift", a: seq(100000, func(i int) float64 { return float64(i % 1000) }), b: seq(120000, func(i int) float64 { return float64(i % 1001) }),
			d: 0.000991666666666613, p: 0.9999999987260253, method: KSAsymptotic,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := KS2Sample(SampleOf(tt.a...), SampleOf(tt.b...))
			// D is exact in integers here; SciPy's float ECDFs differ in the
			// last bits, hence 1e-12. The exact p-values agree to 1e-12 too;
			// the asymptotic ones to 1e-9 (SciPy sums in double-double).
			if !closeTo(got.Statistic, tt.d, 1e-12, 1e-15) {
				t.Errorf("D = %.17g, want %.17g", got.Statistic, tt.d)
			}
			if !closeTo(got.PValue, tt.p, 1e-9, 1e-13) {
				t.Errorf("p = %.17g, want %.17g", got.PValue, tt.p)
			}
			if got.Method != tt.method {
				t.Errorf("method %s, want %s", got.Method, tt.method)
			}
			// gonum computes D independently, accumulating float shares
			// (hence the looser bound).
			a, b := slices.Sorted(slices.Values(tt.a)), slices.Sorted(slices.Values(tt.b))
			if d := stat.KolmogorovSmirnov(a, nil, b, nil); !closeTo(got.Statistic, d, 0, 1e-9) {
				t.Errorf("D = %.17g, gonum says %.17g", got.Statistic, d)
			}
		})
	}
}

func TestKolmogorovSFAgainstSciPy(t *testing.T) {
	// Each value is scipy.stats.kstwo.sf(x, n); the comment names the
	// branch of Simard and L'Ecuyer's algorithm it exercises.
	tests := []struct {
		n    int64
		x, p float64
		path string
	}{
		{1, 0.3, 1, "n·x ≤ 1/2"},
		{10, 0.05, 1, "n·x ≤ 1/2"},
		{10, 0.95, 1.9531250000000172e-13, "Ruben–Gambino, n·x ≥ n−1"},
		{100, 0.6, 5.912822156396238e-35, "x ≥ 1/2: twice Smirnov"},
		{100, 0.08, 0.5182193645480672, "Durbin matrix"},
		{100, 0.15, 0.019839242125643017, "Pomeranz"},
		{100, 0.3, 1.7719869892662917e-08, "small n, large n·x²: twice Smirnov"},
		{1000, 0.01, 0.9999496745370611, "Durbin matrix"},
		{1000, 0.02, 0.8108971656895577, "Pelz–Good"},
		{1000, 0.06, 0.001428597887952891, "twice Smirnov (sum)"},
		{200000, 0.001, 0.9881500208855729, "Pelz–Good"},
		{200000, 0.004, 0.003314212822560255, "twice Smirnov (sum)"},
		{2000000, 0.002, 2.247704493692889e-07, "twice Smirnov (Miller's approximation)"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("n=%d x=%g %s", tt.n, tt.x, tt.path), func(t *testing.T) {
			if got := KolmogorovSF(tt.n, tt.x); !closeTo(got, tt.p, 1e-9, 1e-300) {
				t.Errorf("KolmogorovSF(%d, %g) = %.17g, want %.17g", tt.n, tt.x, got, tt.p)
			}
		})
	}
}

func TestChiSquareAgainstSciPy(t *testing.T) {
	tests := []struct {
		name     string
		ref, cur []int64
		stat     float64
		dof      int
		p        float64
	}{
		// scipy.stats.chi2_contingency([[10,20],[30,5]], correction=False)
		{"2x2 without Yates", []int64{10, 20}, []int64{30, 5}, 18.726190476190474, 1, 1.5089565704354248e-05},
		// scipy.stats.chi2_contingency([[50,30,20],[40,30,30]], correction=False)
		{"2x3", []int64{50, 30, 20}, []int64{40, 30, 30}, 3.111111111111111, 2, 0.2110720877910903},
		// scipy.stats.chi2_contingency([[12,0,7,3],[9,4,0,8]], correction=False);
		// R: chisq.test(matrix(c(12,9,0,4,7,0,3,8), nrow=2), correct=FALSE) → 13.685444425704166, 3, 0.0033661409699490747
		{"zero cells", []int64{12, 0, 7, 3}, []int64{9, 4, 0, 8}, 13.685444425704167, 3, 0.0033661409699490665},
		// scipy.stats.chi2_contingency([[5,5,0,0],[0,0,5,5]], correction=False)
		{"disjoint categories", []int64{5, 5, 0, 0}, []int64{0, 0, 5, 5}, 20, 3, 0.00016974243555282632},
		// scipy.stats.chi2_contingency([[3,3,3],[3,3,3]], correction=False)
		{"identical", []int64{3, 3, 3}, []int64{3, 3, 3}, 0, 2, 1},
		// scipy.stats.chi2_contingency([[50000,0],[10000,40000]], correction=False)
		{"prod-logs model_version halves", []int64{50000, 0}, []int64{10000, 40000}, 66666.66666666667, 1, 0},
		// SciPy refuses a column empty in both rows; it is dropped, leaving
		// scipy.stats.chi2_contingency([[10,20],[30,5]], correction=False).
		{"empty column dropped", []int64{10, 0, 20}, []int64{30, 0, 5}, 18.726190476190474, 1, 1.5089565704354248e-05},
		// One category: SciPy returns statistic 0, dof 0, p 1.
		{"one category", []int64{7}, []int64{9}, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ChiSquareHomogeneity(tt.ref, tt.cur)
			if !closeTo(got.Statistic, tt.stat, 1e-12, 1e-12) || got.DOF != tt.dof || !closeTo(got.PValue, tt.p, 1e-9, 1e-300) {
				t.Errorf("got %+v, want statistic %.17g dof %d p %.17g", got, tt.stat, tt.dof, tt.p)
			}
		})
	}
}

func TestPSIByHand(t *testing.T) {
	tests := []struct {
		name     string
		ref, cur []int64
		want     float64
	}{
		// r = (0.5, 0.3, 0.2) + ε, c = (0.4, 0.3, 0.3) + ε, ε = 1e-4:
		// 0.1·ln(0.5001/0.4001) + 0 + 0.1·ln(0.3001/0.2001)
		{"shift between bins", []int64{50, 30, 20}, []int64{40, 30, 30}, 0.06283920734183022},
		// r = (1, 0) + ε, c = (0.5, 0.5) + ε:
		// 0.5·ln(1.0001/0.5001) + 0.5·ln(0.5001/0.0001)
		{"empty reference bin", []int64{100, 0}, []int64{50, 50}, 4.6052201834882585},
		// equal shares, whatever the counts
		{"identical shares", []int64{3, 3, 3}, []int64{30, 30, 30}, 0},
		{"length mismatch", []int64{1, 2}, []int64{1}, math.NaN()},
		{"empty side", []int64{0, 0}, []int64{1, 2}, math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PSI(tt.ref, tt.cur)
			if math.IsNaN(tt.want) != math.IsNaN(got) || (!math.IsNaN(got) && !closeTo(got, tt.want, 1e-14, 1e-15)) {
				t.Errorf("PSI = %.17g, want %.17g", got, tt.want)
			}
		})
	}
}

func TestQuantileEdgesAgainstR(t *testing.T) {
	tests := []struct {
		name   string
		values []float64
		bins   int
		edges  []float64
		counts []int64
	}{
		// R: quantile(1:10, c(.25,.5,.75), type=1) → 3 5 8
		{"no ties", seq(10, func(i int) float64 { return float64(i + 1) }), 4, []float64{3, 5, 8}, []int64{3, 2, 3, 2}},
		// R: quantile(c(1,1,1,1,2,2,3,4,5,5), c(.2,.4,.6,.8), type=1) → 1 1 2 4; the tie is merged
		{"ties merged", []float64{1, 1, 1, 1, 2, 2, 3, 4, 5, 5}, 5, []float64{1, 2, 4}, []int64{4, 2, 2, 2}},
		{"one value", []float64{7, 7, 7}, 10, []float64{7}, []int64{3, 0}},
		{"empty", nil, 10, []float64{}, []int64{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := SampleOf(tt.values...)
			edges := s.QuantileEdges(tt.bins)
			if !slices.Equal(edges, tt.edges) {
				t.Errorf("edges %v, want %v", edges, tt.edges)
			}
			if h := s.Histogram(edges); !slices.Equal(h, tt.counts) {
				t.Errorf("histogram %v, want %v", h, tt.counts)
			}
		})
	}
}

func TestSampleSpillsToFloat32(t *testing.T) {
	const n = SampleDistinctLimit + 100
	tests := []struct {
		name    string
		value   func(i int) float64
		rounded int64
	}{
		{"integers stay exact", func(i int) float64 { return float64(i) }, 0},
		{"decimals are rounded", func(i int) float64 { return float64(i) + 0.1 }, n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewSample(n)
			for i := range n {
				a.Add(tt.value(i))
			}
			a.Add(math.NaN())
			if a.N() != n || a.NaNs() != 1 || a.Rounded() != tt.rounded || a.Distinct() != n {
				t.Errorf("n %d nan %d rounded %d distinct %d, want %d 1 %d %d", a.N(), a.NaNs(), a.Rounded(), a.Distinct(), n, tt.rounded, n)
			}
			// Against a shifted copy held exactly (below the limit), D is the
			// share of a below the shift.
			b := NewSample(0)
			for i := range 1000 {
				b.Add(tt.value(i + n/2))
			}
			d := KS2Sample(a, b)
			want := 0.5
			if !closeTo(d.Statistic, want, 1e-4, 0) {
				t.Errorf("D = %v, want about %v", d.Statistic, want)
			}
			nd := CompareNumeric(a, b, 10)
			hasRounding := slices.ContainsFunc(nd.Warnings, func(e error) bool { return strings.Contains(e.Error(), "float32") })
			if hasRounding != (tt.rounded > 0) {
				t.Errorf("warnings %v: rounding warning %v, want %v", nd.Warnings, hasRounding, tt.rounded > 0)
			}
		})
	}
}

func TestCompareNumeric(t *testing.T) {
	ref := SampleOf(seq(100, func(i int) float64 { return float64(i) })...)
	cur := SampleOf(seq(100, func(i int) float64 { return float64(i + 50) })...)
	d := CompareNumeric(ref, cur, 10)
	// Reference deciles 9, 19, …, 89: each bin holds 10 reference values;
	// the current values 50 … 149 fill the bins above 49, half of them the
	// last.
	wantEdges := []float64{9, 19, 29, 39, 49, 59, 69, 79, 89}
	wantCur := []int64{0, 0, 0, 0, 0, 10, 10, 10, 10, 60}
	if !slices.Equal(d.Edges, wantEdges) || !slices.Equal(d.Current, wantCur) || !slices.Equal(d.Reference, []int64{10, 10, 10, 10, 10, 10, 10, 10, 10, 10}) {
		t.Errorf("edges %v ref %v cur %v", d.Edges, d.Reference, d.Current)
	}
	if want := PSI(d.Reference, d.Current); d.PSI != want {
		t.Errorf("PSI %v, want %v", d.PSI, want)
	}
	// scipy.stats.ks_2samp(list(range(100)), list(range(50, 150))) → (0.5, 1.0024645454361508e-11)
	if !closeTo(d.KS.PValue, 1.0024645454361508e-11, 1e-9, 0) || d.KS.Statistic != 0.5 {
		t.Errorf("KS %+v", d.KS)
	}
	if s := d.CurSummary; s.N != 100 || s.Min != 50 || s.Median != 99 || s.Max != 149 || s.Mean != 99.5 {
		t.Errorf("current summary %+v", s)
	}
	if len(d.Warnings) != 1 || !strings.Contains(d.Warnings[0].Error(), "ties") {
		t.Errorf("warnings %v, want the one about ties (50 … 99 are in both)", d.Warnings)
	}
}

func TestCompareCategorical(t *testing.T) {
	ref := map[string]int64{"en": 50, "de": 30, "fr": 20}
	cur := map[string]int64{"en": 40, "de": 30, "es": 30}
	d := CompareCategorical(ref, cur)
	if want := []string{"en", "de", "es", "fr"}; !slices.Equal(d.Categories, want) {
		t.Errorf("categories %v, want %v (by total, then name)", d.Categories, want)
	}
	if !slices.Equal(d.Reference, []int64{50, 30, 0, 20}) || !slices.Equal(d.Current, []int64{40, 30, 30, 0}) {
		t.Errorf("counts %v %v", d.Reference, d.Current)
	}
	// scipy.stats.chi2_contingency([[50,30,0,20],[40,30,30,0]], correction=False) → 51.111111111111114, 3, 4.632566195762385e-11
	if c := d.ChiSquare; !closeTo(c.Statistic, 51.111111111111114, 1e-12, 0) || c.DOF != 3 || !closeTo(c.PValue, 4.632566195762385e-11, 1e-9, 0) {
		t.Errorf("chi-square %+v", c)
	}
	if len(d.Warnings) != 0 {
		t.Errorf("warnings %v", d.Warnings)
	}
	small := CompareCategorical(map[string]int64{"a": 3, "b": 1}, map[string]int64{"a": 2, "b": 2})
	if len(small.Warnings) != 1 || !strings.Contains(small.Warnings[0].Error(), "4 of 4 cells") {
		t.Errorf("warnings %v, want one on small expected counts", small.Warnings)
	}
}

func TestCategoriesLimit(t *testing.T) {
	var c Categories
	for i := range CategoryLimit {
		c.Add([]byte(fmt.Sprint(i)))
	}
	c.Add([]byte("0"))
	if c.Overflow() || len(c.Counts()) != CategoryLimit || c.Counts()["0"] != 2 {
		t.Fatalf("overflow %v, %d categories", c.Overflow(), len(c.Counts()))
	}
	c.Add([]byte("one too many"))
	if !c.Overflow() || c.Counts() != nil || c.N() != CategoryLimit+2 {
		t.Errorf("overflow %v counts %v n %d", c.Overflow(), c.Counts() != nil, c.N())
	}
}

func ExamplePSI() {
	// Reference and current counts over the same three bins.
	fmt.Printf("%.4f\n", PSI([]int64{50, 30, 20}, []int64{40, 30, 30}))
	// Output: 0.0628
}

func ExampleKS2Sample() {
	ks := KS2Sample(SampleOf(1, 2, 3), SampleOf(10, 11, 12, 13))
	fmt.Printf("D = %.2f, p = %.4f (%s)\n", ks.Statistic, ks.PValue, ks.Method)
	// Output: D = 1.00, p = 0.0571 (exact)
}
