package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// repoRoot is the repository's root, from this package's directory.
var repoRoot = filepath.Join("..", "..")

// actionlintModule is the actionlint that checks the workflow files.
const actionlintModule = "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"

// actionMeta is the part of action.yml the runner reads.
type actionMeta struct {
	Name        string            `yaml:"name"`
	Description string            `yaml:"description"`
	Author      string            `yaml:"author"`
	Branding    map[string]string `yaml:"branding"`
	Inputs      map[string]struct {
		Description string  `yaml:"description"`
		Required    bool    `yaml:"required"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID    string            `yaml:"id"`
			Name  string            `yaml:"name"`
			Uses  string            `yaml:"uses"`
			Run   string            `yaml:"run"`
			Shell string            `yaml:"shell"`
			If    string            `yaml:"if"`
			With  map[string]string `yaml:"with"`
			Env   map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

// TestActionMetadata checks action.yml as the runner would load it: a
// composite action whose every run step names its shell, whose
// expressions name only declared inputs and steps, and which does what
// README.md says (pinned build, base-branch policy, cache, sticky
// comment, artifact). actionlint checks the workflows that use it.
func TestActionMetadata(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionMeta
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Name == "" || a.Description == "" || a.Runs.Using != "composite" || len(a.Runs.Steps) == 0 {
		t.Fatalf("action.yml: want name, description and a composite runs.steps; got name %q, using %q, %d steps", a.Name, a.Runs.Using, len(a.Runs.Steps))
	}
	for _, in := range []string{"config", "version", "policy-path", "base-ref", "signing-key", "api-key", "api-key-env", "out", "cache", "comment"} {
		if _, ok := a.Inputs[in]; !ok {
			t.Errorf("action.yml: no input %q", in)
		}
	}
	if !a.Inputs["config"].Required {
		t.Errorf("action.yml: input config is not required")
	}
	for name, in := range a.Inputs {
		if in.Description == "" {
			t.Errorf("action.yml: input %q has no description", name)
		}
	}
	ids := map[string]bool{}
	var body strings.Builder
	for i, s := range a.Runs.Steps {
		if (s.Run == "") == (s.Uses == "") {
			t.Errorf("action.yml: step %d (%s): want exactly one of run and uses", i, s.Name)
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("action.yml: step %d (%s): a composite run step needs a shell", i, s.Name)
		}
		if s.ID != "" {
			ids[s.ID] = true
		}
		if s.Uses != "" && !regexp.MustCompile(`^[\w.-]+/[\w./-]+@v\d+$`).MatchString(s.Uses) {
			t.Errorf("action.yml: step %d uses %q: want owner/repo@vN", i, s.Uses)
		}
		body.WriteString(s.Uses + "\n" + s.Run + "\n" + s.If + "\n")
		for _, v := range s.With {
			body.WriteString(v + "\n")
		}
		for _, v := range s.Env {
			body.WriteString(v + "\n")
		}
	}
	for name, o := range a.Outputs {
		body.WriteString(o.Value + "\n")
		if o.Value == "" {
			t.Errorf("action.yml: output %q has no value", name)
		}
	}
	for _, m := range regexp.MustCompile(`inputs\.([\w-]+)`).FindAllStringSubmatch(body.String(), -1) {
		if _, ok := a.Inputs[m[1]]; !ok {
			t.Errorf("action.yml: expression names undeclared input %q", m[1])
		}
	}
	for _, m := range regexp.MustCompile(`steps\.([\w-]+)\.outputs`).FindAllStringSubmatch(body.String(), -1) {
		if !ids[m[1]] {
			t.Errorf("action.yml: expression names step %q, which no step has as id", m[1])
		}
	}
	// What README.md promises, each in the step that does it.
	for _, want := range []string{
		`go build`, `"$GITHUB_ACTION_PATH"`, `go install "github.com/evalgate/evalgate/cmd/evalgate@$VERSION"`,
		`git show "origin/$BASE:$POLICY_PATH"`, `--policy "$POLICY"`, `--require-signing`,
		`evalgate cache key -c "$CONFIG"`, `actions/cache/restore@v4`, `actions/cache/save@v4`,
		`repos/$REPO/issues/$PR/comments`, `--method PATCH`, `startswith(env.MARKER)`,
		`actions/upload-artifact@v4`, `report.*`, `exit 1`,
	} {
		if !strings.Contains(body.String(), want) {
			t.Errorf("action.yml lacks %q", want)
		}
	}
}

// TestActionlint lints every GitHub Actions workflow in the repository
// (.github/workflows and the examples) with actionlint, which also checks
// the inputs of `uses: ./` against action.yml. It is skipped, saying why,
// when actionlint cannot be built (no network and no module cache) or
// with -short.
func TestActionlint(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: actionlint not run")
	}
	files := workflowFiles(t)
	if len(files) < 4 {
		t.Fatalf("found %d workflow files (%v), want .github/workflows/action.yml, examples/github/model-pr.yml, examples/github/sharded-eval.yml and examples/weekly/github-actions.yml", len(files), files)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	probe := exec.CommandContext(ctx, "go", "run", actionlintModule, "-version")
	probe.Dir = repoRoot
	if out, err := probe.CombinedOutput(); err != nil {
		t.Skipf("actionlint cannot be built (%v), so the workflow files are not linted:\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"run", actionlintModule, "-no-color"}, files...)...)
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("actionlint %s: %v\n%s", strings.Join(files, " "), err, out)
	}
}

// workflowFiles lists, relative to the repository root, the files under
// .github/workflows and examples that are GitHub Actions workflows: YAML
// with top-level "on" and "jobs" keys (a Kubernetes manifest or an
// evalgate config is neither).
func workflowFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, dir := range []string{filepath.Join(".github", "workflows"), "examples"} {
		err := filepath.WalkDir(filepath.Join(repoRoot, dir), func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || (filepath.Ext(path) != ".yml" && filepath.Ext(path) != ".yaml") {
				return err
			}
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			var top map[string]any
			if yaml.Unmarshal(raw, &top) != nil || top["jobs"] == nil || top["on"] == nil {
				return nil
			}
			rel, err := filepath.Rel(repoRoot, path)
			files = append(files, rel)
			return err
		})
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	slices.Sort(files)
	return files
}
