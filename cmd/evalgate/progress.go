package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/evalgate/evalgate/eval"
)

// progress shows a run's progress: a bar with rate and ETA on a terminal,
// and otherwise (CI logs) a plain line every few seconds and at the end.
type progress struct {
	mu       sync.Mutex
	w        io.Writer
	label    string
	total    int
	bar      *progressbar.ProgressBar
	last     eval.Stats
	lastLine time.Time
	start    time.Time
}

// logEvery is how often a non-terminal progress line is written.
const logEvery = 5 * time.Second

func newProgress(w io.Writer, label string, total int) *progress {
	p := &progress{w: w, label: label, total: total, start: time.Now(), lastLine: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription(label),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("calls"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *progress) update(s eval.Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.Done <= p.last.Done {
		return
	}
	p.last = s
	if p.bar != nil {
		p.bar.Describe(fmt.Sprintf("%s (errors %d)", p.label, s.Errors))
		p.bar.Set(s.Done)
		return
	}
	if time.Since(p.lastLine) >= logEvery {
		p.lastLine = time.Now()
		p.line()
	}
}

func (p *progress) line() {
	elapsed := time.Since(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(p.last.Done) / elapsed
	}
	fmt.Fprintf(p.w, "%s: %d/%d calls, %d errors, %.1f calls/s, %d tokens\n", p.label, p.last.Done, p.total, p.last.Errors, rate, p.last.Tokens)
}

func (p *progress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		p.bar.Finish()
	}
	p.line()
}
