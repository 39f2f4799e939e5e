package cli

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// all is what the command line sees: it runs with the database's
// credentials, like an operator at the console.
var all = gridwarn.Visibility{All: true}

func newToken(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Create, list and revoke bearer tokens"}
	var (
		name    string
		expires time.Duration
	)
	create := &cobra.Command{
		Use:   "create USERNAME",
		Short: "Issue a bearer token for a person; it is shown once and stored only as a hash",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, _, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			u, err := db.UserByName(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			var exp *time.Time
			if expires > 0 {
				t := time.Now().Add(expires)
				exp = &t
			}
			t, secret, err := db.CreateToken(cmd.Context(), all, u.ID, name, exp)
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, secret)
			fmt.Fprintf(e.stderr, "token %d (%s…) for %s (%s); it is not shown again\n", t.ID, t.Prefix, u.Username, u.Role)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "what the token is for")
	create.Flags().DurationVar(&expires, "expires-in", 0, "expire after this long (e.g. 720h); 0: never")
	list := &cobra.Command{
		Use:   "list [USERNAME]",
		Short: "List tokens (never their secrets)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, _, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			var userID int64
			if len(args) == 1 {
				u, err := db.UserByName(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				userID = u.ID
			}
			ts, err := db.Tokens(cmd.Context(), all, userID)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tUSER\tNAME\tPREFIX\tCREATED\tEXPIRES\tREVOKED\tLAST USED")
			for _, t := range ts {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s…\t%s\t%s\t%s\t%s\n", t.ID, t.Username, t.Name, t.Prefix, stamp(&t.CreatedAt),
					stamp(t.ExpiresAt), stamp(t.RevokedAt), stamp(t.LastUsedAt))
			}
			return tw.Flush()
		},
	}
	revoke := &cobra.Command{
		Use:   "revoke TOKEN-ID",
		Short: "Revoke a token at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var id int64
			if _, err := fmt.Sscan(args[0], &id); err != nil || id < 1 {
				return usageError{fmt.Errorf("TOKEN-ID must be a positive number (see gridwarn token list)")}
			}
			db, _, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.RevokeToken(cmd.Context(), all, id); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "token %d revoked\n", id)
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

func stamp(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

func newUser(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage people"}
	var (
		u     gridwarn.User
		scope string
	)
	create := &cobra.Command{
		Use:   "create USERNAME --role ROLE --scope county:CODE|town:CODE|grids:CODE,CODE",
		Short: "Add a person with a role and a part of the territory",
		Example: `  gridwarn user create admin --role admin --scope county:320924 --name 管理员
  gridwarn user create gw-01 --role grid_worker --scope grids:320924100-J01,320924100-J02`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u.Username = args[0]
			kind, rest, _ := strings.Cut(scope, ":")
			u.Scope.Kind = gridwarn.ScopeKind(kind)
			if u.Scope.Kind == gridwarn.ScopeGrids {
				u.Scope.GridCodes = strings.Split(rest, ",")
				u.Scope.UnitCode = gridwarn.CountyOf(u.Scope.GridCodes[0])
			} else {
				u.Scope.UnitCode = rest
			}
			db, _, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			created, err := db.CreateUser(cmd.Context(), all, u)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "user %d %s (%s, %s %s)\n", created.ID, created.Username, created.Role, created.Scope.Kind, created.Scope.UnitCode)
			return nil
		},
	}
	create.Flags().StringVar((*string)(&u.Role), "role", "", "grid_worker, reporter, mediator, leader, admin or hotline_operator")
	create.Flags().StringVar(&scope, "scope", "", "county:CODE, town:CODE or grids:CODE,CODE")
	create.Flags().StringVar(&u.DisplayName, "name", "", "display name")
	create.Flags().BoolVar(&u.TierHead, "tier-head", false, "head of their unit (reviews, extensions)")
	cmd.AddCommand(create, newSetPassword(e))
	return cmd
}

// newSetPassword sets a person's web console password: typed twice
// without echo at a terminal, read from the first line of standard input
// otherwise, or generated and printed once with --generate.
func newSetPassword(e *env) *cobra.Command {
	var generate bool
	cmd := &cobra.Command{
		Use:   "set-password USERNAME",
		Short: "Set the password a person signs in to the web console with (ends their sessions)",
		Example: `  gridwarn user set-password leader                 # asks twice, no echo
  printf '%s\n' "$PW" | gridwarn user set-password leader
  gridwarn user set-password gw-01 --generate       # prints a new random password once`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			password, err := readPassword(e, generate)
			if err != nil {
				return err
			}
			db, _, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			u, err := db.UserByName(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if err := db.SetPassword(cmd.Context(), all, u.ID, password); err != nil {
				return err
			}
			if generate {
				fmt.Fprintln(e.stdout, password)
			}
			fmt.Fprintf(e.stderr, "password set for %s (%s); their open sessions have ended\n", u.Username, u.Role)
			return nil
		},
	}
	cmd.Flags().BoolVar(&generate, "generate", false, "generate a random password and print it once")
	return cmd
}

func readPassword(e *env, generate bool) (string, error) {
	if generate {
		b := make([]byte, 12)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		return base64.RawURLEncoding.EncodeToString(b), nil
	}
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "New password: ")
		p1, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(e.stderr, "Again: ")
		p2, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", err
		}
		if string(p1) != string(p2) {
			return "", errors.New("the passwords differ")
		}
		return string(p1), nil
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && (err != io.EOF || line == "") {
		return "", errors.New("no password on standard input (give one line, or use --generate)")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func newUnit(e *env) *cobra.Command {
	var u gridwarn.Unit
	cmd := &cobra.Command{
		Use:   "unit CODE --name-zh NAME [--name-en NAME] [--town-type town|subdistrict|park]",
		Short: "Add or rename a county (6 digits) or a town (9 digits)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u.Code = args[0]
			u.Kind = gridwarn.UnitCounty
			if len(u.Code) == 9 {
				u.Kind, u.ParentCode = gridwarn.UnitTown, u.Code[:6]
				if u.TownType == "" {
					u.TownType = gridwarn.TownTown
				}
			}
			db, _, err := e.openDB(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			got, err := db.PutUnit(cmd.Context(), all, u)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "%s %s %s\n", got.Code, got.Kind, got.NameZH)
			return nil
		},
	}
	cmd.Flags().StringVar(&u.NameZH, "name-zh", "", "Chinese name")
	cmd.Flags().StringVar(&u.NameEN, "name-en", "", "English name")
	cmd.Flags().StringVar((*string)(&u.TownType), "town-type", "", "town, subdistrict or park (towns only)")
	return cmd
}
