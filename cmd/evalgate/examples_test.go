package main

import (
	"bytes"
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/evalgate/evalgate/configs"
	"go.yaml.in/yaml/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

// k8sDir holds the sharded Kubernetes example, relative to repoRoot.
var k8sDir = filepath.Join("examples", "k8s")

// shardedWorkflow is the GitHub Actions matrix example, relative to repoRoot.
var shardedWorkflow = filepath.Join("examples", "github", "sharded-eval.yml")

// manifests are the Kubernetes objects of the examples, decoded strictly.
type manifests struct {
	jobs       map[string]*batchv1.Job
	cronJobs   map[string]*batchv1.CronJob
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
}

// loadManifests decodes every YAML document of files into the Kubernetes
// API type its apiVersion and kind name, with sigs.k8s.io/yaml's strict
// decoding: an unknown field, a field of the wrong type or a kind the
// examples do not use is an error.
func loadManifests(files ...string) (*manifests, error) {
	m := &manifests{
		jobs:       map[string]*batchv1.Job{},
		cronJobs:   map[string]*batchv1.CronJob{},
		configMaps: map[string]*corev1.ConfigMap{},
		secrets:    map[string]*corev1.Secret{},
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		for i, doc := range splitYAMLDocuments(raw) {
			var tm struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
			}
			if err := sigsyaml.Unmarshal(doc, &tm); err != nil {
				return nil, fmt.Errorf("%s: document %d: %w", file, i+1, err)
			}
			var name string
			switch tm.APIVersion + " " + tm.Kind {
			case "batch/v1 Job":
				var o batchv1.Job
				err, name = sigsyaml.UnmarshalStrict(doc, &o), o.Name
				m.jobs[name] = &o
			case "batch/v1 CronJob":
				var o batchv1.CronJob
				err, name = sigsyaml.UnmarshalStrict(doc, &o), o.Name
				m.cronJobs[name] = &o
			case "v1 ConfigMap":
				var o corev1.ConfigMap
				err, name = sigsyaml.UnmarshalStrict(doc, &o), o.Name
				m.configMaps[name] = &o
			case "v1 Secret":
				var o corev1.Secret
				err, name = sigsyaml.UnmarshalStrict(doc, &o), o.Name
				m.secrets[name] = &o
			default:
				return nil, fmt.Errorf("%s: document %d: apiVersion %q kind %q is not one the examples use (batch/v1 Job or CronJob, v1 ConfigMap or Secret)", file, i+1, tm.APIVersion, tm.Kind)
			}
			if err != nil {
				return nil, fmt.Errorf("%s: document %d (%s): %w", file, i+1, tm.Kind, err)
			}
			if name == "" {
				return nil, fmt.Errorf("%s: document %d (%s): no metadata.name", file, i+1, tm.Kind)
			}
		}
	}
	return m, nil
}

