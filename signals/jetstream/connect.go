package jetstream

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"
)

// Defaults of ConnConfig.
const (
	// DefaultURL is where a stand-alone nats-server listens by default.
	DefaultURL = nats.DefaultURL
	// DefaultConnectTimeout bounds the dial and handshake with one server.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultReconnectWait is the first pause between reconnect rounds.
	DefaultReconnectWait = 250 * time.Millisecond
	// DefaultReconnectWaitMax caps the exponential reconnect back-off.
	DefaultReconnectWaitMax = 5 * time.Second
	// DefaultPingInterval is how often the client checks an idle
	// connection. Shorter than the library's two minutes so that a server
	// that vanished without closing the socket is noticed within a minute
	// rather than four.
	DefaultPingInterval = 20 * time.Second
)

// ConnConfig says how to reach a NATS deployment: the embedded server's URL
// or any external one, with the usual credentials and TLS settings. At most
// one of CredsFile, NKeySeedFile, User/Password and Token is used.
type ConnConfig struct {
	// URL is one NATS URL or a comma-separated list of a cluster's URLs;
	// default DefaultURL.
	URL string
	// Name is the connection name shown by the server's monitoring.
	Name string

	// CredsFile is a NATS credentials file (user JWT and nkey seed).
	CredsFile string
	// NKeySeedFile is a file holding an nkey user seed.
	NKeySeedFile string
	// User and Password authenticate with a user name and password.
	User, Password string
	// Token authenticates with a bearer token.
	Token string

	// CAFile is a PEM file of the authorities trusted for the server's
	// certificate; setting it (or CertFile) makes the connection require TLS.
	// There is deliberately no way to skip verification.
	CAFile string
	// CertFile and KeyFile are a PEM client certificate and key for mutual TLS.
	CertFile, KeyFile string

	// ConnectTimeout bounds the dial and handshake with one server, first
	// connect and reconnects alike; default DefaultConnectTimeout. A ctx
	// deadline passed to Connect shortens the first connect further.
	ConnectTimeout time.Duration
	// ReconnectWait is the first pause between reconnect rounds, doubling
	// with jitter up to ReconnectWaitMax; defaults DefaultReconnectWait and
	// DefaultReconnectWaitMax. Reconnect attempts never stop: a service waits
	// out an outage rather than exiting.
	ReconnectWait, ReconnectWaitMax time.Duration
	// ReconnectBufSize is how many bytes of outgoing messages the client
	// buffers while it reconnects. 0 (the default) disables the buffer so a
	// publish during an outage fails at once and is retried by the Publisher
	// with its own back-off; see the package notes. A positive value bounds it.
	ReconnectBufSize int

	// Logger receives connection events (disconnect, reconnect, errors);
	// the zero value discards them.
	Logger zerolog.Logger
}

// Connect dials NATS and returns a connection that reconnects forever with
// back-off. An unreachable first connect fails at once, with an error that
// wraps ErrUnreachable and names the URL and what to check; ctx bounds that
// first connect only. The caller owns the connection: Drain it at shutdown.
func Connect(ctx context.Context, cfg ConnConfig) (*nats.Conn, error) {
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.ReconnectWait <= 0 {
		cfg.ReconnectWait = DefaultReconnectWait
	}
	if cfg.ReconnectWaitMax <= 0 {
		cfg.ReconnectWaitMax = DefaultReconnectWaitMax
	}
	if cfg.ReconnectWaitMax < cfg.ReconnectWait {
		cfg.ReconnectWaitMax = cfg.ReconnectWait
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("jetstream: connect to %s: %w", redactURLs(cfg.URL), err)
	}

	d := &ctxDialer{ctx: ctx, timeout: cfg.ConnectTimeout}
	opts, err := cfg.options(d)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(cfg.URL, opts...)
	// From here on reconnects must not depend on the caller's start-up ctx.
	d.release()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("jetstream: connect to %s: %w", redactURLs(cfg.URL), ctx.Err())
		}
		return nil, connectError(cfg.URL, d, err)
	}
	cfg.Logger.Info().Str("url", redactURLs(nc.ConnectedUrl())).Str("server", nc.ConnectedServerName()).Msg("connected to NATS")
	return nc, nil
}

