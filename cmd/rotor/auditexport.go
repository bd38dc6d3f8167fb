package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/rs/zerolog"
	"github.com/spf13/cobra"

	"github.com/rotor-trading/rotor/portfolio/audit"
)

type auditExportFlags struct {
	file   auditFile
	filter auditFilterFlags
	format string
	out    string
}

func newAuditExportCmd(g *globalFlags) *cobra.Command {
	var f auditExportFlags
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write audit rows, oldest first, as CSV or JSON, with their hashes",
		Long: `export writes the audit log's rows in sequence order, every column as stored
(the payload as its JSON text, the time as the exact text the hash covers), so the
export can be checked against the chain. It streams, so it handles logs of any size.
It takes the same filters as list, without a default limit.

CSV columns: seq,time,kind,event_id,plan_id,order_ref,broker_order_id,perm_id,
instrument,account,payload,prev_hash,hash (empty for a column the row does not carry).
JSON: one array of objects with the same fields.

With --out, the file appears only when the export is complete.

Examples:
  rotor audit export --format csv --out audit.csv
  rotor audit export --format json --since 2025-03-01 --until 2025-03-31 --kind fill`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runAuditExport(cmd.Context(), cmd.OutOrStdout(), log, f)
		},
	}
	f.file.register(cmd)
	f.filter.register(cmd, 0)
	cmd.Flags().StringVar(&f.format, "format", "csv", "csv or json")
	cmd.Flags().StringVarP(&f.out, "out", "o", "", "write to this file instead of standard output")
	return cmd
}

var auditCSVHeader = []string{"seq", "time", "kind", "event_id", "plan_id", "order_ref", "broker_order_id", "perm_id",
	"instrument", "account", "payload", "prev_hash", "hash"}

func runAuditExport(ctx context.Context, stdout io.Writer, log zerolog.Logger, f auditExportFlags) (err error) {
	if f.format != "csv" && f.format != "json" {
		return fmt.Errorf("--format %q: want csv or json", f.format)
	}
	af, err := f.filter.filter()
	if err != nil {
		return err
	}
	l, err := f.file.open(ctx, log, true)
	if err != nil {
		return err
	}
	defer l.Close()

	w := stdout
	if f.out != "" {
		// A temporary file renamed at the end: a failed export leaves no
		// file that looks complete.
		tmp, terr := os.CreateTemp(filepath.Dir(f.out), "."+filepath.Base(f.out)+".*")
		if terr != nil {
			return fmt.Errorf("--out %s: %w", f.out, terr)
		}
		defer func() {
			if cerr := tmp.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("write %s: %w", f.out, cerr)
			}
			if err == nil {
				err = os.Rename(tmp.Name(), f.out)
			}
			if err != nil {
				os.Remove(tmp.Name())
			}
		}()
		w = tmp
	}
	if f.format == "csv" {
		err = exportCSV(ctx, w, l, af)
	} else {
		err = exportJSON(ctx, w, l, af)
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", l.Path(), err)
	}
	return nil
}

func exportCSV(ctx context.Context, w io.Writer, l *audit.Log, af audit.Filter) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(auditCSVHeader); err != nil {
		return err
	}
	id := func(n int64) string {
		if n == 0 {
			return ""
		}
		return strconv.FormatInt(n, 10)
	}
	err := l.Each(ctx, af, func(r audit.Record) error {
		return cw.Write([]string{strconv.FormatInt(r.Seq, 10), r.Time.UTC().Format(auditTimeLayout), r.Kind, r.EventID,
			r.PlanID, r.OrderRef, id(r.BrokerOrderID), id(r.PermID), r.Instrument, r.Account, string(r.Payload), r.PrevHash, r.Hash})
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func exportJSON(ctx context.Context, w io.Writer, l *audit.Log, af audit.Filter) error {
	aw := &rowArrayWriter{w: w}
	if err := l.Each(ctx, af, aw.write); err != nil {
		return err
	}
	return aw.close()
}

// writeRowsJSON prints rows as a JSON array, or, for show (eventID set), as
// {"event_id": ..., "rows": [...]}.
func writeRowsJSON(w io.Writer, eventID string, recs []audit.Record) error {
	aw := &rowArrayWriter{w: w}
	if eventID != "" {
		id, _ := json.Marshal(eventID)
		aw.open, aw.end = `{"event_id": `+string(id)+`, "rows": [`, "\n]}\n"
	}
	for _, r := range recs {
		if err := aw.write(r); err != nil {
			return err
		}
	}
	return aw.close()
}

// rowArrayWriter streams rows as a JSON array, one compact row per line.
// Not indented: re-indenting would change the payload's bytes, and a row
// exported as stored can be checked against its hash.
type rowArrayWriter struct {
	w         io.Writer
	open, end string // default "[" and "\n]\n"
	started   bool
}

func (a *rowArrayWriter) write(r audit.Record) error {
	// No HTML escaping: it would turn a payload's "<" or "&" into \u003c
	// and \u0026, bytes the hash does not cover.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(newAuditRow(r)); err != nil {
		return err
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	sep := ",\n"
	if !a.started {
		sep, a.started = a.opening()+"\n", true
	}
	if _, err := io.WriteString(a.w, sep); err != nil {
		return err
	}
	_, err := a.w.Write(b)
	return err
}

func (a *rowArrayWriter) opening() string {
	if a.open == "" {
		return "["
	}
	return a.open
}

func (a *rowArrayWriter) close() error {
	end := a.end
	if end == "" {
		end = "\n]\n"
	}
	if !a.started {
		end = a.opening() + end
	}
	_, err := io.WriteString(a.w, end)
	return err
}
