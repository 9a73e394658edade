package pipeline

import (
	"fmt"
	"strconv"

	"github.com/evalgate/evalgate/atomicfile"
	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/records"
)

// rewriteJudged rewrites the candidate's results file at resultsPath once
// the judge has answered, so that each answer's groundedness column holds
// the verdict the report counts: every answer with a row in
// judge-results.parquet (judgePath) gets the judge's check (method
// "judge", its verdict and score 1 − supported fraction, or
// records.GroundedJudgeError), Escalated when the config's method is not
// the judge alone (the hybrid method escalates an answer to the judge);
// the other answers keep the lexical check the run wrote. It streams the
// three files (results, judge results and eval set, all in the set's
// order), writes the new file beside the old and renames it over, and
// returns its SHA-256. The other columns and the metadata are unchanged.
func (p *Plan) rewriteJudged(resultsPath, judgePath string) (string, error) {
	redact := redactor(p.cfg)
	escalated := p.cfg.Groundedness.Method != configs.GroundJudge
	items, err := p.set.Reader()
	if err != nil {
		return "", inputErr(err)
	}
	defer items.Close()
	rr, err := datasets.OpenResults(resultsPath)
	if err != nil {
		return "", inputErr(err)
	}
	defer rr.Close()
	jr, err := datasets.OpenResults(judgePath)
	if err != nil {
		return "", inputErr(fmt.Errorf("judge results: %w", err))
	}
	defer jr.Close()
	jr.SkipScores = true
	jr.Skip("model", "task", "expected", "confidence")
	jr.Skip(datasets.GroundednessColumns...)

	// next is the judge's next row: the answer it is about and its reply.
	var next struct {
		key   string // "<item id>#<sample>", "" at the end
		reply judgeReply
	}
	advance := func() error {
		next.key = ""
		if !jr.Scan() {
			if err := jr.Err(); err != nil {
				return inputErr(fmt.Errorf("judge results: %w", err))
			}
			return nil
		}
		j := jr.Result()
		key, digest, ok1 := cutLast(j.ID)
		_, sample, ok2 := cutLast(key)
		if _, err := strconv.Atoi(sample); !ok1 || !ok2 || err != nil {
			return inputErr(fmt.Errorf("%s: id %q is not <item id>#<sample>#<digest>", judgePath, j.ID))
		}
		next.key, next.reply = key, judgeReply{digest: digest, output: j.Output, err: j.Error}
		return nil
	}
	if err := advance(); err != nil {
		return "", err
	}

	f, err := atomicfile.Create(resultsPath, 0o644)
	if err != nil {
		return "", runErr(err)
	}
	defer f.Abort()
	w, err := datasets.NewResultsWriter(f, rr.Groups(), rr.Scores(), rr.Info().Metadata)
	if err != nil {
		return "", runErr(err)
	}
	v := &verdicts{redact: redact}
	var item records.Item
	started := false
	for rr.Scan() {
		res := rr.Result()
		if next.key == res.ID+"#"+strconv.Itoa(res.Sample) {
			for !started || item.ID != res.ID {
				if !items.Scan() {
					if err := items.Err(); err != nil {
						return "", inputErr(err)
					}
					return "", inputErr(fmt.Errorf("rewrite %s: result %q is not in the eval set's order", resultsPath, res.ID))
				}
				item, started = items.Item(), true
			}
			j := v.judge(&item, integrity.SplitClaims(res.Output), next.reply)
			if j.Err != "" {
				res.Groundedness = integrity.JudgeErrorGroundedness()
			} else {
				res.Groundedness = integrity.GroundednessOf(j.Grounding, redact)
			}
			res.Groundedness.Escalated = escalated
			if err := advance(); err != nil {
				return "", err
			}
		}
		if err := w.Write(&res); err != nil {
			return "", runErr(fmt.Errorf("rewrite %s: %w", resultsPath, err))
		}
	}
	if err := rr.Err(); err != nil {
		return "", inputErr(err)
	}
	if next.key != "" {
		return "", inputErr(fmt.Errorf("%s: the judge's row for %q matches no answer of %s in order", judgePath, next.key, resultsPath))
	}
	if err := w.Close(); err != nil {
		return "", runErr(fmt.Errorf("rewrite %s: %w", resultsPath, err))
	}
	sum := f.SHA256()
	if err := f.Commit(); err != nil {
		return "", runErr(err)
	}
	return sum, nil
}
