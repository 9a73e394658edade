package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
)

// SchemaVersion is the version of report.json's layout. It changes whenever
// a field is renamed or removed or its meaning changes.
const SchemaVersion = "1"

// Version is evalgate's version, recorded in every report.
const Version = "0.1.0-dev"

// Verdicts and statuses.
const (
	Allow = "ALLOW"
	Block = "BLOCK"
	// None is the verdict of a report with no gate rules of its own
	// (evalgate run --no-gate): it neither allows nor blocks, and
	// verify --require-allow refuses it.
	None       = "NONE"
	Complete   = "COMPLETE"
	Incomplete = "INCOMPLETE"
)

// Report is the whole evaluation report, the content of report.json.
type Report struct {
	// SchemaVersion is SchemaVersion at the time of writing.
	SchemaVersion string `json:"schema_version"`
	// Verdict is ALLOW or BLOCK, or NONE when the config has no gate rules
	// on the report's metrics. An INCOMPLETE run always BLOCKs.
	Verdict string `json:"verdict"`
	// Status is COMPLETE, or INCOMPLETE when the run stopped before every
	// item was called; StatusReason then says why and how to go on.
	Status       string `json:"status"`
	StatusReason string `json:"status_reason,omitempty"`
	// Harness identifies the evalgate that wrote the report.
	Harness Harness `json:"harness"`
	// Config identifies the config the run used.
	Config ConfigInfo `json:"config"`
	// Dataset identifies the eval set.
	Dataset DatasetInfo `json:"dataset"`
	// Candidate is the model under evaluation; Production, when the config
	// names one, is the model it is compared with.
	Candidate  ModelRun  `json:"candidate"`
	Production *ModelRun `json:"production,omitempty"`
	// Cache counts response-cache lookups across both models (corrupt
	// entries were ignored and the call made again); nil when the cache was
	// off.
	Cache *records.CacheStats `json:"cache,omitempty"`
	// Judge identifies the model that judged groundedness and counts its
	// calls; nil unless groundedness.method is judge.
	Judge *JudgeRun `json:"judge,omitempty"`
	// Redacted is set when pii.redact replaced personal data with typed
	// placeholders in every file the run wrote.
	Redacted bool `json:"redacted,omitempty"`
	// Metrics holds what was measured.
	Metrics Metrics `json:"metrics"`
	// Review lists the answers routed to human review: low confidence,
	// hallucinated, judge errors and boundary violations.
	Review *integrity.Review `json:"review,omitempty"`
	// Examples are the first regressions and the worst hallucinations with
	// their question, reference and answers; nil when there are none.
	Examples *Examples `json:"examples,omitempty"`
	// ReviewDecisions counts the decisions of signed review records on
	// earlier reports of the same eval set; nil unless the run was given
	// a review folder (run --reviews).
	ReviewDecisions *ReviewDecisions `json:"review_decisions,omitempty"`
	// History places this report on the control charts of earlier signed
	// reports; nil unless the run was given a history folder.
	History []ControlPosition `json:"history,omitempty"`
	// Shards lists the shards a merged report was built from (evalgate
	// merge), each with the digests of its files; nil for a report of one
	// process.
	Shards []ShardRun `json:"shards,omitempty"`
	// Gate is every rule with its outcome.
	Gate Gate `json:"gate"`
	// Controls maps each section the report has to the audit controls it
	// gives evidence for (SOC 2, ISO/IEC 42001, EU AI Act, NIST AI RMF);
	// see ReportControls.
	Controls map[string][]Control `json:"controls,omitempty"`
	// Timing holds the wall-clock times, the only fields that differ
	// between two runs of the same inputs.
	Timing Timing `json:"timing"`
}

// ShardRun is one shard of a merged report: which part of the eval set
// it ran, the folder it wrote, and the SHA-256 of its files, which the
// signed statement lists as subjects.
type ShardRun struct {
	// Index and Count name the shard (index from 0).
	Index int `json:"index"`
	Count int `json:"count"`
	// Folder is the shard's folder, relative to the report's when inside
	// it, with forward slashes.
	Folder string `json:"folder"`
	// Status is the shard manifest's: COMPLETE or INCOMPLETE.
	Status string `json:"status"`
	// Items counts the eval set's items in the shard.
	Items int64 `json:"items"`
	// ManifestSHA256 is the SHA-256 of the shard's shard.json.
	ManifestSHA256 string `json:"manifest_sha256"`
	// Files are the shard's results files (results, production results,
	// judge results), by name inside Folder, with their SHA-256.
	Files []ShardFileDigest `json:"files"`
}

