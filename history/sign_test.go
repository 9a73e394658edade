package history_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/evalgate/evalgate/history"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
	"github.com/evalgate/evalgate/signing"
)

// signedHistory builds the history of six weekly signed reports and its
// files: history.json as WriteJSON writes it and a stand-in history.md.
func signedHistory(t *testing.T) (*history.History, []history.File, fstest.MapFS, *signing.Signer, *signing.Verifier) {
	t.Helper()
	s, v := historySigner(t, 1)
	fsys := fstest.MapFS{}
	for w := range 6 {
		env, err := reports.SignReport(s, reportstest.WeekReport(w, 350+w, 400, 2, "bot"), "")
		if err != nil {
			t.Fatal(err)
		}
		fsys[fmt.Sprintf("w%d/report.dsse.json", w)] = &fstest.MapFile{Data: env}
	}
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
	return h, []history.File{{Name: history.FileJSON, Data: b.Bytes()}, {Name: "history.md", Data: []byte("# History of 6 reports, accuracy 0.875\n")}}, fsys, s, v
}

func sha(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestSignHistoryRoundTrip(t *testing.T) {
	h, files, fsys, s, v := signedHistory(t)
	env, err := history.Sign(s, h, files)
	if err != nil {
		t.Fatal(err)
	}
	st, err := history.Verify(v, env)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.MarshalIndent(st.History, "", "  ")
	if want := files[0].Data; !bytes.Equal(append(got, '\n'), want) {
		t.Errorf("the signed predicate is not history.json:\ngot  %s\nwant %s", got, want)
	}
	// Every file and every source report envelope is a subject, by name
	// and digest.
	want := map[string]string{history.FileJSON: sha(files[0].Data), "history.md": sha(files[1].Data)}
	for p, f := range fsys {
		want[p] = sha(f.Data)
	}
	if len(st.Subject) != len(want) {
		t.Errorf("%d subjects, want %d", len(st.Subject), len(want))
	}
	for name, sum := range want {
		if _, byName, err := signing.CheckSubject(st.Subject, name, sum); err != nil || !byName {
			t.Errorf("subject %s: by name %v, %v", name, byName, err)
		}
	}
	// A signed history in the folder is not a report of the next history,
	// nor a file left out.
	fsys["history/history.dsse.json"] = &fstest.MapFile{Data: env}
	set, err := history.ReadSignedReports(fsys, v)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Reports) != 6 || len(set.Excluded) != 0 {
		t.Errorf("with the signed history in the folder: %d reports, excluded %+v; want 6 and none", len(set.Reports), set.Excluded)
	}
}

// resign signs a statement whose predicate is the history's document as
// edit changes it, with the history's key.
func resign(t *testing.T, s *signing.Signer, env []byte, edit func(st map[string]any)) []byte {
	t.Helper()
	var e signing.Envelope
	if err := json.Unmarshal(env, &e); err != nil {
		t.Fatal(err)
	}
	var st map[string]any
	if err := json.Unmarshal(e.Payload, &st); err != nil {
		t.Fatal(err)
	}
	edit(st)
	payload, _ := json.Marshal(st)
	out, err := s.SignEnvelope(payload)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(out)
	return b
}

func TestVerifyHistory(t *testing.T) {
	h, files, _, s, v := signedHistory(t)
	env, err := history.Sign(s, h, files)
	if err != nil {
		t.Fatal(err)
	}
	other, ov := historySigner(t, 2)
	otherEnv, _ := history.Sign(other, h, files)
	report, _ := reports.SignReport(s, reportstest.WeekReport(0, 350, 400, 2, "bot"), "")
	var raw map[string]any
	json.Unmarshal(env, &raw)
	payload, _ := base64.StdEncoding.DecodeString(raw["payload"].(string))
	raw["payload"] = base64.StdEncoding.EncodeToString(bytes.Replace(payload, []byte(`"model":"bot@v1"`), []byte(`"model":"bot@v9"`), 1))
	edited, _ := json.Marshal(raw)
	if bytes.Equal(edited, env) {
		t.Fatal("the edit changed nothing")
	}
	pred := func(st map[string]any) map[string]any { return st["predicate"].(map[string]any) }
	for _, tc := range []struct {
		name string
		env  []byte
		v    *signing.Verifier
		want error
	}{
		{"good", env, v, nil},
		{"payload edited after signing", edited, v, signing.ErrSignature},
		{"another key signed it", otherEnv, v, signing.ErrSignature},
		{"verified with another key", env, ov, signing.ErrSignature},
		{"a signed report, not a history", report, v, signing.ErrEnvelope},
		{"a field this evalgate does not know", resign(t, s, env, func(st map[string]any) { pred(st)["verdict"] = "ALLOW" }), v, signing.ErrEnvelope},
		{"no report", resign(t, s, env, func(st map[string]any) { pred(st)["reports"] = []any{} }), v, signing.ErrEnvelope},
		{"a report that is no subject", resign(t, s, env, func(st map[string]any) { st["subject"] = st["subject"].([]any)[:2] }), v, signing.ErrEnvelope},
		{"another predicate type", resign(t, s, env, func(st map[string]any) { st["predicateType"] = "https://github.com/evalgate/evalgate/history/v2" }), v, signing.ErrEnvelope},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, err := history.Verify(tc.v, tc.env)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("got %v, want it verified", err)
			case tc.want == nil && len(st.History.Reports) != 6:
				t.Errorf("%d reports, want 6", len(st.History.Reports))
			case tc.want != nil && !errors.Is(err, tc.want):
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	// history.json changed after signing no longer matches its subject.
	st, _ := history.Verify(v, env)
	changed := bytes.Replace(files[0].Data, []byte(`"model": "bot@v1"`), []byte(`"model": "bot@v9"`), 1)
	if bytes.Equal(changed, files[0].Data) {
		t.Fatal("the change to history.json changed nothing")
	}
	if _, _, err := signing.CheckSubject(st.Subject, history.FileJSON, sha(changed)); !errors.Is(err, signing.ErrDigestMismatch) {
		t.Errorf("tampered history.json: got %v, want a digest mismatch", err)
	}
}

func TestSignHistoryRefuses(t *testing.T) {
	h, files, _, s, _ := signedHistory(t)
	noDigest := *h
	noDigest.Reports = append([]history.Report(nil), h.Reports...)
	noDigest.Reports[2].EnvelopeSHA256 = ""
	for _, tc := range []struct {
		name  string
		h     *history.History
		files []history.File
		want  string
	}{
		{"history.json of another history", h, []history.File{{Name: history.FileJSON, Data: bytes.Replace(files[0].Data, []byte(`"model": "bot`), []byte(`"model": "bat`), 1)}}, "not this history's document"},
		{"two files of one name", h, []history.File{files[1], files[1]}, "two files named history.md"},
		{"a report with no envelope digest", &noDigest, files, "no envelope digest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := history.Sign(s, tc.h, tc.files); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}
