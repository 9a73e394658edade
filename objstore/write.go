package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/evalgate/evalgate/atomicfile"
)

// partSize is the part size of a multipart upload of unknown length;
// memory per upload is about one part.
const partSize = 16 << 20

// Put uploads r to the object at rawURL, atomically: the object appears
// whole once r is read to its end, or not at all. size is r's length, or
// -1 when unknown (a multipart upload of 16 MiB parts). When r fails or
// ctx ends, the upload is aborted and nothing is left at the key (an
// object that was there before stays as it was).
func (c *Client) Put(ctx context.Context, rawURL string, r io.Reader, size int64) error {
	u, err := Parse(rawURL)
	if err != nil {
		return err
	}
	return c.put(ctx, u, r, size)
}

func (c *Client) put(ctx context.Context, u URL, r io.Reader, size int64) error {
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", PartSize: partSize}
	_, err := c.mc.PutObject(ctx, u.Bucket, u.Key, r, size, opts)
	if err != nil {
		c.abortUploads(u)
		return c.classify("put", u, err)
	}
	return nil
}

// abortUploads removes any incomplete multipart upload left at u's key,
// with a context of its own: the caller's may be what ended the upload.
func (c *Client) abortUploads(u URL) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_ = c.mc.RemoveIncompleteUpload(ctx, u.Bucket, u.Key)
}

// PutFile uploads the local file at local to the object at rawURL,
// atomically, as Put does.
func (c *Client) PutFile(ctx context.Context, local, rawURL string) error {
	f, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("upload %s: %w", local, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("upload %s: %w", local, err)
	}
	// A file that grows while it is uploaded (a journal at a checkpoint)
	// is uploaded as it was when stat'ed.
	return c.Put(ctx, rawURL, io.LimitReader(f, st.Size()), st.Size())
}

// ObjectInfo is one object of a listing.
type ObjectInfo struct {
	// Key is the object's key relative to the listed prefix, with "/"
	// separators ("shard-0-of-4/results.parquet").
	Key  string
	Size int64 // bytes
	ETag string
}

// List returns every object under the prefix rawURL (s3://bucket/prefix,
// taken as a folder), recursively, sorted by key. It holds the listing in
// memory: it is for output folders, not for millions of objects.
func (c *Client) List(ctx context.Context, rawURL string) ([]ObjectInfo, error) {
	u, err := ParsePrefix(rawURL)
	if err != nil {
		return nil, err
	}
	prefix := u.prefix()
	var out []ObjectInfo
	for oi := range c.mc.ListObjects(ctx, u.Bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if oi.Err != nil {
			return nil, c.classify("list", u, oi.Err)
		}
		out = append(out, ObjectInfo{Key: strings.TrimPrefix(oi.Key, prefix), Size: oi.Size, ETag: oi.ETag})
	}
	slices.SortFunc(out, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// lastFiles are published after every other file, in this order: a
// reader that sees the report (or its signed envelope) sees the files it
// names.
var lastFiles = []string{"report.json", "report.dsse.json"}

// Publish uploads every regular file under the local folder dir to the
// prefix rawURL, keeping relative paths, each atomically (see Put), and
// report.json and report.dsse.json (at any depth) after all others. skip,
// when not nil, leaves out the files (relative, slash-separated) it
// returns true for. Objects under the prefix that dir does not have are
// left alone. It returns the relative paths uploaded.
func (c *Client) Publish(ctx context.Context, dir, rawURL string, skip func(rel string) bool) ([]string, error) {
	u, err := ParsePrefix(rawURL)
	if err != nil {
		return nil, err
	}
	var files []string
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if skip == nil || !skip(rel) {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", dir, err)
	}
	rank := func(rel string) int { return slices.Index(lastFiles, path.Base(rel)) + 1 }
	slices.SortStableFunc(files, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	for i, rel := range files {
		if err := c.PutFile(ctx, filepath.Join(dir, filepath.FromSlash(rel)), u.Join(rel).String()); err != nil {
			return files[:i], fmt.Errorf("publish %s to %s: %w", dir, u, err)
		}
	}
	return files, nil
}

// Mirror downloads every object under the prefix rawURL into the local
// folder dir, keeping relative paths, streaming each object to a
// temporary file that is renamed into place when complete. keep, when not
// nil, selects the objects to download (ObjectInfo.Key is relative). A key that
// would land outside dir (an absolute path, a .. segment) is an error. It
// returns the relative paths written.
func (c *Client) Mirror(ctx context.Context, rawURL, dir string, keep func(ObjectInfo) bool) ([]string, error) {
	u, err := ParsePrefix(rawURL)
	if err != nil {
		return nil, err
	}
	objs, err := c.List(ctx, rawURL)
	if err != nil {
		return nil, err
	}
	var got []string
	for _, oi := range objs {
		if strings.HasSuffix(oi.Key, "/") || (keep != nil && !keep(oi)) {
			continue
		}
		if !filepath.IsLocal(filepath.FromSlash(oi.Key)) {
			return got, fmt.Errorf("mirror %s: key %q does not name a file inside %s", u, oi.Key, dir)
		}
		dst := filepath.Join(dir, filepath.FromSlash(oi.Key))
		if err := c.download(ctx, u.Join(oi.Key), dst); err != nil {
			return got, fmt.Errorf("mirror %s: %w", u, err)
		}
		got = append(got, oi.Key)
	}
	return got, nil
}

// download streams the object at u to the local file dst.
func (c *Client) download(ctx context.Context, u URL, dst string) error {
	r, _, err := c.NewReader(ctx, u.String())
	if err != nil {
		return err
	}
	defer r.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("download %s: %w", u, err)
	}
	f, err := atomicfile.Create(dst, 0o644)
	if err != nil {
		return fmt.Errorf("download %s: %w", u, err)
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Abort()
		var oe *Error
		if errors.As(err, &oe) {
			return err
		}
		return fmt.Errorf("download %s to %s: %w", u, dst, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("download %s: %w", u, err)
	}
	return nil
}
