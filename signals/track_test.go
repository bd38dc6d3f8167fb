package signals

import (
	"encoding/json"
	"sync"
	"testing"
)

// TestTrackIsReplay checks that ReplayTrack's events are Replay's but for
// what identifies them, and that ID gives Replay's ids, from any number of
// goroutines.
func TestTrackIsReplay(t *testing.T) {
	series, cfg := genUniverse(), DefaultConfig()
	from, to := date(2022, 6, 1), date(2023, 12, 29)
	want, err := Replay(series, cfg, from, to)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := ReplayTrack(series, cfg, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(tr.Events), len(want); got != want {
		t.Fatalf("%d events, want %d", got, want)
	}
	var wg sync.WaitGroup
	ids := make([][]string, 4)
	for g := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[g] = make([]string, len(tr.Events))
			for k := range tr.Events {
				if g%2 == 1 { // half of them from the end
					k = len(tr.Events) - 1 - k
				}
				ids[g][k], _ = tr.ID(k)
			}
		}()
	}
	wg.Wait()
	for k, w := range want {
		got := tr.Events[k]
		if got.ID != "" || got.Inputs.Symbols != nil || got.Inputs.Fingerprint != "" {
			t.Fatalf("%s: the event is identified: %q %q", w.AsOf, got.ID, got.Inputs.Fingerprint)
		}
		got.ID, got.Inputs.Symbols, got.Inputs.Fingerprint = w.ID, w.Inputs.Symbols, w.Inputs.Fingerprint
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(w)
		if string(a) != string(b) {
			t.Fatalf("%s: the event differs from Replay's:\n%s\n%s", w.AsOf, a, b)
		}
		for g := range ids {
			if ids[g][k] != w.ID {
				t.Fatalf("%s: ID=%q, want %q", w.AsOf, ids[g][k], w.ID)
			}
		}
	}
}
