package datasets

// The ordered row-group pipe shared by the columnar readers: a dispatcher
// hands each row group of a file to one of several decoding goroutines,
// each with its own decoder, and the consumer takes the decoded batches
// in file order, stopping at the first error. Memory is bounded by the
// row groups in flight and the chunksAhead batches each may buffer.

import (
	"runtime"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// rowGroupBatch is a decoded batch; err, when set, follows it and ends
// the stream.
type rowGroupBatch[T any] struct {
	data T
	err  error
}

// rowGroupJob is the decoding of one row group; its batches arrive on out,
// which the decoder closes when the row group is done.
type rowGroupJob[T any] struct {
	index int   // row group index
	start int64 // file index of its first row
	out   chan rowGroupBatch[T]
	quit  <-chan struct{}
}

// send hands a batch to the consumer; it returns false when the reader
// closed.
func (j *rowGroupJob[T]) send(b rowGroupBatch[T]) bool {
	select {
	case j.out <- b:
		return true
	case <-j.quit:
		return false
	}
}

// rowGroupDecoder decodes row groups; each decoding goroutine has its own
// and closes it when it ends.
type rowGroupDecoder[T any] interface {
	// run decodes row group j.index, sends its batches and closes j.out.
	run(j *rowGroupJob[T])
	close()
}

// rowGroupPipe runs the decoders and hands their batches over in file
// order.
type rowGroupPipe[T any] struct {
	ordered chan *rowGroupJob[T]
	quit    chan struct{}
	wg      sync.WaitGroup
	cur     *rowGroupJob[T]
	done    bool
	size    func(T) int // rows in a batch
	discard func(T)     // takes back an empty batch without error; may be nil
}

// startRowGroupPipe starts the dispatcher and the decoders, made by
// newDecoder, over every row group of pf.
func startRowGroupPipe[T any](pf *parquet.File, size func(T) int, discard func(T), newDecoder func() rowGroupDecoder[T]) *rowGroupPipe[T] {
	groups := pf.Metadata().RowGroups
	workers := min(max(runtime.GOMAXPROCS(0), 1), max(len(groups), 1), 8)
	p := &rowGroupPipe[T]{
		ordered: make(chan *rowGroupJob[T], workers),
		quit:    make(chan struct{}),
		size:    size,
		discard: discard,
	}
	jobs := make(chan *rowGroupJob[T], workers)
	p.wg.Add(1 + workers)
	go func() { // dispatcher
		defer p.wg.Done()
		defer close(jobs)
		defer close(p.ordered)
		var start int64
		for i := range groups {
			j := &rowGroupJob[T]{index: i, start: start, out: make(chan rowGroupBatch[T], chunksAhead), quit: p.quit}
			start += groups[i].NumRows
			for _, ch := range []chan *rowGroupJob[T]{p.ordered, jobs} {
				select {
				case ch <- j:
				case <-p.quit:
					return
				}
			}
		}
	}()
	for range workers {
		go func() {
			defer p.wg.Done()
			d := newDecoder()
			defer d.close()
			for j := range jobs {
				d.run(j)
			}
		}()
	}
	return p
}

// next returns the next non-empty batch and the error that follows it, or
// the zero T and the error that ended the stream (nil at the end).
func (p *rowGroupPipe[T]) next() (T, error) {
	var zero T
	for !p.done {
		if p.cur == nil {
			j, ok := <-p.ordered
			if !ok {
				p.done = true
				break
			}
			p.cur = j
		}
		b, ok := <-p.cur.out
		if !ok {
			p.cur = nil
			continue
		}
		if p.size(b.data) > 0 {
			if b.err != nil {
				p.done = true
			}
			return b.data, b.err
		}
		if b.err != nil {
			p.done = true
			return zero, b.err
		}
		if p.discard != nil {
			p.discard(b.data)
		}
	}
	return zero, nil
}

// close stops the decoders and waits for them. It is safe to call more
// than once.
func (p *rowGroupPipe[T]) close() {
	if p.quit == nil {
		return
	}
	close(p.quit)
	p.wg.Wait()
	p.quit = nil
	p.done = true
}
