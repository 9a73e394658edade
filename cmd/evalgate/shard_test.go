package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/evalgate/evalgate/datasets"
	"github.com/evalgate/evalgate/pipeline"
	"github.com/evalgate/evalgate/reports"
)

// itemServer is an OpenAI-compatible chat endpoint that knows which item
// each call is for (the prompt starts "<id>|", see shardConfig) and counts
// the answers it sent per item. Calls for which hold returns true are
// never answered: they wait until the client goes away and are not
// counted, so that a test can stop a shard where no answer is in flight.
type itemServer struct {
	*httptest.Server
	delay time.Duration

	mu       sync.Mutex
	answered map[string]int
	hold     func(id string) bool
}

func newItemServer(t *testing.T, delay time.Duration) *itemServer {
	s := &itemServer{delay: delay, answered: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Messages []struct{ Content string } `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
			http.Error(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`, http.StatusBadRequest)
			return
		}
		in := req.Messages[len(req.Messages)-1].Content
		id, _, _ := strings.Cut(in, "|")
		s.mu.Lock()
		hold := s.hold != nil && s.hold(id)
		s.mu.Unlock()
		if hold {
			<-r.Context().Done()
			return
		}
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
		s.answered[id]++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"c","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}`, "answer: "+in)
	}))
	t.Cleanup(s.Close)
	return s
}

// setHold sets which items the server holds unanswered (nil: none).
func (s *itemServer) setHold(hold func(id string) bool) {
	s.mu.Lock()
	s.hold = hold
	s.mu.Unlock()
}

// counts returns a copy of the answers sent per item.
func (s *itemServer) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.answered))
	for k, v := range s.answered {
		out[k] = v
	}
	return out
}

// shardConfig writes a config that sends the quickstart set to srv, with
// prompts that name their item, and run.out under a fresh folder.
func shardConfig(t *testing.T, srv *itemServer, run string) (cfg, out string) {
	t.Helper()
	out = filepath.Join(t.TempDir(), "out")
	cfg = writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: m, base_url: %s/v1, api_key_env: none}\nrun: {out: %s, %s}\ngate: [{metric: errors.rate, max: 0.5}]\nprompt: {template: \"{{.ID}}|{{.Input}}\"}\n", exampleSet, srv.URL, out, run))
	return cfg, out
}

// setIDs returns the ids of the quickstart set, in order.
func setIDs(t *testing.T) []string {
	t.Helper()
	r, err := datasets.OpenItemColumns(exampleSet)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var ids []string
	for r.Next() {
		ids = append(ids, r.Columns().ID...)
	}
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	return ids
}

// checkShard checks shard s's folder under out: a COMPLETE shard.json
// whose counts and digest match its results file, results only for the
// shard's items, each once, and no report. It returns the results' ids.
func checkShard(t *testing.T, out string, s pipeline.Shard) []string {
	t.Helper()
	dir := filepath.Join(out, pipeline.ShardDir(s))
	m, err := pipeline.ReadShardManifest(dir)
	if err != nil {
		t.Fatalf("shard %s: %v", s, err)
	}
	if m.Status != "COMPLETE" || m.StatusReason != "" || m.Index != s.Index || m.Count != s.Count {
		t.Errorf("shard %s: manifest status %s (%q), shard %d/%d", s, m.Status, m.StatusReason, m.Index, m.Count)
	}
	path := filepath.Join(dir, m.Candidate.ResultsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != m.Candidate.ResultsSHA256 {
		t.Errorf("shard %s: manifest digest %s is not %s's", s, m.Candidate.ResultsSHA256, path)
	}
	results, _, err := datasets.ReadResults(path)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(results)) != m.Items || m.Candidate.Results != m.Items || m.Candidate.Failed != 0 || m.Candidate.Stats.Done != len(results) {
		t.Errorf("shard %s: %d results; manifest items %d, results %d, failed %d, stats.Done %d", s, len(results), m.Items, m.Candidate.Results, m.Candidate.Failed, m.Candidate.Stats.Done)
	}
	var ids []string
	seen := map[string]bool{}
	for _, r := range results {
		if !s.Has(r.ID) {
			t.Errorf("shard %s: result for item %q, which is not in the shard", s, r.ID)
		}
		if seen[r.ID] {
			t.Errorf("shard %s: item %q twice", s, r.ID)
		}
		seen[r.ID] = true
		ids = append(ids, r.ID)
	}
	for _, f := range []string{pipeline.ReportFile, pipeline.SignedReportFile, pipeline.ReviewFile, pipeline.ReviewCSVFile} {
		for _, d := range []string{dir, out} {
			if fileExistsT(filepath.Join(d, f)) {
				t.Errorf("shard %s wrote %s in %s", s, f, d)
			}
		}
	}
	return ids
}

