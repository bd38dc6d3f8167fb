package jetstream_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natsjs "github.com/nats-io/nats.go/jetstream"

	"github.com/rotor-trading/rotor/signals/jetstream"
)

func TestEnsureStream_CreatesWithDefaults(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))

	s := MustEnsureStream(t, js, jetstream.StreamConfig{})
	got := s.CachedInfo().Config
	if got.Name != "ROTOR_SIGNALS" {
		t.Errorf("Name=%q, want ROTOR_SIGNALS", got.Name)
	}
	if want := []string{"rotor.signals.>"}; !reflect.DeepEqual(got.Subjects, want) {
		t.Errorf("Subjects=%v, want %v", got.Subjects, want)
	}
	for _, c := range []struct {
		name      string
		got, want any
	}{
		{"Storage", got.Storage, natsjs.FileStorage},
		{"Retention", got.Retention, natsjs.LimitsPolicy},
		{"Discard", got.Discard, natsjs.DiscardOld},
		{"Duplicates", got.Duplicates, 48 * time.Hour},
		{"MaxAge", got.MaxAge, 400 * 24 * time.Hour},
		{"MaxBytes", got.MaxBytes, int64(1 << 30)},
		{"MaxMsgSize", got.MaxMsgSize, int32(1 << 20)},
		{"Replicas", got.Replicas, 1},
		{"DenyDelete", got.DenyDelete, true},
		{"DenyPurge", got.DenyPurge, true},
		{"AllowRollup", got.AllowRollup, false},
	} {
		if c.got != c.want {
			t.Errorf("%s=%v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestEnsureStream_Idempotent(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))

	first := MustEnsureStream(t, js, jetstream.StreamConfig{}).CachedInfo()
	second := MustEnsureStream(t, js, jetstream.StreamConfig{}).CachedInfo()
	if !reflect.DeepEqual(first.Config, second.Config) {
		t.Fatalf("config changed by a second EnsureStream:\n first %+v\nsecond %+v", first.Config, second.Config)
	}
	if !first.Created.Equal(second.Created) {
		t.Fatalf("Created %v then %v: the stream was recreated", first.Created, second.Created)
	}
}

func TestEnsureStream_UpdatesLimitsKeepsHistoryAndOperatorSettings(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))
	ctx := context.Background()

	s := MustEnsureStream(t, js, jetstream.StreamConfig{})
	if _, err := jetstream.NewPublisher(js, jetstream.PublisherConfig{}).Publish(ctx, "leadership", "ev-1", []byte("{}"), nil); err != nil {
		t.Fatal(err)
	}
	// An operator turns on compression; rotor does not own that setting.
	cfg := s.CachedInfo().Config
	cfg.Compression = natsjs.S2Compression
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}

	s = MustEnsureStream(t, js, jetstream.StreamConfig{MaxBytes: 2 << 30, Duplicates: 72 * time.Hour})
	got := s.CachedInfo().Config
	if got.MaxBytes != 2<<30 || got.Duplicates != 72*time.Hour {
		t.Fatalf("MaxBytes=%d Duplicates=%s, want %d and 72h", got.MaxBytes, got.Duplicates, int64(2<<30))
	}
	if got.Compression != natsjs.S2Compression {
		t.Errorf("Compression=%v, want the operator's s2 kept", got.Compression)
	}
	if n := streamMsgs(t, js, "ROTOR_SIGNALS"); n != 1 {
		t.Errorf("stream holds %d messages after the update, want 1", n)
	}
}

func TestEnsureStream_IncompatibleStorage(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))
	if _, err := js.CreateStream(context.Background(), natsjs.StreamConfig{
		Name: "ROTOR_SIGNALS", Subjects: []string{"rotor.signals.>"}, Storage: natsjs.MemoryStorage,
	}); err != nil {
		t.Fatal(err)
	}

	_, err := jetstream.EnsureStream(context.Background(), js, jetstream.StreamConfig{})
	t.Logf("incompatible: %v", err)
	if !errors.Is(err, jetstream.ErrIncompatibleStream) {
		t.Fatalf("err=%v, want ErrIncompatibleStream", err)
	}
	for _, want := range []string{"ROTOR_SIGNALS", "memory storage", "file storage", "nats stream rm ROTOR_SIGNALS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("err=%q, want it to contain %q", err, want)
		}
	}
}

func TestEnsureStream_ServerRefusals(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))
	ctx := context.Background()

	_, err := jetstream.EnsureStream(ctx, js, jetstream.StreamConfig{Replicas: 3})
	t.Logf("replicas 3: %v", err)
	if err == nil || !strings.Contains(err.Error(), "set replicas to 1") {
		t.Errorf("Replicas 3 on one server: err=%v, want the not-clustered hint", err)
	}

	if _, err := js.CreateStream(ctx, natsjs.StreamConfig{Name: "OTHER", Subjects: []string{"rotor.signals.leadership"}}); err != nil {
		t.Fatal(err)
	}
	_, err = jetstream.EnsureStream(ctx, js, jetstream.StreamConfig{})
	t.Logf("overlap: %v", err)
	if err == nil || !strings.Contains(err.Error(), "another stream already captures these subjects") {
		t.Errorf("overlapping stream: err=%v, want the overlap hint", err)
	}
}

func TestEnsureStream_InvalidConfig(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))
	for name, cfg := range map[string]jetstream.StreamConfig{
		"duplicate window under a day": {Duplicates: time.Hour},
		"max age under the window":     {MaxAge: 25 * time.Hour},
		"name with a dot":              {Name: "ROTOR.SIGNALS"},
		"bad subject":                  {Subjects: []string{"rotor..signals"}},
		"max bytes under one message":  {MaxBytes: 10},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := jetstream.EnsureStream(context.Background(), js, cfg); !errors.Is(err, jetstream.ErrInvalid) {
				t.Fatalf("err=%v, want ErrInvalid", err)
			}
		})
	}
}

func TestEnsureStream_AuditTrailCannotBeDeletedOrPurged(t *testing.T) {
	e := MustStartServer(t, t.TempDir(), 0)
	js := MustJetStream(t, MustConnect(t, e.ClientURL()))
	ctx := context.Background()
	s := MustEnsureStream(t, js, jetstream.StreamConfig{})
	res, err := jetstream.NewPublisher(js, jetstream.PublisherConfig{}).Publish(ctx, "leadership", "ev-1", []byte("{}"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMsg(ctx, res.Sequence); err == nil {
		t.Error("DeleteMsg succeeded on the signals stream")
	}
	if err := s.Purge(ctx); err == nil {
		t.Error("Purge succeeded on the signals stream")
	}
	if n := streamMsgs(t, js, "ROTOR_SIGNALS"); n != 1 {
		t.Errorf("stream holds %d messages, want 1", n)
	}
}

func TestEnsureStream_JetStreamNotEnabled(t *testing.T) {
	s := mustStartAuthServer(t, &server.Options{}) // a plain server: no JetStream
	js := MustJetStream(t, MustConnect(t, s.ClientURL()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := jetstream.EnsureStream(ctx, js, jetstream.StreamConfig{})
	t.Logf("no JetStream: %v", err)
	if err == nil || !strings.Contains(err.Error(), "JetStream") {
		t.Fatalf("err=%v, want an error that points at JetStream", err)
	}
}
