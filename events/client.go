package events

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Client is the state of one client, folded from its events: what the SMS
// bridge needs to decide whether and where it may send. Like Conversation,
// Apply only changes state; command methods validate, then record events
// that the Clients repository appends with Version as the expected
// sequence.
type Client struct {
	ID        string
	LineID    string
	Pseudonym string
	Channel   string
	// Contact is the client's number, sealed with its own key.
	Contact    Sealed
	Registered bool
	OptedOut   bool
	OptedOutAt time.Time
	Erased     bool
	// Flags are every flag staff put on the client, current or not.
	Flags []ClientFlag

	recording
}

// ClientFlag is one flag on a client: current until Until.
type ClientFlag struct {
	ID, Kind, ByStaffID string
	Until               time.Time
}

// Current reports whether the flag still holds at now.
func (f ClientFlag) Current(now time.Time) bool { return now.Before(f.Until) }

// NewClient returns an empty client with the given id.
func NewClient(id string) *Client { return &Client{ID: id} }

// Apply folds one stored event into the state.
func (c *Client) Apply(e Envelope) error { return c.applyStored(e, c.apply) }

func (c *Client) apply(p Payload, e Envelope) {
	switch p := p.(type) {
	case ClientRegistered:
		c.Registered, c.LineID, c.Pseudonym, c.Channel, c.Contact = true, p.LineID, p.Pseudonym, p.Channel, p.Contact
	case ConsentChanged:
		// STOP opts out until START; HELP changes nothing.
		switch p.Consent {
		case ConsentOptedOut:
			c.OptedOut, c.OptedOutAt = true, e.OccurredAt
		case ConsentOptedIn:
			c.OptedOut = false
		}
	case ClientErased:
		c.Erased = true
	case ClientFlagged:
		c.Flags = append(c.Flags, ClientFlag{ID: p.FlagID, Kind: p.Kind, ByStaffID: p.ByStaffID, Until: p.Until})
	}
}

func (c *Client) recordWithID(id string, p Payload, m Meta) error {
	return c.recording.record(id, c.ID, p, m, c.apply)
}

// Register records a new client of a line: its pseudonym and its contact,
// sealed with its own key (empty for web chat). A client registers once:
// registering again records nothing.
func (c *Client) Register(lineID, pseudonym, channel string, contact Sealed, m Meta) error {
	if c.Registered {
		return nil
	}
	if contact.Data == nil {
		// The schema wants a string: a web-chat client has no number.
		contact.Data = []byte{}
	}
	return c.recordWithID("reg-"+c.ID, ClientRegistered{LineID: lineID, Pseudonym: pseudonym, Channel: channel, Contact: contact}, m)
}

// ErrUnknownConsent is a consent change the catalogue does not know.
var ErrUnknownConsent = errors.New("unknown consent change")

// ChangeConsent records a consent keyword (STOP, START, HELP...) the
// client sent in message messageID, once per message: the keyword as the
// client typed it, sealed with the client's key (KeywordAAD of messageID).
func (c *Client) ChangeConsent(consent string, keyword Sealed, messageID string, m Meta) error {
	switch consent {
	case ConsentOptedOut, ConsentOptedIn, ConsentHelpRequested:
	default:
		return fmt.Errorf("%w: %q", ErrUnknownConsent, consent)
	}
	return c.recordWithID("consent-"+messageID, ConsentChanged{LineID: c.LineID, Consent: consent, Keyword: keyword.Words(), MessageID: messageID}, m)
}

// Erase records that the client's data key was destroyed: every sealed
// field of theirs is unreadable from now on. Erasing again records
// nothing.
func (c *Client) Erase(byStaffID, reason string, m Meta) error {
	if c.Erased {
		return nil
	}
	return c.recordWithID("erased-"+c.ID, ClientErased{ByStaffID: byStaffID, Reason: reason}, m)
}

// Errors of Flag callers act on.
var (
	// ErrBadFlag is a flag the rules refuse: unknown kind, no reason, an
	// end date not in the future or too far ahead.
	ErrBadFlag = errors.New("bad client flag")
	// ErrFlagEnded and ErrFlagTooLong are the ErrBadFlag of a flag's end
	// not in the future, and further ahead than MaxFlagDuration
	// (CheckFlagUntil).
	ErrFlagEnded   = fmt.Errorf("%w: the end date must be in the future", ErrBadFlag)
	ErrFlagTooLong = fmt.Errorf("%w: a flag lasts at most a year", ErrBadFlag)
	// ErrNoClient is a command on a client that was never registered, or
	// is erased.
	ErrNoClient = errors.New("no such client")
)

// MaxFlagDuration is the longest a flag may last: flags expire, and a
// concern that lasts is flagged again, by someone who looked again.
const MaxFlagDuration = 366 * 24 * time.Hour

// CheckFlagUntil checks the end of a flag set at now: in the future
// (else ErrFlagEnded) and at most MaxFlagDuration ahead (else
// ErrFlagTooLong). Flag checks it; a port asking for the end checks it
// first, to say what is wrong in its own words.
func CheckFlagUntil(until, now time.Time) error {
	switch {
	case !until.After(now):
		return ErrFlagEnded
	case until.Sub(now) > MaxFlagDuration:
		return ErrFlagTooLong
	}
	return nil
}

// Flag records a staff member's flag on the client, with a reason sealed
// with the client's key (FlagReasonAAD(flagID)), until an end date. The
// same flag id records once. A flag never reaches triage or paging: it is
// for the staff who answer.
func (c *Client) Flag(flagID, kind string, reason Sealed, until time.Time, byStaffID string, m Meta) error {
	switch {
	case !c.Registered || c.Erased:
		return ErrNoClient
	case ValidateID(flagID) != nil:
		return fmt.Errorf("%w: flag id", ErrBadFlag)
	case !slices.Contains(FlagKinds, kind):
		return fmt.Errorf("%w: kind %q: want one of %v", ErrBadFlag, kind, FlagKinds)
	case len(reason.Data) == 0 || reason.KeyID != c.ID:
		return fmt.Errorf("%w: a reason is required", ErrBadFlag)
	}
	if err := CheckFlagUntil(until, m.OccurredAt); err != nil {
		return err
	}
	for _, f := range c.Flags {
		if f.ID == flagID {
			return nil
		}
	}
	return c.recordWithID("flag-"+flagID, ClientFlagged{FlagID: flagID, LineID: c.LineID, Kind: kind, Reason: reason,
		Until: until.UTC(), ByStaffID: byStaffID}, m)
}

// CurrentFlags are the client's flags that hold at now.
func (c *Client) CurrentFlags(now time.Time) []ClientFlag {
	var out []ClientFlag
	for _, f := range c.Flags {
		if f.Current(now) {
			out = append(out, f)
		}
	}
	return out
}
