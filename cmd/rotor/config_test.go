package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigTemplateIsTheDefaults: the commented file 'config init' writes
// loads to exactly the defaults, so its comments cannot drift from them.
func TestConfigTemplateIsTheDefaults(t *testing.T) {
	got, err := loadConfig(writeFile(t, "rotor.yaml", configTemplate))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(defaultFileConfig())
	if string(a) != string(b) {
		t.Fatalf("the template loads to\n%s\nthe defaults are\n%s", a, b)
	}
	empty, err := loadConfig(writeFile(t, "empty.yaml", ""))
	if err != nil {
		t.Fatalf("an empty file: %v", err)
	}
	if c, _ := json.Marshal(empty); string(c) != string(b) {
		t.Fatalf("an empty file is not the defaults: %s", c)
	}
}

// TestConfigErrorsNameTheKey: unknown keys, bad values and bad environment
// variables are refused with the key and what is allowed.
func TestConfigErrorsNameTheKey(t *testing.T) {
	for _, c := range []struct {
		name, text string
		want       []string
	}{
		{"unknown key", "ib:\n  adress: 1.2.3.4:7497\n", []string{"adress", "line 2", "rotor config init"}},
		{"bad mode", "mode: live\n", []string{"mode", "dry_run or paper"}},
		{"bad share", "sleeve:\n  share: \"2\"\n", []string{"sleeve", "share"}},
		{"bad drawdown", "risk:\n  max_drawdown: \"2\"\n", []string{"risk", "MaxDrawdown"}},
		{"bad duration", "worker:\n  delay: soon\n", []string{"soon"}},
		{"bad catch-up", "worker:\n  max_catch_up: 0\n", []string{"worker.max_catch_up", "at least 1"}},
		{"quotes staler than risk allows", "ib:\n  quote_max_age: 20m\n", []string{"ib.quote_max_age", "risk.max_price_age (15m0s)"}},
		{"no account age", "ib:\n  account_max_age: 0s\n", []string{"ib.account_max_age", "more than 0"}},
	} {
		_, err := loadConfig(writeFile(t, "rotor.yaml", c.text))
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
	t.Setenv("ROTOR_IB_QUOTE_MAX_AGE", "30s")
	if cfg, err := loadConfig(""); err != nil || cfg.IB.QuoteMaxAge != 30*time.Second {
		t.Fatalf("ROTOR_IB_QUOTE_MAX_AGE=30s: %v, quote_max_age %s", err, cfg.IB.QuoteMaxAge)
	}
	t.Setenv("ROTOR_WORKER_MAX_CATCH_UP", "many")
	if _, err := loadConfig(""); err == nil || !strings.Contains(err.Error(), "ROTOR_WORKER_MAX_CATCH_UP") {
		t.Fatalf("a bad environment variable: %v", err)
	}
}

// TestConfigPrecedence: a flag beats the environment, which beats the file,
// which beats the default; --ib is taken from ib.addr only by the
// commands that talk to TWS as the service.
func TestConfigPrecedence(t *testing.T) {
	path := writeFile(t, "rotor.yaml", "data_dir: from-file\naccount: DU7\nib:\n  addr: 10.0.0.1:4002\ntrust: [UA, UB]\n")
	t.Setenv("ROTOR_DATA_DIR", "from-env")
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	set, err := setKeys(path, os.LookupEnv)
	if err != nil {
		t.Fatal(err)
	}
	cmdWith := func(name string) *cobra.Command {
		cmd := &cobra.Command{Use: name}
		cmd.Flags().String("data-dir", "rotor-data", "")
		cmd.Flags().String("account", "", "")
		cmd.Flags().String("ib", "127.0.0.1:7497", "")
		cmd.Flags().StringArray("trust", nil, "")
		cmd.Flags().String("mode", "dry_run", "")
		return cmd
	}
	portfolio := cmdWith("portfolio")
	if err := portfolio.Flags().Set("account", "DU9"); err != nil {
		t.Fatal(err)
	}
	if _, err := cfg.applyToFlags(portfolio, set); err != nil {
		t.Fatal(err)
	}
	get := func(cmd *cobra.Command, name string) string { return cmd.Flags().Lookup(name).Value.String() }
	for flag, want := range map[string]string{"data-dir": "from-env", "account": "DU9", "ib": "10.0.0.1:4002", "trust": "[UA,UB]", "mode": "dry_run"} {
		if got := get(portfolio, flag); got != want {
			t.Errorf("portfolio --%s = %q, want %q", flag, got, want)
		}
	}
	worker := cmdWith("signal-worker")
	if _, err := cfg.applyToFlags(worker, set); err != nil {
		t.Fatal(err)
	}
	if got := get(worker, "ib"); got != "127.0.0.1:7497" {
		t.Errorf("signal-worker --ib = %q: the service's TWS address must not become the worker's history source", got)
	}
}

// TestConfigCheckMasksSecrets runs 'config check' with a password in the
// environment.
func TestConfigCheckMasksSecrets(t *testing.T) {
	t.Setenv("ROTOR_NATS_PASSWORD", "hunter2")
	path := writeFile(t, "rotor.yaml", "nats:\n  url: nats://n1:4222\n  user: rotor\n")
	out, _, err := runRotor(t, context.Background(), "--config", path, "config", "check")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "hunter2") || !strings.Contains(out, "password: '********'") || !strings.Contains(out, "url: nats://n1:4222") {
		t.Fatalf("config check:\n%s", out)
	}
}

// TestConfigInit writes the template, refuses to overwrite it, and the file
// checks clean.
func TestConfigInit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rotor.yaml")
	if _, _, err := runRotor(t, context.Background(), "config", "init", "--out", path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runRotor(t, context.Background(), "config", "init", "--out", path); err == nil || !strings.Contains(err.Error(), "will not overwrite") {
		t.Fatalf("second init: %v", err)
	}
	out, _, err := runRotor(t, context.Background(), "--config", path, "config", "check", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var c fileConfig
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.IB.Addr != "127.0.0.1:7497" {
		t.Fatalf("config check --json: %v\n%s", err, out)
	}
}

// TestConfigDefaultsAreTheFlagDefaults: a key left at its default in the
// file must mean what the flag's own default means, in every command that
// maps it.
func TestConfigDefaultsAreTheFlagDefaults(t *testing.T) {
	def := defaultFileConfig()
	root := newRootCmd(&bytes.Buffer{}, &bytes.Buffer{})
	checked := 0
	var all []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			all = append(all, sub)
			walk(sub)
		}
	}
	walk(root)
	for _, cmd := range all {
		cmd.Flags().VisitAll(func(fl *pflag.Flag) {
			key, ok := flagKey(cmd.Name(), fl.Name)
			if !ok {
				return
			}
			var want string
			switch v := def.field(key).Interface().(type) {
			case []string:
				want = "[" + strings.Join(v, ",") + "]"
			case time.Duration:
				want = v.String()
			default:
				want = fmt.Sprint(v)
			}
			if fl.DefValue != want {
				t.Errorf("rotor %s --%s defaults to %q, the configuration's %s to %q", cmd.Name(), fl.Name, fl.DefValue, key, want)
			}
			checked++
		})
	}
	if checked < 20 {
		t.Fatalf("only %d flags checked", checked)
	}
}
