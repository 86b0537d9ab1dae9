package events

import "context"

// Loader reads one aggregate's history.
type Loader interface {
	Load(ctx context.Context, aggregateType, aggregateID string) ([]Envelope, uint64, error)
}

// LoadConversation folds a conversation from the log. It also returns the
// history, for callers that look for an event by id (a record already
// made). A conversation with no events comes back empty, not as an error:
// check Started.
func LoadConversation(ctx context.Context, l Loader, id string) (*Conversation, []Envelope, error) {
	history, _, err := l.Load(ctx, AggregateConversation, id)
	if err != nil {
		return nil, nil, err
	}
	c := NewConversation(id)
	for _, e := range history {
		if err := c.Apply(e); err != nil {
			return nil, nil, err
		}
	}
	return c, history, nil
}

// LoadClient folds a client from the log.
func LoadClient(ctx context.Context, l Loader, id string) (*Client, error) {
	history, _, err := l.Load(ctx, AggregateClient, id)
	if err != nil {
		return nil, err
	}
	c := NewClient(id)
	for _, e := range history {
		if err := c.Apply(e); err != nil {
			return nil, err
		}
	}
	return c, nil
}
