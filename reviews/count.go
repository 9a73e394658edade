package reviews

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/evalgate/evalgate/inputfile"
	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// Loaded are the review records of a folder: those that verified, and
// the files that hold a review record but were not counted, with why.
type Loaded struct {
	Records []*Record
	Skipped []string
}

// Load reads the review records among the *.json files directly in dir
// and verifies each with keys: a record counts when one of them verifies
// it. Files that are not review records (other envelopes, reports) are
// passed over; a review record no key verifies is listed in Skipped, with
// the reason. It fails only when dir cannot be read.
func Load(dir string, keys []*signing.Verifier) (*Loaded, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read review folder: %w", err)
	}
	out := &Loaded{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		raw, err := inputfile.Read(path, "envelope", inputfile.MaxEnvelope)
		if err != nil {
			out.Skipped = append(out.Skipped, fmt.Sprintf("%s: %v", e.Name(), err))
			continue
		}
		if !IsRecord(raw) {
			continue
		}
		var rec *Record
		var last error
		for _, k := range keys {
			if rec, last = Verify(k, raw); last == nil {
				break
			}
		}
		if rec == nil {
			why := "no key given"
			if last != nil {
				why = last.Error()
				if errors.Is(last, signing.ErrSignature) {
					why = "its signature does not verify with any of the review keys"
				}
			}
			out.Skipped = append(out.Skipped, fmt.Sprintf("%s: %s", e.Name(), why))
			continue
		}
		out.Records = append(out.Records, rec)
	}
	return out, nil
}

// IsRecord reports whether raw is a DSSE envelope whose statement has
// PredicateType, signed or not: a review record, to be checked with
// Verify.
func IsRecord(raw []byte) bool {
	env, err := signing.DecodeEnvelope(raw)
	if err != nil {
		return false
	}
	var st struct {
		PredicateType string `json:"predicateType"`
	}
	return json.Unmarshal(env.Payload, &st) == nil && st.PredicateType == PredicateType
}

// Count counts the decisions of the loaded records about reports of the
// eval set with digest datasetSHA256; records about other sets are listed
// in Skipped. An answer decided in several records counts once, with its
// latest decision (by record time, then reviewer). It returns nil when
// l is nil.
func (l *Loaded) Count(datasetSHA256 string) *reports.ReviewDecisions {
	if l == nil {
		return nil
	}
	out := &reports.ReviewDecisions{Reviewers: []reports.ReviewerCount{}, Skipped: slices.Clone(l.Skipped)}
	var recs []*Record
	for _, r := range l.Records {
		if r.Report.DatasetSHA256 != datasetSHA256 {
			out.Skipped = append(out.Skipped, fmt.Sprintf("the record by %s at %s is about eval set %s, not %s", r.Reviewer, r.Time.Format("2006-01-02T15:04:05Z"), short(r.Report.DatasetSHA256), short(datasetSHA256)))
			continue
		}
		recs = append(recs, r)
	}
	slices.SortStableFunc(recs, func(a, b *Record) int {
		return cmp.Or(a.Time.Compare(b.Time), cmp.Compare(a.Reviewer, b.Reviewer), cmp.Compare(a.CSVSHA256, b.CSVSHA256))
	})
	type latest struct {
		decision string
		rec      *Record
	}
	final := map[[2]string]latest{}
	for _, r := range recs {
		for _, d := range r.Decisions {
			final[[2]string{d.ID, fmt.Sprint(d.Sample)}] = latest{d.Decision, r}
		}
	}
	out.Records = len(recs)
	by := map[string]*reports.ReviewerCount{}
	for _, f := range final {
		rc := by[f.rec.Reviewer+"\x00"+f.rec.ReviewerKeyID]
		if rc == nil {
			rc = &reports.ReviewerCount{Reviewer: f.rec.Reviewer, KeyID: f.rec.ReviewerKeyID}
			by[f.rec.Reviewer+"\x00"+f.rec.ReviewerKeyID] = rc
		}
		out.Reviewed++
		rc.Reviewed++
		switch f.decision {
		case Accept:
			out.Accepted++
			rc.Accepted++
		case Reject:
			out.Rejected++
			rc.Rejected++
		case Escalate:
			out.Escalated++
			rc.Escalated++
		}
	}
	for _, rc := range by {
		out.Reviewers = append(out.Reviewers, *rc)
	}
	slices.SortFunc(out.Reviewers, func(a, b reports.ReviewerCount) int {
		return cmp.Or(cmp.Compare(a.Reviewer, b.Reviewer), cmp.Compare(a.KeyID, b.KeyID))
	})
	return out
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
