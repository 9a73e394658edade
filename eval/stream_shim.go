package eval

import (
	"context"

	"github.com/evalgate/evalgate/records"
)

// Stream is Run, handing each result to emit in order. (Temporary: it
// collects first; the streaming runner replaces it.)
func (r *Runner) Stream(ctx context.Context, src Source, emit func(*records.Result) error) error {
	results, err := r.Run(ctx, src)
	for i := range results {
		if e := emit(&results[i]); e != nil {
			return e
		}
	}
	return err
}
