package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// deadAddr is a local address nothing listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// A live (non-DU) account in paper mode is refused on the flags alone:
// before the audit log is opened or the broker dialled.
func TestPortfolioRefusesLiveAccountInPaperMode(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	pub, err := newUserKey(t).PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = runRotor(t, context.Background(), "portfolio", "--mode", "paper", "--account", "U1234567",
		"--data-dir", dataDir, "--trust", pub, "--ib", deadAddr(t))
	if err == nil {
		t.Fatal("rotor portfolio --mode paper accepted a live account")
	}
	for _, want := range []string{"U1234567", "paper"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "connect to TWS") {
		t.Errorf("err = %v: it dialled the broker before checking the account", err)
	}
	if _, statErr := os.Stat(dataDir); !os.IsNotExist(statErr) {
		t.Errorf("the data directory was created (stat: %v): the refusal came after opening the audit log", statErr)
	}
}

func TestPortfolioBadMode(t *testing.T) {
	pub, err := newUserKey(t).PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = runRotor(t, context.Background(), "portfolio", "--mode", "live", "--data-dir", t.TempDir(), "--trust", pub, "--ib", deadAddr(t))
	if err == nil {
		t.Fatal("rotor portfolio accepted --mode live")
	}
	for _, want := range []string{"--mode", "live", "dry_run", "paper"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want it to mention %q", err, want)
		}
	}
}