// splitYAMLDocuments splits a YAML stream at its "---" lines, dropping
// documents that hold only comments.
func splitYAMLDocuments(raw []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---[ \t]*$`).Split(string(raw), -1) {
		if regexp.MustCompile(`(?m)^[^#\s]`).MatchString(d) {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func TestLoadManifestsStrict(t *testing.T) {
	for _, tc := range []struct {
		name, doc, want string
	}{
		{"unknown field", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\nspec: {completionMod: Indexed}\n", "unknown field"},
		{"mistyped field", "apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\nspec: {completions: eight}\n", "completions"},
		{"other kind", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\n", "not one the examples use"},
		{"no name", "apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n", "no metadata.name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "m.yaml")
			if err := os.WriteFile(file, []byte(tc.doc), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := loadManifests(file)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestK8sManifests decodes the sharded Kubernetes example (and the weekly
// CronJob) against the real API types, then checks what a schema cannot:
// the shard Job is Indexed with completions = parallelism = --shards, its
// pods take their index from JOB_COMPLETION_INDEX, every reference to a
// ConfigMap or Secret key names one the manifests define, the pods run
// non-root on a read-only root file system, and the config in the
// ConfigMap loads.
func TestK8sManifests(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(repoRoot, k8sDir, "*.yaml"))
	if err != nil || len(files) < 3 {
		t.Fatalf("manifests under %s: %v (err %v), want config.yaml, secrets.yaml, shards-job.yaml, merge-job.yaml", k8sDir, files, err)
	}
	files = append(files, filepath.Join(repoRoot, "examples", "weekly", "cronjob.yaml"))
	m, err := loadManifests(files...)
	if err != nil {
		t.Fatal(err)
	}
	shards, merge := m.jobs["evalgate-shards"], m.jobs["evalgate-merge"]
	if shards == nil || merge == nil {
		t.Fatalf("want Jobs evalgate-shards and evalgate-merge, got %v", slices.Sorted(maps.Keys(m.jobs)))
	}

	// The shard Job: one pod per shard, the index from Kubernetes.
	s := shards.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("evalgate-shards: completionMode %v, want Indexed (JOB_COMPLETION_INDEX is set only then)", s.CompletionMode)
	}
	argv := containerArgv(t, "evalgate-shards", s.Template.Spec.Containers)
	n, err := strconv.Atoi(flagValue(argv, "shards"))
	if err != nil {
		t.Errorf("evalgate-shards: %q: want --shards N, the index coming from JOB_COMPLETION_INDEX: %v", argv, err)
	}
	if flagValue(argv, "shard") != "" {
		t.Errorf("evalgate-shards: %q: --shard I/N fixes one index for every pod; use --shards N", argv)
	}
	if s.Completions == nil || s.Parallelism == nil || int(*s.Completions) != n || int(*s.Parallelism) != n {
		t.Errorf("evalgate-shards: completions %v, parallelism %v, --shards %d: want all three equal", deref(s.Completions), deref(s.Parallelism), n)
	}
	if s.BackoffLimitPerIndex == nil {
		t.Errorf("evalgate-shards: no backoffLimitPerIndex: one flaky shard would spend every shard's retries")
	}
	if argv[0] != "run" {
		t.Errorf("evalgate-shards: runs %q, want evalgate run", argv)
	}
	if mArgv := containerArgv(t, "evalgate-merge", merge.Spec.Template.Spec.Containers); mArgv[0] != "merge" {
		t.Errorf("evalgate-merge: runs %q, want evalgate merge", mArgv)
	}
	if merge.Spec.CompletionMode != nil && *merge.Spec.CompletionMode == batchv1.IndexedCompletion {
		t.Errorf("evalgate-merge: Indexed; the merge is one pod")
	}
	if got := merge.Spec.Template.Spec.Containers[0].Env; !slices.ContainsFunc(got, func(v corev1.EnvVar) bool {
		return v.Name == signingKeyEnv && v.ValueFrom != nil && v.ValueFrom.SecretKeyRef != nil
	}) {
		t.Errorf("evalgate-merge: no %s from a Secret: the merged report would not be signed", signingKeyEnv)
	}
	if !slices.Contains(containerArgv(t, "evalgate-merge", merge.Spec.Template.Spec.Containers), "--require-signing") {
		t.Errorf("evalgate-merge: no --require-signing: a missing key would give an unsigned report")
	}

	for _, name := range []string{"evalgate-shards", "evalgate-merge"} {
		pod := m.jobs[name].Spec.Template.Spec
		if pod.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: restartPolicy %q, want Never (podFailurePolicy needs it; a retry is a new pod)", name, pod.RestartPolicy)
		}
		if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
			t.Errorf("%s: the pod does not require a non-root user", name)
		}
		for _, c := range pod.Containers {
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s: container %s: root file system not read-only", name, c.Name)
			}
			if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
				t.Errorf("%s: container %s: want a memory request and limit", name, c.Name)
			}
			writable := false
			for _, vm := range c.VolumeMounts {
				writable = writable || (!vm.ReadOnly && c.WorkingDir != "" && strings.HasPrefix(c.WorkingDir, vm.MountPath))
			}
			if !writable {
				t.Errorf("%s: container %s: working dir %q is on no writable volume", name, c.Name, c.WorkingDir)
			}
		}
	}

	// Every reference names a defined object and key.
	for _, ref := range manifestRefs(m) {
		var keys []string
		switch ref.kind {
		case "ConfigMap":
			if cm := m.configMaps[ref.name]; cm != nil {
				keys = slices.Collect(maps.Keys(cm.Data))
			}
		case "Secret":
			if sec := m.secrets[ref.name]; sec != nil {
				keys = append(slices.Collect(maps.Keys(sec.StringData)), slices.Collect(maps.Keys(sec.Data))...)
			}
		}
		if keys == nil {
			if ref.where == "examples/weekly" {
				continue // the weekly example creates them with kubectl
			}
			t.Errorf("%s references %s %q, which no manifest defines", ref.from, ref.kind, ref.name)
			continue
		}
		if ref.key != "" && !slices.Contains(keys, ref.key) {
			t.Errorf("%s references key %q of %s %q, which has %v", ref.from, ref.key, ref.kind, ref.name, slices.Sorted(slices.Values(keys)))
		}
	}

	// The config in the ConfigMap loads, and names the key variable the
	// shards set.
	cfg := exampleConfig(t, m)
	env := shards.Spec.Template.Spec.Containers[0].Env
	if !slices.ContainsFunc(env, func(v corev1.EnvVar) bool { return v.Name == cfg.Candidate.APIKeyEnv }) {
		t.Errorf("evalgate-shards: does not set %s, the candidate's api_key_env", cfg.Candidate.APIKeyEnv)
	}
}

// exampleConfig loads eval.yaml from the sharded example's ConfigMap
// with configs.Load, as the pods do.
func exampleConfig(t *testing.T, m *manifests) *configs.Config {
	t.Helper()
	cm := m.configMaps["evalgate-sharded"]
	if cm == nil || cm.Data["eval.yaml"] == "" {
		t.Fatalf("no ConfigMap evalgate-sharded with eval.yaml")
	}
	path := filepath.Join(t.TempDir(), "eval.yaml")
	if err := os.WriteFile(path, []byte(cm.Data["eval.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load(path)
	if err != nil {
		t.Fatalf("ConfigMap evalgate-sharded eval.yaml: %v", err)
	}
	return cfg
}

// objRef is one reference of a manifest to a ConfigMap's or Secret's key.
type objRef struct {
	from, where, kind, name, key string
}

// manifestRefs lists every configMapKeyRef, secretKeyRef, envFrom and
// volume reference of the Jobs' and CronJobs' pods.
func manifestRefs(m *manifests) []objRef {
	var refs []objRef
	add := func(from, where string, pod corev1.PodSpec) {
		for _, c := range slices.Concat(pod.InitContainers, pod.Containers) {
			for _, e := range c.Env {
				switch {
				case e.ValueFrom == nil:
				case e.ValueFrom.ConfigMapKeyRef != nil:
					refs = append(refs, objRef{from + " env " + e.Name, where, "ConfigMap", e.ValueFrom.ConfigMapKeyRef.Name, e.ValueFrom.ConfigMapKeyRef.Key})
				case e.ValueFrom.SecretKeyRef != nil:
					refs = append(refs, objRef{from + " env " + e.Name, where, "Secret", e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key})
				}
			}
			for _, ef := range c.EnvFrom {
				if ef.ConfigMapRef != nil {
					refs = append(refs, objRef{from + " envFrom", where, "ConfigMap", ef.ConfigMapRef.Name, ""})
				}
				if ef.SecretRef != nil {
					refs = append(refs, objRef{from + " envFrom", where, "Secret", ef.SecretRef.Name, ""})
				}
			}
		}
		for _, v := range pod.Volumes {
			if v.ConfigMap != nil {
				refs = append(refs, objRef{from + " volume " + v.Name, where, "ConfigMap", v.ConfigMap.Name, ""})
				for _, it := range v.ConfigMap.Items {
					refs = append(refs, objRef{from + " volume " + v.Name, where, "ConfigMap", v.ConfigMap.Name, it.Key})
				}
			}
			if v.Secret != nil {
				refs = append(refs, objRef{from + " volume " + v.Name, where, "Secret", v.Secret.SecretName, ""})
				for _, it := range v.Secret.Items {
					refs = append(refs, objRef{from + " volume " + v.Name, where, "Secret", v.Secret.SecretName, it.Key})
				}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(m.jobs)) {
		add("Job "+name, "examples/k8s", m.jobs[name].Spec.Template.Spec)
	}
	for _, name := range slices.Sorted(maps.Keys(m.cronJobs)) {
		add("CronJob "+name, "examples/weekly", m.cronJobs[name].Spec.JobTemplate.Spec.Template.Spec)
	}
	return refs
}

// containerArgv is the evalgate argument list of the one evalgate
// container of a pod: command ["evalgate"] followed by args, with
// Kubernetes' $(VAR) references left as they are.
func containerArgv(t *testing.T, job string, cs []corev1.Container) []string {
	t.Helper()
	if len(cs) != 1 {
		t.Fatalf("%s: %d containers, want one evalgate container", job, len(cs))
	}
	c := cs[0]
	if len(c.Command) != 1 || c.Command[0] != "evalgate" || len(c.Args) == 0 {
		t.Fatalf("%s: command %q args %q: want command [evalgate] and the arguments in args", job, c.Command, c.Args)
	}
	return c.Args
}

// flagValue is the value of --name (or -name) in argv: "" when absent.
func flagValue(argv []string, name string) string {
	for i, a := range argv {
		f, v, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || f != name {
			continue
		}
		if hasValue {
			return v
		}
		if i+1 < len(argv) {
			return argv[i+1]
		}
	}
	return ""
}

// invocation is one evalgate command line found in an example.
type invocation struct {
	where string   // file and job or step
	argv  []string // after "evalgate"
	env   []string // variables the example sets for evalgate itself
}

// k8sInvocations lists the evalgate commands of the sharded example's
// Jobs and the variables each container sets for evalgate: all but those
// Kubernetes expands into the arguments ($(VAR)), which evalgate never
// reads. The shard Job's JOB_COMPLETION_INDEX is set by Kubernetes.
func k8sInvocations(t *testing.T, m *manifests) []invocation {
	t.Helper()
	var invs []invocation
	for _, name := range slices.Sorted(maps.Keys(m.jobs)) {
		j := m.jobs[name]
		argv := containerArgv(t, name, j.Spec.Template.Spec.Containers)
		inv := invocation{where: "examples/k8s Job " + name, argv: argv}
		joined := strings.Join(argv, " ")
		for _, e := range j.Spec.Template.Spec.Containers[0].Env {
			if !strings.Contains(joined, "$("+e.Name+")") {
				inv.env = append(inv.env, e.Name)
			}
		}
		if j.Spec.CompletionMode != nil && *j.Spec.CompletionMode == batchv1.IndexedCompletion {
			inv.env = append(inv.env, "JOB_COMPLETION_INDEX")
		}
		invs = append(invs, inv)
	}
	return invs
}

// workflowInvocations lists the evalgate commands in the run: steps of a
// GitHub Actions workflow, and the variables the step sets that its script
// does not read itself (so evalgate must).
func workflowInvocations(t *testing.T, file string) []invocation {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name string            `yaml:"name"`
				Run  string            `yaml:"run"`
				Env  map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var invs []invocation
	for _, job := range slices.Sorted(maps.Keys(wf.Jobs)) {
		for i, st := range wf.Jobs[job].Steps {
			var env []string
			for _, k := range slices.Sorted(maps.Keys(st.Env)) {
				if !regexp.MustCompile(`\$\{?` + k + `\b`).MatchString(st.Run) {
					env = append(env, k)
				}
			}
			for _, argv := range shellEvalgateCommands(st.Run) {
				invs = append(invs, invocation{where: fmt.Sprintf("%s job %s step %d (%s)", filepath.Base(file), job, i+1, st.Name), argv: argv, env: env})
			}
		}
	}
	return invs
}

// shellEvalgateCommands finds the evalgate commands of a shell script:
// lines joined at trailing backslashes, split at ; && || and |, words
// split as the shell would for quotes (variables left unexpanded); a
// command whose first word is evalgate gives its remaining words.
func shellEvalgateCommands(script string) [][]string {
	script = strings.ReplaceAll(script, "\\\n", " ")
	var cmds [][]string
	for _, line := range strings.Split(script, "\n") {
		var cur []string
		flush := func() {
			if len(cur) > 0 && cur[0] == "evalgate" {
				cmds = append(cmds, cur[1:])
			}
			cur = nil
		}
		for _, w := range shellWords(line) {
			switch w {
			case ";", "&&", "||", "|", "then", "do", "else":
				flush()
			default:
				cur = append(cur, w)
			}
		}
		flush()
	}
	return cmds
}

// shellWords splits one line into words and the operators ; && || |,
// honouring single and double quotes and stopping at a comment.
func shellWords(line string) []string {
	var words []string
	var w strings.Builder
	inWord := false
	end := func() {
		if inWord {
			words = append(words, w.String())
		}
		w.Reset()
		inWord = false
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(line[i+1:], c)
			if j < 0 {
				j = len(line) - i - 1
			}
			w.WriteString(line[i+1 : i+1+j])
			inWord, i = true, i+1+j
		case c == ' ' || c == '\t':
			end()
		case c == '#' && !inWord:
			end()
			return words
		case c == ';' || c == '|' || c == '&':
			end()
			op := string(c)
			if i+1 < len(line) && (line[i+1] == '|' || line[i+1] == '&') {
				op += string(line[i+1])
				i++
			}
			words = append(words, op)
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	end()
	return words
}

func TestShellEvalgateCommands(t *testing.T) {
	got := shellEvalgateCommands("set +e\nevalgate merge -c \"$CFG\" \\\n  --out out # comment --x\nx=$?; evalgate version && echo 'evalgate run'\n")
	want := [][]string{{"merge", "-c", "$CFG", "--out", "out"}, {"version"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// commandFlags returns the flags a command's real flag set defines, read
// from what "evalgate CMD -h" prints (flag.PrintDefaults: one "  -name"
// line per flag); ok is false for a command evalgate does not have.
func commandFlags(name string) (flags []string, ok bool) {
	var stdout bytes.Buffer
	if code := run(context.Background(), []string{name, "-h"}, &stdout, io.Discard, func(string) string { return "" }); code != exitOK {
		return nil, false
	}
	for _, m := range regexp.MustCompile(`(?m)^  -([\w-]+)`).FindAllStringSubmatch(stdout.String(), -1) {
		flags = append(flags, m[1])
	}
	return flags, len(flags) > 0
}

// checkInvocation reports a command or flag of inv that evalgate does not
// have.
func checkInvocation(inv invocation) error {
	if len(inv.argv) == 0 {
		return fmt.Errorf("%s: evalgate without a command", inv.where)
	}
	flags, ok := commandFlags(inv.argv[0])
	if !ok {
		return fmt.Errorf("%s: evalgate has no command %q", inv.where, inv.argv[0])
	}
	var bad []string
	for _, a := range inv.argv[1:] {
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !slices.Contains(flags, name) {
			bad = append(bad, a)
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%s: evalgate %s has no flag %s (it has -%s)", inv.where, inv.argv[0], strings.Join(bad, ", "), strings.Join(flags, ", -"))
	}
	return nil
}

// envReadByCode lists the environment variables the evalgate binary reads
// by name: every string constant passed to a function named getenv,
// Getenv or LookupEnv in the non-test Go files of ./cmd/evalgate and of
// every module it is built from (so a client library's AWS_* reads count),
// a named constant (of the same package, or pkg.Name of another) resolved
// to its value. A name read through a variable (candidate.api_key_env) is
// not found here.
func envReadByCode(t *testing.T) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-f", `{{if not .Standard}}{{.ImportPath}}{{"\t"}}{{.Dir}}{{range .GoFiles}}{{"\t"}}{{.}}{{end}}{{end}}`, "./cmd/evalgate")
	cmd.Dir = repoRoot
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps ./cmd/evalgate: %v", err)
	}
	type pkgFile struct {
		pkg string
		f   *ast.File
	}
	var files []pkgFile
	consts := map[string]string{} // import path + "." + name → value
	fset := token.NewFileSet()
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Split(line, "\t")
		if len(fields) < 3 {
			continue
		}
		pkg, dir, names := fields[0], fields[1], fields[2:]
		own := strings.HasPrefix(pkg, "github.com/evalgate/evalgate")
		for _, n := range names {
			src, err := os.ReadFile(filepath.Join(dir, n))
			if err != nil {
				t.Fatal(err)
			}
			reads := bytes.Contains(src, []byte("etenv")) || bytes.Contains(src, []byte("LookupEnv"))
			if !own && !reads {
				continue
			}
			f, err := parser.ParseFile(fset, filepath.Join(dir, n), src, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			if reads {
				files = append(files, pkgFile{pkg, f})
			}
			for _, d := range f.Decls {
				if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.CONST {
					for _, s := range g.Specs {
						vs := s.(*ast.ValueSpec)
						for i, id := range vs.Names {
							if i < len(vs.Values) {
								if v, ok := stringLit(vs.Values[i]); ok {
									consts[pkg+"."+id.Name] = v
								}
							}
						}
					}
				}
			}
		}
	}
	read := map[string]bool{}
	for _, pf := range files {
		imports := map[string]string{} // name in the file → import path
		for _, im := range pf.f.Imports {
			p, _ := strconv.Unquote(im.Path.Value)
			name := p[strings.LastIndex(p, "/")+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			imports[name] = p
		}
		ast.Inspect(pf.f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			var fn string
			switch f := call.Fun.(type) {
			case *ast.Ident:
				fn = f.Name
			case *ast.SelectorExpr:
				fn = f.Sel.Name
			}
			if fn != "getenv" && fn != "Getenv" && fn != "LookupEnv" {
				return true
			}
			switch a := call.Args[0].(type) {
			case *ast.BasicLit:
				if v, ok := stringLit(a); ok {
					read[v] = true
				}
			case *ast.Ident:
				if v := consts[pf.pkg+"."+a.Name]; v != "" {
					read[v] = true
				}
			case *ast.SelectorExpr:
				if x, ok := a.X.(*ast.Ident); ok && consts[imports[x.Name]+"."+a.Sel.Name] != "" {
					read[consts[imports[x.Name]+"."+a.Sel.Name]] = true
				}
			}
			return true
		})
	}
	return read
}

// stringLit is the value of a string literal expression.
func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	v, err := strconv.Unquote(lit.Value)
	return v, err == nil
}

// TestExampleCommandsExist checks every evalgate command line of the
// sharded examples (the Kubernetes Jobs and the GitHub Actions matrix)
// against evalgate's real commands and flag sets, and every variable the
// examples set for evalgate against the variables its code reads (plus
// the example config's api_key_env).
func TestExampleCommandsExist(t *testing.T) {
	m, err := loadManifests(must(filepath.Glob(filepath.Join(repoRoot, k8sDir, "*.yaml")))...)
	if err != nil {
		t.Fatal(err)
	}
	invs := k8sInvocations(t, m)
	wfInvs := workflowInvocations(t, filepath.Join(repoRoot, shardedWorkflow))
	invs = append(invs, wfInvs...)
	var cmds []string
	for _, inv := range invs {
		cmds = append(cmds, inv.argv[0])
	}
	for _, want := range []string{"run", "merge"} {
		if !slices.Contains(cmds, want) {
			t.Errorf("the examples never run evalgate %s (found %q)", want, cmds)
		}
	}
	if !slices.ContainsFunc(wfInvs, func(inv invocation) bool { return inv.argv[0] == "run" && flagValue(inv.argv, "shard") != "" }) {
		t.Errorf("%s: no evalgate run --shard I/N step", shardedWorkflow)
	}
	for _, inv := range invs {
		if err := checkInvocation(inv); err != nil {
			t.Error(err)
		}
	}

	read := envReadByCode(t)
	apiKeyEnv := exampleConfig(t, m).Candidate.APIKeyEnv
	unread := false
	for _, inv := range invs {
		for _, v := range inv.env {
			if !read[v] && v != apiKeyEnv {
				t.Errorf("%s: evalgate never reads %s", inv.where, v)
				unread = true
			}
		}
	}
	if unread {
		t.Logf("evalgate reads %s, and %s as the example's api_key_env", strings.Join(slices.Sorted(maps.Keys(read)), ", "), apiKeyEnv)
	}
}

// TestExampleChecksCatch makes sure the checks above can fail: a made-up
// flag, a made-up command and a made-up variable are caught, and the
// variables found in the code include ones read through a literal and
// through a named constant.
func TestExampleChecksCatch(t *testing.T) {
	for _, tc := range []struct {
		name string
		argv []string
		want string
	}{
		{"made-up flag", []string{"run", "-c", "x.yaml", "--no-such-flag"}, "has no flag --no-such-flag"},
		{"made-up flag with value", []string{"run", "--parallel=8"}, "has no flag --parallel=8"},
		{"made-up command", []string{"shard-all", "-c", "x.yaml"}, `no command "shard-all"`},
		{"known flags", []string{"run", "-c", "x.yaml", "--out=o", "--quiet"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkInvocation(invocation{where: "test", argv: tc.argv})
			if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
	read := envReadByCode(t)
	if !read["XDG_CACHE_HOME"] || !read[signingKeyEnv] || read["EVALGATE_NO_SUCH_VARIABLE"] {
		t.Fatalf("variables read: %v: want XDG_CACHE_HOME (a literal) and %s (a constant), and no made-up one", slices.Sorted(maps.Keys(read)), signingKeyEnv)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func deref(p *int32) any {
	if p == nil {
		return nil
	}
	return *p
}
