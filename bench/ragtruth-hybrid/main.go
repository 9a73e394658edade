// Command ragtruth-hybrid measures groundedness.method hybrid on the
// RAGTruth development split: for several uncertainty bands, what sending
// the answers whose lexical score falls in the band to a judge gains in
// F1 over the lexical detector alone, and what it costs in judge tokens.
//
//	go run ./bench/ragtruth-hybrid [-data DIR] [-seed N] [-accuracy P] [-widths LIST]
//
// Every band is a real evalgate run (pipeline.Prepare and Run): the
// candidate is the split's recorded answers (provider replay), and the
// judge is a local OpenAI-compatible httptest server that knows the truth
// of every claim and answers it correctly with probability -accuracy
// (0.9), independently per claim, from a seeded hash of the request and
// the claim's number, so that the same seed gives the same verdicts in any
// order of calls.
//
// The truth of a claim comes from RAGTruth's hallucinated spans (the
// labels of ragtruth-dev.jsonl, whose texts are the parquet's
// hallucinated_spans column, with their offsets in the response): a claim
// is unsupported iff its byte range in the answer and a hallucinated
// span's share at least one letter or digit. Sharing only punctuation or
// spaces (a span that starts with the comma that ends the claim before
// it) is not an overlap.
//
// An answer is predicted hallucinated iff the run's report lists it among
// the hallucinated answers; it is labelled hallucinated iff the split's
// column hallucinated is "yes".
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/pipeline"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "ragtruth-hybrid:", err)
		os.Exit(2)
	}
}

// row is one labelled answer of the split.
type row struct {
	id, task, output string
	context          []string
	label            bool
	spans            [][2]int // hallucinated spans, byte offsets in output
}

// band is one configuration measured: none is the lexical method.
type band struct {
	name   string
	none   bool
	lo, hi float64
	dflt   bool // no groundedness.band: the default band per task type
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ragtruth-hybrid", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("data", "../shared/data/ragtruth-dev", "folder of ragtruth-dev.parquet and ragtruth-dev.jsonl")
	seed := fs.Uint64("seed", 1, "seed of the judge's errors: the first of -seeds consecutive seeds")
	seeds := fs.Int("seeds", 5, "number of seeds; P, R and F1 are their means")
	acc := fs.Float64("accuracy", 0.9, "probability that the judge's verdict on a claim is right, in [0, 1]")
	widths := fs.String("widths", "0.05,0.1,0.15,0.2,0.3", "half-widths of the bands around the default band's centre, comma-separated")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *seeds < 1 {
		return fmt.Errorf("-seeds %d: want at least 1", *seeds)
	}
	if *acc < 0 || *acc > 1 {
		return fmt.Errorf("-accuracy %v: want a value in [0, 1]", *acc)
	}
	set, err := filepath.Abs(filepath.Join(*dir, "ragtruth-dev.parquet"))
	if err != nil {
		return err
	}
	rows, err := load(set, filepath.Join(*dir, "ragtruth-dev.jsonl"))
	if err != nil {
		return err
	}
	lo, hi := integrity.DefaultBand("")
	centre := (lo + hi) / 2
	bands := []band{{name: "none (lexical)", none: true}}
	for _, w := range strings.Split(*widths, ",") {
		h, err := strconv.ParseFloat(strings.TrimSpace(w), 64)
		if err != nil || h < 0 {
			return fmt.Errorf("-widths: %q is not a half-width ≥ 0", w)
		}
		bands = append(bands, band{name: fmt.Sprintf("±%g: [%.3g, %.3g]", h, max(0, centre-h), min(1, centre+h)), lo: max(0, centre-h), hi: min(1, centre+h)})
	}
	bands = append(bands, band{name: "default", dflt: true}, band{name: "all: [0, 1]", lo: 0, hi: 1})

	judge := newJudge(rows, *seed, *acc)
	srv := httptest.NewServer(judge)
	defer srv.Close()

	fmt.Fprintf(stdout, "RAGTruth development split: %s, %d responses; judge right on each claim with probability %g; P, R, F1 the means over seeds %d…%d; tokens at 4 characters a token\n",
		set, len(rows), *acc, *seed, *seed+uint64(*seeds)-1)
	fmt.Fprintf(stdout, "claim truth: unsupported iff it shares a letter or digit with a hallucinated span (%d of %d claims; %d answers labelled hallucinated have no such claim)\n\n",
		judge.unsupported, judge.claims, judge.labelNoClaim)
	type outcome struct {
		b     band
		stats map[string]*meanStats
	}
	var outs []outcome
	for _, b := range bands {
		o := outcome{b, map[string]*meanStats{}}
		n := *seeds
		if b.none {
			n = 1 // the lexical method calls no judge
		}
		for k := range n {
			judge.seed = *seed + uint64(k)
			st, err := measure(set, rows, b, srv.URL, judge)
			if err != nil {
				return fmt.Errorf("band %s, seed %d: %w", b.name, judge.seed, err)
			}
			for task, s := range st {
				if o.stats[task] == nil {
					o.stats[task] = &meanStats{}
				}
				o.stats[task].add(s, n)
			}
		}
		outs = append(outs, o)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "task\tband\tP\tR\tF1\tescalated\tjudge tokens\tF1 gain\ttokens per F1 point\t")
	for _, task := range []string{"Data2txt", "Summary", "overall"} {
		base := outs[0].stats[task]
		for _, o := range outs {
			s := o.stats[task]
			if s == nil {
				continue
			}
			gain := s.f1 - base.f1
			per := "-"
			if gain > 0 && s.tokens > 0 {
				per = fmt.Sprintf("%.0f", float64(s.tokens)/(100*gain))
			}
			fmt.Fprintf(tw, "%s\t%s\t%.3f\t%.3f\t%.3f\t%d/%d (%.0f%%)\t%d\t%+.3f\t%s\t\n", task, o.b.name, s.p, s.r, s.f1,
				s.escalated, s.n, 100*float64(s.escalated)/float64(s.n), s.tokens, gain, per)
		}
	}
	return tw.Flush()
}

