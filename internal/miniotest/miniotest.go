// Package miniotest starts a real MinIO server for tests of object
// storage: Start finds (or builds, once) the minio binary, runs it on a
// loopback port over a temporary folder, waits until it is live and
// stops it when the test ends.
//
// The binary is, in order: $EVALGATE_MINIO; ~/.cache/evalgate-tools/bin/minio;
// minio on PATH; else it is built there with `go install` of the pinned
// version (about two minutes, under a file lock so that test packages
// running in parallel build it once). The test is skipped, with the
// reason, only when that build fails.
package miniotest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Version is the MinIO module version built when no binary is found.
const Version = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

// Server is a running MinIO server.
type Server struct {
	// Endpoint is "http://127.0.0.1:PORT", the value of AWS_ENDPOINT_URL.
	Endpoint string
	// AccessKey and SecretKey are the root credentials.
	AccessKey, SecretKey string
}

// Env returns the environment a client of the server needs:
// AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, a region,
// and the instance metadata service off. extra entries are added (and
// override).
func (s *Server) Env(extra map[string]string) map[string]string {
	env := map[string]string{
		"AWS_ENDPOINT_URL":            s.Endpoint,
		"AWS_ACCESS_KEY_ID":           s.AccessKey,
		"AWS_SECRET_ACCESS_KEY":       s.SecretKey,
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
		"AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// Getenv returns a getenv function over env.
func Getenv(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// Start starts a MinIO server and stops it when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := binary(t)
	dir := t.TempDir()
	port := freePort(t)
	console := freePort(t)
	s := &Server{
		Endpoint:  "http://127.0.0.1:" + port,
		AccessKey: "evalgate-test-" + randHex(t, 4),
		SecretKey: "minio-secret-" + randHex(t, 12),
	}
	cmd := exec.Command(bin, "server", filepath.Join(dir, "data"),
		"--address", "127.0.0.1:"+port,
		"--console-address", "127.0.0.1:"+console,
		"--certs-dir", filepath.Join(dir, "certs"),
		"--quiet")
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
	)
	logf, err := os.Create(filepath.Join(dir, "minio.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start minio (%s): %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logf.Close()
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(s.Endpoint + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "minio.log"))
			t.Fatalf("minio exited before it was live: %v\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("minio at %s not live after 90 s", s.Endpoint)
		}
	}
}

// binary finds or builds the minio binary.
func binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("EVALGATE_MINIO"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("EVALGATE_MINIO=%s: %v", p, err)
		}
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatalf("find the minio binary: %v", err)
	}
	binDir := filepath.Join(home, ".cache", "evalgate-tools", "bin")
	cached := filepath.Join(binDir, "minio")
	if isExec(cached) {
		return cached
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p
	}
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		t.Fatalf("build minio: %v", err)
	}
	unlock, err := lockFile(filepath.Join(binDir, ".minio.lock"))
	if err != nil {
		t.Fatalf("build minio: %v", err)
	}
	defer unlock()
	if isExec(cached) { // built by another package while this one waited
		return cached
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", Version)
	cmd.Env = append(os.Environ(), "GOBIN="+binDir)
	out, err := cmd.CombinedOutput()
	if err != nil || !isExec(cached) {
		t.Skipf("object-storage tests need a MinIO server: set EVALGATE_MINIO to a minio binary, or let `GOBIN=%s go install %s` succeed (it failed: %v)\n%s",
			binDir, Version, err, tail(out))
	}
	return cached
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "…" + s[len(s)-2000:]
	}
	return s
}

func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
