// Command evalgate decides whether an AI model version may be promoted: it
// replays a versioned Parquet eval set against the model, scores it, and
// writes a report whose verdict is ALLOW or BLOCK. Run `evalgate help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
