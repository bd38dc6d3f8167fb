package signals

import (
	"strings"
	"testing"
)

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate()=%v", err)
	}
	tests := []struct {
		key    string
		mutate func(c *Config)
	}{
		{"benchmark", func(c *Config) { c.Benchmark = "" }},
		{"microcap", func(c *Config) { c.Microcap = "IWM" }},
		{"sectors", func(c *Config) { c.Sectors = nil }},
		{"sectors", func(c *Config) { c.Sectors = append(c.Sectors, "XLK") }},
		{"lookback_days", func(c *Config) { c.Lookback = 0 }},
		{"microcap_low_window", func(c *Config) { c.MicrocapLowWindow = -1 }},
		{"thrust_threshold", func(c *Config) { c.ThrustThreshold = 0 }},
		{"resistance.mode", func(c *Config) { c.Resistance.Mode = "weekly" }},
		{"resistance.from", func(c *Config) { c.Resistance.From = "2021-02-30" }},
		{"resistance.to", func(c *Config) { c.Resistance.To = "2020-01-01" }},
		{"resistance.rolling_days", func(c *Config) { c.Resistance = ResistanceConfig{Mode: ResistanceRolling, TopK: 5} }},
		{"resistance.top_k", func(c *Config) { c.Resistance.TopK = 0 }},
		{"resistance_band", func(c *Config) { c.ResistanceBand = -0.01 }},
		{"max_staleness_days", func(c *Config) { c.MaxStaleness = -1 }},
		{"max_gap_days", func(c *Config) { c.MaxGap = -1 }},
		{"spread_scale", func(c *Config) { c.SpreadScale = 0 }},
		{"weights", func(c *Config) { c.Weights.Thrust = 0.5 }},
		{"weights.breadth", func(c *Config) { c.Weights.Breadth = -0.1 }},
		{"regime", func(c *Config) { c.Regime.ExitLeadership = 0.8 }},
		{"regime", func(c *Config) { c.Regime.ExitLagging = 0.2 }},
		{"regime.min_days", func(c *Config) { c.Regime.MinDays = 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate()=nil, want an error naming %s", tt.key)
			}
			if !strings.HasPrefix(err.Error(), "signals: config "+tt.key+":") {
				t.Fatalf("Validate()=%q, want it to name %s", err, tt.key)
			}
		})
	}
	rolling := DefaultConfig()
	rolling.Resistance = ResistanceConfig{Mode: ResistanceRolling, RollingDays: 252, TopK: 5}
	if err := rolling.Validate(); err != nil {
		t.Fatalf("rolling config: %v", err)
	}
	if got, want := rolling.MinHistory(), 63+1+252; got != want {
		t.Fatalf("MinHistory()=%d, want %d", got, want)
	}
}
