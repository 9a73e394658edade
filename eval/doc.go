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
// ErrorKind set, and the run goes on. The exceptions are failures that
// every call of the run would repeat: a call the endpoint rejects (401,
// 403, 404: the key or the model, see Rejected) stops the run at once with
// a *RejectedError, and the circuit breaker stops a run whose attempts
// mostly fail. An openai run (Runner.Probe) sends one call first and the
// rest once the endpoint has accepted one, so that a wrong key costs one
// call.
//
// Secrets stay out of what the runner returns: the openai provider removes
// its API key and the credentials of its base URL (user info,
// credential-like query parameters) from answers and error messages, so
// that a server echoing them gets them stored nowhere.
package eval
