package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/rotor-trading/rotor/portfolio/audit/web"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

// defaultServeAddr keeps the audit pages on this machine unless asked.
const defaultServeAddr = "127.0.0.1:8080"

type auditServeFlags struct {
	file   auditFile
	addr   string
	public bool
}

func newAuditServeCmd(g *globalFlags) *cobra.Command {
	var f auditServeFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a read-only web page over the audit log: timeline, decisions, charts",
		Long: `serve opens the audit log read-only and serves it as web pages until Ctrl-C:

  /             the timeline, newest first, with filters (kind, instrument, event,
                plan, order ref, dates) that are plain URL parameters
  /event/ID     the story of one decision: the signal's numbers and charts, the plan,
                each risk verdict, and each order's intent, sending, statuses and fills
  /charts       net liquidation and positions over time, orders and fills on the
                RTY price line, the score, the micro-cap thrust, the resistance zone

The pages need no JavaScript and load nothing from the network. serve never writes
to the log; the portfolio service may go on appending while it runs, and a reload
shows the new rows.

It listens on 127.0.0.1 only, unless --addr names another address and --public says
that exposing the log (account, positions, orders) to the network is intended.

Examples:
  rotor audit serve
  rotor audit serve --data-dir /srv/rotor --addr 127.0.0.1:9000
  rotor audit serve --addr 0.0.0.0:8080 --public`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			err = runAuditServe(cmd.Context(), cmd.OutOrStdout(), log, f)
			if interrupted(cmd.Context(), err) {
				return nil
			}
			return err
		},
	}
	f.file.register(cmd)
	cmd.Flags().StringVar(&f.addr, "addr", defaultServeAddr, "address to listen on, HOST:PORT (port 0 picks a free one)")
	cmd.Flags().BoolVar(&f.public, "public", false, "allow an --addr that is not a loopback address")
	return cmd
}

// checkServeAddr refuses an address other machines could reach, unless
// public: the log holds the account, its positions and every order.
func checkServeAddr(addr string, public bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q: want HOST:PORT, e.g. %s", addr, defaultServeAddr)
	}
	if public {
		return nil
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	if host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	shown := host
	if host == "" {
		shown = "every interface"
	}
	return fmt.Errorf("--addr %q listens on %s, which is not a loopback address: the audit log (account, positions, orders) would be open to the network; use 127.0.0.1:PORT, or pass --public if that is intended", addr, shown)
}

func runAuditServe(ctx context.Context, stdout io.Writer, log zerolog.Logger, f auditServeFlags) error {
	if err := checkServeAddr(f.addr, f.public); err != nil {
		return err
	}
	l, err := f.file.open(ctx, log, true)
	if err != nil {
		return err
	}
	defer l.Close()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	slog := log.With().Str("component", "audit-web").Logger()
	srv := &http.Server{
		Handler:           web.NewHandler(l, web.Options{Logger: slog}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	fmt.Fprintf(stdout, "serving the audit log %s read-only at http://%s/ (Ctrl-C stops)\n", l.Path(), ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	// Let pages being written finish; they are reads, so a short grace is
	// plenty.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("stop serving: %w", err)
	}
	<-done
	return ctx.Err()
}
