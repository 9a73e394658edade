package pipeline

import (
	"fmt"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/reports"
)

// exampleKey identifies one answer.
type exampleKey struct {
	id     string
	sample int
}

// examplePool holds the texts of the answers a report may show as
// examples (reports.Examples): at most reports.MaxExamples regressions
// and hallucinations per scoring pass. Pools of shards merge by union;
// the report picks its examples by its own, merged, lists.
type examplePool struct {
	// regressions are keyed by item id, hallucinations by answer.
	regressions    map[string]reports.Example
	hallucinations map[exampleKey]reports.Example
}

// merge adds o's examples to p's.
func (p *examplePool) merge(o *examplePool) {
	if o == nil {
		return
	}
	for k, v := range o.regressions {
		p.regressions[k] = v
	}
	for k, v := range o.hallucinations {
		p.hallucinations[k] = v
	}
}

// pick returns the examples of rep, in the order of its regression and
// hallucination lists; nil when it has none.
func (p *examplePool) pick(rep *reports.Report) *reports.Examples {
	if p == nil {
		return nil
	}
	var ex reports.Examples
	if reg := rep.Metrics.Regression; reg != nil {
		for _, id := range reg.RightToWrong {
			if len(ex.Regressions) == reports.MaxExamples {
				break
			}
			if e, ok := p.regressions[id]; ok {
				ex.Regressions = append(ex.Regressions, e)
			}
		}
	}
	if g := rep.Metrics.Groundedness; g != nil {
		for _, h := range g.Hallucinated {
			if len(ex.Hallucinations) == reports.MaxExamples {
				break
			}
			if e, ok := p.hallucinations[exampleKey{h.ID, h.Sample}]; ok {
				score := h.Score
				e.HallucinationScore = &score
				ex.Hallucinations = append(ex.Hallucinations, e)
			}
		}
	}
	if len(ex.Regressions) == 0 && len(ex.Hallucinations) == 0 {
		return nil
	}
	return &ex
}

// examples reads the texts of t's first regressions and worst
// hallucinations: one more pass over the eval set and the results files,
// keeping only those answers, so memory stays bounded. The question and
// reference are redacted under pii.redact; the answers were redacted when
// written.
func (sc *scoring) examples(t *Tallies, resultsPath, baselinePath string) (*examplePool, error) {
	pool := &examplePool{regressions: map[string]reports.Example{}, hallucinations: map[exampleKey]reports.Example{}}
	items := map[string]bool{}
	if t.pairs != nil {
		for i, id := range t.pairs.Regression().RightToWrong {
			if i == reports.MaxExamples {
				break
			}
			pool.regressions[id] = reports.Example{ID: id, Sample: -1}
			items[id] = true
		}
	}
	if t.checker != nil {
		if g := t.checker.Result().Groundedness; g != nil {
			for i, h := range g.Hallucinated {
				if i == reports.MaxExamples {
					break
				}
				pool.hallucinations[exampleKey{h.ID, h.Sample}] = reports.Example{ID: h.ID, Sample: h.Sample, Task: h.Task}
				items[h.ID] = true
			}
		}
	}
	if len(items) == 0 {
		return pool, nil
	}
	redact := redactor(sc.cfg)
	clip := func(s string) string {
		if redact != nil {
			s = redact(s)
		}
		return reports.ClipExample(s)
	}
	rd, err := sc.src.Reader()
	if err != nil {
		return nil, inputErr(err)
	}
	texts := map[string][3]string{}
	for rd.Scan() {
		it := rd.Item()
		if items[it.ID] {
			texts[it.ID] = [3]string{clip(it.Input), clip(it.Expected), it.Task}
		}
	}
	err = rd.Err()
	rd.Close()
	if err != nil {
		return nil, inputErr(err)
	}
	fill := func(e *reports.Example) {
		tx := texts[e.ID]
		e.Input, e.Expected = tx[0], tx[1]
		if e.Task == "" {
			e.Task = tx[2]
		}
	}
	// answers streams a results file and calls add with each answer to an
	// item wanted.
	answers := func(path string, add func(id string, sample int, output string)) error {
		rr, err := datasets.OpenResults(path)
		if err != nil {
			return inputErr(err)
		}
		defer rr.Close()
		rr.SkipScores = true
		rr.Skip("task", "expected", "http_status", "model", "confidence")
		rr.Skip(datasets.GroundednessColumns...)
		for rr.Scan() {
			res := rr.Result()
			if items[res.ID] {
				add(res.ID, res.Sample, reports.ClipExample(res.Output))
			}
		}
		if err := rr.Err(); err != nil {
			return inputErr(fmt.Errorf("%s: %w", path, err))
		}
		return nil
	}
	err = answers(resultsPath, func(id string, sample int, out string) {
		if e, ok := pool.regressions[id]; ok && (e.Sample < 0 || sample < e.Sample) {
			e.Sample, e.Candidate = sample, out
			pool.regressions[id] = e
		}
		if e, ok := pool.hallucinations[exampleKey{id, sample}]; ok {
			e.Candidate = out
			pool.hallucinations[exampleKey{id, sample}] = e
		}
	})
	if err != nil {
		return nil, err
	}
	if baselinePath != "" {
		err = answers(baselinePath, func(id string, sample int, out string) {
			if e, ok := pool.regressions[id]; ok && e.Sample == sample {
				e.Production = &out
				pool.regressions[id] = e
			}
			for k, e := range pool.hallucinations {
				if k.id == id && k.sample == sample {
					e.Production = &out
					pool.hallucinations[k] = e
				}
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for id, e := range pool.regressions {
		if e.Sample < 0 {
			e.Sample = 0
		}
		fill(&e)
		pool.regressions[id] = e
	}
	for k, e := range pool.hallucinations {
		fill(&e)
		pool.hallucinations[k] = e
	}
	return pool, nil
}
