package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// fakeGH answers the three `gh api` calls of the action's comment step as
// GitHub's REST API would, from a JSON array of comments in $FAKE_GH_DB,
// logging each call to $FAKE_GH_LOG. --jq is applied with jq, as gh
// applies it with gojq. With FAKE_GH_READONLY set, writes fail as they do
// with the read-only token of a pull request from a fork.
const fakeGH = `#!/usr/bin/env bash
set -eo pipefail
[ -n "$GH_TOKEN" ] || { echo "gh: no GH_TOKEN" >&2; exit 4; }
[ "$1" = api ] || { echo "fake gh: want api, got $1" >&2; exit 64; }
shift
method=GET path= input= expr=
while [ $# -gt 0 ]; do
  case "$1" in
    --method) method=$2; shift 2 ;;
    --paginate) shift ;;
    --input) input=$2; shift 2 ;;
    --jq) expr=$2; shift 2 ;;
    -*) echo "fake gh: unknown flag $1" >&2; exit 64 ;;
    *) path=$1; shift ;;
  esac
done
echo "$method $path" >> "$FAKE_GH_LOG"
if [ "$method" != GET ] && [ -n "$FAKE_GH_READONLY" ]; then
  echo "gh: Resource not accessible by integration (HTTP 403)" >&2; exit 1
fi
[ "$input" = - ] || [ "$method" = GET ] || { echo "fake gh: want --input -" >&2; exit 64; }
case "$method $path" in
  "GET repos/$REPO/issues/$PR/comments")
    out=$(cat "$FAKE_GH_DB") ;;
  "POST repos/$REPO/issues/$PR/comments")
    id=$(( $(jq length "$FAKE_GH_DB") + 100 ))
    out=$(jq -c --argjson id "$id" '{id: $id, body: .body, html_url: ("https://github.example/c/" + ($id|tostring))}')
    jq --argjson c "$out" '. + [$c]' "$FAKE_GH_DB" > "$FAKE_GH_DB.new" && mv "$FAKE_GH_DB.new" "$FAKE_GH_DB" ;;
  "PATCH repos/$REPO/issues/comments/"*)
    id=${path##*/}
    body=$(jq -c .body)
    jq --argjson id "$id" --argjson b "$body" 'map(if .id == $id then .body = $b else . end)' "$FAKE_GH_DB" > "$FAKE_GH_DB.new" && mv "$FAKE_GH_DB.new" "$FAKE_GH_DB"
    out=$(jq -c --argjson id "$id" '.[] | select(.id == $id)' "$FAKE_GH_DB")
    [ -n "$out" ] || { echo "gh: Not Found (HTTP 404)" >&2; exit 1; } ;;
  *) echo "fake gh: unexpected $method $path" >&2; exit 64 ;;
esac
if [ -n "$expr" ]; then jq -r "$expr" <<< "$out"; else echo "$out"; fi
`

// actionRunner runs the run: steps of action.yml as the GitHub runner
// does (bash --noprofile --norc -eo pipefail), with the files the runner
// provides ($GITHUB_OUTPUT, $GITHUB_PATH, $GITHUB_STEP_SUMMARY).
type actionRunner struct {
	t       *testing.T
	steps   map[string]actionStep
	base    map[string]string // the runner's environment
	path    []string          // directories added by $GITHUB_PATH
	summary string
}

type actionStep struct {
	Name  string            `yaml:"name"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
}

type stepResult struct {
	code    int
	outputs map[string]string
	log     string
}

func newActionRunner(t *testing.T, base map[string]string) *actionRunner {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Runs struct {
			Steps []actionStep `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(raw, &a); err != nil {
		t.Fatal(err)
	}
	r := &actionRunner{t: t, steps: map[string]actionStep{}, base: base}
	for _, s := range a.Runs.Steps {
		if s.Run != "" {
			r.steps[s.Name] = s
		}
	}
	r.summary = filepath.Join(t.TempDir(), "summary.md")
	return r
}

// run runs the step called name in dir with env standing for its env:
// block (every key the step declares must be given, so that the test
// follows the action's interface).
func (r *actionRunner) run(name, dir string, env map[string]string) stepResult {
	t := r.t
	t.Helper()
	s, ok := r.steps[name]
	if !ok {
		t.Fatalf("action.yml has no run step %q", name)
	}
	for k := range s.Env {
		if _, ok := env[k]; !ok {
			t.Fatalf("step %q: the test gives no value for env %s", name, k)
		}
	}
	tmp := t.TempDir()
	script := filepath.Join(tmp, "step.sh")
	out, ghPath := filepath.Join(tmp, "output"), filepath.Join(tmp, "path")
	for _, f := range []string{script, out, ghPath} {
		body := ""
		if f == script {
			body = s.Run
		}
		if err := os.WriteFile(f, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Dir = dir
	path := strings.Join(append(append([]string{}, r.path...), r.base["PATH"]), string(os.PathListSeparator))
	cmd.Env = []string{"PATH=" + path, "GITHUB_OUTPUT=" + out, "GITHUB_PATH=" + ghPath, "GITHUB_STEP_SUMMARY=" + r.summary}
	for k, v := range r.base {
		if k != "PATH" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	res := stepResult{outputs: map[string]string{}}
	if err := cmd.Run(); err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("step %q: %v", name, err)
		}
		res.code = ee.ExitCode()
	}
	res.log = log.String()
	raw, _ := os.ReadFile(out)
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			res.outputs[k] = v
		}
	}
	added, _ := os.ReadFile(ghPath)
	for _, p := range strings.Fields(string(added)) {
		r.path = append([]string{p}, r.path...)
	}
	return res
}

