package evidence_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"testing/fstest"

	"github.com/evalgate/evalgate/evidence"
	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
	"github.com/evalgate/evalgate/signing"
)

// signHistory charts the signed reports of fsys and signs the history
// with s.
func signHistory(t *testing.T, fsys fstest.MapFS, v *signing.Verifier, s *signing.Signer) []byte {
	t.Helper()
	set, err := history.ReadSignedReports(fsys, v)
	if err != nil {
		t.Fatal(err)
	}
	h, err := history.New(set, history.Options{Metrics: []string{"accuracy"}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := history.WriteJSON(&b, h); err != nil {
		t.Fatal(err)
	}
	env, err := history.Sign(s, h, []history.File{{Name: history.FileJSON, Data: b.Bytes()}})
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestCollectHistory puts a signed history, a copy edited after signing
// and one signed by an approver in a folder of weekly reports: the first
// is verified, copied into the bundle and maps to the history controls;
// the others are listed with their reasons. The history is no monitoring
// run: the week only it covers stays a gap.
func TestCollectHistory(t *testing.T) {
	s, v := keys(t, 1)
	approver, av := keys(t, 3)
	reportsOnly := fstest.MapFS{}
	for w := range 3 {
		reportsOnly[fmt.Sprintf("w%d/report.dsse.json", w)] = &fstest.MapFile{Data: sign(t, s, reportstest.WeekReport(w, 360-w, 400, 2, "bot"))}
	}
	good := signHistory(t, reportsOnly, v, s)
	var env map[string]any
	json.Unmarshal(good, &env)
	payload, _ := base64.StdEncoding.DecodeString(env["payload"].(string))
	edited := bytes.Replace(payload, []byte(`"model":"bot@v1"`), []byte(`"model":"bot@v9"`), 1)
	if bytes.Equal(edited, payload) {
		t.Fatal("the edit changed nothing")
	}
	env["payload"] = base64.StdEncoding.EncodeToString(edited)
	tampered, _ := json.Marshal(env)

	fsys := fstest.MapFS{
		"w0/report.dsse.json":         reportsOnly["w0/report.dsse.json"],
		"w1/report.dsse.json":         reportsOnly["w1/report.dsse.json"],
		"history/history.dsse.json":   {Data: good},
		"history/history.json":        {Data: []byte("{}")},
		"tampered/history.dsse.json":  {Data: tampered},
		"approver/history.dsse.json":  {Data: signHistory(t, reportsOnly, v, approver)},
		"w2-missing/placeholder.json": {Data: []byte("{}")},
	}
	c, err := evidence.Collect(fsys, evidence.Options{Since: day("2026-01-05"), Until: day("2026-01-26"), ReportKey: v, ApproverKeys: []*signing.Verifier{av}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range c.Files {
		got[f.Path] = f.Kind + "/" + f.Status + "/" + f.Reason
	}
	for p, want := range map[string]string{
		"history/history.dsse.json":  "history/verified/",
		"history/history.json":       "other/not_evidence/",
		"tampered/history.dsse.json": "history/failed/" + history.ExcludedTampered,
		"approver/history.dsse.json": "history/failed/" + evidence.ReasonWrongKey,
	} {
		if got[p] != want {
			t.Errorf("%s: %q, want %q", p, got[p], want)
		}
	}
	// Placed by its newest report (w2, 2026-01-19), which is in the
	// period; that week has no report or drift run in the folder.
	if len(c.Gaps) != 1 || c.Gaps[0].Week != "2026-W04" {
		t.Errorf("gaps %v, want 2026-W04 only: a history is not a monitoring run", c.Gaps)
	}
	files, err := c.BundleFiles()
	if err != nil {
		t.Fatal(err)
	}
	const copied = evidence.DocumentsDir + "/history/history.dsse.json"
	if !bytes.Equal(files[copied], good) {
		t.Errorf("the bundle's %s is not the signed history", copied)
	}
	for name := range files {
		if name == evidence.DocumentsDir+"/tampered/history.dsse.json" || name == evidence.DocumentsDir+"/approver/history.dsse.json" {
			t.Errorf("the bundle holds %s, which failed verification", name)
		}
	}
	historyControls := reports.SectionControls(reports.SectionHistory)
	for _, ctl := range c.Controls() {
		in := slices.Contains(ctl.Files, copied)
		want := slices.Contains(historyControls, ctl.Control)
		if in != want {
			t.Errorf("%s %s: the signed history listed %v, want %v", ctl.Framework, ctl.ID, in, want)
		}
	}
	var verification struct{ Files []evidence.File }
	if err := json.Unmarshal(files[evidence.VerificationJSON], &verification); err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(verification.Files, func(f evidence.File) bool { return f.Path == "tampered/history.dsse.json" }); i < 0 || verification.Files[i].Reason != history.ExcludedTampered {
		t.Errorf("verification.json does not list the tampered history as tampered")
	}
}
