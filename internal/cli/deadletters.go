package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

func newDeadLetters(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "dead-letters", Short: "Inspect messages set aside because they can never succeed as they are"}
	var (
		limit  int
		reason string
		asJSON bool
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List dead letters, newest first, with the reason and the raw message",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if limit < 1 || limit > 10000 {
				return usageError{fmt.Errorf("--limit must be 1 to 10000")}
			}
			db, _, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ds, err := db.ListDeadLetters(cmd.Context(), gridwarn.DeadLetterFilter{Reason: gridwarn.DeadLetterReason(reason), Limit: limit})
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				for _, d := range ds {
					if err := enc.Encode(d); err != nil {
						return err
					}
				}
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tWHEN\tSEQ\tSUBJECT\tEVENT\tREASON\tDETAIL\tRAW")
			for _, d := range ds {
				fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.CreatedAt.UTC().Format("2006-01-02 15:04:05Z"),
					d.StreamSeq, d.Subject, d.EventID, d.Reason, oneLine(d.Detail, 120), oneLine(string(d.Raw), 60))
			}
			return tw.Flush()
		},
	}
	list.Flags().IntVar(&limit, "limit", 50, "how many")
	list.Flags().StringVar(&reason, "reason", "", "only this reason (malformed_json, schema_violation, oversize, max_deliveries, rejected_by_database)")
	list.Flags().BoolVar(&asJSON, "json", false, "JSON lines instead of a table (raw bytes in base64)")
	cmd.AddCommand(list)
	return cmd
}

// oneLine shortens s to n runes on one line for a table cell.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
