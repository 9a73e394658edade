package records

// ReviewRow is one answer routed to human review, as review.parquet holds
// it. The columns are plain strings and numbers so that a reviewer can open
// the file in any tool (DuckDB, pandas, Spark, a spreadsheet importer).
type ReviewRow struct {
	// ID and Sample identify the answer.
	ID     string `parquet:"id"`
	Sample int32  `parquet:"sample"`
	// Task and Groups are the item's slice and its fairness group values,
	// as "column=value" pairs joined with "; ".
	Task   string `parquet:"task,optional"`
	Groups string `parquet:"groups,optional"`
	// Reasons lists why the answer is routed, joined with "; ":
	// "low_confidence", "hallucinated", "judge_error", "boundary:<rule>".
	Reasons string `parquet:"reasons"`
	// Confidence is the answer's confidence from logprobs; null when not
	// measured.
	Confidence *float64 `parquet:"confidence,optional"`
	// Input, Expected and Output are the question, the reference answer and
	// the model's answer (untrusted text); redacted when pii.redact is set.
	Input    string `parquet:"input"`
	Expected string `parquet:"expected,optional"`
	Output   string `parquet:"output"`
	// Evidence is what the checks found: the unsupported claims and tokens,
	// and the boundary violations with their details.
	Evidence string `parquet:"evidence,optional"`
	// Decision and Note are empty columns for the reviewer to fill in.
	Decision string `parquet:"decision,optional"`
	Note     string `parquet:"note,optional"`
}