func mustGit(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestActionScripts runs the action's shell steps in order on a pull
// request against a local origin: the pinned build, the base branch's
// policy (a pull request that loosens the gate is refused, exit 2), the
// cache key, the gate, and the sticky comment posted once and then
// updated, against a fake gh that behaves like GitHub's API.
func TestActionScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds evalgate and runs the gate")
	}
	for _, tool := range []string{"bash", "git", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: the action's steps need it", tool)
		}
	}
	tmp := t.TempDir()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	home, runnerTemp, fakeBin := filepath.Join(tmp, "home"), filepath.Join(tmp, "runner"), filepath.Join(tmp, "fakebin")
	for _, d := range []string{home, runnerTemp, fakeBin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(fakeBin, "gh"), []byte(fakeGH), 0o755); err != nil {
		t.Fatal(err)
	}
	r := newActionRunner(t, map[string]string{
		"PATH": fakeBin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME": home, "RUNNER_TEMP": runnerTemp, "GITHUB_ACTION_PATH": root,
		"GOCACHE": goEnv(t, "GOCACHE"), "GOMODCACHE": goEnv(t, "GOMODCACHE"), "GOPROXY": "off",
	})

	// 1. The pinned build, from the action's own checkout.
	res := r.run("Build or install a pinned evalgate", tmp, map[string]string{"VERSION": "", "SOURCE": "evalgate/evalgate@0123abcd"})
	if res.code != 0 || !strings.Contains(res.log, "source evalgate/evalgate@0123abcd") {
		t.Fatalf("build: exit %d, want 0 and the source in `evalgate version`:\n%s", res.code, res.log)
	}

	// 2. A repository whose main branch holds the policy, and a pull
	// request that loosens the gate.
	quick, err := os.ReadFile(filepath.Join(repoRoot, "configs", "quickstart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(quick), "path: ../datasets/examples/support-qa.parquet", "path: "+exampleSet, 1)
	loose := strings.Replace(cfg, "{metric: accuracy, min: 0.80,", "{metric: accuracy, min: 0.50,", 1)
	if cfg == string(quick) || loose == cfg {
		t.Fatal("configs/quickstart.yaml changed: the test's edits no longer apply")
	}
	origin, work := filepath.Join(tmp, "origin.git"), filepath.Join(tmp, "work")
	mustGit(t, tmp, "init", "-q", "--bare", origin)
	mustGit(t, tmp, "init", "-q", "-b", "main", work)
	writeText(t, filepath.Join(work, "eval.yaml"), cfg)
	mustGit(t, work, "add", "eval.yaml")
	mustGit(t, work, "commit", "-q", "-m", "policy")
	mustGit(t, work, "remote", "add", "origin", "file://"+origin)
	mustGit(t, work, "push", "-q", "origin", "main")
	mustGit(t, work, "checkout", "-q", "-b", "pr")
	writeText(t, filepath.Join(work, "eval.yaml"), loose)
	mustGit(t, work, "commit", "-q", "-am", "loosen the gate")

	res = r.run("Take the gate policy from the base branch", work, map[string]string{"BASE": "main", "POLICY_PATH": "eval.yaml"})
	policy := res.outputs["file"]
	if res.code != 0 || policy == "" {
		t.Fatalf("policy: exit %d, outputs %v:\n%s", res.code, res.outputs, res.log)
	}
	if got, _ := os.ReadFile(policy); string(got) != cfg {
		t.Errorf("the policy is not main's eval.yaml")
	}
	if res := r.run("Take the gate policy from the base branch", work, map[string]string{"BASE": "main", "POLICY_PATH": "missing.yaml"}); res.code != 2 || !strings.Contains(res.log, "missing.yaml is not in main") {
		t.Errorf("a policy missing from the base: exit %d, want 2:\n%s", res.code, res.log)
	}
	if res := r.run("Take the gate policy from the base branch", work, map[string]string{"BASE": "", "POLICY_PATH": "eval.yaml"}); res.code != 0 || res.outputs["file"] != "" {
		t.Errorf("no base branch: exit %d, outputs %v, want 0 and no policy", res.code, res.outputs)
	}

	// 3. The cache key.
	res = r.run("Name the response cache", work, map[string]string{"CONFIG": "eval.yaml"})
	if res.code != 0 || res.outputs["dir"] != filepath.Join(home, ".cache", "evalgate") || !strings.HasPrefix(res.outputs["key"], res.outputs["restore-key"]) {
		t.Fatalf("cache key: exit %d, outputs %v:\n%s", res.code, res.outputs, res.log)
	}

	// 4. The gate: refused under main's policy, then run once the pull
	// request keeps main's gate.
	runEnv := func(apiKeyEnv string) map[string]string {
		return map[string]string{"CONFIG": "eval.yaml", "OUT": "out", "POLICY": policy, "ARGS": "", "EVALGATE_SIGNING_KEY": "",
			"REQUIRE_SIGNING": "false", "API_KEY": "sk-test-0123456789abcdefghij", "API_KEY_ENV": apiKeyEnv}
	}
	res = r.run("Run the gate", work, runEnv("OPENAI_API_KEY"))
	if res.code != 0 || res.outputs["exit_code"] != "2" || res.outputs["verdict"] != "" || !strings.Contains(res.log, "differs from the policy") {
		t.Errorf("a loosened gate: step exit %d, outputs %v, want evalgate's exit 2 and no verdict:\n%s", res.code, res.outputs, res.log)
	}
	if res := r.run("Run the gate", work, runEnv("A;B")); res.code != 2 || !strings.Contains(res.log, "not a variable name") {
		t.Errorf("api-key-env A;B: exit %d, want 2:\n%s", res.code, res.log)
	}
	writeText(t, filepath.Join(work, "eval.yaml"), cfg)
	res = r.run("Run the gate", work, runEnv("OPENAI_API_KEY"))
	if res.code != 0 || res.outputs["exit_code"] != "0" || res.outputs["verdict"] != "ALLOW" {
		t.Fatalf("the gate: step exit %d, outputs %v, want exit 0 and ALLOW:\n%s", res.code, res.outputs, res.log)
	}
	if !strings.Contains(res.log, "this report is unsigned") || strings.Contains(res.log, "sk-test-") {
		t.Errorf("the gate's log lacks the unsigned notice or shows the key:\n%s", res.log)
	}
	report, err := os.ReadFile(filepath.Join(work, "out", "report.md"))
	if err != nil {
		t.Fatal(err)
	}

	// 5. The sticky comment: posted once, then updated, beside a
	// reviewer's comment that it leaves alone.
	db, ghLog := filepath.Join(tmp, "comments.json"), filepath.Join(tmp, "gh.log")
	writeText(t, db, `[{"id": 7, "body": "looks good to me", "html_url": "https://github.example/c/7"}]`)
	marker := "<!-- evalgate-report: eval.yaml -->"
	commentEnv := map[string]string{"GH_TOKEN": "t0ken", "REPO": "acme/model", "PR": "42", "OUT": "out", "CODE": "0",
		"MARKER": marker, "RUN_URL": "https://github.example/acme/model/actions/runs/9", "FAKE_GH_DB": db, "FAKE_GH_LOG": ghLog}
	for i, want := range []string{"https://github.example/c/101", "https://github.example/c/101"} {
		res = r.run("Post or update the sticky comment", work, commentEnv)
		if res.code != 0 || res.outputs["url"] != want {
			t.Fatalf("comment %d: exit %d, outputs %v, want url %s:\n%s", i+1, res.code, res.outputs, want, res.log)
		}
	}
	var comments []struct {
		ID   int    `json:"id"`
		Body string `json:"body"`
	}
	raw, _ := os.ReadFile(db)
	if err := json.Unmarshal(raw, &comments); err != nil {
		t.Fatal(err)
	}
	if len(comments) != 2 || comments[0].Body != "looks good to me" || !strings.HasPrefix(comments[1].Body, marker+"\n") ||
		!strings.Contains(comments[1].Body, string(report)) || !strings.Contains(comments[1].Body, "actions/runs/9") {
		t.Errorf("comments after two runs: %+v", comments)
	}
	calls, _ := os.ReadFile(ghLog)
	if want := "GET repos/acme/model/issues/42/comments\nPOST repos/acme/model/issues/42/comments\nGET repos/acme/model/issues/42/comments\nPATCH repos/acme/model/issues/comments/101\n"; string(calls) != want {
		t.Errorf("gh calls:\n%s\nwant:\n%s", calls, want)
	}
	ro := map[string]string{"FAKE_GH_READONLY": "1"}
	for k, v := range commentEnv {
		ro[k] = v
	}
	ro["PR"] = "43"
	if res := r.run("Post or update the sticky comment", work, ro); res.code != 0 || res.outputs["url"] != "" || !strings.Contains(res.log, "could not post the report comment") {
		t.Errorf("a read-only token: exit %d, outputs %v, want 0, no url and a warning:\n%s", res.code, res.outputs, res.log)
	}

	// 6. The verdict decides the step.
	for code, want := range map[string]int{"0": 0, "1": 1, "2": 2, "3": 3} {
		if res := r.run("Fail unless the verdict is ALLOW", work, map[string]string{"CODE": code}); res.code != want {
			t.Errorf("evalgate exit %s: step exit %d, want %d", code, res.code, want)
		}
	}
}

func writeText(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}
