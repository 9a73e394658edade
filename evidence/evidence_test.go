package evidence_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"testing"
	"testing/fstest"
	"time"

	"github.com/evalgate/evalgate/internal/testkeys"

	"github.com/evalgate/evalgate/evidence"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/reports/reportstest"
	"github.com/evalgate/evalgate/signing"
)

func keys(t testing.TB, seed byte) (*signing.Signer, *signing.Verifier) {
	return testkeys.Pair(t, seed)
}

func sign(t *testing.T, s *signing.Signer, r *reports.Report) []byte {
	t.Helper()
	b, err := reports.SignReport(s, r, "")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestWeeks(t *testing.T) {
	for _, tc := range []struct {
		name         string
		since, until string
		want         []string
	}{
		{"whole weeks", "2026-09-07", "2026-09-21", []string{"2026-W37", "2026-W38"}},
		{"partial weeks at both ends", "2026-09-09", "2026-09-15", []string{"2026-W37", "2026-W38"}},
		{"until is a Monday, excluded", "2026-09-01", "2026-09-07", []string{"2026-W36"}},
		{"one day", "2026-09-06", "2026-09-07", []string{"2026-W36"}},
		{"week 53 and the new ISO year", "2026-12-28", "2027-01-11", []string{"2026-W53", "2027-W01"}},
		{"January in the last ISO week of the year before", "2027-01-01", "2027-01-04", []string{"2026-W53"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, w := range evidence.Weeks(day(tc.since), day(tc.until)) {
				got = append(got, w.Week)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// TestBackfill runs twelve weekly samples on one day: each report's data
// window, not its run date, places it, so the period has no gap.
func TestBackfill(t *testing.T) {
	s, v := keys(t, 1)
	fsys := fstest.MapFS{}
	ranOn := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	for w := range 12 {
		r := reportstest.WeekReport(w, 360, 400, 2, "bot")
		since, until := day("2026-09-07").AddDate(0, 0, 7*w), day("2026-09-14").AddDate(0, 0, 7*w)
		r.Dataset.Window = &reports.DataWindow{Since: &since, Until: &until, Column: "timestamp"}
		r.Timing.FinishedAt, r.Timing.StartedAt = ranOn.Add(time.Duration(w)*time.Minute), ranOn
		fsys[fmt.Sprintf("backfill/%02d/report.dsse.json", w)] = &fstest.MapFile{Data: sign(t, s, r)}
	}
	c, err := evidence.Collect(fsys, evidence.Options{Since: day("2026-09-07"), Until: day("2026-11-30"), ReportKey: v})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Decisions) != 12 || len(c.Gaps) != 0 {
		t.Fatalf("%d decisions and gaps %v; want 12 and none", len(c.Decisions), c.Gaps)
	}
	for w, d := range c.Decisions {
		want := day("2026-09-07").AddDate(0, 0, 7*w)
		if !d.Time.Equal(want) || d.TimeSource != "data_window_since" || d.WindowSince != want.Format(time.RFC3339) {
			t.Errorf("decision %d: time %s from %s, window %s; want %s from the data window", w, d.Time, d.TimeSource, d.WindowSince, want)
		}
	}
	// The week they ran in holds none of them.
	c, err = evidence.Collect(fsys, evidence.Options{Since: day("2026-11-30"), Until: day("2026-12-07"), ReportKey: v})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Decisions) != 0 || len(c.Gaps) != 1 {
		t.Errorf("the week they ran: %d decisions, gaps %v; want none and that week", len(c.Decisions), c.Gaps)
	}
}

func TestCollectOptions(t *testing.T) {
	_, v := keys(t, 1)
	for _, tc := range []struct {
		name string
		opt  evidence.Options
	}{
		{"no key", evidence.Options{Since: day("2026-09-01"), Until: day("2026-12-01")}},
		{"no since", evidence.Options{Until: day("2026-12-01"), ReportKey: v}},
		{"reversed", evidence.Options{Since: day("2026-12-01"), Until: day("2026-09-01"), ReportKey: v}},
		{"empty", evidence.Options{Since: day("2026-12-01"), Until: day("2026-12-01"), ReportKey: v}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := evidence.Collect(fstest.MapFS{}, tc.opt); !errors.Is(err, evidence.ErrOptions) {
				t.Errorf("got %v, want ErrOptions", err)
			}
		})
	}
}

// folder is three weekly reports, an approver-signed report and a
// tampered one.
func folder(t *testing.T) (fstest.MapFS, evidence.Options) {
	s, v := keys(t, 1)
	approver, av := keys(t, 3)
	fsys := fstest.MapFS{}
	for w := range 3 {
		fsys[fmt.Sprintf("w%d/report.dsse.json", w)] = &fstest.MapFile{Data: sign(t, s, reportstest.WeekReport(w, 360, 400, 2, "bot"))}
	}
	fsys["rogue/report.dsse.json"] = &fstest.MapFile{Data: sign(t, approver, reportstest.WeekReport(1, 399, 400, 0, "bot"))}
	good := sign(t, s, reportstest.WeekReport(3, 360, 400, 2, "bot"))
	fsys["w3/report.dsse.json"] = &fstest.MapFile{Data: bytes.Replace(good, []byte(`"sig": "`), []byte(`"sig": "AAAA`), 1)}
	fsys["w2/link.dsse.json"] = &fstest.MapFile{Data: []byte("w0/report.dsse.json"), Mode: fs.ModeSymlink}
	return fsys, evidence.Options{Since: day("2026-01-05"), Until: day("2026-02-02"), ReportKey: v, ApproverKeys: []*signing.Verifier{av}}
}

func TestCollectReasons(t *testing.T) {
	fsys, opt := folder(t)
	c, err := evidence.Collect(fsys, opt)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range c.Files {
		got[f.Path] = f.Status + "/" + f.Reason
	}
	want := map[string]string{
		"w0/report.dsse.json":    "verified/",
		"w1/report.dsse.json":    "verified/",
		"w2/report.dsse.json":    "verified/",
		"w3/report.dsse.json":    "failed/tampered",
		"rogue/report.dsse.json": "failed/" + evidence.ReasonWrongKey,
		"w2/link.dsse.json":      "failed/" + evidence.ReasonNotRegular,
	}
	for p, w := range want {
		if got[p] != w {
			t.Errorf("%s: %q, want %q", p, got[p], w)
		}
	}
	if len(c.Decisions) != 3 || len(c.Gaps) != 1 || c.Gaps[0].Week != "2026-W05" {
		t.Errorf("%d decisions, gaps %v; want 3 and 2026-W05 (the tampered week)", len(c.Decisions), c.Gaps)
	}
}

func writeArchive(t *testing.T, fsys fstest.MapFS, opt evidence.Options, s *signing.Signer, created time.Time) []byte {
	t.Helper()
	c, err := evidence.Collect(fsys, opt)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := evidence.WriteArchive(&b, c, s, created); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestArchiveDeterministic(t *testing.T) {
	fsys, opt := folder(t)
	s, _ := keys(t, 9)
	created := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	a, b := writeArchive(t, fsys, opt, s, created), writeArchive(t, fsys, opt, s, created)
	if !bytes.Equal(a, b) {
		t.Error("two bundles of the same folder with the same creation time differ")
	}
	if c := writeArchive(t, fsys, opt, s, created.Add(time.Hour)); bytes.Equal(a, c) {
		t.Error("the creation time is not in the manifest")
	}
}

// repack rewrites an archive's entries through edit, which may change,
// drop (nil) or add entries.
func repack(t *testing.T, raw []byte, edit func(files map[string][]byte)) []byte {
	t.Helper()
	files, err := evidence.ReadArchive(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	edit(files)
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for name, data := range files {
		if data == nil {
			continue
		}
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data))})
		tw.Write(data)
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

func TestVerifyArchive(t *testing.T) {
	fsys, opt := folder(t)
	s, v := keys(t, 9)
	_, other := keys(t, 10)
	raw := writeArchive(t, fsys, opt, s, time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC))
	m, files, err := evidence.VerifyArchive(bytes.NewReader(raw), v)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != len(files)-1 || m.Counts.Decisions != 3 || m.Since != "2026-01-05T00:00:00Z" {
		t.Errorf("manifest %+v for %d files", m, len(files))
	}
	for _, tc := range []struct {
		name string
		edit func(map[string][]byte)
		want error
	}{
		{"changed file", func(f map[string][]byte) { f[evidence.IndexCSV] = append(f[evidence.IndexCSV], "x\n"...) }, evidence.ErrManifest},
		{"dropped file", func(f map[string][]byte) { f["documents/w1/report.dsse.json"] = nil }, evidence.ErrManifest},
		{"added file", func(f map[string][]byte) { f["documents/extra.dsse.json"] = []byte("{}") }, evidence.ErrManifest},
		{"no manifest", func(f map[string][]byte) { f[evidence.ManifestJSON] = nil }, evidence.ErrArchive},
		{"manifest edited", func(f map[string][]byte) {
			f[evidence.ManifestJSON] = bytes.Replace(f[evidence.ManifestJSON], []byte(`"sig": "`), []byte(`"sig": "AAAA`), 1)
		}, signing.ErrSignature},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := evidence.VerifyArchive(bytes.NewReader(repack(t, raw, tc.edit)), v)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
	if _, _, err := evidence.VerifyArchive(bytes.NewReader(raw), other); !errors.Is(err, signing.ErrSignature) {
		t.Errorf("another key: %v, want ErrSignature", err)
	}
	if _, _, err := evidence.VerifyArchive(io.LimitReader(bytes.NewReader(raw), 10), v); !errors.Is(err, evidence.ErrArchive) {
		t.Errorf("truncated: %v, want ErrArchive", err)
	}
}

// FuzzCollect reads one file of any bytes among good reports: it is
// listed once, and only a verified report reaches the index.
func FuzzCollect(f *testing.F) {
	s, v := keys(f, 1)
	good, _ := reports.SignReport(s, reportstest.WeekReport(0, 360, 400, 2, "bot"), "")
	f.Add(good)
	f.Add([]byte(`{"schema_version":"1","verdict":"ALLOW"}`))
	f.Add([]byte(`{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"keyid":"","sig":"AAAA"}]}`))
	f.Add([]byte("{not json"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{"x/report.dsse.json": {Data: data}, "x/report.json": {Data: data}}
		c, err := evidence.Collect(fsys, evidence.Options{Since: day("2026-01-01"), Until: day("2026-03-01"), ReportKey: v})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Files) != 2 {
			t.Fatalf("%d files listed, want 2", len(c.Files))
		}
		for _, d := range c.Decisions {
			if d.File != "x/report.dsse.json" || d.SignerKeyID != v.KeyID {
				t.Errorf("indexed %+v", d)
			}
		}
		if len(c.Decisions) > 1 {
			t.Errorf("%d decisions from one envelope", len(c.Decisions))
		}
	})
}