// taskStats holds one task's predictions under one band, answer by
// answer, with the answers escalated and their judge tokens.
type taskStats struct {
	flagged, labels   []bool
	escalated, tokens int
}

// detection scores the predictions against the labels, as the other
// detector benchmarks do.
func (s *taskStats) detection() metrics.Detection {
	scores := make([]float64, len(s.flagged))
	for i, f := range s.flagged {
		if f {
			scores[i] = 1
		}
	}
	return metrics.EvaluateDetection(s.flagged, scores, s.labels)
}

// meanStats averages one task's figures over seeds; the escalated
// answers and tokens do not depend on the seed.
type meanStats struct {
	p, r, f1             float64
	n, escalated, tokens int
}

func (m *meanStats) add(s *taskStats, seeds int) {
	d := s.detection()
	m.p += d.Precision / float64(seeds)
	m.r += d.Recall / float64(seeds)
	m.f1 += d.F1 / float64(seeds)
	m.n, m.escalated, m.tokens = len(s.labels), s.escalated, s.tokens
}

// measure runs evalgate on the split with band b and scores its report
// against the labels.
func measure(set string, rows []row, b band, url string, j *judge) (map[string]*taskStats, error) {
	tmp, err := os.MkdirTemp("", "ragtruth-hybrid-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	// Every row maps the tasks to their task types, so that the lexical
	// verdicts are taken at the same calibrated thresholds in each.
	ground := "  method: lexical\n  task_types: {Summary: summary, Data2txt: data2txt}\n"
	if !b.none {
		ground = fmt.Sprintf("  method: hybrid\n  task_types: {Summary: summary, Data2txt: data2txt}\n  judge: {provider: openai, model: truth-90, base_url: %s/v1, api_key_env: BENCH_JUDGE_KEY}\n", url)
		if !b.dflt {
			ground += fmt.Sprintf("  band: [%v, %v]\n", b.lo, b.hi)
		}
	}
	cfg := fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: replay}\nrun: {concurrency: 8, cache: \"off\", out: %s}\ngroundedness:\n%sgate:\n  - {metric: groundedness, min: 0}\n",
		set, filepath.Join(tmp, "out"), ground)
	path := filepath.Join(tmp, "eval.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	c, err := pipeline.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	p, err := pipeline.Prepare(c, pipeline.Options{Getenv: func(k string) string {
		if k == "BENCH_JUDGE_KEY" {
			return "local"
		}
		return ""
	}})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	j.reset()
	out, err := p.Run(context.Background())
	if err != nil {
		return nil, err
	}
	g := out.Report.Metrics.Groundedness
	if g == nil {
		return nil, errors.New("the report has no groundedness")
	}
	if g.Errors > 0 {
		return nil, fmt.Errorf("%d judge errors", g.Errors)
	}
	flagged := map[string]bool{}
	for _, h := range g.Hallucinated {
		flagged[h.ID] = true
	}
	asked := j.asked()
	st := map[string]*taskStats{"overall": {}}
	for _, r := range rows {
		s := st[r.task]
		if s == nil {
			s = &taskStats{}
			st[r.task] = s
		}
		for _, s := range []*taskStats{s, st["overall"]} {
			s.flagged = append(s.flagged, flagged[r.id])
			s.labels = append(s.labels, r.label)
			if t, ok := asked[r.id]; ok {
				s.escalated++
				s.tokens += t
			}
		}
	}
	if u := g.Judge; u != nil && (u.Escalated != st["overall"].escalated || u.PromptTokens+u.CompletionTokens != st["overall"].tokens) {
		return nil, fmt.Errorf("the report counts %d escalated answers and %d tokens, the judge saw %d and %d", u.Escalated, u.PromptTokens+u.CompletionTokens, st["overall"].escalated, st["overall"].tokens)
	}
	return st, nil
}

