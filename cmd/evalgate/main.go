// Command evalgate decides whether an AI model version may be promoted: it
// replays a versioned Parquet eval set against the model, scores it, and
// writes a report whose verdict is ALLOW or BLOCK. Run `evalgate help`.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "\nevalgate: stopping: no new calls; waiting for those in flight (run.grace), then writing a partial report. Press Ctrl-C again to exit now.")
		cancel()
		<-sigs
		fmt.Fprintln(os.Stderr, "evalgate: exiting now; the journal keeps every finished call, so the same command resumes")
		os.Exit(exitRunFail)
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	cancel()
	os.Exit(code)
}
