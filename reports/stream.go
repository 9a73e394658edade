package reports

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
)

// ModelTally summarises one model's results as they stream past, for
// BuildFromTallies: the counts ModelRun reports, the latencies, and a
// metrics.Tally for accuracy, fairness and labels. Its memory does not grow
// with the number of results beyond what metrics.Tally documents and the
// latency summary (see Add).
type ModelTally struct {
	// ResultsFile, ResultsSHA256, Stats, Adaptive and CacheOrigins are copied into the
	// ModelRun as from ModelResults; Results is not read.
	Info ModelResults

	counts  runCounts
	latency latencyTally
	metrics *metrics.Tally
}

// NewModelTally returns an empty tally for results scored under cfg; with
// fairness it also tallies cfg's fairness groups and intersections and,
// under method label, the label pairs (a production model needs neither).
func NewModelTally(cfg *configs.Config, fairness bool) *ModelTally {
	opts := metrics.FairnessOptions{Options: MetricOptions(cfg), PositiveLabel: cfg.Scoring.PositiveLabel, MinRateDenominator: cfg.Fairness.MinRateDenominator}
	var columns []string
	if fairness {
		columns, opts.Intersections = cfg.Fairness.Groups, cfg.Fairness.Intersections
	}
	return &ModelTally{
		counts:  runCounts{ErrorKinds: map[string]int{}},
		metrics: metrics.NewTally(columns, opts, fairness && cfg.Scoring.Method == configs.MethodLabel),
	}
}

// Add counts one scored result; r is read, not kept. Latencies are kept
// exactly up to ExactLatencies calls that reached the model; beyond that
// they are folded into a histogram whose quantiles are within 0.1% of the
// exact ones, so that memory stays bounded.
func (t *ModelTally) Add(r *records.Result) {
	t.counts.Calls++
	t.counts.add(r)
	if r.Attempts > 0 {
		t.latency.add(r.LatencyMS)
	}
	t.metrics.Add(r)
}

// Merge adds the results o counted to t, as if t had been given them
// after its own, so that tallies of shards combine exactly: counts and
// error kinds add; latencies stay an exact list while the union holds at
// most ExactLatencies of them and are otherwise folded into the histogram
// as one pass over the union would fold them; the accuracy, fairness and
// label tallies merge as metrics.Tally.Merge does. t.Info is left as it
// is; o is not changed. Tallies made under different options are refused
// (an error wrapping metrics.ErrMergeMismatch) and t is left unchanged.
// Merging a tally into itself is not supported.
func (t *ModelTally) Merge(o *ModelTally) error {
	if err := t.metrics.Merge(o.metrics); err != nil {
		return err
	}
	t.counts.merge(&o.counts)
	t.latency.merge(&o.latency)
	return nil
}

// ExactLatencies is how many latencies a ModelTally keeps before it
// summarises them in a histogram (512 KB of float64), so that a run's
// memory does not grow with its calls.
const ExactLatencies = 1 << 16

// StreamInput is what BuildFromTallies builds a report from: Input with
// tallies in place of results, and the regression and repeat statistics
// computed by the caller (nil when not wanted).
type StreamInput struct {
	Config     *configs.Config
	Dataset    DatasetInfo
	Candidate  *ModelTally
	Production *ModelTally
	Regression *metrics.Regression
	Repeats    *metrics.Repeats
	// Integrity, when not nil, is what the groundedness, boundary and PII
	// checks found.
	Integrity *integrity.Summary
	// Cache, Judge, Redacted and Incomplete are as in Input.
	Cache      *records.CacheStats
	Judge      *JudgeRun
	Redacted   bool
	Incomplete string
	Timing     Timing
}

// BuildFromTallies is Build for results that were streamed into tallies:
// given the same results in the same order, and the regression and
// repeats Build would compute, it returns the same report (latency
// quantiles aside, beyond ExactLatencies calls). It does no I/O.
func BuildFromTallies(in StreamInput) *Report {
	cfg := in.Config
	opts := MetricOptions(cfg)
	r := newReport(cfg, in.Dataset, in.Candidate.run(cfg.Candidate, opts), in.Timing)
	r.Metrics.Fairness = in.Candidate.metrics.Fairness()
	if in.Production != nil && cfg.Production != nil {
		p := in.Production.run(*cfg.Production, opts)
		r.Production = &p
		r.Metrics.Regression = in.Regression
	}
	if cfg.Scoring.Method == configs.MethodLabel {
		l := in.Candidate.metrics.Labels()
		r.Metrics.Labels = &l
	}
	if cfg.Run.Repeats > 1 {
		r.Metrics.Repeats = in.Repeats
	}
	r.Cache = in.Cache
	if in.Incomplete != "" {
		r.Status, r.StatusReason = Incomplete, in.Incomplete
	}
	finish(r, Input{Config: cfg, Integrity: in.Integrity, Judge: in.Judge, Redacted: in.Redacted})
	return r
}