// TestShardsPartitionTheSet runs 4 shards one after the other into one
// run.out, two by --shard and two by --shards with JOB_COMPLETION_INDEX:
// every item of the set is called once, in exactly one shard, the one
// Shard.Has names, and each manifest counts what its shard wrote.
func TestShardsPartitionTheSet(t *testing.T) {
	srv := newItemServer(t, 0)
	cfg, out := shardConfig(t, srv, `concurrency: 4, cache: "off"`)
	const n = 4
	var all []string
	for i := range n {
		s := pipeline.Shard{Index: i, Count: n}
		args := []string{"run", "-c", cfg, "--quiet", "--shard", s.String()}
		env := map[string]string{}
		if i%2 == 1 {
			args = []string{"run", "-c", cfg, "--quiet", "--shards", strconv.Itoa(n)}
			env[jobIndexEnv] = strconv.Itoa(i)
		}
		res := runCLI(t, context.Background(), env, args...)
		if res.code != exitOK {
			t.Fatalf("shard %s: exit %d: %s", s, res.code, res.stderr)
		}
		ids := checkShard(t, out, s)
		want := fmt.Sprintf("shard %s: candidate m: %s items, %s results, 0 failed; wrote %s", s, commas(int64(len(ids))), commas(int64(len(ids))), filepath.Join(out, pipeline.ShardDir(s)))
		if !strings.Contains(res.stdout, want) || !strings.Contains(res.stdout, "evalgate merge -c "+cfg) {
			t.Errorf("shard %s: stdout %q lacks %q and the merge hint", s, res.stdout, want)
		}
		all = append(all, ids...)
	}
	set := setIDs(t)
	counts := srv.counts()
	inShards := map[string]int{}
	for _, id := range all {
		inShards[id]++
	}
	for _, id := range set {
		if inShards[id] != 1 || counts[id] != 1 {
			t.Errorf("item %q: in %d shards' results, answered %d times; want 1 and 1", id, inShards[id], counts[id])
		}
	}
	if len(all) != len(set) || len(counts) != len(set) {
		t.Errorf("%d results and %d items answered, for a set of %d", len(all), len(counts), len(set))
	}
}

// TestShardDryRun: a dry run of a shard counts the shard's items and
// calls, and calls nothing.
func TestShardDryRun(t *testing.T) {
	srv := newItemServer(t, 0)
	cfg, out := shardConfig(t, srv, `concurrency: 4, cache: "off", repeats: 2`)
	s := pipeline.Shard{Index: 2, Count: 3}
	k := 0
	for _, id := range setIDs(t) {
		if s.Has(id) {
			k++
		}
	}
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--shard", "2/3", "--dry-run")
	if res.code != exitOK {
		t.Fatalf("exit %d: %s", res.code, res.stderr)
	}
	for _, want := range []string{fmt.Sprintf("shard 2/3: %d of the 400 items", k), fmt.Sprintf("candidate: openai m: %d calls", 2*k)} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("stdout %q lacks %q", res.stdout, want)
		}
	}
	if len(srv.counts()) != 0 || fileExistsT(out) {
		t.Errorf("the dry run called the server (%d items) or wrote %s", len(srv.counts()), out)
	}
}

