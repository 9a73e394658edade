// Command ragtruth evaluates the lexical groundedness detector
// (integrity.Grounder) against the human hallucination labels of the RAGTruth
// development split, per task and overall, beside the trivial detector that
// flags every answer and the detectors published with RAGTruth.
//
//	go run ./bench/ragtruth [-data FILE] [-min-coverage F] [-no-synonyms] [-cv]
//
// With -cv it prints the 5-fold cross-validated figures of
// integrity.CrossValidate per task ("summary", "data2txt") and pooled (""):
// the threshold to ship, chosen on all the task's items, and the held-out
// precision, recall and F1 it is expected to have; these are the values of
// integrity.Calibrations.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/integrity"
	"github.com/evalgate/evalgate/metrics"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	default:
		fmt.Fprintln(os.Stderr, "ragtruth:", err)
		os.Exit(2)
	}
}

// published are the response-level hallucination-detection F1 scores (%)
// reported by Niu et al., "RAGTruth", ACL 2024, on the RAGTruth test set
// (all three tasks), as listed in ../shared/data/README.md.
var published = []struct {
	detector string
	f1       float64
}{
	{"GPT-4-turbo prompting", 63.4},
	{"GPT-3.5-turbo prompting", 52.9},
	{"SelfCheckGPT", 58.8},
	{"fine-tuned Llama-2-13B", 78.7},
	{"GPT-4-turbo prompting, Data2txt only", 78.3},
}

