package sender

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// progressWindow is how far back the progress line's rate looks: recent
// enough to follow a receiver that slows down, long enough to be steady.
const progressWindow = 5 * time.Second

// maxProgressSnapshots bounds the snapshots a Progress keeps, whatever the
// clock does (it stands still in tests).
const maxProgressSnapshots = 64

// defaultProgressWidth is the width the progress line keeps within when
// the terminal's is unknown.
const defaultProgressWidth = 80

// ProgressPlan is what a load run's progress line measures the run
// against: the limits given to RunLoad in LoadConfig. At least one of
// Count and Duration is set, as for RunLoad.
type ProgressPlan struct {
	Count    int           // requests to send; 0: no count, the run ends with Duration
	Duration time.Duration // how long to send; 0: until Count is done
	Rate     float64       // requests a second at most; 0: no limit
}

// Progress draws a load run's progress line, the line a terminal keeps
// rewriting while the run goes on. It keeps the stats of the last few
// seconds, from which the line's rate comes. A Progress is for one run,
// and is not safe for concurrent use: call Line from one goroutine at a
// time, as LoadConfig.Progress is called.
type Progress struct {
	plan   ProgressPlan
	width  int
	recent []LoadStats // oldest first; the last is the newest
}

// NewProgress returns the progress of a run with plan, drawn on a terminal
// width columns wide (0 or less: unknown, taken as 80).
func NewProgress(plan ProgressPlan, width int) *Progress {
	// The start of the run, when nothing is done, is the first snapshot.
	return &Progress{plan: plan, width: width, recent: []LoadStats{{}}}
}

// Line returns the progress line for s, the run's newest stats, which are
// never older than those of the previous call. It shows the requests done
// (answered or failed), the rate over the last few seconds, the
// unexpected answers with their share of the answers, the errors, and how
// far the run is: for a Count the share done and the time left, for a
// Duration alone the share of the time gone and the time left. The line is
// printable ASCII without a newline or escape codes, shorter than the
// width (so that the cursor never wraps): the caller writes it after a
// "\r" and erases what an earlier, longer line left.
func (p *Progress) Line(s LoadStats) string {
	p.recent = append(p.recent, s)
	// Keep the newest snapshot at least progressWindow old, and those after.
	drop := 0
	for drop < len(p.recent)-2 && s.Elapsed-p.recent[drop+1].Elapsed >= progressWindow {
		drop++
	}
	drop = max(drop, len(p.recent)-maxProgressSnapshots)
	p.recent = append(p.recent[:0], p.recent[drop:]...)
	return progressLine(s, p.recent[0], p.plan, p.width)
}

// progressLine is the progress line for stats s, given base, earlier stats
// of the same run from which the rate is measured. For a Count, the time
// left is at the rate since base, or at plan.Rate when that is slower or
// nothing is measured yet (the schedule), and no later than the end of a
// Duration. It fits in width-1 columns (80 when width is 0), so that the
// cursor never wraps: the rate goes first, then the time, then the errors.
func progressLine(s, base LoadStats, plan ProgressPlan, width int) string {
	if width <= 0 {
		width = defaultProgressWidth
	}
	done := s.Done()
	rate := 0.0 // requests done a second since base
	if dt := s.Elapsed - base.Elapsed; dt > 0 && done > base.Done() {
		rate = float64(done-base.Done()) / dt.Seconds()
	}

	doneText := fmt.Sprintf("%d done", done)
	var timeText string
	if plan.Count > 0 {
		doneText = fmt.Sprintf("%d/%d done (%d%%)", done, plan.Count, percentOf(float64(done), float64(plan.Count)))
		left := -1.0 // seconds; unknown
		r := rate
		if plan.Rate > 0 && (r == 0 || r > plan.Rate) {
			r = plan.Rate
		}
		switch remaining := plan.Count - done; {
		case remaining <= 0:
			left = 0
		case r > 0:
			left = float64(remaining) / r
		}
		if plan.Duration > 0 {
			// The run ends at whichever comes first.
			untilEnd := max(plan.Duration-s.Elapsed, 0).Seconds()
			if left < 0 || untilEnd < left {
				left = untilEnd
			}
		}
		timeText = "ETA " + shortDuration(left)
	} else {
		timeText = fmt.Sprintf("%d%% of %s, %s left", percentOf(s.Elapsed.Seconds(), plan.Duration.Seconds()),
			shortDuration(plan.Duration.Seconds()), shortDuration(max(plan.Duration-s.Elapsed, 0).Seconds()))
	}
	unexpectedText := fmt.Sprintf("unexpected %d", s.Unexpected)
	if s.Answered > 0 {
		unexpectedText += " (" + shareOf(s.Unexpected, s.Answered) + ")"
	}

	// In the order shown; dropped highest drop first when the line is too
	// long.
	fields := []struct {
		text string
		drop int
	}{
		{doneText, 0},
		{fmt.Sprintf("%.0f req/s", rate), 4},
		{unexpectedText, 1},
		{fmt.Sprintf("errors %d", s.Failed), 2},
		{timeText, 3},
	}
	limit := width - 1
	for cut := 5; ; cut-- {
		var parts []string
		for _, f := range fields {
			if f.drop < cut {
				parts = append(parts, f.text)
			}
		}
		line := strings.Join(parts, "  ")
		if len(line) <= limit || cut == 1 {
			return line[:max(min(len(line), limit), 0)]
		}
	}
}

// percentOf returns n as a whole percentage of total, rounded down, so
// that 100% means all of it.
func percentOf(n, total float64) int {
	if total <= 0 {
		return 0
	}
	return int(min(max(n/total*100, 0), 100))
}

// shareOf returns n as a percentage of total to a tenth, never rounded to
// 0% or 100% when it is neither: "2.4%", "<0.1%".
func shareOf(n, total int) string {
	switch p := float64(n) / float64(total) * 100; {
	case n <= 0:
		return "0%"
	case n >= total:
		return "100%"
	case p < 0.1:
		return "<0.1%"
	case p > 99.9:
		return ">99.9%"
	default:
		return fmt.Sprintf("%.1f%%", p)
	}
}

// shortDuration formats a number of seconds for the progress line, rounded
// up to the second: "7s", "4m05s", "2h10m"; "?" when it is negative
// (unknown).
func shortDuration(seconds float64) string {
	switch s := math.Ceil(seconds); {
	case seconds < 0 || math.IsNaN(seconds):
		return "?"
	case s < 60:
		return fmt.Sprintf("%.0fs", s)
	case s < 3600:
		return fmt.Sprintf("%.0fm%02.0fs", math.Floor(s/60), math.Mod(s, 60))
	case s < 100*3600:
		return fmt.Sprintf("%.0fh%02.0fm", math.Floor(s/3600), math.Floor(math.Mod(s, 3600)/60))
	default:
		return ">99h"
	}
}