// TestShardFlags checks --shard and --shards as they are parsed: each bad
// form exits 2 naming the problem, before any call.
func TestShardFlags(t *testing.T) {
	srv := newItemServer(t, 0)
	cfg, out := shardConfig(t, srv, `cache: "off"`)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"index unset", nil, []string{"--shards", "8"}, "JOB_COMPLETION_INDEX is not set"},
		{"index empty", map[string]string{jobIndexEnv: ""}, []string{"--shards", "8"}, "JOB_COMPLETION_INDEX is not set"},
		{"index not a number", map[string]string{jobIndexEnv: "two"}, []string{"--shards", "8"}, `JOB_COMPLETION_INDEX="two" is not an index (want 0 to 7)`},
		{"index with a sign", map[string]string{jobIndexEnv: "+1"}, []string{"--shards", "8"}, `JOB_COMPLETION_INDEX="+1" is not an index`},
		{"index out of range", map[string]string{jobIndexEnv: "8"}, []string{"--shards", "8"}, "JOB_COMPLETION_INDEX=8 is out of range: the index runs from 0 to 7"},
		{"index negative", map[string]string{jobIndexEnv: "-1"}, []string{"--shards", "8"}, "JOB_COMPLETION_INDEX=-1 is out of range"},
		{"zero shards", map[string]string{jobIndexEnv: "0"}, []string{"--shards", "0"}, `--shards "0": want a shard count from 1 to 10000`},
		{"shards not a number", map[string]string{jobIndexEnv: "0"}, []string{"--shards", "x"}, `--shards "x"`},
		{"both flags", map[string]string{jobIndexEnv: "1"}, []string{"--shards", "8", "--shard", "1/8"}, "--shard and --shards exclude each other"},
		{"index past count", nil, []string{"--shard", "8/8"}, "--shard: shard \"8/8\": the index must be below the count"},
		{"not i/n", nil, []string{"--shard", "3"}, "want INDEX/COUNT"},
		{"key", nil, []string{"--shard", "0/2", "--key", "k.pem"}, "--key belongs to evalgate merge"},
		{"require signing", nil, []string{"--shard", "0/2", "--require-signing"}, "--require-signing belongs to evalgate merge"},
		{"history", nil, []string{"--shard", "0/2", "--history", "h", "--history-key", "p.pem"}, "--history belongs to evalgate merge"},
		{"reviews", map[string]string{jobIndexEnv: "0"}, []string{"--shards", "2", "--reviews", "r", "--reviews-key", "p.pem"}, "--reviews belongs to evalgate merge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runCLI(t, context.Background(), tt.env, append([]string{"run", "-c", cfg, "--quiet"}, tt.args...)...)
			if res.code != exitUsage || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", res.code, res.stderr, exitUsage, tt.want)
			}
		})
	}
	if len(srv.counts()) != 0 || fileExistsT(out) {
		t.Errorf("a refused run called the server (%d items) or wrote %s", len(srv.counts()), out)
	}
}

// TestShardPolicy: --policy still applies to a shard.
func TestShardPolicy(t *testing.T) {
	srv := newItemServer(t, 0)
	cfg, out := shardConfig(t, srv, `cache: "off"`)
	policy := writeConfig(t, fmt.Sprintf("dataset: {path: %s}\ncandidate: {provider: openai, model: m, base_url: %s/v1, api_key_env: none}\ngate: [{metric: errors.rate, max: 0.1}]\n", exampleSet, srv.URL))
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--quiet", "--shard", "0/2", "--policy", policy)
	if res.code != exitUsage || !strings.Contains(res.stderr, "differs from the policy") {
		t.Errorf("exit %d, stderr %q; want %d and the policy named", res.code, res.stderr, exitUsage)
	}
	if len(srv.counts()) != 0 || fileExistsT(out) {
		t.Errorf("a refused run called the server or wrote %s", out)
	}
}

