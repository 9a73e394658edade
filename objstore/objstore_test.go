package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/evalgate/evalgate/internal/miniotest"
	"github.com/evalgate/evalgate/objstore"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, bucket, key string
		bad             bool
	}{
		{in: "s3://evals/sets/a.parquet", bucket: "evals", key: "sets/a.parquet"},
		{in: "s3://evals/", bad: true},
		{in: "s3://evals", bad: true},
		{in: "s3://Evals/a", bad: true},
		{in: "s3://ev/a", bad: true},
		{in: "s3://evals/a/../b", bad: true},
		{in: "s3://evals/a//b", bad: true},
		{in: "/local/a.parquet", bad: true},
	} {
		u, err := objstore.Parse(tc.in)
		if tc.bad {
			if err == nil || !errors.Is(err, objstore.ErrBadURL) || !strings.Contains(err.Error(), tc.in) {
				t.Errorf("Parse(%q) = %v, %v; want an ErrBadURL naming the URL", tc.in, u, err)
			}
			continue
		}
		if err != nil || u.Bucket != tc.bucket || u.Key != tc.key || u.String() != tc.in {
			t.Errorf("Parse(%q) = %+v, %v", tc.in, u, err)
		}
	}
}

// setup starts MinIO and returns a client, a raw minio client for
// checks, and a bucket made for the test.
func setup(t *testing.T) (*miniotest.Server, *objstore.Client, *minio.Client, string) {
	t.Helper()
	srv := miniotest.Start(t)
	ctx := context.Background()
	c, err := objstore.NewClient(ctx, miniotest.Getenv(srv.Env(nil)))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := minio.New(strings.TrimPrefix(srv.Endpoint, "http://"), &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.MakeBucket(ctx, "evals", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	return srv, c, raw, "evals"
}

func randomBytes(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestObjectStore(t *testing.T) {
	srv, c, raw, bucket := setup(t)
	ctx := context.Background()
	data := randomBytes(3<<20 + 12345)
	url := "s3://" + bucket + "/sets/a.bin"
	if err := c.Put(ctx, url, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}

	t.Run("ReadAt", func(t *testing.T) {
		o, err := c.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		if o.Size() != int64(len(data)) {
			t.Fatalf("size %d, want %d", o.Size(), len(data))
		}
		for _, r := range [][2]int{{0, 10}, {1<<20 - 5, 1<<20 + 5}, {len(data) - 100, len(data)}, {5, 3<<20 + 7}} {
			buf := make([]byte, r[1]-r[0])
			n, err := o.ReadAt(buf, int64(r[0]))
			if (err != nil && err != io.EOF) || n != len(buf) || !bytes.Equal(buf, data[r[0]:r[1]]) {
				t.Errorf("ReadAt %v: n=%d err=%v, equal=%v", r, n, err, bytes.Equal(buf, data[r[0]:r[1]]))
			}
		}
		if n, err := o.ReadAt(make([]byte, 10), int64(len(data)-4)); n != 4 || err != io.EOF {
			t.Errorf("ReadAt past the end: %d, %v; want 4, EOF", n, err)
		}
	})

	t.Run("Stream", func(t *testing.T) {
		r, size, err := c.NewReader(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		got, err := io.ReadAll(r)
		if err != nil || size != int64(len(data)) || !bytes.Equal(got, data) {
			t.Fatalf("NewReader: %d bytes (size %d), %v", len(got), size, err)
		}
	})

	t.Run("ReplacedMidRead", func(t *testing.T) {
		u2 := "s3://" + bucket + "/sets/b.bin"
		if err := c.Put(ctx, u2, bytes.NewReader(data), int64(len(data))); err != nil {
			t.Fatal(err)
		}
		o, err := c.Open(ctx, u2)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.ReadAt(make([]byte, 100), 0); err != nil {
			t.Fatal(err)
		}
		other := bytes.Clone(data)
		other[len(other)-1] ^= 1
		if err := c.Put(ctx, u2, bytes.NewReader(other), int64(len(other))); err != nil {
			t.Fatal(err)
		}
		_, err = o.ReadAt(make([]byte, 100), int64(len(data)-100))
		if !errors.Is(err, objstore.ErrChanged) || !strings.Contains(err.Error(), u2) {
			t.Fatalf("read after replace: %v; want ErrChanged naming %s", err, u2)
		}
		if d, err := o.Changed(); err != nil || !strings.Contains(d, "ETag") {
			t.Fatalf("Changed() = %q, %v", d, err)
		}
	})

	t.Run("FailedUploadLeavesNothing", func(t *testing.T) {
		for _, size := range []int64{-1, 40 << 20} {
			u := "s3://" + bucket + "/out/failed.bin"
			src := io.MultiReader(bytes.NewReader(randomBytes(20<<20)), failingReader{})
			err := c.Put(ctx, u, src, size)
			if err == nil {
				t.Fatalf("size %d: Put of a failing reader succeeded", size)
			}
			if _, err := raw.StatObject(ctx, bucket, "out/failed.bin", minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != "NoSuchKey" {
				t.Fatalf("size %d: after a failed upload, stat = %v; want NoSuchKey", size, err)
			}
			// MinIO lists multipart uploads by exact key only.
			for up := range raw.ListIncompleteUploads(ctx, bucket, "out/failed.bin", true) {
				t.Fatalf("size %d: incomplete upload left: %+v", size, up)
			}
		}
	})

	t.Run("InterruptedUploadLeavesNothing", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		// The context ends after 20 MB, mid-way through the second part.
		src := io.MultiReader(bytes.NewReader(randomBytes(20<<20)), cancelReader{cancel}, bytes.NewReader(randomBytes(20<<20)))
		if err := c.Put(cctx, "s3://"+bucket+"/out/interrupted.bin", src, -1); err == nil {
			t.Fatal("an interrupted Put succeeded")
		}
		if _, err := raw.StatObject(ctx, bucket, "out/interrupted.bin", minio.StatObjectOptions{}); minio.ToErrorResponse(err).Code != "NoSuchKey" {
			t.Fatalf("after an interrupted upload, stat = %v; want NoSuchKey", err)
		}
		for up := range raw.ListIncompleteUploads(ctx, bucket, "out/interrupted.bin", true) {
			t.Fatalf("incomplete upload left: %+v", up)
		}
	})

	t.Run("PublishAndMirror", func(t *testing.T) {
		dir := t.TempDir()
		files := map[string]string{
			"report.json":                          "{}",
			"report.dsse.json":                     "{\"payload\":\"\"}",
			"results.parquet":                      "PAR1",
			"shard-0-of-2/journal-candidate.jsonl": "{}\n",
			"z-last-alphabetically.md":             "# r",
			".evalgate.lock":                       "",
		}
		for rel, body := range files {
			p := filepath.Join(dir, filepath.FromSlash(rel))
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := c.Publish(ctx, dir, "s3://"+bucket+"/runs/1", func(rel string) bool { return rel == ".evalgate.lock" })
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 5 || got[3] != "report.json" || got[4] != "report.dsse.json" {
			t.Fatalf("published %v; want 5 files, report.json then report.dsse.json last", got)
		}
		list, err := c.List(ctx, "s3://"+bucket+"/runs/1")
		if err != nil || len(list) != 5 {
			t.Fatalf("List: %v, %v", list, err)
		}
		back := t.TempDir()
		mirrored, err := c.Mirror(ctx, "s3://"+bucket+"/runs/1/", back, func(oi objstore.ObjectInfo) bool {
			return strings.HasSuffix(oi.Key, ".jsonl") || oi.Key == "report.json"
		})
		if err != nil || len(mirrored) != 2 {
			t.Fatalf("Mirror: %v, %v", mirrored, err)
		}
		b, err := os.ReadFile(filepath.Join(back, "shard-0-of-2", "journal-candidate.jsonl"))
		if err != nil || string(b) != "{}\n" {
			t.Fatalf("mirrored journal: %q, %v", b, err)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		wrong, err := objstore.NewClient(ctx, miniotest.Getenv(srv.Env(map[string]string{"AWS_SECRET_ACCESS_KEY": "distinctive-wrong-secret-93f1"})))
		if err != nil {
			t.Fatal(err)
		}
		_, err = wrong.Open(ctx, url)
		if !errors.Is(err, objstore.ErrCredentials) || !objstore.IsBadInput(err) ||
			!strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") || strings.Contains(err.Error(), "distinctive-wrong-secret-93f1") {
			t.Errorf("wrong secret: %v", err)
		}
		_, err = c.Open(ctx, "s3://no-such-bucket-x/a.parquet")
		if !errors.Is(err, objstore.ErrNoBucket) || !strings.Contains(err.Error(), `"no-such-bucket-x"`) {
			t.Errorf("missing bucket: %v", err)
		}
		_, err = c.Open(ctx, "s3://"+bucket+"/missing.parquet")
		if !errors.Is(err, objstore.ErrNotFound) || !strings.Contains(err.Error(), "s3://"+bucket+"/missing.parquet") {
			t.Errorf("missing object: %v", err)
		}
		_, err = objstore.NewClient(ctx, miniotest.Getenv(map[string]string{"AWS_EC2_METADATA_DISABLED": "true", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/c"}))
		if !errors.Is(err, objstore.ErrNoCredentials) || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID") || !strings.Contains(err.Error(), "/nonexistent/c") {
			t.Errorf("no credentials: %v", err)
		}
	})

	t.Run("SharedCredentialsFile", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "credentials")
		body := "[ci]\naws_access_key_id = " + srv.AccessKey + "\naws_secret_access_key = " + srv.SecretKey + "\n"
		if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		env := srv.Env(map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SHARED_CREDENTIALS_FILE": file, "AWS_PROFILE": "ci"})
		fc, err := objstore.NewClient(ctx, miniotest.Getenv(env))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fc.Open(ctx, url); err != nil {
			t.Fatal(err)
		}
	})
}

// cancelReader cancels a context when it is read, and ends.
type cancelReader struct{ cancel context.CancelFunc }

func (c cancelReader) Read([]byte) (int, error) { c.cancel(); return 0, io.EOF }

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("source failed mid-upload") }
