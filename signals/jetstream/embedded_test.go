package jetstream_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rotor-trading/rotor/signals/jetstream"
)

func TestEmbedded_StartConnectShutdown(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	if got := e.ClientURL(); !strings.HasPrefix(got, "nats://127.0.0.1:") {
		t.Fatalf("ClientURL()=%q, want nats://127.0.0.1:<port>", got)
	}
	nc := MustConnect(t, e.ClientURL())
	js := MustJetStream(t, nc)
	if _, err := js.AccountInfo(context.Background()); err != nil {
		t.Fatalf("AccountInfo: %v (JetStream not enabled?)", err)
	}

	e.Shutdown()
	e.Shutdown() // a second call is a no-op
	if e.Server().Running() {
		t.Fatal("server still running after Shutdown")
	}
	if _, err := jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: e.ClientURL()}); !errors.Is(err, jetstream.ErrUnreachable) {
		t.Fatalf("Connect after Shutdown: err=%v, want ErrUnreachable", err)
	}
}

func TestEmbedded_NoStoreDir(t *testing.T) {
	_, err := jetstream.StartEmbedded(context.Background(), jetstream.EmbeddedConfig{})
	if !errors.Is(err, jetstream.ErrInvalid) {
		t.Fatalf("StartEmbedded without StoreDir: err=%v, want ErrInvalid", err)
	}
}

func TestEmbedded_PortInUse(t *testing.T) {
	first := MustStartServer(t, t.TempDir(), 0)
	port := portOf(t, first.ClientURL())
	e, err := jetstream.StartEmbedded(context.Background(), jetstream.EmbeddedConfig{StoreDir: t.TempDir(), Port: port})
	if err == nil {
		e.Shutdown()
		t.Fatal("second server on the same port started")
	}
	t.Logf("port in use: %v", err)
	if !strings.Contains(err.Error(), "listen") || !strings.HasPrefix(err.Error(), "jetstream: ") {
		t.Fatalf("err=%q, want a jetstream: error that mentions listening on the port", err)
	}
}

func TestEmbedded_StoreDirIsAFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-dir")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	e, err := jetstream.StartEmbedded(context.Background(), jetstream.EmbeddedConfig{StoreDir: file})
	if err == nil {
		e.Shutdown()
		t.Fatal("server started with a file as its store directory")
	}
	t.Logf("store dir is a file: %v", err)
	if !strings.Contains(err.Error(), file) {
		t.Fatalf("err=%q, want it to name the store directory", err)
	}
}
