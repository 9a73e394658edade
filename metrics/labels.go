package metrics

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/evalgate/evalgate/records"
)

// ErrorLabel is the predicted label of a result whose model call failed, so
// that a failure counts against the item's true class instead of vanishing.
const ErrorLabel = "(error)"

// LabelPair is one classification outcome: the label a model predicted and
// the true label.
type LabelPair struct {
	Predicted string
	Actual    string
}

// LabelPairs turns scored results into label pairs for ComputeLabels: the
// normalized output (see Normalize) against the normalized expected answer.
// A failed call predicts ErrorLabel. Results without an expected answer are
// left out.
func LabelPairs(results []records.Result) []LabelPair {
	pairs := make([]LabelPair, 0, len(results))
	for _, r := range results {
		if r.Expected == "" {
			continue
		}
		p := LabelPair{Predicted: Normalize(r.Output), Actual: Normalize(r.Expected)}
		if r.Error != "" {
			p.Predicted = ErrorLabel
		}
		pairs = append(pairs, p)
	}
	return pairs
}

// ClassMetrics are one class's one-versus-rest scores.
type ClassMetrics struct {
	// Class is the label.
	Class string `json:"class"`
	// Precision is TP/(TP+FP), Recall TP/(TP+FN) and F1 their harmonic
	// mean, each in [0, 1]. As scikit-learn's default (zero_division="warn"),
	// a ratio with a zero denominator is 0 and a Warning says so.
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	// Support is the number of pairs whose true label is Class.
	Support int `json:"support"`
	// TP, FP and FN are the one-versus-rest counts.
	TP int `json:"tp"`
	FP int `json:"fp"`
	FN int `json:"fn"`
}

// Labels are classification metrics over label pairs.
type Labels struct {
	// Classes are every label seen, predicted or true, sorted; they index
	// Confusion.
	Classes []string `json:"classes"`
	// Confusion[i][j] counts pairs whose true label is Classes[i] and whose
	// predicted label is Classes[j] (scikit-learn's confusion_matrix layout:
	// rows true, columns predicted).
	Confusion [][]int `json:"confusion"`
	// PerClass holds each class's scores, in the order of Classes.
	PerClass []ClassMetrics `json:"per_class"`
	// MacroF1 is the unweighted mean of the classes' F1, in [0, 1]; NaN when
	// there are no pairs.
	MacroF1 float64 `json:"-"`
	// Accuracy is the share of pairs whose predicted label equals the true
	// one, with its Wilson interval.
	Accuracy Proportion `json:"accuracy"`
	Warnings Warnings   `json:"warnings"`
}

// MarshalJSON adds macro_f1, written as null when undefined.
func (l Labels) MarshalJSON() ([]byte, error) {
	type plain Labels
	return json.Marshal(struct {
		plain
		MacroF1 *float64 `json:"macro_f1"`
	}{plain(l), Finite(l.MacroF1)})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (l *Labels) UnmarshalJSON(b []byte) error {
	type plain Labels
	var w struct {
		plain
		MacroF1 *float64 `json:"macro_f1"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*l = Labels(w.plain)
	l.MacroF1 = OrNaN(w.MacroF1)
	return nil
}

// ComputeLabels computes the confusion matrix, per-class precision, recall
// and F1, macro-F1 and accuracy (with a Wilson interval at level) of pairs.
// The definitions are scikit-learn's precision_recall_fscore_support,
// f1_score(average="macro") and confusion_matrix with labels sorted.
func ComputeLabels(pairs []LabelPair, level float64) Labels {
	counts := map[LabelPair]int{}
	for _, p := range pairs {
		counts[p]++
	}
	return LabelsFromCounts(counts, level)
}

// LabelsFromCounts is ComputeLabels from the number of times each label
// pair occurs, for callers that stream results and keep only the counts.
// Pairs with a count of 0 or less are ignored.
func LabelsFromCounts(counts map[LabelPair]int, level float64) Labels {
	l := Labels{Classes: []string{}, Confusion: [][]int{}, PerClass: []ClassMetrics{}, MacroF1: math.NaN(), Warnings: Warnings{}}
	index := map[string]int{}
	for p, n := range counts {
		if n <= 0 {
			continue
		}
		index[p.Predicted] = 0
		index[p.Actual] = 0
	}
	l.Classes = sortedKeys(index)
	for i, c := range l.Classes {
		index[c] = i
	}
	l.Confusion = make([][]int, len(l.Classes))
	for i := range l.Confusion {
		l.Confusion[i] = make([]int, len(l.Classes))
	}
	correct, total := 0, 0
	for p, n := range counts {
		if n <= 0 {
			continue
		}
		l.Confusion[index[p.Actual]][index[p.Predicted]] += n
		total += n
		if p.Actual == p.Predicted {
			correct += n
		}
	}
	l.Accuracy = NewProportion(correct, total, level)
	if total == 0 {
		l.Warnings = append(l.Warnings, fmt.Errorf("no labelled results: no classification metric can be computed"))
		return l
	}
	var noPred, noTrue []string
	f1Sum := 0.0
	for i, c := range l.Classes {
		m := ClassMetrics{Class: c, TP: l.Confusion[i][i]}
		for j := range l.Classes {
			if j != i {
				m.FN += l.Confusion[i][j]
				m.FP += l.Confusion[j][i]
			}
		}
		m.Support = m.TP + m.FN
		if m.TP+m.FP > 0 {
			m.Precision = float64(m.TP) / float64(m.TP+m.FP)
		} else {
			noPred = append(noPred, c)
		}
		if m.Support > 0 {
			m.Recall = float64(m.TP) / float64(m.Support)
		} else {
			noTrue = append(noTrue, c)
		}
		if m.Precision+m.Recall > 0 {
			m.F1 = 2 * m.Precision * m.Recall / (m.Precision + m.Recall)
		}
		f1Sum += m.F1
		l.PerClass = append(l.PerClass, m)
	}
	l.MacroF1 = f1Sum / float64(len(l.Classes))
	if len(noPred) > 0 {
		l.Warnings = append(l.Warnings, fmt.Errorf("precision is undefined for %s (never predicted) and set to 0, which lowers macro-F1", quoteList(noPred)))
	}
	if len(noTrue) > 0 {
		l.Warnings = append(l.Warnings, fmt.Errorf("recall is undefined for %s (no true instances) and set to 0, which lowers macro-F1", quoteList(noTrue)))
	}
	return l
}

// quoteList formats names as "a", "b", capped at 10 names.
func quoteList(names []string) string {
	const limit = 10
	s := ""
	for i, n := range names[:min(len(names), limit)] {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%q", n)
	}
	if len(names) > limit {
		s += fmt.Sprintf(" and %d more", len(names)-limit)
	}
	return s
}
