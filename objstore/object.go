package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/minio/minio-go/v7"
)

// blockSize is how many bytes one ranged GET of an Object fetches at
// least; blocks is how many recent blocks it keeps. An Object holds at
// most blocks × blockSize bytes (4 MiB), whatever the object's size.
const (
	blockSize = 1 << 20
	blocks    = 4
)

// Object is an object opened for random access: an io.ReaderAt over
// ranged GETs, each pinned to the ETag the object had when Open stat'ed
// it. A read after the object was replaced fails with an *Error of kind
// ErrChanged. Reads fetch whole 1 MiB blocks and keep the last four, so
// sequential small reads (a digest, a Parquet page) cost one GET per MiB.
// It is safe for concurrent use.
type Object struct {
	c    *Client
	u    URL
	ctx  context.Context
	size int64
	etag string

	mu    sync.Mutex
	cache [blocks]block // most recent first
}

type block struct {
	off  int64
	data []byte
}

// Open stats the object at u and returns it for ranged reads. The
// context bounds every read made through it.
func (c *Client) Open(ctx context.Context, rawURL string) (*Object, error) {
	u, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	st, err := c.mc.StatObject(ctx, u.Bucket, u.Key, minio.StatObjectOptions{})
	if err != nil {
		return nil, c.classify("open", u, c.statError(ctx, u, err))
	}
	o := &Object{c: c, u: u, ctx: ctx, size: st.Size, etag: st.ETag}
	for i := range o.cache {
		o.cache[i].off = -1
	}
	return o, nil
}

// statError refines a HEAD's error: a HEAD answer has no body, so a
// missing bucket looks like a missing key; ask the bucket.
func (c *Client) statError(ctx context.Context, u URL, err error) error {
	if minio.ToErrorResponse(err).Code != "NoSuchKey" && minio.ToErrorResponse(err).StatusCode != 404 {
		return err
	}
	ok, berr := c.mc.BucketExists(ctx, u.Bucket)
	if berr == nil && !ok {
		return minio.ErrorResponse{StatusCode: 404, Code: "NoSuchBucket", BucketName: u.Bucket}
	}
	return err
}

// URL is the object's s3:// URL.
func (o *Object) URL() string { return o.u.String() }

// Size is the object's size in bytes when it was opened.
func (o *Object) Size() int64 { return o.size }

// ETag is the object's ETag when it was opened.
func (o *Object) ETag() string { return o.etag }

// ReadAt reads len(p) bytes at off, as io.ReaderAt does.
func (o *Object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, &Error{Op: "read", URL: o.u.String(), Err: fmt.Errorf("negative offset %d", off)}
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= o.size {
			return n, io.EOF
		}
		k, err := o.copyAt(p[n:], pos)
		if err != nil {
			return n, err
		}
		n += k
	}
	return n, nil
}

// copyAt copies into p from the block that holds pos, fetching it when
// it is not cached. The copy is made under the lock: the buffers of
// evicted blocks are reused.
func (o *Object) copyAt(p []byte, pos int64) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, err := o.block(pos - pos%blockSize)
	if err != nil {
		return 0, err
	}
	return copy(p, b.data[pos-b.off:]), nil
}

// block returns the block at off, from the cache or one ranged GET; o.mu
// is held.
func (o *Object) block(off int64) (block, error) {
	for i, b := range o.cache {
		if b.off == off {
			copy(o.cache[1:i+1], o.cache[:i])
			o.cache[0] = b
			return b, nil
		}
	}
	end := min(off+blockSize, o.size) - 1
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(off, end); err != nil {
		return block{}, &Error{Op: "read", URL: o.u.String(), Err: err}
	}
	if err := opts.SetMatchETag(o.etag); err != nil {
		return block{}, &Error{Op: "read", URL: o.u.String(), Err: err}
	}
	obj, _, _, err := o.c.core.GetObject(o.ctx, o.u.Bucket, o.u.Key, opts)
	if err != nil {
		return block{}, o.c.classify("read", o.u, err)
	}
	defer obj.Close()
	buf := o.cache[blocks-1].data[:0] // the evicted block's buffer
	o.cache[blocks-1] = block{off: -1}
	if int64(cap(buf)) < end-off+1 {
		buf = make([]byte, blockSize)
	}
	buf = buf[:end-off+1]
	if _, err := io.ReadFull(obj, buf); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return block{}, &Error{Op: "read", URL: o.u.String(), Kind: ErrChanged, Err: fmt.Errorf("the object is shorter than the %d bytes it had when opened", o.size)}
		}
		return block{}, o.c.classify("read", o.u, err)
	}
	b := block{off: off, data: buf}
	copy(o.cache[1:], o.cache[:blocks-1])
	o.cache[0] = b
	return b, nil
}

// Changed stats the object again and returns a description of the change
// when its ETag or size differs from when it was opened, or "" when it is
// the same object. The error is for a failed stat; a removed object is a
// change.
func (o *Object) Changed() (string, error) {
	st, err := o.c.mc.StatObject(o.ctx, o.u.Bucket, o.u.Key, minio.StatObjectOptions{})
	if err != nil {
		cerr := o.c.classify("check", o.u, err)
		if errors.Is(cerr, ErrNotFound) {
			return "the object no longer exists", nil
		}
		return "", cerr
	}
	if st.ETag != o.etag {
		return fmt.Sprintf("its ETag went from %s to %s (replaced)", o.etag, st.ETag), nil
	}
	if st.Size != o.size {
		return fmt.Sprintf("its size went from %d to %d bytes", o.size, st.Size), nil
	}
	return "", nil
}

// NewReader opens the object at rawURL for one sequential read from
// start to end: a single streaming GET pinned to the object's current
// ETag. It returns the reader and the object's size; close the reader.
func (c *Client) NewReader(ctx context.Context, rawURL string) (io.ReadCloser, int64, error) {
	o, err := c.Open(ctx, rawURL)
	if err != nil {
		return nil, 0, err
	}
	opts := minio.GetObjectOptions{}
	if err := opts.SetMatchETag(o.etag); err != nil {
		return nil, 0, &Error{Op: "open", URL: o.u.String(), Err: err}
	}
	obj, _, _, err := c.core.GetObject(ctx, o.u.Bucket, o.u.Key, opts)
	if err != nil {
		return nil, 0, c.classify("open", o.u, err)
	}
	return &streamReader{obj: obj, c: c, u: o.u}, o.size, nil
}

// streamReader classifies the errors of a streaming GET.
type streamReader struct {
	obj io.ReadCloser
	c   *Client
	u   URL
}

func (r *streamReader) Read(p []byte) (int, error) {
	n, err := r.obj.Read(p)
	if err != nil && err != io.EOF {
		err = r.c.classify("read", r.u, err)
	}
	return n, err
}

func (r *streamReader) Close() error { return r.obj.Close() }
