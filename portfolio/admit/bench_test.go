package admit

import (
	"testing"
	"time"
)

// BenchmarkAdmit is the admission of one real signed event: the first thing
// on the event-to-order path.
func BenchmarkAdmit(b *testing.B) {
	f := newFixture(b)
	now := f.close.Add(time.Hour)
	b.SetBytes(int64(len(f.data)))
	b.ResetTimer()
	for range b.N {
		if _, err := Admit(f.data, f.policy, now); err != nil {
			b.Fatal(err)
		}
	}
}
