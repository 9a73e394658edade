package approvals_test

import (
	"fmt"
	"time"

	"github.com/evalgate/evalgate/approvals"
	"github.com/evalgate/evalgate/signing"
)

// A release manager overrides a BLOCK with a justification; the
// deployment job verifies the approval and checks it against the report.
func Example() {
	ciKey, ciPub, _ := newKey(1)             // signed the report
	approver, approverPub, _ := newKey(2)    // the release manager's own key
	report, err := newReport(ciKey, 0, 0.95) // verdict BLOCK
	if err != nil {
		panic(err)
	}

	rec, err := approvals.NewRecord(report, ciPub)
	if err != nil {
		panic(err)
	}
	rec.Decision, rec.Justification = approvals.Override, "regression confined to deprecated intents"
	rec.Approver, rec.Reference = "Ada Lovelace <ada@example.com>", "CHG-1234"
	rec.Time = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)
	signed, err := approvals.Sign(approver, *rec)
	if err != nil {
		panic(err)
	}

	got, err := approvals.Verify(approverPub, signed)
	if err != nil {
		panic(err)
	}
	err = approvals.Check(got, report, ciPub, approvals.CheckOptions{Approvers: []*signing.Verifier{approverPub}})
	fmt.Println(got.Decision, got.Report.Verdict, got.Report.Model, err)

	_, err = approvals.Sign(ciKey, *rec)
	fmt.Println(err != nil)
	// Output:
	// override BLOCK extractive-v1@extractive-v1 <nil>
	// true
}
