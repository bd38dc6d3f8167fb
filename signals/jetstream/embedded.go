package jetstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/rs/zerolog"
)

// Defaults of EmbeddedConfig.
const (
	// DefaultEmbeddedHost keeps the embedded server on loopback: in the
	// one-process default nothing outside the machine should reach it.
	DefaultEmbeddedHost = "127.0.0.1"
	// DefaultEmbeddedPort asks the operating system for a free port.
	DefaultEmbeddedPort = server.RANDOM_PORT
	// DefaultEmbeddedServerName names the server in logs and stream info.
	DefaultEmbeddedServerName = "rotor-embedded"
	// DefaultReadyTimeout bounds how long StartEmbedded waits for the server
	// to accept connections.
	DefaultReadyTimeout = 10 * time.Second
)

// EmbeddedConfig configures an in-process nats-server with JetStream.
type EmbeddedConfig struct {
	// StoreDir is the JetStream file store, typically <data dir>/nats.
	// Required: the signal history must survive a restart.
	StoreDir string
	// Host is the listen address; default DefaultEmbeddedHost.
	Host string
	// Port is the client port; 0 means DefaultEmbeddedPort (random). A
	// fixed port lets other processes on the machine connect.
	Port int
	// ServerName names the server; default DefaultEmbeddedServerName.
	ServerName string
	// SyncAlways makes JetStream fsync every write. By default (false) the
	// file store is written on every message but fsync'd on the server's
	// sync interval, so a process crash loses nothing but a power loss can
	// lose the last seconds. Costs a disk flush per publish.
	SyncAlways bool
	// Cluster, when set, makes the server a node of a JetStream cluster
	// (see StartCluster).
	Cluster *ClusterNode
	// ReadyTimeout bounds the wait for the server to accept connections;
	// default DefaultReadyTimeout.
	ReadyTimeout time.Duration
	// Logger receives the server's log lines; the zero value discards them.
	Logger zerolog.Logger
}

// Embedded is a running in-process nats-server with JetStream. Shutdown stops
// it and waits until its goroutines and store are closed.
type Embedded struct {
	srv  *server.Server
	log  *serverLogger
	once sync.Once
}

// StartEmbedded starts a nats-server with JetStream in this process and waits
// until it accepts connections, ctx is done, or cfg.ReadyTimeout passes.
func StartEmbedded(ctx context.Context, cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.StoreDir == "" {
		return nil, fmt.Errorf("%w: embedded nats-server needs a StoreDir for the JetStream file store", ErrInvalid)
	}
	if cfg.Host == "" {
		cfg.Host = DefaultEmbeddedHost
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultEmbeddedPort
	}
	if cfg.ServerName == "" {
		cfg.ServerName = DefaultEmbeddedServerName
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = DefaultReadyTimeout
	}
	zl := cfg.Logger

	opts := &server.Options{
		ServerName: cfg.ServerName,
		Host:       cfg.Host,
		Port:       cfg.Port,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		SyncAlways: cfg.SyncAlways,
		// The process owns its signals; an embedded server must not install
		// handlers that would stop it behind the application's back.
		NoSigs: true,
	}
	if c := cfg.Cluster; c != nil {
		opts.Cluster = server.ClusterOpts{Name: c.Name, Host: cfg.Host, Port: c.Port}
		opts.Routes = server.RoutesFromStr(strings.Join(c.Routes, ","))
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("jetstream: configure embedded nats-server: %w", err)
	}
	sl := &serverLogger{log: zl}
	// Ask the server for debug and trace lines only when they would be kept:
	// trace formats every protocol message.
	srv.SetLogger(sl, zl.Debug().Enabled(), zl.Trace().Enabled())
	e := &Embedded{srv: srv, log: sl}

	srv.Start()
	if err := e.waitReady(ctx, cfg.ReadyTimeout); err != nil {
		e.Shutdown()
		where := fmt.Sprintf("%s:%d", cfg.Host, cfg.Port)
		if cfg.Port == server.RANDOM_PORT {
			where = cfg.Host + " (random port)"
		}
		return nil, fmt.Errorf("jetstream: embedded nats-server on %s, store %s: %w", where, cfg.StoreDir, err)
	}
	if !srv.JetStreamEnabled() {
		e.Shutdown()
		return nil, fmt.Errorf("jetstream: embedded nats-server started without JetStream (store %s): %w", cfg.StoreDir, e.log.fatalOr(errors.New("check the store directory")))
	}
	zl.Info().Str("url", srv.ClientURL()).Str("store", cfg.StoreDir).Msg("embedded nats-server ready")
	return e, nil
}

// waitReady polls in short slices so a fatal start-up error or a cancelled ctx
// is reported at once rather than after the whole timeout.
func (e *Embedded) waitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if err := e.log.fatal(); err != nil {
			return err
		}
		if e.srv.ReadyForConnections(50 * time.Millisecond) {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("not ready: %w", err)
		}
		if time.Now().After(deadline) {
			return e.log.fatalOr(fmt.Errorf("not ready for connections after %s", timeout))
		}
	}
}

// ClientURL is the URL clients connect to, such as nats://127.0.0.1:40123.
func (e *Embedded) ClientURL() string { return e.srv.ClientURL() }

// Server is the underlying nats-server, for monitoring or tests.
func (e *Embedded) Server() *server.Server { return e.srv }

// Shutdown stops the server and waits until it has closed its connections and
// flushed its store. Safe to call more than once.
func (e *Embedded) Shutdown() {
	e.once.Do(func() {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
	})
}

// serverLogger adapts the server's logger interface to zerolog and keeps the
// first fatal message: the server reports start-up failures (a port in use, an
// unusable store directory) through Fatalf, which for a library must not exit
// the process but must reach the caller of StartEmbedded.
type serverLogger struct {
	log zerolog.Logger

	mu       sync.Mutex
	firstErr error
}

func (l *serverLogger) fatal() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.firstErr
}

func (l *serverLogger) fatalOr(err error) error {
	if f := l.fatal(); f != nil {
		return f
	}
	return err
}

func (l *serverLogger) Noticef(format string, v ...any) { l.log.Info().Msgf(format, v...) }
func (l *serverLogger) Warnf(format string, v ...any)   { l.log.Warn().Msgf(format, v...) }
func (l *serverLogger) Errorf(format string, v ...any)  { l.log.Error().Msgf(format, v...) }
func (l *serverLogger) Debugf(format string, v ...any)  { l.log.Debug().Msgf(format, v...) }
func (l *serverLogger) Tracef(format string, v ...any)  { l.log.Trace().Msgf(format, v...) }

func (l *serverLogger) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	l.log.Error().Bool("fatal", true).Msg(msg)
	l.mu.Lock()
	if l.firstErr == nil {
		l.firstErr = errors.New(msg)
	}
	l.mu.Unlock()
}
