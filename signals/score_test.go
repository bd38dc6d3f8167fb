package signals

import "testing"

func TestParts(t *testing.T) {
	tests := []struct {
		name          string
		beaten, total int
		mean, pct     float64
		missing       bool
		status        Status
		want          ScoreParts
	}{
		{"all strong", 11, 11, 0.2, 0.8, false, Above, ScoreParts{1, 1, 1, 1}},
		{"half way", 5, 10, 0, 0.25, false, Inside, ScoreParts{0.5, 0.5, 0.5, 0.5}},
		{"all weak", 0, 11, -0.3, 0, false, Below, ScoreParts{0, 0, 0, 0}},
		{"micro-cap missing, zone unavailable", 11, 11, 0.05, 0.9, true, Unavailable, ScoreParts{1, 0.75, 0, 0.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parts(tt.beaten, tt.total, tt.mean, 0.1, tt.pct, 0.5, tt.missing, tt.status)
			if got != tt.want {
				t.Fatalf("Parts=%+v, want %+v", got, tt.want)
			}
		})
	}
	w := DefaultConfig().Weights
	if got, want := Score(ScoreParts{1, 1, 1, 1}, w), 1.0; got != want {
		t.Fatalf("Score(all 1)=%v, want %v", got, want)
	}
	if got, want := Score(ScoreParts{1, 0, 0, 0}, w), 0.4; got != want {
		t.Fatalf("Score(breadth only)=%v, want %v", got, want)
	}
}
