package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/evalgate/evalgate/records"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressMode chooses how a run reports progress.
type progressMode int

const (
	progressAuto  progressMode = iota // a bar on a terminal, else plain log lines
	progressQuiet                     // nothing
	progressJSON                      // JSON lines, for tools that wrap evalgate
)

// progress shows a run's progress: a bar with rate and ETA on a terminal,
// and otherwise (CI logs) a plain line every few seconds and at the end,
// with no escape codes.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	mode     progressMode
	label    string
	total    int
	bar      *progressbar.ProgressBar
	last     records.RunStats
	lastLine time.Time
	start    time.Time
}

// logEvery is how often a plain or JSON progress line is written.
const logEvery = 5 * time.Second

func newProgress(w io.Writer, mode progressMode, label string, total int) *progress {
	p := &progress{w: w, mode: mode, label: label, total: total, start: time.Now(), lastLine: time.Now()}
	if f, ok := w.(*os.File); ok && mode == progressAuto && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("calls"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionFullWidth(),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *progress) Update(s records.RunStats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.last = s
	switch {
	case p.mode == progressQuiet:
	case p.bar != nil:
		p.bar.Describe(fmt.Sprintf("%s │ in flight %d │ retries %d │ errors %d │ cached %d │ tokens %d", p.label, s.InFlight, s.Retries, s.Errors, s.Cached, s.Tokens))
		p.bar.Set(s.Done)
	case time.Since(p.lastLine) >= logEvery:
		p.lastLine = time.Now()
		p.line(false)
	}
}

func (p *progress) line(final bool) {
	elapsed := time.Since(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.last.Done-p.last.Resumed) / elapsed
	}
	s := p.last
	if p.mode == progressJSON {
		b, _ := json.Marshal(struct {
			Model    string  `json:"model"`
			Done     int     `json:"done"`
			Total    int     `json:"total"`
			InFlight int     `json:"in_flight"`
			Errors   int     `json:"errors"`
			Retries  int     `json:"retries"`
			Cached   int     `json:"cached"`
			Resumed  int     `json:"resumed"`
			Tokens   int     `json:"tokens"`
			Rate     float64 `json:"calls_per_second"`
			Elapsed  float64 `json:"elapsed_seconds"`
			Final    bool    `json:"final"`
		}{p.label, s.Done, p.total, s.InFlight, s.Errors, s.Retries, s.Cached, s.Resumed, s.Tokens, rate, elapsed, final})
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	eta := ""
	if rate > 0 && s.Done < p.total {
		eta = fmt.Sprintf(", ETA %s", (time.Duration(float64(p.total-s.Done)/rate) * time.Second).Round(time.Second))
	}
	fmt.Fprintf(p.w, "%s: %d/%d calls, %d in flight, %d errors, %d retries, %d cached, %d tokens, %.1f calls/s%s\n",
		p.label, s.Done, p.total, s.InFlight, s.Errors, s.Retries, s.Cached, s.Tokens, rate, eta)
}

func (p *progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
		p.bar.Exit()
	}
	if p.mode != progressQuiet {
		p.line(true)
	}
}
