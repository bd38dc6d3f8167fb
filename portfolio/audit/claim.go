package audit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrClaimed is returned by Claim when another process (or another Claim
// of this one) holds the name. The error is a *ClaimedError saying who.
var ErrClaimed = errors.New("audit: claimed by another writer")

// ClaimedError names the holder of a claim, as it recorded itself.
type ClaimedError struct {
	Name   string
	Holder string // "pid 1234 on host since 2026-11-24T10:00:00Z", or "unknown"
}

func (e *ClaimedError) Error() string {
	return fmt.Sprintf("audit: %q is claimed on this log by %s", e.Name, e.Holder)
}

// Is makes errors.Is(err, ErrClaimed) true.
func (e *ClaimedError) Is(target error) bool { return target == ErrClaimed }

// Claim takes an exclusive claim on name for this log: until release is
// called or the process ends (however it ends: the operating system drops
// the lock of a killed process), every other Claim of name on the same
// database file fails with a *ClaimedError. The portfolio service claims
// its account and mode, so two services cannot both route one account's
// orders: its write-ahead guards keep one event from being recorded twice,
// but a service settling another live service's intents would send them
// again.
//
// The claim is an advisory lock on a file beside the database
// (<database>.claim-<name>), which is never removed. An SQLite database is
// used from one machine, so the lock covers every writer. name is made of
// letters, digits, '.', '_' and '-'.
func (l *Log) Claim(name string) (release func() error, err error) {
	if name == "" || len(name) > 128 || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" {
		return nil, &InvalidError{Field: "name", Reason: fmt.Sprintf("claim name %q: want 1-128 letters, digits, '.', '_' or '-'", name)}
	}
	abs, err := filepath.Abs(l.path)
	if err != nil {
		return nil, fmt.Errorf("audit: claim %q: %w", name, err)
	}
	path := abs + ".claim-" + name
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("audit: claim %q: %w", name, err)
	}
	if err := lockFile(f); err != nil {
		holder := "unknown"
		if b, rerr := os.ReadFile(path); rerr == nil && len(strings.TrimSpace(string(b))) > 0 {
			holder = strings.TrimSpace(string(b))
		}
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, &ClaimedError{Name: name, Holder: holder}
		}
		return nil, fmt.Errorf("audit: claim %q: lock %s: %w", name, path, err)
	}
	host, _ := os.Hostname()
	me := fmt.Sprintf("pid %d on %s since %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(me), 0) // who holds it, for the next claimant's error; the lock is what counts
	}
	var released bool
	return func() error {
		if released {
			return nil
		}
		released = true
		return f.Close() // closing the file drops the lock
	}, nil
}
