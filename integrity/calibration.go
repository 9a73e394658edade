package integrity

// Calibration is what the lexical detector's verdicts mean on a benchmark
// with human labels: at Threshold (an answer is hallucinated when its
// hallucination score is at or above it), the precision and recall it
// had, so that a gate on groundedness can be read as "about this share of
// flagged answers are hallucinations, and about this share of
// hallucinations are flagged".
type Calibration struct {
	// Task is the kind of answer: "summary", "data2txt", or "" for both
	// pooled.
	Task string `json:"task"`
	// Threshold is the hallucination score at or above which an answer is
	// hallucinated.
	Threshold float64 `json:"threshold"`
	// Precision, Recall and F1 are the detector's at Threshold; BaselineF1
	// is the F1 of flagging every answer; AUROC ranks by the score.
	Precision  float64 `json:"precision"`
	Recall     float64 `json:"recall"`
	F1         float64 `json:"f1"`
	BaselineF1 float64 `json:"baseline_f1"`
	AUROC      float64 `json:"auroc"`
	// N counts the labelled answers, Hallucinated those labelled so.
	N            int `json:"n"`
	Hallucinated int `json:"hallucinated"`
	// Source says where the figures come from and how they were
	// estimated.
	Source string `json:"source"`
}

// calibrations are the measured figures. These are the in-sample figures
// of BENCHMARKS.md (RAGTruth development split, 2026-11-27, the verdict
// "any claim unsupported"), until the cross-validated ones replace them.
var calibrations = []Calibration{
	{Task: "data2txt", Precision: 0.770, Recall: 0.877, F1: 0.820, BaselineF1: 0.739, AUROC: 0.818, N: 111, Hallucinated: 65,
		Source: "RAGTruth development split, in-sample"},
	{Task: "summary", Precision: 0.538, Recall: 0.389, F1: 0.452, BaselineF1: 0.313, AUROC: 0.720, N: 97, Hallucinated: 18,
		Source: "RAGTruth development split, in-sample"},
}

// Calibrations returns the detector's calibration per task.
func Calibrations() []Calibration {
	return append([]Calibration(nil), calibrations...)
}

// CalibrationFor returns the calibration of task ("summary", "data2txt",
// or "" for both pooled) and whether there is one.
func CalibrationFor(task string) (Calibration, bool) {
	for _, c := range calibrations {
		if c.Task == task {
			return c, true
		}
	}
	return Calibration{}, false
}