// TestShardIncomplete: a shard stopped by its deadline writes its
// results and an INCOMPLETE shard.json that says how to finish, exits 3,
// and the same command again finishes it without calling an item twice
// (the deadline aside, the config is the same).
func TestShardIncomplete(t *testing.T) {
	srv := newItemServer(t, 10*time.Millisecond)
	cfg, out := shardConfig(t, srv, `concurrency: 1, cache: "off", deadline: 300ms, grace: 1s`)
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--quiet", "--shard", "1/2")
	if res.code != exitRunFail {
		t.Fatalf("exit %d, want %d: %s", res.code, exitRunFail, res.stderr)
	}
	dir := filepath.Join(out, "shard-1-of-2")
	m, err := pipeline.ReadShardManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != "INCOMPLETE" || !strings.Contains(m.StatusReason, "run.deadline of 300ms reached") || !strings.Contains(m.StatusReason, "run the same command again (or add --resume) to finish shard 1/2") {
		t.Errorf("manifest status %s, reason %q", m.Status, m.StatusReason)
	}
	if m.Candidate.Results == 0 || m.Candidate.Results >= m.Items {
		t.Errorf("an incomplete shard with %d of %d results", m.Candidate.Results, m.Items)
	}
	if !strings.Contains(res.stderr, "shard 1/2 incomplete") {
		t.Errorf("stderr %q does not say the shard is incomplete", res.stderr)
	}
	// The deadline is not part of the journal's identity: a longer one
	// resumes.
	b, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(b), "deadline: 300ms", "deadline: 5m", 1)), 0o644)
	if res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--quiet", "--shard", "1/2", "--resume"); res.code != exitOK {
		t.Fatalf("resume: exit %d: %s", res.code, res.stderr)
	}
	checkShard(t, out, pipeline.Shard{Index: 1, Count: 2})
	for id, k := range srv.counts() {
		if k != 1 {
			t.Errorf("item %q answered %d times", id, k)
		}
	}
}

