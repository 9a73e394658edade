package cards

import (
	"testing"

	"github.com/evalgate/evalgate/internal/testkeys"

	"github.com/evalgate/evalgate/configs"
	"github.com/evalgate/evalgate/internal/golden"
	"github.com/evalgate/evalgate/reports/reportstest"
	"github.com/evalgate/evalgate/signing"
)

// fixedKey is an Ed25519 key from a fixed seed: its signatures, and so
// the source digests on the card, are the same in every run.
func fixedKey(t *testing.T) (*signing.Signer, *signing.Verifier) {
	return testkeys.Pair(t, 7)
}

// TestGolden compares the whole card, in each format, with testdata/
// (go test ./cards -update rewrites them).
func TestGolden(t *testing.T) {
	s, v := fixedKey(t)
	env := signReport(t, s, reportstest.IntegrityReport(t), "")
	cfg, err := configs.Parse("eval.yaml", []byte(cardConfig))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Build(Inputs{Key: v, Reports: []Document{{Path: "report.dsse.json", Envelope: env}}, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	files, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) { golden.Check(t, f.Name, f.Data) })
	}
}
