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

// calibrationSource says where the figures come from.
const calibrationSource = "RAGTruth development split (208 responses), 5-fold cross-validated; threshold chosen on all the task's items"

// calibrations are the measured figures, as printed by
//
//	go run ./bench/ragtruth -cv
//
// Threshold is the one the rule of CrossValidate picks on all the task's
// development items; Precision, Recall and F1 are cross-validated (each
// fold judged at the threshold picked on the other four), not in-sample;
// AUROC ranks all the items by score. TestCalibrations recomputes them
// from the data and fails when they drift from the detector.
var calibrations = []Calibration{
	{Task: "", Threshold: 0.42418745275888137, Precision: 0.713, Recall: 0.807, F1: 0.757, BaselineF1: 0.570, AUROC: 0.864, N: 208, Hallucinated: 83, Source: calibrationSource},
	{Task: "data2txt", Threshold: 0.42418745275888137, Precision: 0.766, Recall: 0.908, F1: 0.831, BaselineF1: 0.739, AUROC: 0.823, N: 111, Hallucinated: 65, Source: calibrationSource},
	{Task: "summary", Threshold: 0.2883820346320346, Precision: 0.429, Recall: 0.500, F1: 0.462, BaselineF1: 0.313, AUROC: 0.823, N: 97, Hallucinated: 18, Source: calibrationSource},
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