// TestShardJournalNotResumedByAnother copies shard 1's journal into shard
// 2's folder: shard 2 moves it aside as stale and makes every one of its
// own calls; with --resume it refuses it.
func TestShardJournalNotResumedByAnother(t *testing.T) {
	srv := newItemServer(t, 0)
	cfg, out := shardConfig(t, srv, `concurrency: 4, cache: "off"`)
	if res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--quiet", "--shard", "1/4"); res.code != exitOK {
		t.Fatalf("shard 1/4: exit %d: %s", res.code, res.stderr)
	}
	journal, err := os.ReadFile(filepath.Join(out, "shard-1-of-4", "journal-candidate.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	dir2 := filepath.Join(out, "shard-2-of-4")
	copyJournal := func() {
		t.Helper()
		if err := os.MkdirAll(dir2, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir2, "journal-candidate.jsonl"), journal, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyJournal()
	res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--quiet", "--shard", "2/4", "--resume")
	if res.code != exitUsage || !strings.Contains(res.stderr, "journal belongs to a different run") {
		t.Errorf("--resume on another shard's journal: exit %d, stderr %q; want %d", res.code, res.stderr, exitUsage)
	}
	before := len(srv.counts())
	res = runCLI(t, context.Background(), nil, "run", "-c", cfg, "--quiet", "--shard", "2/4")
	if res.code != exitOK {
		t.Fatalf("shard 2/4: exit %d: %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, "moved it to "+filepath.Join(dir2, "journal-candidate.jsonl.stale")) || strings.Contains(res.stderr, "resuming") {
		t.Errorf("stderr %q: want the stale journal moved aside and nothing resumed", res.stderr)
	}
	ids := checkShard(t, out, pipeline.Shard{Index: 2, Count: 4})
	if made := len(srv.counts()) - before; made != len(ids) {
		t.Errorf("shard 2/4 made calls for %d items; want all of its %d", made, len(ids))
	}
	m, _ := pipeline.ReadShardManifest(dir2)
	if m.Candidate.Stats.Resumed != 0 {
		t.Errorf("shard 2/4 resumed %d calls from shard 1's journal", m.Candidate.Stats.Resumed)
	}
}

// TestShardJudge: with groundedness.method judge each shard asks the
// judge about its own answers only, and the shards together ask what a
// whole run asks.
func TestShardJudge(t *testing.T) {
	srv, count := judgeServer(t)
	out := t.TempDir()
	cfg := writeConfig(t, judgedConfig(exampleSet, srv.URL, `cache: "off"`))
	whole := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--quiet", "--out", t.TempDir())
	if whole.code != exitOK && whole.code != exitBlock {
		t.Fatalf("whole run: exit %d: %s", whole.code, whole.stderr)
	}
	wholeCalls := count.Load()
	count.Store(0)
	var judged int64
	for i := range 2 {
		s := pipeline.Shard{Index: i, Count: 2}
		res := runCLI(t, context.Background(), nil, "run", "-c", cfg, "--quiet", "--out", out, "--shard", s.String())
		if res.code != exitOK {
			t.Fatalf("shard %s: exit %d: %s", s, res.code, res.stderr)
		}
		dir := filepath.Join(out, pipeline.ShardDir(s))
		m, err := pipeline.ReadShardManifest(dir)
		if err != nil {
			t.Fatal(err)
		}
		if m.Judge == nil || m.Judge.ResultsFile != pipeline.JudgeResultsFile || m.Judge.Results == 0 || m.Judge.Version != "judge-1-2026" {
			t.Fatalf("shard %s: judge in manifest %+v", s, m.Judge)
		}
		rows, _, err := datasets.ReadResults(filepath.Join(dir, pipeline.JudgeResultsFile))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			id, _, _ := strings.Cut(r.ID, "#")
			if !s.Has(id) {
				t.Errorf("shard %s judged an answer to item %q of another shard", s, id)
			}
		}
		if int64(len(rows)) != m.Judge.Results {
			t.Errorf("shard %s: %d judge rows, manifest says %d", s, len(rows), m.Judge.Results)
		}
		judged += m.Judge.Results
	}
	if count.Load() != wholeCalls || judged != wholeCalls {
		t.Errorf("the shards asked the judge %d times (%d rows); a whole run asks %d", count.Load(), judged, wholeCalls)
	}
}

// runIndexedJob runs the quickstart set as an Indexed Job of 8 pods
// would: 8 evalgate processes, `run --shards 8` with JOB_COMPLETION_INDEX
// 0 to 7, sharing one run.out and one response cache, against one slow
// endpoint. It SIGKILLs shard victim once its journal holds some calls
// (the endpoint holds that shard's other calls unanswered then, so no
// answer is in flight at the kill), runs that shard again as the Job
// would restart the pod, and waits for all. It returns the config, the
// run.out the 8 shard folders are in, and the endpoint.
func runIndexedJob(t *testing.T, victim int) (cfg, out string, srv *itemServer) {
	t.Helper()
	const n, killAfter = 8, 10
	srv = newItemServer(t, 5*time.Millisecond)
	cfg, out = shardConfig(t, srv, fmt.Sprintf(`concurrency: 4, cache_dir: %s}
fairness: {groups: [channel, region], min_group_size: 30}
scoring: {method: contains`, filepath.Join(t.TempDir(), "cache")))
	vs := pipeline.Shard{Index: victim, Count: n}
	answeredVictim := 0
	srv.setHold(func(id string) bool {
		// Called under srv.mu: answer killAfter of the victim's items,
		// then hold the rest.
		if !vs.Has(id) {
			return false
		}
		if answeredVictim < killAfter {
			answeredVictim++
			return false
		}
		return true
	})
	start := func(i int) (*exec.Cmd, *lockedBuffer) {
		var stderr lockedBuffer
		cmd := exec.Command(os.Args[0], "run", "-c", cfg, "--shards", strconv.Itoa(n), "--quiet")
		cmd.Env = append(os.Environ(), "EVALGATE_TEST_MAIN=1", fmt.Sprintf("%s=%d", jobIndexEnv, i), "HOME="+t.TempDir())
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &stderr
	}
	cmds := make([]*exec.Cmd, n)
	errs := make([]*lockedBuffer, n)
	for i := range n {
		cmds[i], errs[i] = start(i)
	}
	t.Cleanup(func() {
		for _, c := range cmds {
			if c.ProcessState == nil {
				c.Process.Kill()
				c.Wait()
			}
		}
	})
	journal := filepath.Join(out, pipeline.ShardDir(vs), "journal-candidate.jsonl")
	awaitJournal(t, cmds[victim], journal, killAfter)
	if err := cmds[victim].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmds[victim].Wait()
	if got := journalLines(t, journal); got != killAfter {
		t.Fatalf("the victim's journal holds %d calls at the kill; want the %d answered", got, killAfter)
	}
	if fileExistsT(filepath.Join(out, pipeline.ShardDir(vs), pipeline.ShardFile)) {
		t.Fatal("the killed shard left a shard.json")
	}
	srv.setHold(nil)
	cmds[victim], errs[victim] = start(victim)
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("shard %d/%d: %v: %s", i, n, err, errs[i].String())
		}
	}
	if want := fmt.Sprintf("resuming: %d of ", killAfter); !strings.Contains(errs[victim].String(), want) {
		t.Errorf("the restarted shard's stderr %q lacks %q", errs[victim].String(), want)
	}
	return cfg, out, srv
}

