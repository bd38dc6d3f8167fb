package service_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/portfolio/state"
	"github.com/rotor-trading/rotor/risk"
)

// A second service for an account and mode already served on the same
// audit log refuses to start, naming the holder, whatever its consumer: it
// would settle the first's intents as if their writer had died, and send
// them again. Once the first stops, it starts. A dry-run service of the
// same account is another claim.
func TestSecondServiceForAnAccountRefusesToStart(t *testing.T) {
	w := newWorld(t)
	first := w.start(t, w.config(w.broker(t, 1), w.openLog(t)))

	cfg := w.config(w.broker(t, 2), w.openLog(t)) // as another process would: its own handle
	cfg.Durable = "rotor-portfolio-second"
	second, err := service.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	err = second.Open(context.Background())
	if !errors.Is(err, audit.ErrClaimed) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", os.Getpid())) ||
		!strings.Contains(err.Error(), "stop it first") {
		t.Fatalf("second Open: %v; want ErrClaimed naming this pid and saying what to do", err)
	}

	dry := w.config(w.broker(t, 3), w.openLog(t))
	dry.Mode, dry.Durable = service.DryRun, "rotor-portfolio-dry"
	w.start(t, dry)

	if err := first.Close(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := second.Open(context.Background()); err != nil {
		t.Fatalf("Open after the first service closed: %v", err)
	}
	second.Close(5 * time.Second)
}

// An operator's kill switch reset lands after the service decided (on the
// tripped switch) and before it wrote: the batch's guard sees the reset,
// the service decides again on the state read afresh and trades. Without
// the guard the decision made on the stale state would be recorded, and the
// event blocked by a switch that was no longer tripped.
func TestResetBetweenDecisionAndWriteDecidesAgain(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	ctx := context.Background()
	if _, err := state.TripKillSwitch(ctx, l, rigAccount, "tripped for the test", rigNow, "", ""); err != nil {
		t.Fatal(err)
	}
	operator := w.openLog(t) // the operator's command: another handle on the file
	var decided atomic.Int32
	var once sync.Once
	cfg := w.config(w.broker(t, 1), l)
	cfg.Step = func(s service.Step) {
		if s != service.StepDecided {
			return
		}
		decided.Add(1)
		once.Do(func() {
			if _, err := state.ResetKillSwitch(ctx, operator, rigAccount, "tester", "checked", rigNow); err != nil {
				t.Errorf("reset: %v", err)
			}
		})
	}
	w.start(t, cfg)
	w.publish(t, w.latest(t))
	w.consumerSettled(t, 1)

	if n := decided.Load(); n != 2 {
		t.Errorf("decided %d times, want 2 (once on the stale state, once again)", n)
	}
	decisions := rows(t, l, audit.KindRiskDecision)
	if len(decisions) != 1 {
		t.Fatalf("%d risk_decision rows, want 1", len(decisions))
	}
	for _, v := range payload[risk.Decision](t, decisions[0]).Verdicts {
		if v.Code == risk.CodeKillSwitch {
			t.Fatalf("the recorded decision was made on the tripped switch: %s", v.Message)
		}
	}
	intents := rows(t, l, audit.KindOrderIntent)
	if len(intents) == 0 || len(w.brokerOrdersByRef()) != len(intents) {
		t.Fatalf("%d intents, broker orders %v: want the event traded", len(intents), w.brokerOrdersByRef())
	}
}

// An event handled before is settled, not decided again, even when it can
// no longer be decided: here the paper broker has gone away, so the
// account cannot be read, but the event's orders are all final in the log
// and settling it needs nothing from the broker. The replay is acknowledged
// at once, with no error and no order.
func TestSeenEventSettledWhenItCannotBeDecided(t *testing.T) {
	w := newWorld(t)
	l := w.openLog(t)
	w.start(t, w.config(w.broker(t, 1), l))
	ev := w.latest(t)
	w.publish(t, ev)
	w.consumerSettled(t, 1)
	checkFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		if open, err := l.IntentsWithoutFinalState(context.Background()); err != nil || len(open) != 0 {
			return fmt.Errorf("intents without a final state: %d (%v)", len(open), err)
		}
		return nil
	})
	orders := len(w.sim.Engine().Orders())

	w.sim.Close()
	w.publishRaw(t, ev.ID+"-replayed", mustMarshalSigned(t, w, ev))
	w.consumerSettled(t, 2)

	if errs := rows(t, l, audit.KindError); len(errs) != 0 {
		t.Fatalf("the replay of a handled event left %d error rows, first: %s", len(errs), errs[0].Payload)
	}
	if n := len(rows(t, l, audit.KindSignalReceived)); n != 1 {
		t.Fatalf("%d signal_received rows, want 1", n)
	}
	if n := len(w.sim.Engine().Orders()); n != orders {
		t.Fatalf("the replay placed %d orders", n-orders)
	}
}