// load reads the split: the eval set (ids, tasks, answers, contexts,
// labels) and the spans' offsets from the JSONL records.
func load(set, jsonl string) ([]row, error) {
	spans, err := loadSpans(jsonl)
	if err != nil {
		return nil, err
	}
	r, err := datasets.Open(set)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var rows []row
	for r.Scan() {
		it := r.Item()
		x := row{id: it.ID, task: it.Task, output: it.Output, context: it.Context}
		switch it.Extra["hallucinated"] {
		case "yes":
			x.label = true
		case "no":
		default:
			return nil, fmt.Errorf("%s: row %d (%s): column hallucinated is %q, want yes or no", set, it.Row, it.ID, it.Extra["hallucinated"])
		}
		rec, ok := spans[strings.TrimPrefix(it.ID, "rt-")] // the eval set prefixes RAGTruth ids with rt-
		if !ok {
			return nil, fmt.Errorf("%s: id %s is not in %s", set, it.ID, jsonl)
		}
		if rec.response != it.Output {
			return nil, fmt.Errorf("%s: id %s: the output differs from %s's response", set, it.ID, jsonl)
		}
		x.spans = rec.spans
		if x.label != (len(x.spans) > 0) {
			return nil, fmt.Errorf("%s: id %s: hallucinated is %q but %d spans are labelled", set, it.ID, it.Extra["hallucinated"], len(x.spans))
		}
		rows = append(rows, x)
	}
	if err := r.Err(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: no rows", set)
	}
	return rows, nil
}

type spanRecord struct {
	response string
	spans    [][2]int
}

