package audit_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

const crashEnv = "ROTOR_AUDIT_CRASH_CHILD_DB"

// TestCrashChild is the child process of TestCrash_KillBetweenAppends: it
// appends rows (single and in batches of three) as fast as it can and
// prints each seq once Append has returned it, until it is killed.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process for TestCrash_KillBetweenAppends")
	}
	ctx := context.Background()
	l, err := audit.Open(ctx, path, audit.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	deadline := time.Now().Add(time.Minute) // the parent is gone if we are still here
	for i := 0; time.Now().Before(deadline); i++ {
		e := audit.Entry{Kind: audit.KindOrderIntent, OrderRef: fmt.Sprintf("pid%d-%d", os.Getpid(), i), Payload: map[string]int{"i": i}}
		var recs []audit.Record
		if i%5 == 4 {
			recs, err = l.AppendBatch(ctx, []audit.Entry{e, {Kind: audit.KindOrderSent, OrderRef: e.OrderRef}, {Kind: audit.KindFill, OrderRef: e.OrderRef}})
		} else {
			var r audit.Record
			r, err = l.Append(ctx, e)
			recs = []audit.Record{r}
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		for _, r := range recs {
			fmt.Fprintf(os.Stdout, "%d %s\n", r.Seq, r.Hash) // unbuffered: one write(2) per row
		}
	}
	os.Exit(3)
}

// A process killed with SIGKILL between (or during) appends loses nothing
// that Append returned, and the chain still verifies. Each round kills the
// child at a different point and the next round appends on top.
func TestCrash_KillBetweenAppends(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	path := filepath.Join(t.TempDir(), "audit.db")
	returned := map[int64]string{} // seq -> hash the child saw returned
	for round, killAfter := range []int{1, 23, 61, 140} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+path)
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		seen := 0
		killed := false
		for sc.Scan() {
			var seq int64
			var hash string
			if _, err := fmt.Sscanf(sc.Text(), "%d %s", &seq, &hash); err != nil {
				continue // test framework chatter
			}
			returned[seq] = hash
			seen++
			if seen == killAfter && !killed {
				if err := cmd.Process.Kill(); err != nil { // SIGKILL
					t.Fatal(err)
				}
				killed = true
			}
		}
		err = cmd.Wait()
		if !killed {
			t.Fatalf("round %d: child exited before it was killed: %v", round, err)
		}
		t.Logf("round %d: killed after %d reported rows, %d reported in total", round, killAfter, len(returned))

		l, err := audit.Open(context.Background(), path, audit.Options{})
		if err != nil {
			t.Fatalf("round %d: reopen after kill: %v", round, err)
		}
		rep, err := l.Verify(context.Background(), nil)
		if err != nil {
			t.Fatalf("round %d: Verify after kill: %v", round, err)
		}
		for seq, hash := range returned {
			r, err := l.Get(context.Background(), seq)
			if err != nil {
				t.Fatalf("round %d: row %d was returned by Append before the kill but is gone: %v", round, seq, err)
			}
			if r.Hash != hash {
				t.Fatalf("round %d: row %d has hash %s, Append returned %s", round, seq, r.Hash, hash)
			}
		}
		if rep.Rows < int64(len(returned)) {
			t.Fatalf("round %d: %d rows, fewer than the %d reported", round, rep.Rows, len(returned))
		}
		l.Close()
	}
}
