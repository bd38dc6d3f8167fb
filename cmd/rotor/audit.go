package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/rotor-trading/rotor/portfolio/audit"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

// auditFile says where the audit log is: --audit, else <data-dir>/audit.db.
type auditFile struct {
	dataDir, file string
}

func (a *auditFile) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&a.dataDir, "data-dir", "rotor-data", "rotor's data directory; the audit log is <data-dir>/audit.db")
	fl.StringVar(&a.file, "audit", "", "the audit log file, instead of <data-dir>/audit.db")
}

func (a auditFile) path() string {
	if a.file != "" {
		return a.file
	}
	return filepath.Join(a.dataDir, "audit.db")
}

// open opens the audit log, which must exist: these commands read or add
// to the log the portfolio service keeps, and creating an empty one would
// only hide a wrong --data-dir.
func (a auditFile) open(ctx context.Context, log zerolog.Logger, readOnly bool) (*audit.Log, error) {
	path := a.path()
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no audit log at %s: the portfolio service creates it; point at it with --data-dir DIR or --audit FILE", path)
		}
		return nil, fmt.Errorf("audit log %s: %w", path, err)
	}
	l, err := audit.Open(ctx, path, audit.Options{ReadOnly: readOnly, Logger: log.With().Str("component", "audit").Logger()})
	if err != nil {
		return nil, fmt.Errorf("open the audit log %s: %w", path, err)
	}
	return l, nil
}

func newAuditCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Review and check the audit log: the hash-chained record of every decision, order and operator action",
		Long: `The audit log (<data-dir>/audit.db, one SQLite file) records every signal received,
plan, risk decision, order intent, broker event, fill, error and operator action. Each row
carries the sha256 hash of its content and of the row before it, so a row changed,
removed, reordered or inserted after it was written breaks the chain; nothing in rotor
ever updates or deletes a row.

  rotor audit list     the newest rows, filtered, with a one-line summary each
  rotor audit show ID  the whole story of one signal event, from signal to fills
  rotor audit export   rows as CSV or JSON, with their hashes
  rotor audit verify   recompute the hash chain
  rotor audit serve    read-only web pages: timeline, each decision's story, charts

The file is plain SQLite; read it with the stock shell, for example:
  sqlite3 -readonly -box rotor-data/audit.db \
    "SELECT seq, time, kind, instrument, payload FROM events ORDER BY seq DESC LIMIT 20"`,
	}
	cmd.AddCommand(newAuditVerifyCmd(g), newAuditListCmd(g), newAuditShowCmd(g), newAuditExportCmd(g), newAuditServeCmd(g))
	return cmd
}

type auditVerifyFlags struct {
	file auditFile
	head string
	json bool
}

func newAuditVerifyCmd(g *globalFlags) *cobra.Command {
	var f auditVerifyFlags
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the audit log's hash chain and name the first row that does not hold",
		Long: `verify recomputes the hash of every row of the audit log and checks that each row
chains to the one before it. It prints "ok: N rows, head SEQ HASH" when the whole chain
holds, and otherwise names the first row that was changed, removed, reordered or
inserted and exits with status 1. It only reads the file; the portfolio service may go
on writing meanwhile.

A chain without a secret cannot show rows cut off the end, or a file rewritten with a
fresh chain from scratch. For that, keep the head verify prints somewhere the log's
writer cannot change (a ticket, a chat message, another machine) and pass it later with
--head SEQ:HASH: verify then also checks that the log still reaches that row and that
the row still has that hash.

An auditor who does not trust rotor can run the same check with the sqlite3 shell
(see verify.sh in the portfolio/audit package).

Examples:
  rotor audit verify
  rotor audit verify --audit /backups/audit.db --head 1234:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
  rotor audit verify --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runAuditVerify(cmd.Context(), cmd.OutOrStdout(), log, f)
		},
	}
	f.file.register(cmd)
	cmd.Flags().StringVar(&f.head, "head", "", "also check against a head remembered earlier, as SEQ:HASH")
	cmd.Flags().BoolVar(&f.json, "json", false, "print the result as JSON")
	return cmd
}

var hashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// parseHead reads a head as verify prints it for --head: SEQ:HASH.
func parseHead(s string) (audit.Head, error) {
	seqText, hash, ok := strings.Cut(s, ":")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	hash = strings.ToLower(hash)
	if !ok || err != nil || seq < 1 || !hashRE.MatchString(hash) {
		return audit.Head{}, fmt.Errorf("--head %q: want SEQ:HASH as rotor audit verify prints it, a row number and its 64-hex-digit hash, e.g. 12:%s", s, strings.Repeat("ab", 32))
	}
	return audit.Head{Seq: seq, Hash: hash}, nil
}

// verifyResult is verify's outcome, for --json.
type verifyResult struct {
	OK    bool         `json:"ok"`
	Path  string       `json:"path"`
	Rows  int64        `json:"rows"` // rows that hold
	Head  verifyHead   `json:"head"` // the last row that holds
	Error *verifyError `json:"error,omitempty"`
}

type verifyHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

type verifyError struct {
	Seq     int64  `json:"seq"`
	Problem string `json:"problem"`
	Detail  string `json:"detail"`
}

func runAuditVerify(ctx context.Context, stdout io.Writer, log zerolog.Logger, f auditVerifyFlags) error {
	var anchor audit.Head
	if f.head != "" {
		h, err := parseHead(f.head)
		if err != nil {
			return err
		}
		anchor = h
	}
	l, err := f.file.open(ctx, log, true)
	if err != nil {
		return err
	}
	defer l.Close()
	var rep audit.VerifyReport
	if f.head != "" {
		rep, err = l.VerifyAgainst(ctx, anchor, nil)
	} else {
		rep, err = l.Verify(ctx, nil)
	}
	var ce *audit.ChainError
	if err != nil && !errors.As(err, &ce) {
		return fmt.Errorf("verify %s: %w", l.Path(), err)
	}
	res := verifyResult{OK: err == nil, Path: l.Path(), Rows: rep.Rows, Head: verifyHead{rep.Head.Seq, rep.Head.Hash}}
	if ce != nil {
		res.Error = &verifyError{Seq: ce.Seq, Problem: ce.Problem.String(), Detail: ce.Detail}
	}
	if f.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else if ce == nil {
		fmt.Fprintf(stdout, "ok: %d rows, head %d %s\n", rep.Rows, rep.Head.Seq, rep.Head.Hash)
		if rep.Rows > 0 {
			fmt.Fprintf(stdout, "keep the head elsewhere and check later that nothing was cut off or rewritten:\n  rotor audit verify --head %d:%s\n", rep.Head.Seq, rep.Head.Hash)
		}
	}
	if ce != nil {
		held := "no row holds"
		if rep.Rows > 0 {
			held = fmt.Sprintf("rows 1 to %d hold", rep.Head.Seq)
		}
		return fmt.Errorf("%s is damaged: %w (%s); keep the file as evidence and restore the log from a backup", l.Path(), err, held)
	}
	return nil
}
