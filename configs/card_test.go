package configs

import (
	"reflect"
	"strings"
	"testing"
)

func TestCardBlock(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    Card
		wantErr string
	}{
		{name: "absent", body: ""},
		{
			name: "every key",
			body: "card:\n  intended_use: triage\n  out_of_scope: [medical advice]\n  limitations: [English only]\n  owners: [ml team]\n  contact: ml@example.com\n",
			want: Card{IntendedUse: "triage", OutOfScope: []string{"medical advice"}, Limitations: []string{"English only"}, Owners: []string{"ml team"}, Contact: "ml@example.com"},
		},
		{name: "empty entry", body: "card:\n  limitations: [ok, \" \"]\n", wantErr: "eval.yaml:4: card.limitations[1] is empty"},
		{name: "unknown key", body: "card:\n  intended_uses: x\n", wantErr: `eval.yaml:4: unknown key "card.intended_uses"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse("eval.yaml", []byte(minimal+tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Card, tt.want) {
				t.Errorf("got %+v, want %+v", cfg.Card, tt.want)
			}
		})
	}
}