// TestIndexedJobKillAndResume is the first test: 8 shard
// processes through JOB_COMPLETION_INDEX, one SIGKILLed mid-run and
// restarted; every shard completes, the shards' results are the set, and
// the endpoint answered each item exactly once. Then evalgate merge: its
// report equals, byte for byte apart from timing, the run statistics and
// the shards, what evalgate score gives on the merged results (one engine
// pass over the same answers), and a single-process run of the same set
// against the same endpoint apart from those and what two runs of one set
// always differ in, the measured latencies (and so the results files'
// digests).
func TestIndexedJobKillAndResume(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	const victim = 3
	cfg, out, srv := runIndexedJob(t, victim)
	var all []string
	for i := range 8 {
		all = append(all, checkShard(t, out, pipeline.Shard{Index: i, Count: 8})...)
	}
	m, err := pipeline.ReadShardManifest(filepath.Join(out, "shard-3-of-8"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Candidate.Stats.Resumed != 10 {
		t.Errorf("the restarted shard resumed %d calls, want 10", m.Candidate.Stats.Resumed)
	}
	set := setIDs(t)
	counts := srv.counts()
	if len(all) != len(set) || len(counts) != len(set) {
		t.Errorf("%d results, %d items answered; the set has %d", len(all), len(counts), len(set))
	}
	for _, id := range set {
		if counts[id] != 1 {
			t.Errorf("item %q answered %d times, want 1", id, counts[id])
		}
	}

	env := map[string]string{"XDG_CACHE_HOME": t.TempDir()}
	mres := runCLI(t, context.Background(), env, "merge", "-c", cfg)
	if mres.code != exitOK {
		t.Fatalf("merge: exit %d\n%s\n%s", mres.code, mres.stdout, mres.stderr)
	}
	merged := readReport(t, out)
	if merged.Status != reports.Complete || len(merged.Shards) != 8 || merged.Candidate.Calls != len(set) || merged.Candidate.Resumed != 10 {
		t.Errorf("merged report: status %s, %d shards, %d calls (%d resumed); want COMPLETE, 8, %d (10)",
			merged.Status, len(merged.Shards), merged.Candidate.Calls, merged.Candidate.Resumed, len(set))
	}
	scoreOut := t.TempDir()
	if res := runCLI(t, context.Background(), env, "score", "-c", cfg, "--results", filepath.Join(out, pipeline.ResultsFile), "--out", scoreOut); res.code != exitOK {
		t.Fatalf("score: exit %d\n%s", res.code, res.stderr)
	}
	got, want := mergeMasked(t, readReport(t, out)), mergeMasked(t, readReport(t, scoreOut))
	if !bytes.Equal(got, want) {
		t.Errorf("the merged report differs from score's on the merged results:\n%s", firstDiff(got, want))
	}

	single := t.TempDir()
	if res := runCLI(t, context.Background(), env, "run", "-c", cfg, "--out", single, "--quiet", "--no-cache"); res.code != exitOK {
		t.Fatalf("single-process run: exit %d\n%s", res.code, res.stderr)
	}
	for _, id := range set {
		if c := srv.counts()[id]; c != 2 {
			t.Errorf("item %q answered %d times after the single run, want 2", id, c)
		}
	}
	measured := func(r *reports.Report) []byte {
		r.Candidate.Latency, r.Candidate.ResultsSHA256 = reports.Latency{}, ""
		return mergeMasked(t, r)
	}
	got, want = measured(readReport(t, out)), measured(readReport(t, single))
	if !bytes.Equal(got, want) {
		t.Errorf("the merged report differs from a single-process run's:\n%s", firstDiff(got, want))
	}
}
