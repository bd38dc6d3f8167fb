package service_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/rotor-trading/rotor/portfolio/admit"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/signals"
)

// TestHostileEventsAreRejectedAndValidOnesFlow publishes a corpus of hostile
// messages around a valid event: each is recorded with its reason and
// terminated (not redelivered), and the valid event is traded.
func TestHostileEventsAreRejectedAndValidOnesFlow(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	w.start(t, w.config(w.broker(t, 1), l))
	ev := w.latest(t)
	good := mustMarshalSigned(t, w, ev)

	stranger, _ := nkeys.CreateUser()
	byStranger := ev
	if err := signals.Sign(&byStranger, stranger); err != nil {
		t.Fatal(err)
	}
	strangerData, _ := signals.MarshalEvent(byStranger)
	unsigned, _ := signals.MarshalEvent(ev)
	stale := w.events[0] // as_of two months back
	future := ev
	future.AsOf = rigNow.AddDate(0, 0, 3).Format(time.DateOnly)

	corpus := []struct {
		name   string
		data   []byte
		reason admit.Reason
	}{
		{"not json", []byte("{not json"), admit.ReasonMalformed},
		{"wrong schema", replaceOnce(t, good, `"schema":"`+signals.Schema+`"`, `"schema":"rotor.leadership.v0"`), admit.ReasonSchema},
		{"NaN score", replaceOnce(t, good, `"score":`+mustJSONFloat(t, ev.Score), `"score":NaN`), admit.ReasonMalformed},
		{"unsigned", unsigned, admit.ReasonSignature},
		{"untrusted signer", strangerData, admit.ReasonSignature},
		{"stale", mustMarshalSigned(t, w, stale), admit.ReasonStale},
		{"future", mustMarshalSigned(t, w, future), admit.ReasonFuture},
	}
	for i, c := range corpus {
		w.publishRaw(t, fmt.Sprintf("hostile-%d", i), c.data)
	}
	w.publishRaw(t, ev.ID, good)
	w.consumerSettled(t, uint64(len(corpus)+1))

	rejected := rows(t, l, audit.KindSignalRejected)
	if len(rejected) != len(corpus) {
		t.Fatalf("%d rejection rows for %d hostile messages", len(rejected), len(corpus))
	}
	for i, r := range rejected {
		p := payload[service.RejectionPayload](t, r)
		if c := corpus[i]; c.reason != "" && p.Reason != c.reason {
			t.Errorf("%s: reason %s (%s), want %s", c.name, p.Reason, p.Detail, c.reason)
		}
		if p.Detail == "" || p.StreamSeq == 0 {
			t.Errorf("%s: rejection without detail or stream sequence: %+v", corpus[i].name, p)
		}
	}
	if n := len(rows(t, l, audit.KindOrderIntent)); n == 0 {
		t.Fatal("the valid event after the hostile ones was not traded")
	}
}

func mustJSONFloat(tb testing.TB, f float64) string {
	b, err := json.Marshal(f)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// replaceOnce replaces old with new in data, failing when old is not there:
// a hostile case that silently equals the valid event would test nothing.
func replaceOnce(tb testing.TB, data []byte, old, new string) []byte {
	tb.Helper()
	if !bytes.Contains(data, []byte(old)) {
		tb.Fatalf("%q not in the event", old)
	}
	return bytes.Replace(data, []byte(old), []byte(new), 1)
}
