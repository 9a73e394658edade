// Package eval makes the model calls: it renders each eval-set row into chat
// messages, sends them to a Provider with bounded concurrency, and hands back
// one records.Result per item and sample, in item order: Runner.Stream emits
// each as soon as it and every result before it are finished, and never runs
// more than WindowPerWorker × Concurrency × Repeats results ahead of the
// oldest one not yet emitted, so memory does not grow with the eval set
// (Runner.Run collects them into a slice, for tests and small sets).
//
// The pipeline package drives it (docs/ARCHITECTURE.md). Three providers implement Provider: openai (any
// OpenAI-compatible endpoint through github.com/sashabaranov/go-openai),
// replay (outputs already recorded in the eval set) and builtin (the small
// models of package eval/builtin, served on a loopback HTTP endpoint and
// called through the same openai client, so that the quickstart exercises the
// real client path with no network and no API key).
//
// A failed call is data, not an abort: it becomes a Result with Error and
// ErrorKind set, and the run goes on.
package eval
