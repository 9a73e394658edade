package eval

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/evalgate/evalgate/records"
)

// Journal is the append-only record of a run's completed calls, one JSON
// line each, in the run's output folder. A call counts as done only once its
// line is written (one write(2) per line, so a SIGKILL loses at most the
// calls in flight, and a crash mid-write leaves at most a torn last line,
// which OpenJournal drops and reports). Failed calls are not journalled:
// resuming makes them again.
type Journal struct {
	mu   sync.Mutex
	f    *os.File
	path string
}

// journalHeader is the first line: it ties the journal to the calls it
// records, so that a changed config never resumes from a stale journal.
type journalHeader struct {
	Journal     int    `json:"evalgate_journal"`
	Fingerprint string `json:"fingerprint"`
}

// journalEntry is one completed call.
type journalEntry struct {
	ID               string  `json:"id"`
	Sample           int     `json:"sample"`
	Model            string  `json:"model"`
	Output           string  `json:"output"`
	Attempts         int     `json:"attempts"`
	LatencyMS        float64 `json:"latency_ms"`
	PromptTokens     int     `json:"prompt_tokens"`
	CompletionTokens int     `json:"completion_tokens"`
	Confidence       float64 `json:"confidence,omitempty"`
	Cached           bool    `json:"cached,omitempty"`
	Truncated        bool    `json:"truncated,omitempty"`
}

// Key identifies one call of a run: an item and a sample.
type Key struct {
	ID     string
	Sample int
}

// Recovered is what OpenJournal found in an existing journal.
type Recovered struct {
	// Done holds the completed calls, by key.
	Done map[Key]records.Result
	// Torn is the number of bytes of a torn last line that were dropped.
	Torn int
	// Stale is set when an existing journal recorded other calls (its
	// fingerprint differs) and was moved aside to this path.
	Stale string
}

// ErrJournalMismatch reports that a journal belongs to another run.
var ErrJournalMismatch = errors.New("journal belongs to a different run")

// OpenJournal opens the journal at path for appending, first reading back
// what an earlier run of the same fingerprint completed. A journal with
// another fingerprint is an error when mustResume is set, and otherwise is
// renamed aside (path + ".stale") so that a fresh journal starts.
func OpenJournal(path, fingerprint string, mustResume bool) (*Journal, Recovered, error) {
	rec := Recovered{Done: map[Key]records.Result{}}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if mustResume {
			return nil, rec, fmt.Errorf("resume: no journal at %s: nothing to resume", path)
		}
	case err != nil:
		return nil, rec, fmt.Errorf("read journal: %w", err)
	default:
		good, err := readJournal(data, fingerprint, &rec)
		if errors.Is(err, ErrJournalMismatch) {
			if mustResume {
				return nil, rec, fmt.Errorf("resume %s: %w (the config, dataset, provider, endpoint, model or version changed since it was written)", path, err)
			}
			rec.Stale = path + ".stale"
			if err := os.Rename(path, rec.Stale); err != nil {
				return nil, rec, fmt.Errorf("move stale journal aside: %w", err)
			}
			rec.Done = map[Key]records.Result{}
			good = 0
		} else if err != nil {
			return nil, rec, fmt.Errorf("read journal %s: %w", path, err)
		}
		if good < len(data) && rec.Stale == "" {
			// Drop the torn tail so that new lines start on a clean line.
			if err := os.Truncate(path, int64(good)); err != nil {
				return nil, rec, fmt.Errorf("repair journal: %w", err)
			}
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, rec, fmt.Errorf("open journal: %w", err)
	}
	j := &Journal{f: f, path: path}
	if st, err := f.Stat(); err == nil && st.Size() == 0 {
		if err := j.writeLine(journalHeader{Journal: 1, Fingerprint: fingerprint}); err != nil {
			f.Close()
			return nil, rec, err
		}
	}
	return j, rec, nil
}

// readJournal parses data into rec and returns the length of its intact
// prefix. Only the last line may be torn; a bad line before it is an error.
func readJournal(data []byte, fingerprint string, rec *Recovered) (int, error) {
	good := 0
	first := true
	r := bufio.NewReader(bytes.NewReader(data))
	for {
		line, err := r.ReadBytes('\n')
		if len(line) == 0 && err == io.EOF {
			return good, nil
		}
		complete := err == nil
		body := bytes.TrimSpace(line)
		var ok bool
		if first {
			var h journalHeader
			ok = complete && json.Unmarshal(body, &h) == nil && h.Journal == 1
			if ok && h.Fingerprint != fingerprint {
				return 0, ErrJournalMismatch
			}
			first = false
		} else {
			var e journalEntry
			ok = complete && json.Unmarshal(body, &e) == nil && e.ID != ""
			if ok {
				rec.Done[Key{e.ID, e.Sample}] = records.Result{
					ID: e.ID, Sample: e.Sample, Model: e.Model, Output: e.Output, Attempts: e.Attempts, Confidence: e.Confidence,
					LatencyMS: e.LatencyMS, PromptTokens: e.PromptTokens, CompletionTokens: e.CompletionTokens, Truncated: e.Truncated,
					Cached: e.Cached,
				}
			}
		}
		if !ok {
			if !complete {
				rec.Torn = len(line)
				return good, nil
			}
			return good, fmt.Errorf("line at byte %d is not a journal entry", good)
		}
		good += len(line)
	}
}

// Append records a completed call. It returns only once the line has been
// handed to the operating system.
func (j *Journal) Append(r records.Result, cached bool) error {
	return j.writeLine(journalEntry{
		ID: r.ID, Sample: r.Sample, Model: r.Model, Output: r.Output, Attempts: r.Attempts, LatencyMS: r.LatencyMS,
		PromptTokens: r.PromptTokens, CompletionTokens: r.CompletionTokens, Confidence: r.Confidence, Cached: cached, Truncated: r.Truncated,
	})
}

func (j *Journal) writeLine(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	b = append(b, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.Write(b); err != nil {
		return fmt.Errorf("journal %s: %w", j.path, err)
	}
	return nil
}

// Close syncs the journal to disk and closes it.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	serr := j.f.Sync()
	return errors.Join(serr, j.f.Close())
}
