package signing

import (
	"errors"
	"testing"
)

func TestCheckUnambiguous(t *testing.T) {
	tests := []struct {
		name    string
		json    string
		wantErr error // nil: accepted
	}{
		{"plain", `{"verdict":"ALLOW","gate":{"rules":[{"metric":"accuracy"}]}}`, nil},
		{"same key twice", `{"verdict":"BLOCK","verdict":"ALLOW"}`, ErrAmbiguous},
		{"case variant", `{"verdict":"BLOCK","Verdict":"ALLOW"}`, ErrAmbiguous},
		{"nested case variant", `{"predicate":{"report":{"verdict":"BLOCK","VERDICT":"ALLOW"}}}`, ErrAmbiguous},
		{"in an array", `{"subject":[{"name":"a","Name":"b"}]}`, ErrAmbiguous},
		{"same key in sibling objects", `{"a":{"x":1},"b":{"x":2}}`, nil},
		{"trailing data", `{"a":1} {"a":2}`, ErrAmbiguous},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckUnambiguous([]byte(tt.json))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	if err := CheckUnambiguous([]byte(`{"a":`)); err == nil {
		t.Error("truncated JSON: got nil error")
	}
}
