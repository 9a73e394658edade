package pipeline

import (
	"errors"
)

// The kinds of error the pipeline returns. Every error it returns wraps
// exactly one of them, so that a caller maps it with errors.Is: the CLI
// exits 2 for ErrInput and 3 for ErrIncomplete. A verdict is not an error:
// BLOCK is a Report whose Verdict says so.
var (
	// ErrInput marks bad input, found before any model call where it can
	// be: a config, an eval set, a results file, a key, a template.
	ErrInput = errors.New("bad input")
	// ErrIncomplete marks a run that could not finish: an interrupt, a
	// deadline, a tripped circuit breaker, a file that could not be
	// written. Calls already made are kept in the journals.
	ErrIncomplete = errors.New("the run could not finish")
)

// kindError gives err a kind; its message is err's alone.
type kindError struct {
	kind, err error
}

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.err} }
func (e *kindError) Is(target error) bool {
	return target == e.kind
}

// withKind wraps err with kind unless it already has a kind, so that the
// first classification (the one nearest the cause) stands.
func withKind(kind, err error) error {
	if err == nil {
		return nil
	}
	var ke *kindError
	if errors.As(err, &ke) {
		return err
	}
	return &kindError{kind: kind, err: err}
}

func inputErr(err error) error { return withKind(ErrInput, err) }

func runErr(err error) error { return withKind(ErrIncomplete, err) }

// InputError marks err as bad input (ErrInput), unless it already has a
// kind; commands outside the pipeline use it for the same mapping.
func InputError(err error) error { return inputErr(err) }

// IncompleteError marks err as a run that could not finish
// (ErrIncomplete), unless it already has a kind.
func IncompleteError(err error) error { return runErr(err) }
