package events

import (
	"errors"
	"fmt"
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

	recording
}

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
// client sent in message messageID, once per message.
func (c *Client) ChangeConsent(consent, keyword, messageID string, m Meta) error {
	switch consent {
	case ConsentOptedOut, ConsentOptedIn, ConsentHelpRequested:
	default:
		return fmt.Errorf("%w: %q", ErrUnknownConsent, consent)
	}
	return c.recordWithID("consent-"+messageID, ConsentChanged{LineID: c.LineID, Consent: consent, Keyword: keyword, MessageID: messageID}, m)
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
