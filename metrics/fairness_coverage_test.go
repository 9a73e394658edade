package metrics

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestFairnessGapCoverage is the seeded simulation behind the fairness
// intervals' claim (see FairnessColumn): over every setting of 2, 4, 6 and
// 10 groups of 30 to 1,000 results, true accuracy gaps of 0, 0.05 and 0.15
// and base rates of 0.5, 0.8 and 0.95, the 95% gap and ratio intervals
// cover the true gap and ratio in at least 93.5% of runs. Group j of k has
// true rate base − gap·j/(k−1), so the first and last groups are gap
// apart and the others lie between. The table it logs (go test -run
// FairnessGapCoverage -v ./metrics) is in BENCHMARKS.md.
func TestFairnessGapCoverage(t *testing.T) {
	runs := 2000
	if testing.Short() {
		runs = 500
	}
	opts := FairnessOptions{Options: Options{Level: 0.95, MinGroupSize: 30}}
	var table strings.Builder
	fmt.Fprintf(&table, "| groups | n per group | base rate | true gap | gap covered | ratio covered | mean gap interval width |\n| --- | --- | --- | --- | --- | --- | --- |\n")
	worst := 1.0
	setting := uint64(0)
	for _, k := range []int{2, 4, 6, 10} {
		for _, n := range []int{30, 100, 300, 1000} {
			for _, base := range []float64{0.5, 0.8, 0.95} {
				for _, gap := range []float64{0, 0.05, 0.15} {
					setting++
					src := rand.NewPCG(13, setting)
					rates := make([]float64, k)
					bins := make([]distuv.Binomial, k)
					for j := range rates {
						rates[j] = base - gap*float64(j)/float64(k-1)
						bins[j] = distuv.Binomial{N: float64(n), P: rates[j], Src: src}
					}
					trueRatio := rates[k-1] / rates[0]
					groups := make([]GroupCounts, k)
					gapCovered, ratioCovered, width := 0, 0, 0.0
					for range runs {
						for j := range groups {
							groups[j] = countsOf(fmt.Sprint(j), int(bins[j].Rand()), n)
						}
						d := FairnessFromCounts([]string{"g"}, groups, opts).Disparities[0]
						if d.Gap.Low <= gap+1e-12 && gap-1e-12 <= d.Gap.High {
							gapCovered++
						}
						if d.Ratio.Low <= trueRatio+1e-12 && trueRatio-1e-12 <= d.Ratio.High {
							ratioCovered++
						}
						width += d.Gap.High - d.Gap.Low
					}
					g, r := float64(gapCovered)/float64(runs), float64(ratioCovered)/float64(runs)
					worst = min(worst, g, r)
					fmt.Fprintf(&table, "| %d | %d | %.2f | %.2f | %.3f | %.3f | %.3f |\n", k, n, base, gap, g, r, width/float64(runs))
					if g < 0.935 || r < 0.935 {
						t.Errorf("%d groups of %d, base %.2f, true gap %.2f: gap covered in %.3f, ratio in %.3f of %d runs; want at least 0.935", k, n, base, gap, g, r, runs)
					}
				}
			}
		}
	}
	t.Logf("%d runs per setting; lowest coverage %.3f\n%s", runs, worst, table.String())
}
