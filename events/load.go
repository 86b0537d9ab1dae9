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
	return fold(ctx, l, AggregateConversation, id, NewConversation)
}

// LoadConversationWhole folds a conversation from the log forgetting
// nothing (recall.go): every message's id and verdict, however many, for
// a decision about a message a folded conversation forgot
// (ErrForgotten), or a reader that needs every id. Not for caching.
func LoadConversationWhole(ctx context.Context, l Loader, id string) (*Conversation, error) {
	c, _, err := fold(ctx, l, AggregateConversation, id, newWholeConversation)
	return c, err
}

// LoadClient folds a client from the log.
func LoadClient(ctx context.Context, l Loader, id string) (*Client, error) {
	c, _, err := fold(ctx, l, AggregateClient, id, NewClient)
	return c, err
}

// LoadWorkerHistory folds a staff account from the log, and returns its
// history too (who changed what, when).
func LoadWorkerHistory(ctx context.Context, l Loader, id string) (*Worker, []Envelope, error) {
	return fold(ctx, l, AggregateWorker, id, NewWorker)
}

// LoadWorker folds a staff account from the log.
func LoadWorker(ctx context.Context, l Loader, id string) (*Worker, error) {
	w, _, err := fold(ctx, l, AggregateWorker, id, NewWorker)
	return w, err
}
