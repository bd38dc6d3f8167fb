package main

import (
	"context"
	"errors"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	natsjs "github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/rotor-trading/rotor/signals/jetstream"
)

// drainTimeout bounds the drain of a NATS connection at shutdown.
const drainTimeout = 10 * time.Second

// natsFlags say which NATS to use: an embedded server (the default, its
// store in the data directory) or any external deployment.
type natsFlags struct {
	url, creds, nkey, ca, cert, key string
	// g gives the configuration's NATS user, password and token, which
	// have no flags (secrets do not belong on a command line).
	g *globalFlags
}

func (n *natsFlags) register(cmd *cobra.Command, g *globalFlags) {
	n.g = g
	fl := cmd.Flags()
	fl.StringVar(&n.url, "nats-url", "", "NATS URL(s), comma-separated; empty runs an embedded NATS server with its store in --data-dir")
	fl.StringVar(&n.creds, "nats-creds", "", "NATS credentials file (user JWT and nkey seed)")
	fl.StringVar(&n.nkey, "nats-nkey", "", "NATS nkey seed file")
	fl.StringVar(&n.ca, "nats-ca", "", "PEM file of the authorities trusted for the NATS server's certificate (turns TLS on)")
	fl.StringVar(&n.cert, "nats-cert", "", "PEM client certificate for mutual TLS")
	fl.StringVar(&n.key, "nats-key", "", "PEM client key for mutual TLS")
}

// natsSession is a connection to the signals stream: the embedded server
// when no --nats-url is given, the connection, the stream ensured and a
// publisher on it. Close drains the connection, then stops the server.
type natsSession struct {
	emb *jetstream.Embedded // nil with an external NATS
	nc  *nats.Conn
	js  natsjs.JetStream
	pub *jetstream.Publisher
}

// openNATS starts the embedded server (its store in dataDir/nats) or
// connects to n.url, and ensures the signals stream. name is the
// connection's name in the server's monitoring.
func openNATS(ctx context.Context, log zerolog.Logger, n natsFlags, dataDir, name string) (*natsSession, error) {
	s := &natsSession{}
	url := n.url
	if url == "" {
		emb, err := jetstream.StartEmbedded(ctx, jetstream.EmbeddedConfig{StoreDir: filepath.Join(dataDir, "nats"),
			Logger: log.With().Str("component", "nats").Logger().Level(zerolog.WarnLevel)})
		if err != nil {
			return nil, err
		}
		s.emb = emb
		url = emb.ClientURL()
	}
	cc := jetstream.ConnConfig{URL: url, Name: name, CredsFile: n.creds,
		NKeySeedFile: n.nkey, CAFile: n.ca, CertFile: n.cert, KeyFile: n.key, Logger: log}
	if n.g != nil && url == n.url { // secrets are for the configured NATS, not the embedded one
		cc.User, cc.Password, cc.Token = n.g.cfg.NATS.User, n.g.cfg.NATS.Password, n.g.cfg.NATS.Token
	}
	nc, err := jetstream.Connect(ctx, cc)
	if err != nil {
		s.Close(ctx)
		return nil, err
	}
	s.nc = nc
	if s.js, err = natsjs.New(nc); err != nil {
		s.Close(ctx)
		return nil, err
	}
	if _, err := jetstream.EnsureStream(ctx, s.js, jetstream.StreamConfig{Logger: log}); err != nil {
		s.Close(ctx)
		return nil, err
	}
	s.pub = jetstream.NewPublisher(s.js, jetstream.PublisherConfig{Logger: log})
	return s, nil
}

// Close drains the connection (pending publishes and acks finish; ctx
// bounds the wait), then shuts the embedded server down.
func (s *natsSession) Close(ctx context.Context) error {
	var err error
	if s.nc != nil {
		err = jetstream.Drain(ctx, s.nc)
	}
	if s.emb != nil {
		s.emb.Shutdown()
	}
	return err
}

// closeNATS closes s with a bounded drain, for deferred use after the
// command's own context is already cancelled.
func closeNATS(s *natsSession, log zerolog.Logger) {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := s.Close(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Warn().Err(err).Msg("closing the NATS connection")
	}
}
