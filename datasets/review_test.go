package datasets

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/evalgate/evalgate/records"
)

func TestReviewRoundTrip(t *testing.T) {
	conf := 0.31
	rows := []records.ReviewRow{
		{ID: "q1", Sample: 0, Task: "billing", Groups: "region=EU", Reasons: "low_confidence; hallucinated", Confidence: &conf,
			Input: "How much?", Expected: "$5", Output: "It costs <b>$9</b> 🙂", Evidence: "unsupported: $9"},
		{ID: "q2", Sample: 1, Reasons: "boundary:max_chars", Input: "Hi", Output: "long"},
	}
	var a, b bytes.Buffer
	if err := WriteReview(&a, rows, map[string]string{"evalgate.kind": "review"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteReview(&b, rows, map[string]string{"evalgate.kind": "review"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two writes of the same rows differ")
	}
	got, err := ReadReview(bytes.NewReader(a.Bytes()), int64(a.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, rows) {
		t.Errorf("got %+v, want %+v", got, rows)
	}
}
