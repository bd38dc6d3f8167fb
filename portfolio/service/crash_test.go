package service_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/portfolio/admit"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/signals/jetstream"
)

// The child process: a portfolio service configured from the environment
// that prints each step it reaches and, at ROTOR_CRASH_AT, stops there and
// waits to be killed.
const (
	childEnv   = "ROTOR_SERVICE_CHILD"
	crashAtEnv = "ROTOR_CRASH_AT"
)

func runChild() int {
	ctx := context.Background()
	fail := func(err error) int { fmt.Println("ERROR", err); return 1 }
	nc, err := jetstream.Connect(ctx, jetstream.ConnConfig{URL: os.Getenv("ROTOR_NATS"), Name: "crash child"})
	if err != nil {
		return fail(err)
	}
	js, err := natsjs.New(nc)
	if err != nil {
		return fail(err)
	}
	now := func() time.Time { return rigNow }
	b := ib.New(ib.Config{Addr: os.Getenv("ROTOR_IB"), ClientID: 7, Now: now, ConnectTimeout: 20 * time.Second})
	if err := b.Open(ctx); err != nil {
		return fail(err)
	}
	l, err := audit.Open(ctx, os.Getenv("ROTOR_AUDIT"), audit.Options{})
	if err != nil {
		return fail(err)
	}
	crashAt := os.Getenv(crashAtEnv)
	step := func(s service.Step) {
		fmt.Println("STEP", s)
		if string(s) == crashAt {
			fmt.Println("CRASH-AT", s)
			select {} // the parent kills us here
		}
	}
	s, err := service.New(service.Config{Account: rigAccount, Mode: service.Paper, Broker: b, Log: l, JetStream: js,
		Admit: admit.Policy{Trusted: []string{os.Getenv("ROTOR_TRUSTED")}}, Now: now, AckWait: time.Second,
		RetryDelay: 100 * time.Millisecond, MonitorEvery: -1, Step: step})
	if err != nil {
		return fail(err)
	}
	if err := s.Open(ctx); err != nil {
		return fail(err)
	}
	fmt.Println("READY")
	select {}
}

// child is a running child process and the lines it prints.
type child struct {
	cmd   *exec.Cmd
	lines chan string
}

func startChild(tb testing.TB, w *world, crashAt string) *child {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", crashAtEnv+"="+crashAt, "ROTOR_NATS="+w.emb.ClientURL(),
		"ROTOR_IB="+w.sim.Addr(), "ROTOR_AUDIT="+w.auditDB, "ROTOR_TRUSTED="+w.trusted[0])
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 100)}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	tb.Cleanup(c.kill)
	return c
}

// waitFor waits for a line starting with prefix and fails on ERROR or exit.
func (c *child) waitFor(tb testing.TB, prefix string) {
	tb.Helper()
	timeout := time.After(60 * time.Second)
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				tb.Fatalf("the child exited before %q", prefix)
			}
			if strings.HasPrefix(line, "ERROR") {
				tb.Fatalf("child: %s", line)
			}
			if strings.HasPrefix(line, prefix) {
				return
			}
		case <-timeout:
			tb.Fatalf("no %q from the child in 60s", prefix)
		}
	}
}

func (c *child) kill() {
	if c.cmd.ProcessState == nil {
		_ = c.cmd.Process.Signal(syscall.SIGKILL)
		_ = c.cmd.Wait()
	}
}

// TestCrashAtEachStep kills the service (SIGKILL, in a child process) at each
// step between receiving an event and acknowledging it, restarts it, and
// checks that the event is handled exactly once: every order of the plan is
// at the broker once, the positions are the targets, the message is
// acknowledged and the audit chain verifies. The restarted service can
// claim the account at once: the kernel dropped the killed one's claim.
func TestCrashAtEachStep(t *testing.T) {
	for _, step := range []service.Step{service.StepReceived, service.StepDecided, service.StepRecorded, service.StepSent, service.StepSentSaved, service.StepAcked} {
		t.Run(string(step), func(t *testing.T) {
			w := newWorld(t)
			ev := w.latest(t)
			first := startChild(t, w, string(step))
			first.waitFor(t, "READY")
			w.publish(t, ev)
			first.waitFor(t, "CRASH-AT")
			first.kill()

			second := startChild(t, w, "")
			second.waitFor(t, "READY")
			w.consumerSettled(t, 1)
			second.kill()

			l := w.openLog(t)
			if n := len(rows(t, l, audit.KindPlan)); n != 1 {
				t.Fatalf("%d plan rows, want 1", n)
			}
			intents := rows(t, l, audit.KindOrderIntent)
			if len(intents) == 0 {
				t.Fatal("no intents")
			}
			byRef := w.brokerOrdersByRef()
			for _, in := range intents {
				if byRef[in.OrderRef] != 1 {
					t.Errorf("%s: %d orders at the broker, want exactly 1", in.OrderRef, byRef[in.OrderRef])
				}
			}
			if len(byRef) != len(intents) {
				t.Errorf("the broker has %d refs, the log %d intents: %v", len(byRef), len(intents), byRef)
			}
			plan := payload[service.PlanPayload](t, rows(t, l, audit.KindPlan)[0])
			for _, rt := range plan.Targets.Roots {
				if got, _ := w.sim.Engine().PositionOf(rt.Contract.ConID); rt.Contract.ConID != 0 && got != rt.Contracts {
					t.Errorf("%s: broker holds %d, target %d", rt.Contract.LocalSymbol, got, rt.Contracts)
				}
			}
			if _, err := l.Verify(context.Background(), nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}
