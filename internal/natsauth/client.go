package natsauth

import (
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"
)

// Client says how a process connects to an external NATS: as which role,
// with which nkey seed, trusting which certificate authority.
type Client struct {
	// Role is the user the process connects as; it fixes the inbox.
	Role Role
	// NkeyFile holds the role's nkey seed (HELPLINE_NATS_NKEY_FILE). It
	// is read when the client signs the server's challenge, never logged.
	NkeyFile string
	// CAFile is the certificate authority of the servers' TLS
	// certificates (HELPLINE_NATS_CA_FILE); empty trusts the system's.
	CAFile string
	// Name names the connection in the server's monitoring.
	Name string
}

// Options are every option of a connection to an external NATS: the
// credential, the role's inbox, TLS, reconnection forever, and the
// structured logger for everything the client reports (LogOptions).
func (c Client) Options(log zerolog.Logger) ([]nats.Option, error) {
	if _, err := grantOf(c.Role); err != nil {
		return nil, err
	}
	opts := append(LogOptions(log), nats.Name(c.Name), nats.CustomInboxPrefix(c.Role.InboxPrefix()),
		nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond))
	if c.NkeyFile != "" {
		s, err := ReadSeed(c.NkeyFile)
		if err != nil {
			return nil, err
		}
		if s.Role != "" && s.Role != c.Role {
			return nil, fmt.Errorf("nkey seed %s is the %q user's; this process connects as %q", c.NkeyFile, s.Role, c.Role)
		}
		nk, err := nats.NkeyOptionFromSeed(c.NkeyFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, nk)
	}
	if c.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.CAFile))
	}
	return opts, nil
}

// Connect connects to url as c and checks that the server admits the
// role's inbox: a seed of another role, or permissions that predate the
// role, fail here and not at the first request.
func (c Client) Connect(url string, log zerolog.Logger, extra ...nats.Option) (*nats.Conn, error) {
	opts, err := c.Options(log)
	if err != nil {
		return nil, err
	}
	nc, err := nats.Connect(url, append(opts, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("connect as %s: %w", c.Role, err)
	}
	if err := CheckInbox(nc, c.Role); err != nil {
		nc.Close()
		return nil, err
	}
	return nc, nil
}

// CheckInbox subscribes to the role's inbox and waits for the server's
// answer: a refusal means the connection is not the role's user.
func CheckInbox(nc *nats.Conn, r Role) error {
	sub, err := nc.SubscribeSync(r.InboxPrefix() + ".check")
	if err != nil {
		return err
	}
	defer sub.Unsubscribe()
	if err := nc.FlushTimeout(10 * time.Second); err != nil {
		return fmt.Errorf("nats: %w", err)
	}
	if err := nc.LastError(); errors.Is(err, nats.ErrPermissionViolation) {
		return fmt.Errorf("the NATS server does not give this connection the %s user's permissions (is the nkey seed the %s user's, and is the server's authorization up to date?): %w", r, r, err)
	}
	return nil
}

// LogOptions send everything a NATS client reports to the structured
// logger: asynchronous errors (a permission refused, a slow consumer,
// which nats.go would otherwise print raw on stderr), disconnections,
// reconnections, the server entering lame duck mode, and the close.
func LogOptions(log zerolog.Logger) []nats.Option {
	log = log.With().Str("component", "nats").Logger()
	return []nats.Option{
		nats.ErrorHandler(func(nc *nats.Conn, sub *nats.Subscription, err error) {
			e := log.Error()
			if errors.Is(err, nats.ErrSlowConsumer) {
				e = log.Warn()
			}
			if sub != nil {
				e = e.Str("subject", sub.Subject)
			}
			e.Err(err).Str("connection", nc.Opts.Name).Msg("nats client error")
		}),
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if err == nil {
				log.Debug().Str("connection", nc.Opts.Name).Msg("nats disconnected")
				return
			}
			log.Warn().Err(err).Str("connection", nc.Opts.Name).Msg("nats disconnected")
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info().Str("connection", nc.Opts.Name).Str("server", nc.ConnectedServerName()).Msg("nats reconnected")
		}),
		nats.LameDuckModeHandler(func(nc *nats.Conn) {
			log.Info().Str("connection", nc.Opts.Name).Str("server", nc.ConnectedServerName()).Msg("nats server entering lame duck mode")
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			if err := nc.LastError(); err != nil {
				log.Warn().Err(err).Str("connection", nc.Opts.Name).Msg("nats connection closed")
			}
		}),
	}
}
