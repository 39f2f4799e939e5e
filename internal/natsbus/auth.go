package natsbus

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"github.com/gridwarn/gridwarn/internal/gridwarn"
)

// InternalUser is the user of gridwarn's own (in-process) connection to the
// embedded server when publishers are configured. Its password is random,
// made at every start and never configured or logged.
const InternalUser = "gridwarn-internal"

// InboxSubjects is what a publisher may subscribe to: the reply inboxes on
// which the broker acknowledges its JetStream publishes.
const InboxSubjects = "_INBOX.>"

// CountyPublisher is a reporter that may publish the events of one county
// and nothing else: either User and Password, or NKey.
type CountyPublisher struct {
	User string
	// Password is the plain password or its bcrypt hash ($2a$…, as made by
	// `nats server passwd`).
	Password string
	// NKey is a public user nkey (U…): the reporter signs the server's
	// challenge with the seed, which never leaves its machine.
	NKey string
	// County is the six-digit county code.
	County string
}

// String never shows the password.
func (p CountyPublisher) String() string {
	if p.NKey != "" {
		return fmt.Sprintf("nkey %s (county %s)", p.NKey, p.County)
	}
	return fmt.Sprintf("user %q (county %s)", p.User, p.County)
}

// CountySubjects are the subjects a publisher of county may publish to:
// gridwarn.events.<county> and gridwarn.events.<county>.>.
func CountySubjects(county string) []string {
	s := gridwarn.EventSubjectPrefix + county
	return []string{s, s + ".>"}
}

// CountyAccount is the NATS account of the publishers of county on the
// embedded server.
func CountyAccount(county string) string { return "COUNTY_" + county }

// ValidCounty reports whether county is a six-digit county code.
func ValidCounty(county string) bool {
	if len(county) != 6 {
		return false
	}
	for _, r := range county {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// EmbeddedAuth is the authorization of the embedded server when publishers
// are configured: everybody must authenticate. gridwarn itself connects as
// InternalUser (full permissions, account $G which owns JetStream and the
// streams). Each county's publishers live in an account of their own,
// COUNTY_<code>, which imports only that county's event subjects from $G as
// a service: a publisher can therefore publish only there (its user
// permissions say the same), gets the stream's acknowledgement on its
// _INBOX, and cannot see anything of $G or of other counties — not the
// events, not the JetStream API, not the engine's inboxes.
type EmbeddedAuth struct {
	publishers       []CountyPublisher
	internalPassword string
}

// NewEmbeddedAuth checks the publishers and makes a random password for
// InternalUser. With no publishers it returns nil: no authorization, as
// before (the server listens on loopback only by default).
func NewEmbeddedAuth(publishers []CountyPublisher) (*EmbeddedAuth, error) {
	if len(publishers) == 0 {
		return nil, nil
	}
	var errs []error
	users := make(map[string]bool)
	keys := make(map[string]bool)
	for i, p := range publishers {
		bad := func(format string, args ...any) {
			errs = append(errs, fmt.Errorf("publisher %d: %s", i+1, fmt.Sprintf(format, args...)))
		}
		if !ValidCounty(p.County) {
			bad("county must be six digits, not %q", p.County)
		}
		switch {
		case p.NKey != "" && (p.User != "" || p.Password != ""):
			bad("set either user and password or nkey, not both")
		case p.NKey != "":
			if !nkeys.IsValidPublicUserKey(p.NKey) {
				bad("nkey must be a public user nkey (U…)")
			}
			if keys[p.NKey] {
				bad("nkey %s appears twice", p.NKey)
			}
			keys[p.NKey] = true
		default:
			if p.User == "" || p.Password == "" {
				bad("needs user and password, or nkey")
			}
			if p.User == InternalUser {
				bad("user %q is reserved", InternalUser)
			}
			if p.User != "" && users[p.User] {
				bad("user %q appears twice", p.User)
			}
			users[p.User] = true
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("embedded nats-server publishers: %w", err)
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("internal nats password: %w", err)
	}
	return &EmbeddedAuth{publishers: append([]CountyPublisher(nil), publishers...), internalPassword: base64.RawURLEncoding.EncodeToString(b)}, nil
}

// Internal returns the credentials of gridwarn's own connection. A nil
// EmbeddedAuth (no authorization) returns empty ones.
func (a *EmbeddedAuth) Internal() (user, password string) {
	if a == nil {
		return "", ""
	}
	return InternalUser, a.internalPassword
}

// String never shows a password.
func (a *EmbeddedAuth) String() string {
	if a == nil {
		return "no authorization"
	}
	return fmt.Sprintf("%d county publishers", len(a.publishers))
}

// LogValue never shows a password.
func (a *EmbeddedAuth) LogValue() slog.Value { return slog.StringValue(a.String()) }

// Permissions are a county publisher's: publish on the county's subjects,
// subscribe to reply inboxes only.
func Permissions(county string) *server.Permissions {
	return &server.Permissions{
		Publish:   &server.SubjectPermission{Allow: CountySubjects(county)},
		Subscribe: &server.SubjectPermission{Allow: []string{InboxSubjects}},
	}
}

// apply sets accounts, users and nkeys on the server options.
func (a *EmbeddedAuth) apply(opts *server.Options) error {
	gacc := server.NewAccount(server.DEFAULT_GLOBAL_ACCOUNT)
	accounts := []*server.Account{gacc}
	byCounty := make(map[string]*server.Account)
	users := []*server.User{{Username: InternalUser, Password: a.internalPassword, Account: gacc}}
	var nks []*server.NkeyUser
	for _, p := range a.publishers {
		acc := byCounty[p.County]
		if acc == nil {
			acc = server.NewAccount(CountyAccount(p.County))
			for _, subj := range CountySubjects(p.County) {
				if err := gacc.AddServiceExport(subj, []*server.Account{acc}); err != nil {
					return fmt.Errorf("export %s: %w", subj, err)
				}
				if err := acc.AddServiceImport(gacc, subj, subj); err != nil {
					return fmt.Errorf("import %s into %s: %w", subj, acc.Name, err)
				}
			}
			byCounty[p.County] = acc
			accounts = append(accounts, acc)
		}
		if p.NKey != "" {
			nks = append(nks, &server.NkeyUser{Nkey: p.NKey, Account: acc, Permissions: Permissions(p.County)})
		} else {
			users = append(users, &server.User{Username: p.User, Password: p.Password, Account: acc, Permissions: Permissions(p.County)})
		}
	}
	opts.Accounts = accounts
	opts.Users = users
	opts.Nkeys = nks
	return nil
}

// enableJetStream turns JetStream on for the global account $G once the
// server runs. Without other accounts nats-server does so by itself; with
// the county accounts only configured accounts get JetStream, and $G cannot
// be configured. Keeping the streams in $G means that turning authorization
// on or off keeps the store (<store_dir>/jetstream/$G).
func (a *EmbeddedAuth) enableJetStream(s *server.Server) error {
	if err := s.GlobalAccount().EnableJetStream(nil, nil); err != nil {
		return fmt.Errorf("embedded nats-server: jetstream for account %s: %w", server.DEFAULT_GLOBAL_ACCOUNT, err)
	}
	return nil
}
