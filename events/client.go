package events

import "time"

// Client is the state of one client, folded from its events: what the SMS
// bridge needs to decide whether and where it may send.
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
	Version    uint64
}

// NewClient returns an empty client with the given id.
func NewClient(id string) *Client { return &Client{ID: id} }

// Apply folds one stored event into the state.
func (c *Client) Apply(e Envelope) error {
	p, err := e.Decode()
	if err != nil {
		return err
	}
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
	if e.Sequence > c.Version {
		c.Version = e.Sequence
	}
	return nil
}
