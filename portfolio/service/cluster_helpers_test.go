package service_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nkeys"
	"github.com/rs/zerolog"

	"github.com/rotor-trading/rotor/broker/ib"
	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/portfolio/admit"
	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rotor-trading/rotor/portfolio/service"
	"github.com/rotor-trading/rotor/signals/jetstream"
)

// replicated is a three-node JetStream cluster with the signals stream
// replicated three times, and the signing key its workers use.
type replicated struct {
	cluster *jetstream.Cluster
	stream  natsjs.Stream
	signer  nkeys.KeyPair
	trusted string
}

func newReplicated(t *testing.T) *replicated {
	t.Helper()
	c, err := jetstream.StartCluster(context.Background(), "rotor", 3, t.TempDir(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	r := &replicated{cluster: c}
	if r.stream, err = c.EnsureStream(context.Background(), r.connect(t, "admin"), jetstream.StreamConfig{Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	r.signer, _ = nkeys.CreateUser()
	r.trusted, _ = r.signer.PublicKey()
	return r
}

// connect is a client of the whole cluster, reconnecting fast.
func (r *replicated) connect(t *testing.T, name string) natsjs.JetStream {
	t.Helper()
	nc, err := jetstream.Connect(context.Background(), jetstream.ConnConfig{URL: r.cluster.ClientURLs(), Name: name, ReconnectWait: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := natsjs.New(nc)
	return js
}

// killLeader shuts down the node leading the stream and returns its name.
func (r *replicated) killLeader(t *testing.T) string {
	info, err := r.stream.Info(context.Background())
	if err != nil {
		t.Error(err)
		return ""
	}
	r.cluster.Node(info.Cluster.Leader).Shutdown()
	return info.Cluster.Leader
}

// paperAccount is one account's paper broker and audit log, with a
// portfolio service in paper mode consuming the cluster's stream.
type paperAccount struct {
	id  string
	sim *ibsim.Server
	log *audit.Log
	js  natsjs.JetStream
}

func (r *replicated) startAccount(t *testing.T, id string, clientID int64) *paperAccount {
	t.Helper()
	ctx := context.Background()
	clock := func() time.Time { return rigNow }
	a := &paperAccount{id: id, js: r.connect(t, "portfolio "+id)}
	a.sim = ibsim.New(ibsim.Config{Account: id, Now: clock, Series: rigSeries, Logger: zerolog.Nop()})
	if err := a.sim.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.sim.Close() })
	b := ib.New(ib.Config{Addr: a.sim.Addr(), ClientID: clientID, Now: clock})
	if err := b.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	var err error
	if a.log, err = audit.Open(ctx, filepath.Join(t.TempDir(), id+".db"), audit.Options{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.log.Close() })
	s, err := service.New(service.Config{Account: id, Mode: service.Paper, Broker: b, Log: a.log, JetStream: a.js,
		Admit: admit.Policy{Trusted: []string{r.trusted}}, Now: clock, AckWait: 2 * time.Second,
		RetryDelay: 100 * time.Millisecond, MonitorEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(5 * time.Second) })
	return a
}

// brokerRefs counts the account's orders at its paper broker by reference.
func (a *paperAccount) brokerRefs() map[string]int { return ordersByRef(a.sim) }