// run evaluates the detector on the file named by -data and writes the
// table to stdout.
func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ragtruth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "../shared/data/ragtruth-dev/ragtruth-dev.parquet", "labelled eval set (Parquet, column hallucinated = yes/no)")
	minCov := fs.Float64("min-coverage", 0, "GroundOptions.MinCoverage; 0 means the default")
	noSyn := fs.Bool("no-synonyms", false, "GroundOptions.NoSynonyms: no WordNet paraphrase tolerance")
	cv := fs.Bool("cv", false, "print the 5-fold cross-validated calibration per task instead of the in-sample table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *minCov < 0 || *minCov > 1 {
		return fmt.Errorf("-min-coverage %v: want a value in [0, 1]", *minCov)
	}

	r, err := datasets.Open(*data)
	if err != nil {
		return err // names the file
	}
	defer r.Close()
	type row struct {
		id, task string
		output   string
		context  []string
		label    bool
	}
	var rows []row
	for r.Scan() {
		it := r.Item()
		var label bool
		switch it.Extra["hallucinated"] {
		case "yes":
			label = true
		case "no":
		default:
			return fmt.Errorf("%s: row %d (%s): column hallucinated is %q, want yes or no", *data, it.Row, it.ID, it.Extra["hallucinated"])
		}
		rows = append(rows, row{id: it.ID, task: it.Task, output: it.Output, context: it.Context, label: label})
	}
	if err := r.Err(); err != nil {
		return err
	}
	if len(rows) == 0 {
		return fmt.Errorf("%s: no rows", *data)
	}

	g := integrity.NewGrounder(integrity.GroundOptions{MinCoverage: *minCov, NoSynonyms: *noSyn})
	type set struct {
		flags, labels []bool
		scores        []float64
	}
	sets := map[string]*set{}
	add := func(name string, gr integrity.Grounding, label bool) {
		s := sets[name]
		if s == nil {
			s = &set{}
			sets[name] = s
		}
		s.flags = append(s.flags, gr.Hallucinated)
		s.scores = append(s.scores, gr.Score)
		s.labels = append(s.labels, label)
	}
	start := time.Now()
	results := make([]integrity.Grounding, len(rows))
	for i, x := range rows {
		results[i] = g.Ground(x.output, x.context)
	}
	elapsed := time.Since(start)
	if *cv {
		type set struct {
			ids    []string
			scores []float64
			labels []bool
		}
		byTask := map[string]*set{}
		for i, x := range rows {
			for _, task := range []string{strings.ToLower(x.task), ""} {
				s := byTask[task]
				if s == nil {
					s = &set{}
					byTask[task] = s
				}
				s.ids = append(s.ids, x.id)
				s.scores = append(s.scores, results[i].Score)
				s.labels = append(s.labels, x.label)
			}
		}
		tasks := make([]string, 0, len(byTask))
		for task := range byTask {
			tasks = append(tasks, task)
		}
		sort.Strings(tasks) // "" (pooled) first
		fmt.Fprintf(stdout, "RAGTruth development split: %s, %d responses\n", *data, len(rows))
		fmt.Fprintf(stdout, "lexical detector, %d-fold cross-validation (folds by SHA-256 of the id); threshold: chosen on all the task's items\n\n", integrity.CVFolds)
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "task\tn\tpositives\tthreshold\tCV P\tR\tF1\talways-hallucinated F1\tmargin\tAUROC\t")
		for _, task := range tasks {
			s := byTask[task]
			c := integrity.CrossValidate(s.ids, s.scores, s.labels)
			name := task
			if name == "" {
				name = "pooled"
			}
			fmt.Fprintf(tw, "%s\t%d\t%d\t%.4f\t%.3f\t%.3f\t%.3f\t%.3f\t%+.3f\t%.3f\t\n",
				name, c.N, c.Hallucinated, c.Threshold, c.Precision, c.Recall, c.F1, c.BaselineF1, c.F1-c.BaselineF1, c.AUROC)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nas integrity.Calibration values (calibration.go):\n")
		for _, task := range tasks {
			s := byTask[task]
			c := integrity.CrossValidate(s.ids, s.scores, s.labels)
			fmt.Fprintf(stdout, "\t{Task: %q, Threshold: %v, Precision: %.3f, Recall: %.3f, F1: %.3f, BaselineF1: %.3f, AUROC: %.3f, N: %d, Hallucinated: %d},\n",
				task, c.Threshold, c.Precision, c.Recall, c.F1, c.BaselineF1, c.AUROC, c.N, c.Hallucinated)
		}
		fmt.Fprintf(stdout, "\nscored %d answers in %v on one goroutine (%.0f answers/s, wall clock)\n",
			len(rows), elapsed.Round(time.Millisecond), float64(len(rows))/elapsed.Seconds())
		return nil
	}
	for i, x := range rows {
		add(x.task, results[i], x.label)
		add("overall", results[i], x.label)
	}

	names := make([]string, 0, len(sets))
	for n := range sets {
		if n != "overall" {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	names = append(names, "overall")

	pooled, _ := integrity.CalibrationFor("")
	fmt.Fprintf(stdout, "RAGTruth development split: %s, %d responses\n", *data, len(rows))
	fmt.Fprintf(stdout, "lexical detector: answer hallucinated when its score is at least the pooled calibrated threshold %.4f; IN-SAMPLE (-cv for the cross-validated figures); AUROC of its hallucination score\n\n", pooled.Threshold)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "task\tn\tpositives\t\tlexical P\tR\tF1\tAUROC\t\talways-hallucinated P\tR\tF1\t")
	for _, n := range names {
		s := sets[n]
		d := metrics.EvaluateDetection(s.flags, s.scores, s.labels)
		all := make([]bool, len(s.labels))
		for i := range all {
			all[i] = true
		}
		b := metrics.EvaluateDetection(all, s.scores, s.labels)
		fmt.Fprintf(tw, "%s\t%d\t%d\t\t%.3f\t%.3f\t%.3f\t%.3f\t\t%.3f\t%.3f\t%.3f\t\n",
			n, d.N, d.Positives, d.Precision, d.Recall, d.F1, d.AUROC, b.Precision, b.Recall, b.F1)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\npublished response-level F1 (Niu et al., ACL 2024; RAGTruth test set, three tasks incl. QA, so not the same rows):\n")
	for _, p := range published {
		fmt.Fprintf(stdout, "  %-38s %.1f\n", p.detector, p.f1)
	}
	fmt.Fprintf(stdout, "\nscored %d answers in %v on one goroutine (%.0f answers/s, wall clock)\n",
		len(rows), elapsed.Round(time.Millisecond), float64(len(rows))/elapsed.Seconds())
	return nil
}
