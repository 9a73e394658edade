package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/evalgate/evalgate/configs"
)

// Provenance ties a signed report to the change and the CI run that
// produced it, so that an auditor can go from a verdict to a commit. It is
// part of the signed predicate (not of report.json, whose bytes depend
// only on the inputs). Empty fields are unknown.
type Provenance struct {
	// System is the CI system the fields were read from: "github-actions",
	// "gitlab-ci", "env" (EVALGATE_* variables only) or "" (none).
	System string `json:"system,omitempty"`
	// Commit is the commit SHA the run evaluated; Ref its branch or tag.
	Commit string `json:"commit,omitempty"`
	Ref    string `json:"ref,omitempty"`
	// PullRequest is the pull or merge request number, when the run was
	// for one.
	PullRequest string `json:"pull_request,omitempty"`
	// RunURL links to the CI run; Actor is who or what started it.
	RunURL string `json:"run_url,omitempty"`
	Actor  string `json:"actor,omitempty"`
	// EvalgateVersion is the version of the evalgate that ran, and
	// EvalgateSHA256 the SHA-256 of its executable, when it could be read.
	EvalgateVersion string `json:"evalgate_version"`
	EvalgateSHA256  string `json:"evalgate_sha256,omitempty"`
	// PolicySHA256 is the digest of the gate rules in force (PolicyDigest):
	// two configs with the same rules have the same policy digest.
	PolicySHA256 string `json:"policy_sha256"`
}

// ProvenanceFromEnv reads the CI provenance from the environment: GitHub
// Actions (GITHUB_*), then GitLab CI (CI_*), then EVALGATE_COMMIT,
// EVALGATE_REF, EVALGATE_PR, EVALGATE_RUN_URL and EVALGATE_ACTOR, which
// override either and serve other CI systems. getenv may be nil.
func ProvenanceFromEnv(getenv func(string) string) Provenance {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	p := Provenance{EvalgateVersion: Version}
	switch {
	case getenv("GITHUB_ACTIONS") == "true":
		p.System = "github-actions"
		p.Commit, p.Ref, p.Actor = getenv("GITHUB_SHA"), getenv("GITHUB_REF"), getenv("GITHUB_ACTOR")
		if n, ok := strings.CutPrefix(p.Ref, "refs/pull/"); ok {
			p.PullRequest, _, _ = strings.Cut(n, "/")
		}
		if server, repo, id := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY"), getenv("GITHUB_RUN_ID"); server != "" && repo != "" && id != "" {
			p.RunURL = server + "/" + repo + "/actions/runs/" + id
		}
	case getenv("GITLAB_CI") == "true":
		p.System = "gitlab-ci"
		p.Commit, p.Ref, p.Actor = getenv("CI_COMMIT_SHA"), getenv("CI_COMMIT_REF_NAME"), getenv("GITLAB_USER_LOGIN")
		p.PullRequest, p.RunURL = getenv("CI_MERGE_REQUEST_IID"), getenv("CI_PIPELINE_URL")
	}
	for _, o := range []struct {
		name string
		dst  *string
	}{{"EVALGATE_COMMIT", &p.Commit}, {"EVALGATE_REF", &p.Ref}, {"EVALGATE_PR", &p.PullRequest}, {"EVALGATE_RUN_URL", &p.RunURL}, {"EVALGATE_ACTOR", &p.Actor}} {
		if v := getenv(o.name); v != "" {
			*o.dst = v
			if p.System == "" {
				p.System = "env"
			}
		}
	}
	return p
}

// PolicyDigest is the hex SHA-256 of the gate rules as JSON, in config
// order: the identity of the policy a verdict applied, whatever else the
// config holds.
func PolicyDigest(rules []configs.Rule) string {
	b, _ := json.Marshal(rules)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