func (cfg ConnConfig) options(d *ctxDialer) ([]nats.Option, error) {
	log := cfg.Logger
	opts := []nats.Option{
		nats.Name(cfg.Name),
		nats.Timeout(cfg.ConnectTimeout),
		nats.SetCustomDialer(d),
		nats.MaxReconnects(-1),
		nats.PingInterval(DefaultPingInterval),
		nats.MaxPingsOutstanding(2),
		nats.CustomReconnectDelay(backoff(cfg.ReconnectWait, cfg.ReconnectWaitMax)),
		// nats.go runs these handlers on its own goroutine, which may still
		// be dispatching after Close returns; a deliberate close logs
		// nothing, so no line is written after the owner is done with the
		// logger.
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if nc.IsClosed() {
				return
			}
			log.Warn().Err(err).Str("url", redactURLs(nc.ConnectedUrl())).Msg("disconnected from NATS; reconnecting")
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info().Str("url", redactURLs(nc.ConnectedUrl())).Msg("reconnected to NATS")
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			ev := log.Error().Err(err)
			if sub != nil {
				ev = ev.Str("subject", sub.Subject)
			}
			ev.Msg("NATS asynchronous error")
		}),
	}
	if cfg.ReconnectBufSize > 0 {
		opts = append(opts, nats.ReconnectBufSize(cfg.ReconnectBufSize))
	} else {
		opts = append(opts, nats.ReconnectBufSize(-1))
	}

	auth := 0
	for _, set := range []bool{cfg.CredsFile != "", cfg.NKeySeedFile != "", cfg.User != "" || cfg.Password != "", cfg.Token != ""} {
		if set {
			auth++
		}
	}
	if auth > 1 {
		return nil, fmt.Errorf("%w: NATS credentials: set only one of a creds file, an nkey seed file, user/password or a token", ErrInvalid)
	}
	switch {
	case cfg.CredsFile != "":
		if err := readable(cfg.CredsFile, "NATS credentials file"); err != nil {
			return nil, err
		}
		opts = append(opts, nats.UserCredentials(cfg.CredsFile))
	case cfg.NKeySeedFile != "":
		if err := readable(cfg.NKeySeedFile, "NATS nkey seed file"); err != nil {
			return nil, err
		}
		o, err := nats.NkeyOptionFromSeed(cfg.NKeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("jetstream: NATS nkey seed file %s: %w", cfg.NKeySeedFile, err)
		}
		opts = append(opts, o)
	case cfg.User != "" || cfg.Password != "":
		opts = append(opts, nats.UserInfo(cfg.User, cfg.Password))
	case cfg.Token != "":
		opts = append(opts, nats.Token(cfg.Token))
	}

	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, fmt.Errorf("%w: NATS TLS: a client certificate needs both a cert file and a key file", ErrInvalid)
	}
	if cfg.CAFile != "" {
		if err := readable(cfg.CAFile, "NATS TLS CA file"); err != nil {
			return nil, err
		}
		opts = append(opts, nats.RootCAs(cfg.CAFile))
	}
	if cfg.CertFile != "" {
		for _, f := range []string{cfg.CertFile, cfg.KeyFile} {
			if err := readable(f, "NATS TLS client certificate"); err != nil {
				return nil, err
			}
		}
		opts = append(opts, nats.ClientCert(cfg.CertFile, cfg.KeyFile))
	}
	return opts, nil
}

// readable checks a file up front so a typo in a path is reported as such,
// not as an authentication failure from the server.
func readable(path, what string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInvalid, what, err)
	}
	return f.Close()
}

// backoff returns the reconnect delay for the nth round over the server
// pool: doubling from first up to max, with up to 50% jitter so that a fleet
// of clients does not reconnect in lock step after a server restart.
func backoff(first, max time.Duration) nats.ReconnectDelayHandler {
	return func(attempts int) time.Duration {
		return jittered(expDelay(first, max, attempts))
	}
}

