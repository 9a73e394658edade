//go:build unix

package integrity_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/evalgate/evalgate/integrity"
)

// groundSyntheticRows builds rows at the top of RAGTruth's size range: an
// 800-word article and a 100-word answer.
func groundSyntheticRows() []groundRow {
	words := strings.Fields(`the council voted on tuesday to approve a budget of 4.5 million dollars for
		road repairs across the northern district after residents complained about potholes and flooding
		mayor Jane Porter said the work would begin in March and finish by the end of 2025 while critics
		argued that the plan ignored public transport and cycling lanes in the city centre`)
	rows := make([]groundRow, 16)
	for i := range rows {
		var art strings.Builder
		for w := 0; w < 800; w++ {
			art.WriteString(words[(w*7+i)%len(words)])
			if w%18 == 17 {
				art.WriteString(". ")
			} else {
				art.WriteByte(' ')
			}
		}
		out := fmt.Sprintf("The council approved a budget of %d million dollars for road repairs in the northern district. "+
			"Mayor Jane Porter said work would begin in March. Critics said the plan ignored public transport and cycling lanes. "+
			"Residents had complained about potholes and flooding for years, and the vote on Tuesday was unanimous according to officials. "+
			"The repairs are expected to finish by the end of 2025, although some councillors doubted the timetable.", 4+i%3)
		rows[i] = groundRow{id: fmt.Sprint(i), output: out, context: []string{art.String()}}
	}
	return rows
}

// BenchmarkGround measures the lexical method one answer per iteration,
// over the RAGTruth rows when the shared data is present, and over
// synthetic rows with 800-word contexts:
//
//	go test -run '^$' -bench Ground -cpu 1 ./metrics
//
// It reports answers/s of wall time and answers/cpu-s, answers per second
// of the process's CPU time (user + system, garbage collection included),
// which is the per-core rate and stays meaningful on a loaded machine. (The
// CPU clock is getrusage's, hence the unix build constraint.)
func BenchmarkGround(b *testing.B) {
	g := integrity.NewGrounder(integrity.GroundOptions{})
	if rows, ok := readRagtruth(b); ok {
		b.Run("ragtruth", func(b *testing.B) { benchGround(b, g, rows) })
	}
	b.Run("synthetic-800w", func(b *testing.B) { benchGround(b, g, groundSyntheticRows()) })
}

func benchGround(b *testing.B, g *integrity.Grounder, rows []groundRow) {
	b.ReportAllocs()
	cpu0 := groundCPUTime(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := rows[i%len(rows)]
		g.Ground(r.output, r.context)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "answers/s")
	if cpu := groundCPUTime(b) - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "answers/cpu-s")
	}
}

// groundCPUTime is the CPU time the process has used so far.
func groundCPUTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
