package integrity_test

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/integrity"
)

// ragtruthPath is the RAGTruth development split, relative to this
// package's directory (see ../shared/data/README.md).
const ragtruthPath = "../../shared/data/ragtruth-dev/ragtruth-dev.parquet"

// groundRow is one labelled RAGTruth response.
type groundRow struct {
	id, task     string
	output       string
	context      []string
	hallucinated bool
}

// readRagtruth reads the labelled rows, or returns ok = false when the
// shared data folder is absent.
func readRagtruth(tb testing.TB) (rows []groundRow, ok bool) {
	tb.Helper()
	if _, err := os.Stat(ragtruthPath); err != nil {
		return nil, false
	}
	r, err := datasets.Open(ragtruthPath)
	if err != nil {
		tb.Fatalf("open %s: %v", ragtruthPath, err)
	}
	defer r.Close()
	for r.Scan() {
		it := r.Item()
		label := it.Extra["hallucinated"]
		if label != "yes" && label != "no" {
			tb.Fatalf("%s: row %d (%s): hallucinated = %q, want yes or no", ragtruthPath, it.Row, it.ID, label)
		}
		rows = append(rows, groundRow{id: it.ID, task: it.Task, output: it.Output, context: it.Context, hallucinated: label == "yes"})
	}
	if err := r.Err(); err != nil {
		tb.Fatalf("read %s: %v", ragtruthPath, err)
	}
	return rows, true
}

// TestRAGTruth checks the lexical detector against human hallucination
// labels on the RAGTruth development split, 5-fold cross-validated as
// integrity.CrossValidate does (go run ./bench/ragtruth -cv): on each task
// the held-out F1 of the verdict "score ≥ the threshold picked on the other
// folds" must beat the trivial detector that flags every answer (F1 =
// 2p/(1+p) at prevalence p), and the score must rank hallucinated answers
// above faithful ones well above chance. The bars sit below what the
// method reaches (BENCHMARKS.md), leaving room for an independent split.
func TestRAGTruth(t *testing.T) {
	byTask := ragtruthByTask(t)
	const minAUROC, minMargin = 0.75, 0.03
	for _, task := range []string{"data2txt", "summary"} {
		s := byTask[task]
		if s == nil {
			t.Errorf("no %s rows", task)
			continue
		}
		c := integrity.CrossValidate(s.ids, s.scores, s.labels)
		t.Logf("%-8s n=%d positives=%d  threshold %.4f  CV P=%.3f R=%.3f F1=%.3f AUROC=%.3f  always-hallucinated F1=%.3f",
			task, c.N, c.Hallucinated, c.Threshold, c.Precision, c.Recall, c.F1, c.AUROC, c.BaselineF1)
		if c.Hallucinated == 0 || c.Hallucinated == c.N {
			t.Errorf("%s: %d of %d positive; both classes are needed", task, c.Hallucinated, c.N)
			continue
		}
		if !(c.F1 >= c.BaselineF1+minMargin) {
			t.Errorf("%s: cross-validated F1 = %.3f, want at least %.2f above the always-hallucinated baseline %.3f", task, c.F1, minMargin, c.BaselineF1)
		}
		if !(c.AUROC >= minAUROC) {
			t.Errorf("%s: AUROC = %.3f, want at least %.2f", task, c.AUROC, minAUROC)
		}
	}
}

// TestCalibrations checks that the shipped calibration (calibration.go) is
// what the cross-validation gives for the detector as it is: rerun go run
// ./bench/ragtruth -cv and copy its values when the detector changes.
func TestCalibrations(t *testing.T) {
	byTask := ragtruthByTask(t)
	for _, task := range []string{"", "data2txt", "summary"} {
		s := byTask[task]
		got, ok := integrity.CalibrationFor(task)
		if !ok || s == nil {
			t.Errorf("task %q: calibration %v, rows %v", task, ok, s != nil)
			continue
		}
		want := integrity.CrossValidate(s.ids, s.scores, s.labels)
		if got.Threshold != want.Threshold || got.N != want.N || got.Hallucinated != want.Hallucinated {
			t.Errorf("task %q: threshold %v (n %d, %d positive), want %v (n %d, %d positive) as cross-validated now",
				task, got.Threshold, got.N, got.Hallucinated, want.Threshold, want.N, want.Hallucinated)
		}
		for _, f := range []struct {
			name      string
			got, want float64
		}{{"precision", got.Precision, want.Precision}, {"recall", got.Recall, want.Recall}, {"F1", got.F1, want.F1},
			{"baseline F1", got.BaselineF1, want.BaselineF1}, {"AUROC", got.AUROC, want.AUROC}} {
			if math.Abs(f.got-f.want) > 0.0005 {
				t.Errorf("task %q: %s %.3f, want %.3f as cross-validated now", task, f.name, f.got, f.want)
			}
		}
	}
}

// ragtruthSet is one task's labelled scores.
type ragtruthSet struct {
	ids    []string
	scores []float64
	labels []bool
}

// ragtruthByTask scores the RAGTruth rows with the default Grounder, by
// task ("summary", "data2txt") and pooled (""), or skips the test when the
// shared data folder is absent.
func ragtruthByTask(t *testing.T) map[string]*ragtruthSet {
	t.Helper()
	rows, ok := readRagtruth(t)
	if !ok {
		t.Skipf("RAGTruth data not found at %s: the shared data folder (../shared/data) is absent", ragtruthPath)
	}
	if len(rows) < 100 {
		t.Fatalf("%d rows in %s, want the 208 of the development split", len(rows), ragtruthPath)
	}
	g := integrity.NewGrounder(integrity.GroundOptions{})
	byTask := map[string]*ragtruthSet{}
	for _, r := range rows {
		res := g.Ground(r.output, r.context)
		for _, task := range []string{strings.ToLower(r.task), ""} {
			s := byTask[task]
			if s == nil {
				s = &ragtruthSet{}
				byTask[task] = s
			}
			s.ids = append(s.ids, r.id)
			s.scores = append(s.scores, res.Score)
			s.labels = append(s.labels, r.hallucinated)
		}
	}
	return byTask
}
