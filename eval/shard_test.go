package eval

import (
	"testing"

	"github.com/evalgate/evalgate/configs"
)

// TestFingerprintShard checks that the shard is part of a journal's
// identity, and that a whole run's fingerprint is the one evalgate wrote
// before shards existed, so that its journals still resume.
func TestFingerprintShard(t *testing.T) {
	seed := 7
	base := Setup{Role: "candidate", Model: configs.Model{Provider: "openai", Model: "m", BaseURL: "http://h/v1", Version: "v1", Temperature: 0.5, MaxTokens: 64, Seed: &seed},
		Run: configs.Run{Repeats: 2}, Prompts: configs.Prompt{System: "s", Template: "{{.Input}}"}, DatasetSHA256: "d1"}
	// Computed by the code before Setup had a Shard.
	const whole = "695e09d44338b08280a39107e3b40ef33cd2548f4b6d1d5d4814e714723d3964"
	if got := base.Fingerprint(); got != whole {
		t.Errorf("whole run's fingerprint %s, want %s (an existing journal would no longer resume)", got, whole)
	}
	seen := map[string]string{base.Fingerprint(): "whole"}
	for _, shard := range []string{"0/2", "1/2", "1/4"} {
		s := base
		s.Shard = shard
		f := s.Fingerprint()
		if other, ok := seen[f]; ok {
			t.Errorf("shard %s: same journal fingerprint as %s", shard, other)
		}
		seen[f] = shard
	}
}