// expDelay is first·2^(n-1), capped at max.
func expDelay(first, max time.Duration, n int) time.Duration {
	d := first
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// jittered returns a delay in [d/2, d].
func jittered(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

// ctxDialer dials with the caller's ctx during the first connect, then with
// none, and remembers the last dial failure so Connect can say what went
// wrong: the client library reduces "connection refused" to "no servers
// available".
type ctxDialer struct {
	timeout time.Duration

	mu       sync.Mutex
	ctx      context.Context
	lastAddr string
	lastErr  error
}

func (d *ctxDialer) Dial(network, addr string) (net.Conn, error) {
	d.mu.Lock()
	ctx := d.ctx
	d.mu.Unlock()
	if ctx == nil {
		ctx = context.Background()
	}
	nd := net.Dialer{Timeout: d.timeout}
	c, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		d.mu.Lock()
		d.lastAddr, d.lastErr = addr, err
		d.mu.Unlock()
	}
	return c, err
}

func (d *ctxDialer) release() {
	d.mu.Lock()
	d.ctx = nil
	d.mu.Unlock()
}

func (d *ctxDialer) last() (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastAddr, d.lastErr
}

const unreachableHint = "is nats-server running? set --nats-url or use the embedded server"

// connectError turns the client library's error into one that names the URL
// and says what to check.
func connectError(urls string, d *ctxDialer, err error) error {
	where := redactURLs(urls)
	_, dialErr := d.last()
	var ue *url.Error
	switch {
	case errors.Is(err, nats.ErrAuthorization), errors.Is(err, nats.ErrAuthExpired), errors.Is(err, nats.ErrAuthRevoked),
		strings.Contains(strings.ToLower(err.Error()), "authorization"):
		return fmt.Errorf("jetstream: connect to %s: %v — check the NATS credentials (creds file, nkey seed, user/password or token)", where, err)
	case errors.As(err, new(x509.UnknownAuthorityError)), errors.As(err, new(x509.HostnameError)),
		errors.As(err, new(x509.CertificateInvalidError)), strings.Contains(err.Error(), "tls:"):
		return fmt.Errorf("jetstream: connect to %s: TLS: %v — check the CA file, the client certificate and that the URL's host matches the server certificate", where, err)
	case errors.Is(err, nats.ErrSecureConnRequired):
		return fmt.Errorf("jetstream: connect to %s: %v — the server requires TLS: set a CA file (and a client certificate if it asks for one)", where, err)
	case errors.Is(err, nats.ErrSecureConnWanted):
		return fmt.Errorf("jetstream: connect to %s: %v — the server does not offer TLS: drop the TLS settings or use a TLS-enabled URL", where, err)
	case errors.Is(err, nats.ErrNoServers) && dialErr != nil:
		err = dialErr
	case errors.As(err, &ue):
		return fmt.Errorf("%w: %w", ErrInvalid, fmt.Errorf("NATS URL %s: %v", where, err))
	}
	reason := err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		reason = "connection refused"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, nats.ErrTimeout), isTimeout(err):
		reason = "timed out: " + err.Error()
	}
	return fmt.Errorf("%w: connect to %s: %s — %s", ErrUnreachable, where, reason, unreachableHint)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// redactURLs hides passwords in a comma-separated URL list.
func redactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if u, err := url.Parse(p); err == nil && u.User != nil {
			p = u.Redacted()
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

// Drain is the clean way to close a connection from Connect: it lets pending
// publishes and acknowledgements finish, then closes, and waits until the
// connection is closed or ctx ends (then it closes at once and returns
// ctx's error). The client's own drain timeout (30s) also bounds it.
func Drain(ctx context.Context, nc *nats.Conn) error {
	if nc.IsClosed() {
		return nil
	}
	if err := nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		nc.Close()
		return fmt.Errorf("jetstream: drain NATS connection: %w", err)
	}
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for !nc.IsClosed() {
		select {
		case <-ctx.Done():
			nc.Close()
			return fmt.Errorf("jetstream: drain NATS connection: %w", ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
