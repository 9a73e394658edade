package evidence

import (
	"fmt"
	"time"
)

// Week is an ISO 8601 week (Monday to Sunday, UTC).
type Week struct {
	// Week is the ISO week, as "2026-W40".
	Week string `json:"week"`
	// Start is the week's Monday; End the Monday after it (exclusive),
	// both as YYYY-MM-DD.
	Start string `json:"start"`
	End   string `json:"end"`
}

// weekOf returns the ISO week holding t (UTC) and its Monday.
func weekOf(t time.Time) (Week, time.Time) {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	y, w := monday.ISOWeek()
	return Week{Week: fmt.Sprintf("%04d-W%02d", y, w), Start: monday.Format(time.DateOnly), End: monday.AddDate(0, 0, 7).Format(time.DateOnly)}, monday
}

// Weeks lists the ISO weeks that overlap [since, until), oldest first.
func Weeks(since, until time.Time) []Week {
	var out []Week
	_, monday := weekOf(since)
	for ; monday.Before(until); monday = monday.AddDate(0, 0, 7) {
		w, _ := weekOf(monday)
		out = append(out, w)
	}
	return out
}

// gaps lists the weeks of [since, until) in which no verified report or
// drift report of the period falls.
func gaps(since, until time.Time, files []File) []Week {
	covered := map[string]bool{}
	for _, f := range files {
		if f.InPeriod && (f.report != nil || f.drift != nil) {
			w, _ := weekOf(*f.Time)
			covered[w.Week] = true
		}
	}
	var out []Week
	for _, w := range Weeks(since, until) {
		if !covered[w.Week] {
			out = append(out, w)
		}
	}
	return out
}
