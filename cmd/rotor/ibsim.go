package main

import (
	"fmt"
	"time"

	"github.com/rotor-trading/rotor/broker/ibsim"
	"github.com/rotor-trading/rotor/broker/ibsim/wire"
	"github.com/rotor-trading/rotor/signals/marketdata"
	"github.com/shopspring/decimal"
	"github.com/spf13/cobra"
)

type ibsimFlags struct {
	listen, account, data, asOf string
	cash                        float64
	seed                        int64
	slippage, partial           int64
	maxVersion                  int
	delayAcks                   time.Duration
	rejectFirst                 string
	dropAfterFirst, repeatFirst bool
	loseAfter                   time.Duration
}

func newIBSimCmd(g *globalFlags) *cobra.Command {
	var f ibsimFlags
	cmd := &cobra.Command{
		Use:   "ibsim",
		Short: "Run the built-in paper broker: a TWS API server any TWS client can trade with",
		Long: `ibsim runs rotor's paper broker as a standalone server that speaks the TWS API
wire protocol (server versions 100 to 222, protobuf from 201), so rotor, the official IB API
clients or any other TWS API client connect to it as they would to TWS or IB Gateway.

It lists the E-mini and Micro Russell 2000, S&P 500 and Select Sector futures (front
plus the next four quarterly expiries by its clock) and the ETFs of the signal
universe; prices come from daily bars (--data DIR of CSV files, or a deterministic
generated history). Market orders fill at once, limit orders rest until marketable,
commissions are charged per contract, and orders beyond available funds are
rejected with error 201. State lives as long as the server: clients that reconnect
find their orders and executions.

Examples:
  rotor ibsim --listen 127.0.0.1:7497
  rotor ibsim --data ./marketdata --as-of 2026-06-30 --account DU7777777
  rotor ibsim --fault-drop-after-first-order     # test a client's unknown-outcome path`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			cfg := ibsim.Config{Listen: f.listen, Account: f.account, StartingCash: decimal.NewFromFloat(f.cash),
				SlippageTicks: f.slippage, PartialFillSize: f.partial, MaxVersion: wire.Version(f.maxVersion),
				Logger: log.With().Str("component", "ibsim").Logger()}
			if f.asOf != "" {
				day, err := time.Parse(time.DateOnly, f.asOf)
				if err != nil {
					return fmt.Errorf("--as-of %q: want YYYY-MM-DD", f.asOf)
				}
				start := time.Now()
				// The clock starts at the close of that day and runs on from there.
				cfg.Now = func() time.Time { return day.Add(21 * time.Hour).Add(time.Since(start)) }
			}
			switch {
			case f.data != "":
				series, err := marketdata.ReadDir(f.data)
				if err != nil {
					return fmt.Errorf("--data %s: %w", f.data, err)
				}
				cfg.Series = series
			case f.seed != ibsim.DefaultSeed:
				end := time.Now().UTC()
				if cfg.Now != nil {
					end = cfg.Now()
				}
				cfg.Series = marketdata.Generate(marketdata.GenConfig{Seed: f.seed, Start: end.AddDate(-ibsim.DefaultHistoryYears, 0, 0), End: end})
			}
			srv := ibsim.New(cfg)
			if err := srv.Open(cmd.Context()); err != nil {
				return err
			}
			defer srv.Close()
			if f.delayAcks > 0 {
				srv.DelayAcks(f.delayAcks)
			}
			if f.rejectFirst != "" {
				srv.RejectNextOrder(f.rejectFirst)
			}
			if f.dropAfterFirst {
				srv.DropAfterNextOrder()
			}
			if f.repeatFirst {
				srv.RepeatNextExecution()
			}
			if f.loseAfter > 0 {
				t := time.AfterFunc(f.loseAfter, func() { srv.LoseConnectivity(1102, 5*time.Second) })
				defer t.Stop()
			}
			fmt.Fprintf(cmd.OutOrStdout(), "paper broker listening on %s (account %s); Ctrl-C to stop\n", srv.Addr(), srv.Engine().AccountID())
			<-cmd.Context().Done()
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.listen, "listen", "127.0.0.1:7497", "address to listen on (7497 is TWS's paper port)")
	fl.StringVar(&f.account, "account", ibsim.DefaultAccount, "account id; DU... is a paper account (rotor refuses any other)")
	fl.Float64Var(&f.cash, "cash", ibsim.DefaultCash, "starting cash in USD")
	fl.StringVar(&f.data, "data", "", "directory of daily-bar CSV files (IWM.csv, RUT.csv, GSPC.csv, XLK.csv...); generated prices when empty")
	fl.Int64Var(&f.seed, "seed", ibsim.DefaultSeed, "seed of the generated price history (without --data)")
	fl.StringVar(&f.asOf, "as-of", "", "start the simulator's clock at this day's close (YYYY-MM-DD); today when empty")
	fl.Int64Var(&f.slippage, "slippage-ticks", 0, "ticks market orders fill through the mark")
	fl.Int64Var(&f.partial, "partial-fill", 0, "fill larger orders in parts of this many contracts (0: whole)")
	fl.IntVar(&f.maxVersion, "max-version", int(wire.MaxVersion), "highest TWS server version to offer clients")
	fl.DurationVar(&f.delayAcks, "fault-delay-acks", 0, "delay every order acknowledgement by this long")
	fl.StringVar(&f.rejectFirst, "fault-reject-first-order", "", "reject the first order with error 201 and this reason")
	fl.BoolVar(&f.dropAfterFirst, "fault-drop-after-first-order", false, "accept the first order, then drop the client's socket before acknowledging it")
	fl.BoolVar(&f.repeatFirst, "fault-repeat-first-exec", false, "send the first execution report twice")
	fl.DurationVar(&f.loseAfter, "fault-lose-connectivity-after", 0, "after this long, send 1100 (connectivity lost), then 1102 five seconds later")
	return cmd
}