// loadSpans reads each record's response and its labels' offsets, which
// count Unicode code points, as byte offsets; a label whose text is not
// the response's text at its offsets is an error.
func loadSpans(path string) (map[string]spanRecord, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]spanRecord{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for line := 1; sc.Scan(); line++ {
		var rec struct {
			ID       string `json:"id"`
			Response string `json:"response"`
			Labels   []struct {
				Start int    `json:"start"`
				End   int    `json:"end"`
				Text  string `json:"text"`
			} `json:"labels"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		byteAt := runeOffsets(rec.Response)
		sr := spanRecord{response: rec.Response}
		for _, l := range rec.Labels {
			if l.Start < 0 || l.End < l.Start || l.End >= len(byteAt) {
				return nil, fmt.Errorf("%s:%d: label [%d, %d) is outside the response", path, line, l.Start, l.End)
			}
			s, e := byteAt[l.Start], byteAt[l.End]
			if rec.Response[s:e] != l.Text {
				return nil, fmt.Errorf("%s:%d: label [%d, %d) is %q in the response, not %q", path, line, l.Start, l.End, rec.Response[s:e], l.Text)
			}
			sr.spans = append(sr.spans, [2]int{s, e})
		}
		out[rec.ID] = sr
	}
	return out, sc.Err()
}

// runeOffsets maps each code-point index of s (and len) to its byte offset.
func runeOffsets(s string) []int {
	out := make([]int, 0, len(s)+1)
	for i := range s {
		out = append(out, i)
	}
	return append(out, len(s))
}

// overlaps reports whether the claim s[cs:ce] and the span s[ss:se] share
// a letter or digit.
func overlaps(s string, cs, ce, ss, se int) bool {
	lo, hi := max(cs, ss), min(ce, se)
	for lo < hi {
		r, n := utf8.DecodeRuneInString(s[lo:hi])
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return true
		}
		lo += n
	}
	return false
}

// claimTruths returns whether each claim of output is supported: false
// iff it overlaps a span. Claims are found in output in order (each is a
// substring of it); ok is false when one is not found.
func claimTruths(output string, claims []string, spans [][2]int) (supported []bool, ok bool) {
	at := 0
	for _, c := range claims {
		i := strings.Index(output[at:], c)
		if i < 0 {
			return nil, false
		}
		cs, ce := at+i, at+i+len(c)
		sup := true
		for _, sp := range spans {
			if overlaps(output, cs, ce, sp[0], sp[1]) {
				sup = false
			}
		}
		supported = append(supported, sup)
		at = ce
	}
	return supported, true
}

// judge is the local judge: it knows each request's claims' truth (by the
// exact user message evalgate sends) and errs on each claim with
// probability 1 − accuracy.
type judge struct {
	seed     uint64
	accuracy float64
	truth    map[string]judged // by user message
	// claims, unsupported and labelNoClaim describe the truth.
	claims, unsupported, labelNoClaim int

	mu  sync.Mutex
	got map[string]int // item id → tokens of its judge call
}

type judged struct {
	id        string
	supported []bool
}

func newJudge(rows []row, seed uint64, accuracy float64) *judge {
	j := &judge{seed: seed, accuracy: accuracy, truth: map[string]judged{}}
	for _, r := range rows {
		claims := integrity.SplitClaims(r.output)
		sup, ok := claimTruths(r.output, claims, r.spans)
		if !ok {
			continue // the judge will refuse the request: a judge error, reported
		}
		_, user := integrity.JudgeMessages(claims, r.context)
		j.truth[user] = judged{r.id, sup}
		anyUnsupported := false
		for _, s := range sup {
			j.claims++
			if !s {
				j.unsupported++
				anyUnsupported = true
			}
		}
		if r.label && !anyUnsupported {
			j.labelNoClaim++
		}
	}
	return j
}

func (j *judge) reset() {
	j.mu.Lock()
	j.got = map[string]int{}
	j.mu.Unlock()
}

func (j *judge) asked() map[string]int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.got
}

// right reports whether the judge is right on claim k of the request user:
// a uniform draw from SHA-256(seed, user, k) below the accuracy.
func (j *judge) right(user string, k int) bool {
	h := sha256.New()
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], j.seed)
	binary.BigEndian.PutUint64(b[8:], uint64(k))
	h.Write(b[:])
	h.Write([]byte(user))
	u := float64(binary.BigEndian.Uint64(h.Sum(nil))>>11) / (1 << 53)
	return u < j.accuracy
}

var claimsRE = regexp.MustCompile(`\nClaims \((\d+)\):\n`)

func (j *judge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) != 2 {
		http.Error(w, `{"error":{"message":"want a system and a user message","type":"invalid_request_error"}}`, http.StatusBadRequest)
		return
	}
	user := req.Messages[1].Content
	t, ok := j.truth[user]
	if m := claimsRE.FindStringSubmatch(user); !ok || m == nil || m[1] != strconv.Itoa(len(t.supported)) {
		http.Error(w, `{"error":{"message":"unknown question","type":"invalid_request_error"}}`, http.StatusBadRequest)
		return
	}
	vs := make([]string, len(t.supported))
	for k, sup := range t.supported {
		if !j.right(user, k) {
			sup = !sup
		}
		vs[k] = fmt.Sprintf(`{"claim":%d,"supported":%v}`, k+1, sup)
	}
	reply := `{"verdicts":[` + strings.Join(vs, ",") + `]}`
	prompt := int(math.Ceil(float64(len(req.Messages[0].Content)+len(user)) / 4))
	completion := int(math.Ceil(float64(len(reply)) / 4))
	j.mu.Lock()
	j.got[t.id] += prompt + completion
	j.mu.Unlock()
	body, _ := json.Marshal(reply)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"j","object":"chat.completion","created":1,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`,
		req.Model, body, prompt, completion, prompt+completion)
}