// ShardFileDigest is one file of a shard and its SHA-256.
type ShardFileDigest struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// Harness identifies the program that wrote a report.
type Harness struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// ConfigInfo identifies a config file.
type ConfigInfo struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// DatasetInfo identifies an eval set.
type DatasetInfo struct {
	Path    string `json:"path"`
	Name    string `json:"name"`
	Version string `json:"version"`
	SHA256  string `json:"sha256"`
	// Rows is the number of items in the set.
	Rows int64 `json:"rows"`
	// Window, for a set sampled from production logs with a time bound
	// (evalgate sample --since/--until), is the span of time its rows
	// were drawn from; nil otherwise.
	Window *DataWindow `json:"window,omitempty"`
}

// DataWindow is the span of time an eval set's rows were drawn from.
type DataWindow struct {
	// Since is inclusive and Until exclusive; nil is an unbounded side.
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	// Column is the timestamp column the bounds apply to.
	Column string `json:"column,omitempty"`
}

// DataTime is the time a report is about, by which history orders and
// charts it: the start of its data window, else the window's end, else
// when the run finished. A backfill of past weeks run today lands in the
// weeks it sampled.
func (r *Report) DataTime() time.Time {
	if w := r.Dataset.Window; w != nil {
		if w.Since != nil {
			return w.Since.UTC()
		}
		if w.Until != nil {
			return w.Until.UTC()
		}
	}
	return r.Timing.FinishedAt.UTC()
}

// ModelRun identifies a model and summarises its calls.
type ModelRun struct {
	Provider    string  `json:"provider"`
	Model       string  `json:"model"`
	Version     string  `json:"version"`
	BaseURL     string  `json:"base_url,omitempty"`
	Temperature float64 `json:"temperature"`
	MaxTokens   int     `json:"max_tokens"`
	// MaxCompletionTokens, ReasoningEffort and Verbosity are the reasoning
	// models' request settings (max_tokens is then 0, not sent); absent
	// when not configured.
	MaxCompletionTokens int    `json:"max_completion_tokens,omitempty"`
	ReasoningEffort     string `json:"reasoning_effort,omitempty"`
	Verbosity           string `json:"verbosity,omitempty"`
	Seed                *int   `json:"seed,omitempty"`
	// ResultsFile is the results Parquet file, relative to the report.
	ResultsFile string `json:"results_file"`
	// ResultsSHA256 is the SHA-256 of ResultsFile's bytes.
	ResultsSHA256 string `json:"results_sha256"`
	// Calls counts results (items × repeats) that finished; Errors the
	// failed ones, by kind.
	Calls      int            `json:"calls"`
	Errors     int            `json:"errors"`
	ErrorKinds map[string]int `json:"error_kinds"`
	// ErrorRate is Errors/Calls with its interval.
	ErrorRate        metrics.Proportion `json:"error_rate"`
	PromptTokens     int                `json:"prompt_tokens"`
	CompletionTokens int                `json:"completion_tokens"`
	// Truncated counts the answers cut to run.max_output_bytes (their
	// results are marked truncated); absent when none was.
	Truncated int `json:"truncated,omitempty"`
	// Retries counts retried attempts; Cached the results answered from
	// the response cache; Resumed those taken from an earlier run's journal.
	Retries int `json:"retries"`
	Cached  int `json:"cached"`
	Resumed int `json:"resumed"`
	// CacheOrigins says where the Cached answers were recorded: one entry
	// per endpoint, model and evalgate version, with how many answers and
	// when the oldest and newest were stored. Absent when none were cached.
	CacheOrigins []records.CacheOrigin `json:"cache_origins,omitempty"`
	// Latency summarises the wall time of calls that reached the model
	// (cached answers excluded), in milliseconds.
	Latency Latency `json:"latency_ms"`
	// Cost prices the tokens of every result at the configured list prices;
	// nil without prices.
	Cost *Cost `json:"cost,omitempty"`
	// Adaptive records how adaptive concurrency moved; nil when off.
	Adaptive *records.AdaptiveStats `json:"adaptive,omitempty"`
	// RecordedModels, for replay, lists every model identity the log's
	// model_version gives the answered results, most common first, when
	// there is more than one; Model and Version are then the most common
	// one's. Nil otherwise.
	RecordedModels []RecordedModel `json:"recorded_models,omitempty"`
	// Accuracy is this model's accuracy over its own results.
	Accuracy metrics.Accuracy `json:"accuracy"`
}

