// Package pipeline is evalgate as a library: it owns the whole path from a
// config to a signed report, Prepare → Run → Score → Judge → Report → Sign,
// so that a program other than the CLI can run an evaluation or re-score
// recorded results.
//
//	cfg, err := pipeline.LoadConfig("eval.yaml")
//	p, err := pipeline.Prepare(cfg, pipeline.Options{Getenv: os.Getenv})
//	defer p.Close()
//	out, err := p.Run(ctx) // out.Report.Verdict is ALLOW or BLOCK
//
// Prepare checks everything that can be checked before the first paid
// call: the eval set (valid, pinned digest, group columns), the prompt
// templates, the integrity rules, the providers and their key variables.
// Run streams each model's results in item order into its results file,
// asks the groundedness judge when the config says so (keeping its replies
// in judge-results.parquet), and then builds the report with the one report
// engine, which Score also is: the results files are read back through
// the scoring, fairness, repeat, regression and integrity tallies, so run
// and score give the same report on the same results, apart from timing
// and the statistics only a run has.
//
// Every error wraps one kind, ErrInput or ErrIncomplete, for errors.Is; a
// BLOCK verdict is not an error. The package writes files only in the
// output directory, each atomically (see atomicfile), and prints nothing:
// notes go to Options.Log and progress to Options.NewProgress.
package pipeline
