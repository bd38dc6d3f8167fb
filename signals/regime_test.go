package signals

import (
	"fmt"
	"slices"
	"testing"
)

// run feeds a sequence of (score, beats all) days through Target and Step
// from a cold neutral start and returns the regime after each day.
func run(g RegimeConfig, scores []float64, beats []bool) []Regime {
	s := State{Regime: Neutral}
	out := make([]Regime, len(scores))
	for i, sc := range scores {
		b := beats == nil || beats[i]
		s, _ = Step(s, Target(s.Regime, sc, b, g), g.MinDays, fmt.Sprintf("d%03d", i))
		out[i] = s.Regime
	}
	return out
}

func TestHysteresis(t *testing.T) {
	g := DefaultConfig().Regime // enter lead 0.7, exit lead 0.5, enter lag 0.3, exit lag 0.45, 2 days
	const (
		L = Leadership
		N = Neutral
		G = Lagging
	)
	tests := []struct {
		name   string
		scores []float64
		beats  []bool
		want   []Regime
	}{
		{"one day above the entry does not enter", []float64{0.6, 0.75, 0.6, 0.75, 0.6}, nil, []Regime{N, N, N, N, N}},
		{"two days above the entry enter", []float64{0.6, 0.75, 0.72, 0.6}, nil, []Regime{N, N, L, L}},
		{"entry needs every sector beaten", []float64{0.8, 0.8, 0.8}, []bool{false, false, true}, []Regime{N, N, N}},
		{"staying does not need every sector", []float64{0.8, 0.8, 0.6, 0.6, 0.6}, []bool{true, true, false, false, false}, []Regime{N, L, L, L, L}},
		{"a score between exit and entry keeps leadership", []float64{0.8, 0.8, 0.55, 0.51, 0.5}, nil, []Regime{N, L, L, L, L}},
		{"one day under the exit does not leave", []float64{0.8, 0.8, 0.45, 0.6, 0.45, 0.6}, nil, []Regime{N, L, L, L, L, L}},
		{"two days under the exit leave", []float64{0.8, 0.8, 0.45, 0.49, 0.6}, nil, []Regime{N, L, L, N, N}},
		{"a fall through neutral into lagging leaves for lagging", []float64{0.8, 0.8, 0.4, 0.2}, nil, []Regime{N, L, L, G}},
		{"lagging needs two days at or under its entry", []float64{0.3, 0.35, 0.3, 0.29}, nil, []Regime{N, N, N, G}},
		{"lagging is kept up to its exit", []float64{0.2, 0.2, 0.45, 0.44, 0.45}, nil, []Regime{N, G, G, G, G}},
		{"two days over the lagging exit leave it", []float64{0.2, 0.2, 0.46, 0.5, 0.4}, nil, []Regime{N, G, G, N, N}},
		{"a wobble on alternate sides never confirms", []float64{0.8, 0.2, 0.8, 0.2, 0.8}, nil, []Regime{N, N, N, N, N}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := run(g, tt.scores, tt.beats); !slices.Equal(got, tt.want) {
				t.Fatalf("regimes=%v, want %v", got, tt.want)
			}
		})
	}
}

func TestHysteresisMinDays(t *testing.T) {
	g := DefaultConfig().Regime
	for _, n := range []int{1, 2, 3, 5} {
		g.MinDays = n
		scores := make([]float64, 10)
		for i := range scores {
			scores[i] = 0.9
		}
		got := run(g, scores, nil)
		first := slices.Index(got, Leadership)
		if first != n-1 {
			t.Fatalf("MinDays=%d: leadership from day %d (%v), want day %d", n, first, got, n-1)
		}
	}
}

func TestStepState(t *testing.T) {
	s := State{AsOf: "2024-01-01", Regime: Neutral, Since: "2023-06-01"}
	s, changed := Step(s, Leadership, 2, "2024-01-02")
	if changed || s.Pending != Leadership || s.PendingDays != 1 || s.AsOf != "2024-01-02" {
		t.Fatalf("after one day: %+v changed=%v", s, changed)
	}
	s, changed = Step(s, Leadership, 2, "2024-01-03")
	if !changed || s.Regime != Leadership || s.Since != "2024-01-03" || s.Pending != "" || s.PendingDays != 0 {
		t.Fatalf("after two days: %+v changed=%v", s, changed)
	}
}
