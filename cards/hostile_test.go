package cards

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/reports/reportstest"
)

// Payloads planted in every string that reaches the card from a config,
// a dataset or a model: HTML that would run, Markdown that would link,
// mention or break a table, and a terminal escape.
const (
	hostileHTML  = `<img src=x onerror="document.documentElement.setAttribute('data-xss','img')"><script>document.documentElement.setAttribute('data-xss','script')</script>`
	hostileMD    = "[click](https://evil.example/x) ![p](https://evil.example/p.png) @everyone | cell | **bold** `code` www.evil.example"
	hostileCtrl  = "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07\u202e"
	hostileAll   = hostileHTML + hostileMD + hostileCtrl
	hostileModel = "m" + hostileAll
)

func hostileCard(t *testing.T) *Card {
	t.Helper()
	s, v := newKey(t)
	r := reportstest.IntegrityReport(t)
	r.Candidate.Model, r.Candidate.Version = hostileModel, "v"+hostileAll
	r.Dataset.Name, r.Dataset.Version = "set"+hostileAll, hostileAll
	r.Metrics.Accuracy.ByTask[0].Name = "task" + hostileAll
	col := &r.Metrics.Fairness[0]
	col.Column = "region" + hostileAll
	col.Groups[0].Value = "group" + hostileAll
	for i := range col.Disparities {
		col.Disparities[i].Lowest = hostileAll
	}
	r.Gate.Rules[0].Reason = "reason" + hostileAll
	r.Metrics.Accuracy.Warnings = append(r.Metrics.Accuracy.Warnings, errors.New("warning"+hostileAll))
	r.Metrics.Boundaries.Rules[0].Rule = "rule" + hostileAll
	r.Review.ByReason[0].Reason = "reason" + hostileAll
	env := signReport(t, s, r, "")
	cfg, err := configs.Parse("eval.yaml", []byte(reportstest.IntegrityConfig))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Card = configs.Card{IntendedUse: "use" + hostileAll, OutOfScope: []string{"scope" + hostileAll}, Limitations: []string{"limit" + hostileAll}, Owners: []string{"owner" + hostileAll}, Contact: hostileAll}
	c, err := Build(Inputs{Key: v, Reports: []Document{{Path: "report.dsse.json", Envelope: env}}, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mdUnescaped matches Markdown that would act: a raw tag, a link or
// image, a mention, a bare URL, an emphasis or code mark, a control
// character.
var mdActive = []struct {
	name string
	re   *regexp.Regexp
}{
	{"raw HTML tag", regexp.MustCompile(`<[a-zA-Z/]`)},
	{"link or image", regexp.MustCompile(`[^\\]\]\(`)},
	{"mention", regexp.MustCompile(`(^|[^\w])@everyone`)},
	{"bare URL", regexp.MustCompile(`https://evil|www\.evil`)},
	{"emphasis", regexp.MustCompile(`[^\\]\*\*bold`)},
	{"code span", regexp.MustCompile("[^\\\\]`code")},
	{"control character", regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f\u202e]")},
}

func TestHostileStringsMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, hostileCard(t)); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if n := strings.Count(md, "onerror"); n < 10 {
		t.Fatalf("the payload appears %d times: the test planted too little", n)
	}
	for _, a := range mdActive {
		if loc := a.re.FindStringIndex(md); loc != nil {
			t.Errorf("%s in card.md: %q", a.name, md[max(0, loc[0]-40):min(len(md), loc[1]+40)])
		}
	}
	// Every table row keeps its header's number of cells: a planted pipe
	// must not split a cell.
	unescapedPipe := regexp.MustCompile(`(^|[^\\])\|`)
	var cells int
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			cells = 0
			continue
		}
		n := len(unescapedPipe.FindAllString(line, -1))
		if cells == 0 {
			cells = n
		} else if n != cells {
			t.Errorf("table row with %d cell borders, header has %d: %s", n, cells, line)
		}
	}
	for _, want := range []string{"use&lt;img", "scope&lt;img", "limit&lt;img", "owner&lt;img", "group&lt;img", "task&lt;img", "region&lt;img", "warning&lt;img", "rule&lt;img", "reason&lt;img"} {
		if !strings.Contains(md, want) {
			t.Errorf("card.md lacks %q: its section did not show the planted string", want)
		}
	}
}

func TestHostileStringsHTML(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, hostileCard(t)); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<img", "<script>document", "\x1b", "\u202e"} {
		if strings.Contains(page, bad) {
			t.Errorf("card.html holds %q unescaped", bad)
		}
	}
	for _, want := range []string{"use&lt;img", "group&lt;img", "owner&lt;img", `\x1b`, `\u202e`} {
		if !strings.Contains(page, want) {
			t.Errorf("card.html lacks %q", want)
		}
	}
	if !strings.Contains(page, `Content-Security-Policy" content="default-src 'none'`) {
		t.Error("card.html has no Content-Security-Policy")
	}
}

// TestHostileHTMLInChromium opens the hostile card in a headless
// Chromium, without its Content-Security-Policy, and checks that no
// payload ran; a control page shows that the check sees one that does.
func TestHostileHTMLInChromium(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed; skipping the headless XSS test")
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, hostileCard(t)); err != nil {
		t.Fatal(err)
	}
	noCSP := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy"[^>]*>`).ReplaceAll(b.Bytes(), nil)
	mark := regexp.MustCompile(`<html[^>]*data-xss`)
	for _, tt := range []struct {
		name    string
		page    []byte
		wantRun bool
	}{
		{"card.html without its CSP", noCSP, false},
		{"control: payload unescaped", []byte("<!DOCTYPE html><html><body>" + hostileHTML + "</body></html>"), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "card.html")
			if err := os.WriteFile(path, tt.page, 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
				"--disable-background-networking", "--user-data-dir="+filepath.Join(dir, "profile"), "--dump-dom", "file://"+path).Output()
			if err != nil || !bytes.Contains(out, []byte("</html>")) {
				t.Fatalf("chromium: %v\n%s", err, out)
			}
			if ran := mark.Match(out); ran != tt.wantRun {
				t.Fatalf("payload ran: %v, want %v; DOM:\n%s", ran, tt.wantRun, out)
			}
		})
	}
}