// RecordedModel is one model identity a replayed log records, and the
// number of answered results that record it.
type RecordedModel struct {
	Identity string `json:"identity"`
	Results  int    `json:"results"`
}

// Latency holds latency percentiles in milliseconds (empirical quantiles,
// the smallest value with at least p of the calls at or below it); null
// when no call reached the model.
type Latency struct {
	Calls int      `json:"calls"`
	P50   *float64 `json:"p50"`
	P95   *float64 `json:"p95"`
	P99   *float64 `json:"p99"`
	Max   *float64 `json:"max"`
}

// Cost is what a model's tokens cost at list prices.
type Cost struct {
	Currency string  `json:"currency"`
	Input    float64 `json:"input"`
	Output   float64 `json:"output"`
	Total    float64 `json:"total"`
}

// Metrics holds the candidate's measurements.
type Metrics struct {
	// Accuracy is the candidate's accuracy (a copy of Candidate.Accuracy,
	// kept here so that every gate metric lives under metrics).
	Accuracy metrics.Accuracy `json:"accuracy"`
	// Fairness is the per-group breakdown for each configured group column
	// and intersection, with bootstrap intervals on every gap and ratio.
	Fairness []metrics.FairnessColumn `json:"fairness"`
	// Regression compares the candidate with production, overall and per
	// group; nil without a production model.
	Regression *metrics.Regression `json:"regression,omitempty"`
	// Labels holds classification metrics; nil unless scoring.method is
	// label.
	Labels *metrics.Labels `json:"labels,omitempty"`
	// Repeats summarises non-determinism; nil unless run.repeats is above 1.
	Repeats *metrics.Repeats `json:"repeats,omitempty"`
	// Groundedness is how often answers stayed within their context; nil
	// when groundedness.method is off or no item has context.
	Groundedness *integrity.Groundedness `json:"groundedness,omitempty"`
	// Boundaries counts the output rules broken; nil when no rule applies.
	Boundaries *integrity.BoundaryReport `json:"boundaries,omitempty"`
	// PII counts personal data by kind and location; nil when pii.detect
	// is off.
	PII *integrity.PIISummary `json:"pii,omitempty"`
}

// JudgeRun identifies the judge model and counts its calls.
type JudgeRun struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
	Version  string `json:"version"`
	BaseURL  string `json:"base_url,omitempty"`
	// Calls counts the answers sent to the judge; Errors the calls that
	// failed or whose reply could not be parsed; Cached those answered from
	// the response cache.
	Calls  int `json:"calls"`
	Errors int `json:"errors"`
	Cached int `json:"cached"`
}

// Timing holds a run's wall-clock times, in UTC.
type Timing struct {
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Seconds is FinishedAt − StartedAt.
	Seconds float64 `json:"seconds"`
}

// WriteJSON writes r as indented JSON followed by a newline. The same report
// always gives the same bytes.
func WriteJSON(w io.Writer, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// ReadJSON decodes a report written by WriteJSON. A report of another schema
// version is an error.
func ReadJSON(r io.Reader) (*Report, error) {
	var rep Report
	dec := json.NewDecoder(r)
	if err := dec.Decode(&rep); err != nil {
		return nil, fmt.Errorf("decode report: %w", err)
	}
	if rep.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("decode report: schema_version %q, this evalgate reads %q", rep.SchemaVersion, SchemaVersion)
	}
	return &rep, nil
}
