// Package integrity checks what an answer says, beyond whether it is
// correct: a Checker checks each answer's claims against its item's
// context (Grounder, the lexical method; JudgeMessages and ParseJudgeReply
// for an LLM judge), the output rules of the config (Boundaries), and
// personal data (FindPII, RedactPII, PIITally), and routes answers to human
// review (ReviewRows). It tallies online, keeping only flagged answers, and
// its Summary is the groundedness, boundaries and pii sections of a report.
//
// Its tallies (GroundednessTally, BoundaryTally, PIITally) and the Checker
// merge exactly: checkers of shards of an eval set, merged in any order,
// give the Summary and ReviewRows of one pass. Kept answers carry their
// item's eval-set row (records.Item.Row), which orders answers that share
// an id and sample.
//
// It sits beside metrics, whose proportions and intervals it uses; unlike
// metrics it parses JSON Schemas (boundaries.json_schema) and reads the
// config's boundary rules. Every function is pure: the judge's model calls
// are made by the pipeline package, which hands the parsed verdicts in.
//
// The lexical method's verdict is its hallucination score at or above a
// threshold calibrated per task by 5-fold cross-validation on the RAGTruth
// development split (Calibrations, CrossValidate; go run ./bench/ragtruth
// -cv). Its paraphrase tolerance comes from WordNet 3.0 (Princeton
// University; WordNet 3.0 licence, a permissive licence whose text is in
// LICENSE-WordNet beside the table): wordnet.txt.gz, embedded, is a table
// of words to synsets and derivational links that go generate builds from
// the Debian package wordnet-base (internal/wordnetgen), read once on
// first use.
package integrity
