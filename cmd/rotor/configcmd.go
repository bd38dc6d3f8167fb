package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
)

// configTemplate is what 'rotor config init' writes: every key with its
// default and what it means. TestConfigTemplateIsTheDefaults keeps it equal
// to defaultFileConfig.
const configTemplate = `# rotor configuration. Every key is optional; a missing key keeps its default.
# Precedence: command-line flags, then ROTOR_* environment variables (ROTOR_ plus the
# key in capitals, dots as underscores: ROTOR_IB_ADDR, ROTOR_NATS_PASSWORD), then
# this file, then the defaults shown here. Check it with 'rotor config check'.

data_dir: rotor-data         # embedded NATS store, audit log, the worker's signing key
audit: ""                    # the audit log (SQLite); "" means <data_dir>/audit.db
account: ""                  # IB account; "" takes the first TWS manages. Routing needs a paper (DU...) account
mode: dry_run                # dry_run (decide and record, route nothing) or paper (route to the paper account)
metrics_addr: ""             # serve Prometheus metrics here (e.g. 127.0.0.1:9464); "" turns them off

ib:
  addr: 127.0.0.1:7497       # TWS (paper 7497) or IB Gateway (paper 4002), or 'rotor ibsim'
  client_id: 11              # TWS API client id of the portfolio service
  account_max_age: 10s       # account values older than this are read again (TWS pushes them every few minutes)
  quote_max_age: 2m0s        # daily bars (prices) are re-read in the background; a decision uses a read this recent

nats:
  url: ""                    # NATS URL(s), comma-separated; "" runs an embedded server in data_dir
  creds: ""                  # credentials file (user JWT and nkey seed)
  nkey: ""                   # nkey seed file
  ca: ""                     # PEM authorities for the server's certificate (turns TLS on)
  cert: ""                   # PEM client certificate (mutual TLS)
  key: ""                    # PEM client key (mutual TLS)
  user: ""                   # user name ...
  password: ""               # ... and password (better: ROTOR_NATS_PASSWORD)
  token: ""                  # bearer token (better: ROTOR_NATS_TOKEN)

worker:                      # the signal worker
  data: ""                   # directory of daily-bar CSV files; "" reads history from TWS
  key: ""                    # nkey seed file it signs with; "" means <data_dir>/signer.nk
  delay: 30m0s               # how long after the 16:00 New York close a day is computed
  retry_every: 15m0s         # pause before retrying a day whose bars are late or bad
  max_catch_up: 260          # trading days published on a cold start (warms up the regime)

trust: []                    # public nkeys (U...) of signal workers whose events the service accepts

sleeve:                      # the small-cap sleeve of the book
  share: "0.25"              # share of net liquidation, (0, 1]
  leverage:                  # leverage of the sleeve by regime, each [0, 10]
    leadership: "2"
    neutral: "0.5"
    lagging: "0"
  short:
    kind: none               # none, weakest_sectors or es_hedge
    n: 0                     # weakest_sectors: how many sectors (1 to 11)
    ratio: "0"               # short notional / long notional, (0, 1]
  vol_target: 0.2            # annualised volatility the long leg aims at, (0, 2]; 0 turns it off
  vol_window: 20             # daily returns realised volatility is measured over (2 to 260)
  drift_band: "0.1"          # no-trade band, a fraction of the target notional, [0, 1)
  roll_days: 5               # business days before the last trade date a contract is rolled (0 to 30)
  order_type: MKT            # MKT or LMT
  collar: "0.01"             # LMT only: limit = reference x (1 +/- collar), (0, 0.2]
  tif: DAY                   # DAY or GTC

risk:                        # limits of the whole account, other strategies' positions included
  max_gross_leverage: "3"    # sum of |futures notional| / net liquidation
  max_net_leverage: "2"      # |sum of signed futures notional| / net liquidation
  instrument:                # per futures root, all expiries together
    max_contracts: 200
    max_notional: "5000000"
  instrument_overrides: {}   # per root, e.g. {M2K: {max_contracts: 2000, max_notional: "5000000"}}
  max_order_contracts: 50    # one order (a fat-finger guard; applies to reducing orders too)
  max_order_notional: "2500000"
  max_margin_use: "0.5"      # projected initial margin / net liquidation, (0, 1]
  limit_collar: "0.02"       # a limit price at most this far from the reference price
  max_event_age: 36h0m0s     # older (or future) signal events may not add risk
  max_price_age: 15m0s       # older reference prices reject the order
  max_orders_per_minute: 30
  daily_loss_fraction: "0.03"  # today's loss / start-of-day net liquidation that trips the kill switch; 0 off
  daily_loss_amount: "0"       # the same in dollars; 0 off (one of the two must be set)
  max_drawdown: "0.1"          # fall from the high-water mark that trips the kill switch, (0, 1)

initial_margin:              # USD of initial margin per contract, by futures root, for risk's projected margin
  ES: "24200"
  M2K: "880"
  MES: "2420"
  RTY: "8800"
  XAB: "9900"
  XAE: "11000"
  XAF: "13200"
  XAI: "15400"
  XAK: "33000"
  XAP: "8800"
  XAR: "7700"
  XAU: "8800"
  XAV: "16500"
  XAY: "24200"
  XAZ: "11000"
`

func newConfigCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Write a commented default configuration, or check one and print what is in effect",
		Long: `rotor reads one YAML configuration file, given with --config FILE or $ROTOR_CONFIG:
the IB connection and account, NATS (URL, credentials, TLS), the data directory, the
signal worker's schedule, the trusted worker keys, the sleeve and the risk limits.
Flags override it, and ROTOR_* environment variables override it too (a flag wins
over both): ROTOR_ plus the key in capitals, dots as underscores, e.g.
ROTOR_IB_ADDR=127.0.0.1:4002 or ROTOR_NATS_PASSWORD=... (secrets belong there).

  rotor config init > rotor.yaml      # every key, its default and what it means
  rotor --config rotor.yaml config check`,
	}
	init := &cobra.Command{
		Use:   "init",
		Short: "Print a commented configuration with every key at its default",
		Long: `init prints the configuration file with every key at its default and a comment
saying what it means and what it may be. Redirect it to a file, or use --out, and edit
what you need; keys you delete keep their defaults.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out, _ := cmd.Flags().GetString("out")
			if out == "" {
				_, err := fmt.Fprint(cmd.OutOrStdout(), configTemplate)
				return err
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("--out %s exists; rotor will not overwrite a configuration", out)
			}
			if err != nil {
				return err
			}
			if _, err := f.WriteString(configTemplate); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", out)
			return nil
		},
	}
	init.Flags().String("out", "", "write to this file (refused if it exists) instead of standard output")
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and print what is in effect, secrets masked",
		Long: `check reads the configuration (--config or $ROTOR_CONFIG) and the ROTOR_*
environment, validates every key (an error names the key and what it may be) and
prints the configuration in effect, with passwords and tokens masked.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := g.cfg.masked()
			if asJSON, _ := cmd.Flags().GetBool("json"); asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(c)
			}
			src := g.configPath
			if src == "" {
				src = os.Getenv("ROTOR_CONFIG")
			}
			if src == "" {
				src = "no file: the defaults"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "# configuration in effect (%s, then ROTOR_* variables; secrets masked)\n", src)
			enc := yaml.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent(2)
			return enc.Encode(c)
		},
	}
	check.Flags().Bool("json", false, "print the configuration as JSON")
	cmd.AddCommand(init, check)
	return cmd
}