func (t *ModelTally) run(m configs.Model, opts metrics.Options) ModelRun {
	return describeRun(m, t.Info, t.counts, t.latency.summary(), t.metrics.Accuracy(), opts)
}

// latencyTally keeps latencies exactly up to ExactLatencies values, then
// in a log-scale histogram of relative bucket width 0.2%.
type latencyTally struct {
	exact []float64
	// hist counts values by bucket index (see bucket) once exact is full;
	// nonPositive counts values ≤ 0 (and NaN) separately.
	hist        map[int]int
	nonPositive int
	n           int
	max         float64
}

// latencyGrowth is the ratio of consecutive histogram bucket bounds; a
// bucket's midpoint is within 0.1% of any value in it.
const latencyGrowth = 1.002

func (l *latencyTally) add(ms float64) {
	if l.n == 0 || ms > l.max {
		l.max = ms
	}
	l.n++
	if l.hist == nil && len(l.exact) < ExactLatencies {
		l.exact = append(l.exact, ms)
		return
	}
	if l.hist == nil {
		l.hist = map[int]int{}
		for _, v := range l.exact {
			l.fold(v)
		}
		l.exact = nil
	}
	l.fold(ms)
}

// merge adds o's latencies to l as if they had been added after l's own.
// It is exact for latencies that are numbers (the runner records no NaN).
func (l *latencyTally) merge(o *latencyTally) {
	if o.n == 0 {
		return
	}
	if l.n == 0 || o.max > l.max {
		l.max = o.max
	}
	l.n += o.n
	if l.hist == nil && o.hist == nil && l.n <= ExactLatencies {
		l.exact = append(l.exact, o.exact...)
		return
	}
	if l.hist == nil {
		l.hist = map[int]int{}
		for _, v := range l.exact {
			l.fold(v)
		}
		l.exact = nil
	}
	for _, v := range o.exact {
		l.fold(v)
	}
	for b, c := range o.hist {
		l.hist[b] += c
	}
	l.nonPositive += o.nonPositive
}

func (l *latencyTally) fold(ms float64) {
	if !(ms > 0) {
		l.nonPositive++
		return
	}
	l.hist[int(math.Floor(math.Log(ms)/math.Log(latencyGrowth)))]++
}

func (l *latencyTally) summary() Latency {
	if l.hist == nil {
		return latencyOf(l.exact)
	}
	s := Latency{Calls: l.n}
	buckets := make([]int, 0, len(l.hist))
	for b := range l.hist {
		buckets = append(buckets, b)
	}
	sort.Ints(buckets)
	q := func(p float64) *float64 {
		rank := p * float64(l.n)
		cum := l.nonPositive
		if float64(cum) >= rank && cum > 0 {
			return metrics.Finite(0)
		}
		for _, b := range buckets {
			cum += l.hist[b]
			if float64(cum) >= rank {
				mid := math.Pow(latencyGrowth, float64(b)+0.5)
				return metrics.Finite(min(mid, l.max))
			}
		}
		return metrics.Finite(l.max)
	}
	s.P50, s.P95, s.P99, s.Max = q(0.50), q(0.95), q(0.99), metrics.Finite(l.max)
	return s
}

// latencyOf summarises latencies exactly; it sorts ms.
func latencyOf(ms []float64) Latency {
	l := Latency{Calls: len(ms)}
	if len(ms) == 0 {
		return l
	}
	sort.Float64s(ms)
	q := func(p float64) *float64 { return metrics.Finite(stat.Quantile(p, stat.Empirical, ms, nil)) }
	l.P50, l.P95, l.P99, l.Max = q(0.50), q(0.95), q(0.99), metrics.Finite(ms[len(ms)-1])
	return l
}
