package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/parquet-go/parquet-go"

	"github.com/evalgate/evalgate/internal/miniotest"
	"github.com/evalgate/evalgate/objstore"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/reports"
)

// s3Fixture is a MinIO server with a bucket "evals" holding the
// quickstart eval set at s3://evals/sets/support-qa.parquet.
type s3Fixture struct {
	srv *miniotest.Server
	raw *minio.Client
	obj *objstore.Client
}

const s3Set = "s3://evals/sets/support-qa.parquet"

func newS3Fixture(t *testing.T) *s3Fixture {
	t.Helper()
	srv := miniotest.Start(t)
	ctx := context.Background()
	raw, err := minio.New(strings.TrimPrefix(srv.Endpoint, "http://"), &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.MakeBucket(ctx, "evals", minio.MakeBucketOptions{}); err != nil {
		t.Fatal(err)
	}
	obj, err := objstore.NewClient(ctx, miniotest.Getenv(srv.Env(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := obj.PutFile(ctx, exampleSet, s3Set); err != nil {
		t.Fatal(err)
	}
	return &s3Fixture{srv: srv, raw: raw, obj: obj}
}

// env is the environment of an evalgate command talking to the fixture.
func (f *s3Fixture) env(extra map[string]string) map[string]string {
	return f.srv.Env(extra)
}

// quickstartOnS3 is the quickstart config with its eval set in object
// storage.
func quickstartOnS3(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(quickstart)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "path: ../datasets/examples/support-qa.parquet", "path: "+s3Set, 1)
	if s == string(b) {
		t.Fatal("the quickstart's dataset.path moved; update this test")
	}
	return writeConfig(t, s)
}

// TestRunOnObjectStorage runs the quickstart with its eval set and its
// output in MinIO: the report published to the prefix verifies against
// the published results and the eval set, and names the set by its URL.
func TestRunOnObjectStorage(t *testing.T) {
	f := newS3Fixture(t)
	cfg := quickstartOnS3(t)
	priv, pub := keygen(t, "ed25519")
	work := t.TempDir()
	res := runCLI(t, context.Background(), f.env(nil), "run", "-c", cfg, "--out", "s3://evals/runs/q1", "--work", work, "--key", priv, "--quiet")
	if res.code != exitOK {
		t.Fatalf("run: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if !strings.Contains(res.stderr, "to s3://evals/runs/q1") {
		t.Errorf("run does not say where it published:\n%s", res.stderr)
	}
	list, err := f.obj.List(context.Background(), "s3://evals/runs/q1")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range list {
		keys = append(keys, o.Key)
		if strings.HasPrefix(o.Key, ".") {
			t.Errorf("published a local file %s", o.Key)
		}
	}
	for _, want := range []string{"report.json", "report.dsse.json", "results.parquet", "production-results.parquet", "journal-candidate.jsonl"} {
		if !strings.Contains(" "+strings.Join(keys, " ")+" ", " "+want+" ") {
			t.Errorf("the prefix lacks %s: %v", want, keys)
		}
	}
	back := t.TempDir()
	if _, err := f.obj.Mirror(context.Background(), "s3://evals/runs/q1", back, nil); err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, back)
	if rep.Dataset.Path != s3Set {
		t.Errorf("report dataset.path = %q, want %q", rep.Dataset.Path, s3Set)
	}
	// cache key streams the object's digest: the report's.
	res = runCLI(t, context.Background(), f.env(nil), "cache", "key", "-c", cfg, "--json")
	if res.code != exitOK || !strings.Contains(res.stdout, `"dataset_sha256": "`+rep.Dataset.SHA256+`"`) {
		t.Errorf("cache key: exit %d, want the set's digest %s\n%s%s", res.code, rep.Dataset.SHA256, res.stdout, res.stderr)
	}
	res = runCLI(t, context.Background(), nil, "verify", "--key", pub, "--require-allow",
		filepath.Join(back, "report.dsse.json"), filepath.Join(back, "results.parquet"), filepath.Join(back, "production-results.parquet"), exampleSet, cfg)
	if res.code != exitOK || !strings.Contains(res.stdout, "matches subject support-qa.parquet") {
		t.Fatalf("verify: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}

	// A history folder may be a prefix: it is mirrored and read as a folder.
	res = runCLI(t, context.Background(), f.env(nil), "history", "s3://evals/runs/q1", "--key", pub, "--out", t.TempDir())
	if res.code != exitOK || !strings.Contains(res.stdout, "1 signed reports verified") {
		t.Errorf("history over a prefix: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}

	// The same config read from the local set gives the same verdict and
	// metrics: the object is read as the file is.
	local := t.TempDir()
	lcfg := writeConfig(t, strings.Replace(string(mustRead(t, cfg)), s3Set, exampleSet, 1))
	if res := runCLI(t, context.Background(), nil, "run", "-c", lcfg, "--out", local, "--quiet"); res.code != exitOK {
		t.Fatalf("local run: exit %d\n%s", res.code, res.stderr)
	}
	lrep := readReport(t, local)
	if lrep.Dataset.SHA256 != rep.Dataset.SHA256 || fmt.Sprint(lrep.Candidate.Accuracy.Overall) != fmt.Sprint(rep.Candidate.Accuracy.Overall) || lrep.Verdict != rep.Verdict {
		t.Errorf("s3 and local runs differ: sha %s vs %s, accuracy %+v vs %+v", rep.Dataset.SHA256, lrep.Dataset.SHA256, rep.Candidate.Accuracy.Overall, lrep.Candidate.Accuracy.Overall)
	}
}

// TestObjectStorageErrors: wrong credentials and a missing bucket exit 2
// with a message that names the variable or the bucket, and the secret
// appears nowhere.
func TestObjectStorageErrors(t *testing.T) {
	f := newS3Fixture(t)
	const wrong = "WRONG-s3-secret-7f3a9c2e51"
	bad := f.env(map[string]string{"AWS_SECRET_ACCESS_KEY": wrong})
	cfg := quickstartOnS3(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"wrong secret, s3 eval set", bad, []string{"run", "-c", cfg, "--quiet"}, []string{"AWS_ACCESS_KEY_ID", "rejected the credentials", "SignatureDoesNotMatch", s3Set}},
		{"wrong secret, s3 out", bad, []string{"run", "-c", quickstart, "--out", "s3://evals/runs/x", "--quiet"}, []string{"AWS_ACCESS_KEY_ID", "rejected the credentials"}},
		{"wrong secret, sample", bad, []string{"sample", "--from", s3Set, "--n", "5", "--seed", "1", "--out", "OUT/s.parquet"}, []string{"AWS_ACCESS_KEY_ID", "rejected the credentials"}},
		{"missing bucket, eval set", f.env(nil), []string{"run", "-c", writeConfig(t, strings.Replace(string(mustRead(t, cfg)), s3Set, "s3://no-such-bucket-e2e/set.parquet", 1)), "--quiet"}, []string{`bucket "no-such-bucket-e2e" does not exist`}},
		{"missing bucket, out", f.env(nil), []string{"run", "-c", quickstart, "--out", "s3://no-such-bucket-out/r", "--quiet"}, []string{`bucket "no-such-bucket-out" does not exist`}},
		{"missing object", f.env(nil), []string{"sample", "--from", "s3://evals/logs/none.parquet", "--n", "5", "--seed", "1", "--out", "OUT/s.parquet"}, []string{"s3://evals/logs/none.parquet: no such object"}},
		{"no credentials", map[string]string{"AWS_ENDPOINT_URL": f.srv.Endpoint, "AWS_EC2_METADATA_DISABLED": "true", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials"}, []string{"run", "-c", cfg, "--quiet"}, []string{"no object-storage credentials found", "AWS_ACCESS_KEY_ID", "/nonexistent/credentials"}},
		{"bad URL", f.env(nil), []string{"sample", "--from", "s3://Bad_Bucket/k", "--n", "5", "--seed", "1", "--out", "OUT/s.parquet"}, []string{"s3://Bad_Bucket/k", "bad bucket name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				args[i] = strings.Replace(a, "OUT", out, 1)
			}
			if args[0] == "run" && !strings.Contains(strings.Join(args, " "), "--out") {
				args = append(args, "--out", out)
			}
			res := runCLI(t, context.Background(), tc.env, args...)
			t.Logf("stderr: %s", res.stderr)
			if res.code != exitUsage {
				t.Fatalf("exit %d, want %d\nstdout %s\nstderr %s", res.code, exitUsage, res.stdout, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
				}
			}
			if strings.Contains(res.stdout+res.stderr, wrong) || strings.Contains(res.stdout+res.stderr, f.srv.SecretKey) {
				t.Errorf("a secret reached stdout or stderr:\n%s\n%s", res.stdout, res.stderr)
			}
			filepath.WalkDir(out, func(p string, d os.DirEntry, err error) error {
				if err == nil && d.Type().IsRegular() {
					if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(wrong)) || bytes.Contains(b, []byte(f.srv.SecretKey)) {
						t.Errorf("a secret reached %s", p)
					}
				}
				return nil
			})
		})
	}
}

// TestSIGKILLAndResumeOnObjectStorage kills a run whose output is in
// object storage, then resumes it from another, empty staging folder (a
// new pod): the journals checkpointed to the prefix are downloaded and
// the calls they hold are not made again.
func TestSIGKILLAndResumeOnObjectStorage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	f := newS3Fixture(t)
	srv := newSlowServer(t, 20*time.Millisecond)
	cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: m, base_url: %s/v1, api_key_env: none}\nrun: {concurrency: 4, cache: \"off\", checkpoint: 100ms}\ngate: [{metric: errors.rate, max: 0.5}]\nprompt: {template: \"{{.ID}}: {{.Input}}\"}\n", s3Set, srv.URL))
	const out = "s3://evals/runs/killed"
	journalKey := "runs/killed/journal-candidate.jsonl"

	cmd := exec.Command(os.Args[0], "run", "-c", cfg, "--out", out, "--work", t.TempDir(), "--quiet")
	cmd.Env = append(os.Environ(), "EVALGATE_TEST_MAIN=1")
	for k, v := range f.env(nil) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until a checkpoint holds 100 calls, then kill.
	for deadline := time.Now().Add(60 * time.Second); s3JournalLines(t, f.raw, journalKey) < 100; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("no checkpoint of 100 calls in 60 s")
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	before := srv.count()
	done := s3JournalLines(t, f.raw, journalKey)
	if done >= 400 {
		t.Fatalf("the child finished all %d calls before the kill", done)
	}

	res := runCLI(t, context.Background(), f.env(nil), "run", "-c", cfg, "--out", out, "--work", t.TempDir(), "--resume", "--quiet")
	if res.code != exitOK {
		t.Fatalf("resume: exit %d\n%s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, fmt.Sprintf("resuming: %d of 400 calls already done", done)) {
		t.Errorf("resume did not resume the %d checkpointed calls:\n%s", done, res.stderr)
	}
	if made := srv.count() - before; made != 400-done {
		t.Errorf("the resumed run made %d calls; the checkpoint held %d of 400, so want %d", made, done, 400-done)
	}
	back := t.TempDir()
	if _, err := f.obj.Mirror(context.Background(), out, back, nil); err != nil {
		t.Fatal(err)
	}
	if rep := readReport(t, back); rep.Verdict != reports.Allow || rep.Candidate.Calls != 400 {
		t.Errorf("resumed report: verdict %s, %d calls", rep.Verdict, rep.Candidate.Calls)
	}
}

// s3JournalLines counts the calls in a journal object (its lines less the
// header; a torn last line is not a call).
func s3JournalLines(t *testing.T, raw *minio.Client, key string) int {
	t.Helper()
	obj, err := raw.GetObject(context.Background(), "evals", key, minio.GetObjectOptions{})
	if err != nil {
		return 0
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if err != nil {
		return 0
	}
	n := bytes.Count(b, []byte("\n")) - 1
	return max(n, 0)
}

// TestSampleStreamsFromObjectStorage samples a 240 MB production log in
// MinIO in a child process and checks that its peak memory stays far
// below the log's size: the log is read in ranges, never whole.
func TestSampleStreamsFromObjectStorage(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 240 MB log")
	}
	f := newS3Fixture(t)
	logs := filepath.Join(t.TempDir(), "logs.parquet")
	size := writeBigLog(t, logs, 110_000, 2200)
	if err := f.obj.PutFile(context.Background(), logs, "s3://evals/logs/big.parquet"); err != nil {
		t.Fatal(err)
	}
	os.Remove(logs)
	out := filepath.Join(t.TempDir(), "sample.parquet")
	cmd := exec.Command(os.Args[0], "sample", "--from", "s3://evals/logs/big.parquet", "--n", "200", "--seed", "7", "--out", out)
	cmd.Env = append(os.Environ(), "EVALGATE_TEST_MAIN=1")
	for k, v := range f.env(nil) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("sample: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "sampled 200 of 110000 eligible rows") {
		t.Errorf("sample output:\n%s", stdout.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no rusage on this system")
	}
	peak := ru.Maxrss * 1024 // kilobytes on Linux
	t.Logf("log %d MB, peak RSS of sample %d MB", size>>20, peak>>20)
	if peak > size/2 {
		t.Errorf("sample's peak RSS %d MB is not far below the log's %d MB: the log was not streamed", peak>>20, size>>20)
	}
}

// writeBigLog writes a production log of rows rows, each input about
// width bytes of incompressible text, in row groups of 5000 rows, and
// returns its size.
func writeBigLog(t *testing.T, path string, rows, width int) int64 {
	t.Helper()
	type row struct {
		ID    string `parquet:"id"`
		Input string `parquet:"input"`
	}
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(fh, 1<<20)
	w := parquet.NewGenericWriter[row](bw)
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	raw := make([]byte, width*3/4)
	batch := make([]row, 0, 500)
	for i := range rows {
		for j := range raw {
			raw[j] = byte(rng.Uint32())
		}
		batch = append(batch, row{ID: fmt.Sprintf("log-%07d", i), Input: base64.StdEncoding.EncodeToString(raw)})
		if len(batch) == cap(batch) || i == rows-1 {
			if _, err := w.Write(batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
		if (i+1)%5000 == 0 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	st, err := fh.Stat()
	if err != nil {
		t.Fatal(err)
	}
	fh.Close()
	return st.Size()
}

// TestInterruptedRunPublishesOnObjectStorage: a run with an s3:// output
// interrupted mid-way still publishes its INCOMPLETE report and journals
// (exit 3), and a run whose s3:// eval set is replaced mid-run stops with
// exit 2 instead of mixing two versions of the set.
func TestInterruptedRunPublishesOnObjectStorage(t *testing.T) {
	f := newS3Fixture(t)
	cfgFor := func(url string) string {
		return writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: m, base_url: %s/v1, api_key_env: TEST_KEY}\nrun: {concurrency: 2, cache: \"off\"}\ngate: [{metric: errors.rate, max: 0.5}]\n", s3Set, url))
	}

	t.Run("interrupt", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		srv, _ := fakeOpenAI(t, func(int64) int { return 0 }, func(n int64) {
			if n == 20 {
				cancel() // as SIGINT would
			}
		})
		res := runCLI(t, ctx, f.env(map[string]string{"TEST_KEY": secretKey}), "run", "-c", cfgFor(srv.URL), "--out", "s3://evals/runs/interrupted", "--quiet")
		if res.code != exitRunFail {
			t.Fatalf("exit %d, want %d\n%s", res.code, exitRunFail, res.stderr)
		}
		back := t.TempDir()
		if _, err := f.obj.Mirror(context.Background(), "s3://evals/runs/interrupted", back, nil); err != nil {
			t.Fatal(err)
		}
		if rep := readReport(t, back); rep.Status != reports.Incomplete {
			t.Errorf("published report status %s, want INCOMPLETE", rep.Status)
		}
		if journalLines(t, filepath.Join(back, "journal-candidate.jsonl")) == 0 {
			t.Error("the journal was not published")
		}
		assertNoSecret(t, back, res)
	})

	t.Run("set replaced mid-run", func(t *testing.T) {
		const url = "s3://evals/sets/replaced.parquet"
		if err := f.obj.PutFile(context.Background(), exampleSet, url); err != nil {
			t.Fatal(err)
		}
		other := mustRead(t, exampleSet)
		replaced := make(chan error, 1)
		srv, _ := fakeOpenAI(t, func(int64) int { return 0 }, func(n int64) {
			if n == 20 {
				// A different object at the same key: the same set with
				// its last byte changed is enough for another ETag.
				b := bytes.Clone(other)
				b[len(b)-1] ^= 0xff
				replaced <- f.obj.Put(context.Background(), url, bytes.NewReader(b), int64(len(b)))
			}
		})
		cfg := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: m, base_url: %s/v1, api_key_env: TEST_KEY}\nrun: {concurrency: 2, cache: \"off\"}\ngate: [{metric: errors.rate, max: 0.5}]\n", url, srv.URL))
		res := runCLI(t, context.Background(), f.env(map[string]string{"TEST_KEY": secretKey}), "run", "-c", cfg, "--out", t.TempDir(), "--quiet")
		select {
		case err := <-replaced:
			if err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("the run ended before the set was replaced: exit %d\n%s", res.code, res.stderr)
		}
		t.Logf("stderr: %s", res.stderr)
		if res.code != exitUsage || !strings.Contains(res.stderr, url+" changed while evalgate was reading it") {
			t.Fatalf("exit %d, want %d naming the replaced set\n%s", res.code, exitUsage, res.stderr)
		}
	})
}

// TestShardsAndMergeOnObjectStorage runs the quickstart as 3 shards whose
// eval set and outputs are in MinIO, as the Kubernetes example does (each
// shard with its own empty work folder, as a new pod has), then merges
// from the prefix into the prefix: each shard published only its own
// folder, the merged report verifies against the published shard files,
// and it equals a merge of the same shards on local disk.
func TestShardsAndMergeOnObjectStorage(t *testing.T) {
	f := newS3Fixture(t)
	cfg := quickstartOnS3(t)
	priv, pub := keygen(t, "ed25519")
	const out = "s3://evals/runs/sharded"
	const n = 3
	ctx := context.Background()
	written := map[string]time.Time{} // key → when it was last written
	for i := range n {
		res := runCLI(t, ctx, f.env(map[string]string{jobIndexEnv: fmt.Sprint(i)}), "run", "-c", cfg, "--shards", fmt.Sprint(n), "--out", out, "--work", t.TempDir(), "--quiet")
		if res.code != exitOK {
			t.Fatalf("shard %d: exit %d\n%s\n%s", i, res.code, res.stdout, res.stderr)
		}
		// Shard i published its own folder and nothing else: no other
		// key, and no earlier shard's object written again.
		for o := range f.raw.ListObjects(ctx, "evals", minio.ListObjectsOptions{Prefix: "runs/sharded/", Recursive: true}) {
			if o.Err != nil {
				t.Fatal(o.Err)
			}
			o.Key = strings.TrimPrefix(o.Key, "runs/sharded/")
			s, ok := pipeline.ParseShardDir(path.Dir(o.Key))
			switch {
			case !ok || s.Index > i:
				t.Errorf("after shard %d, the prefix holds %s", i, o.Key)
			case s.Index < i && !o.LastModified.Equal(written[o.Key]):
				t.Errorf("shard %d wrote shard %d's %s again", i, s.Index, o.Key)
			}
			written[o.Key] = o.LastModified
		}
		time.Sleep(time.Second) // S3 times are in seconds: a rewrite must show
	}
	res := runCLI(t, ctx, f.env(nil), "merge", "-c", cfg, "--out", out, "--key", priv)
	if res.code != exitOK {
		t.Fatalf("merge: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	back := t.TempDir()
	if _, err := f.obj.Mirror(ctx, out, back, nil); err != nil {
		t.Fatal(err)
	}
	rep := readReport(t, back)
	if rep.Status != reports.Complete || len(rep.Shards) != n || rep.Candidate.Calls != 400 {
		t.Fatalf("merged report: %s, %d shards, %d calls", rep.Status, len(rep.Shards), rep.Candidate.Calls)
	}
	args := []string{"verify", "--key", pub, "--require-allow", filepath.Join(back, "report.dsse.json"), filepath.Join(back, "results.parquet")}
	for i := range n {
		args = append(args, filepath.Join(back, pipeline.ShardDir(pipeline.Shard{Index: i, Count: n}), "results.parquet"))
	}
	if res := runCLI(t, ctx, nil, args...); res.code != exitOK {
		t.Fatalf("verify: exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}

	// The same shard folders merged on local disk give the same report.
	local := t.TempDir()
	var dirs []string
	for i := range n {
		d := pipeline.ShardDir(pipeline.Shard{Index: i, Count: n})
		if err := os.CopyFS(filepath.Join(local, d), os.DirFS(filepath.Join(back, d))); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, filepath.Join(local, d))
	}
	lres := runCLI(t, ctx, f.env(nil), append([]string{"merge", "-c", cfg, "--out", local}, dirs...)...)
	if lres.code != exitOK {
		t.Fatalf("local merge: exit %d\n%s", lres.code, lres.stderr)
	}
	if got, want := mergeMasked(t, rep), mergeMasked(t, readReport(t, local)); !bytes.Equal(got, want) {
		t.Errorf("the merge on object storage differs from the local one:\n%s", firstDiff(got, want))
	}

	// Shard folders given as prefixes are fetched and named as they are.
	argDirs := []string{}
	for i := range n {
		argDirs = append(argDirs, out+"/"+pipeline.ShardDir(pipeline.Shard{Index: i, Count: n}))
	}
	ares := runCLI(t, ctx, f.env(nil), append([]string{"merge", "-c", cfg, "--out", t.TempDir()}, argDirs...)...)
	if ares.code != exitOK {
		t.Fatalf("merge of prefixes: exit %d\n%s", ares.code, ares.stderr)
	}
}

// TestStageKeepsTheNewerJournal: a staging folder kept across restarts
// (--work on a volume) may hold a journal newer than the prefix's last
// checkpoint; staging keeps whichever is longer (a journal only grows),
// so a restart never goes back to the checkpoint and pays again.
func TestStageKeepsTheNewerJournal(t *testing.T) {
	f := newS3Fixture(t)
	ctx := context.Background()
	const out = "s3://evals/runs/stage"
	for _, tt := range []struct {
		name          string
		local, remote string
		want          string
	}{
		{"local newer", "a\nb\nc\n", "a\n", "a\nb\nc\n"},
		{"remote newer", "a\n", "a\nb\n", "a\nb\n"},
		{"no local", "", "a\nb\n", "a\nb\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			work := t.TempDir()
			dir := filepath.Join(work, "shard-1-of-2")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if tt.local != "" {
				if err := os.WriteFile(filepath.Join(dir, "journal-candidate.jsonl"), []byte(tt.local), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := f.obj.Put(ctx, out+"/shard-1-of-2/journal-candidate.jsonl", strings.NewReader(tt.remote), int64(len(tt.remote))); err != nil {
				t.Fatal(err)
			}
			if _, err := pipeline.StageOut(ctx, out, work, "shard-1-of-2", miniotest.Getenv(f.srv.Env(nil)), nil); err != nil {
				t.Fatal(err)
			}
			if got := string(mustRead(t, filepath.Join(dir, "journal-candidate.jsonl"))); got != tt.want {
				t.Errorf("staged journal %q, want %q", got, tt.want)
			}
		})
	}
}
