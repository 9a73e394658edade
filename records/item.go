package records

// Item is one row of an eval set, decoded from the columns named in the datasets package doc.
// Optional columns that are absent or null decode to their zero value.
type Item struct {
	// Row is the 0-based position of the row in the file.
	Row int64
	// ID is unique within the set; never empty in a valid set.
	ID string
	// Input is the user's question or prompt. It may be empty in a row
	// whose Messages hold the conversation.
	Input string
	// System is the per-row system prompt, if any.
	System string
	// Context holds the retrieved passages. A file whose context column is a
	// single string yields a one-element slice; a null context yields nil.
	Context []string
	// Expected is the reference answer or label; empty when absent or null.
	Expected string
	// ExpectedAny lists other acceptable answers.
	ExpectedAny []string
	// Task is the slice name used for per-task tables.
	Task string
	// MustNotContain lists strings the output must never contain for this row.
	MustNotContain []string
	// Output and ModelVersion are recorded outputs, for replay and production sampling.
	Output       string
	ModelVersion string
	// LatencyMS is the recorded output's latency in milliseconds, from a
	// numeric latency_ms column; 0 when there is none or it is null.
	LatencyMS float64
	// Messages, when not empty, is the conversation sent as the prompt (the
	// eval set's messages column), in order; the prompt template then
	// applies to its last user turn. nil when the set has no messages
	// column or the row's is null or empty.
	Messages []Message
	// Extra holds every other string column by column name (for example the
	// fairness group columns). A null value is stored as the empty string.
	Extra map[string]string
}

// Message is one turn of a conversation.
type Message struct {
	// Role is "system", "developer", "user" or "assistant".
	Role string
	// Content is the turn's text.
	Content string
}

// Result is one row of results.parquet: what one model call on one item
// produced, and how it scored.
type Result struct {
	// ID is the item's id.
	ID string
	// Sample is the 0-based repeat index (0 when repeats is 1).
	Sample int
	// Model is the identity of the model that produced Output.
	Model string
	// Output is the model's answer; untrusted text.
	Output string
	// Error is empty on success, otherwise the last error message with
	// secrets scrubbed.
	Error string
	// ErrorKind classifies Error (for example "http_500", "timeout"); empty on success.
	ErrorKind string
	// HTTPStatus is the HTTP status of the last failed attempt; 0 on
	// success or when no response arrived.
	HTTPStatus int
	// Attempts counts the calls made for this item, including retries; 0
	// when the answer came from the response cache.
	Attempts int
	// LatencyMS is the wall time of the successful (or last) call, in milliseconds.
	LatencyMS float64
	// PromptTokens and CompletionTokens are the usage the endpoint reported.
	PromptTokens     int
	CompletionTokens int
	// Confidence is the geometric mean of the output's token probabilities,
	// in (0, 1], when the model returned logprobs; 0 when it was not measured.
	Confidence float64
	// Truncated is true when Output was cut to run.max_output_bytes.
	Truncated bool
	// Cached is true when Output came from the response cache, recorded by
	// an earlier call (perhaps of another run), not from a call of this run.
	Cached bool
	// Task and Expected are copied from the item.
	Task     string
	Expected string
	// Groups maps each fairness group column to this item's value; a missing
	// value is the empty string.
	Groups map[string]string
	// Scores maps a scoring method name (for example "normalized", "f1") to
	// the item's score in [0, 1]. Binary methods score 0 or 1.
	Scores map[string]float64
	// Groundedness is the answer's groundedness check when the config
	// checks groundedness and the call succeeded; nil otherwise.
	Groundedness *Groundedness
}

// The verdicts of a groundedness check (Groundedness.Verdict).
const (
	// GroundedSupported: every claim is supported by the context (an
	// answer without claims asserts nothing, and is supported).
	GroundedSupported = "supported"
	// GroundedHallucinated: at least one claim is not supported.
	GroundedHallucinated = "hallucinated"
	// GroundedAbstained: the answer declines to answer ("the context does
	// not say"); grounded, counted apart.
	GroundedAbstained = "abstained"
	// GroundedJudgeError: the judge's reply could not be read; never
	// counted as supported.
	GroundedJudgeError = "judge_error"
)

// Groundedness is one answer's groundedness check as the results file
// records it, so that any tool can compute precision, recall, F1 and
// AUROC from the results alone.
type Groundedness struct {
	// Method is the method that decided Verdict: "lexical" or "judge" (in
	// the hybrid method, "judge" for the answers it escalated).
	Method string
	// Score is the hallucination score in [0, 1], higher meaning more
	// likely hallucinated (integrity.Grounding.Score).
	Score float64
	// Verdict is one of the Grounded… constants.
	Verdict string
	// Escalated reports that the hybrid method sent the answer to the
	// judge because its lexical score fell in the uncertainty band.
	Escalated bool
	// Unsupported are the texts of the unsupported claims, in order,
	// redacted when pii.redact is on.
	Unsupported []string
}
