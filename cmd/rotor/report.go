package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/rotor-trading/rotor/portfolio/audit/web"
	"github.com/rs/zerolog"
	"github.com/spf13/cobra"
)

type reportFlags struct {
	file    auditFile
	out     string
	stories int
	rows    int
}

func newReportCmd(g *globalFlags) *cobra.Command {
	var f reportFlags
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the audit log's pages as one self-contained HTML file",
		Long: `report writes what "rotor audit serve" shows as one HTML file that opens anywhere
without a server or a network: the charts, the full story of the latest decisions and
the timeline, with inline CSS and SVG and no scripts. It reads the audit log read-only
and prints the file's path.

The file goes to --out, by default report.html beside the audit log
(<data-dir>/report.html); it is written to a temporary file first and renamed, so a
reader never sees half a report. --out - writes it to standard output.

Examples:
  rotor report
  rotor report --data-dir /srv/rotor --out /tmp/rotor-week.html --stories 50`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger(cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runReport(cmd.Context(), cmd.OutOrStdout(), log, f)
		},
	}
	f.file.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.out, "out", "", "the HTML file to write (default report.html beside the audit log; - for standard output)")
	fl.IntVar(&f.stories, "stories", web.DefaultReportStories, "how many of the latest decisions to tell in full")
	fl.IntVar(&f.rows, "rows", web.DefaultReportRows, "how many of the latest rows the timeline lists")
	return cmd
}

func runReport(ctx context.Context, stdout io.Writer, log zerolog.Logger, f reportFlags) error {
	if f.stories < 1 {
		return fmt.Errorf("--stories %d: want 1 or more", f.stories)
	}
	if f.rows < 1 {
		return fmt.Errorf("--rows %d: want 1 or more", f.rows)
	}
	l, err := f.file.open(ctx, log, true)
	if err != nil {
		return err
	}
	defer l.Close()
	opts := web.Options{ReportStories: f.stories, ReportRows: f.rows}
	if f.out == "-" {
		return web.WriteReport(ctx, stdout, l, opts)
	}
	out := f.out
	if out == "" {
		out = filepath.Join(filepath.Dir(f.file.path()), "report.html")
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*")
	if err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing to remove
	if err := web.WriteReport(ctx, tmp, l, opts); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write the report: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write the report %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	fmt.Fprintln(stdout, out)
	return nil
}
