package consume

import (
	"context"

	"github.com/helpline-org/helpline/events"
)

// ConversationsFollower names the process's one follower of the
// conversation events (FollowConversations).
const ConversationsFollower = "conversations"

// FollowConversations is the Local handler that keeps convs' cache current
// from the log, starting from its end: one per process, whatever services
// it holds, which share convs. A service deciding through convs then
// decides on a returning conversation without reading the log (the
// append's expected sequence proves the state current), and a handler
// reads the conversation of the event it was handed from memory
// (Conversation).
func FollowConversations(convs *events.Conversations) Local {
	return Local{Name: ConversationsFollower, Filter: events.AggregateSubjects(events.AggregateConversation),
		Handler: func(_ context.Context, e events.Envelope) error { convs.Observe(e); return nil },
		From:    convs.FollowedTo, New: true,
		// Most events are of conversations the cache does not follow, or
		// ones this process appended and the cache holds already.
		Skip: convs.ObserveHeld}
}

// triedKey marks a message whose handler was called once already.
const triedKey = "helpline_tried"

// redeliveredKey marks the context of a handler called with an event
// delivered before.
type redeliveredKey struct{}

// Redelivered reports whether the handler whose context this is was handed
// its event before: a redelivery (to this process or another replica), or
// a retry in process after a failure.
func Redelivered(ctx context.Context) bool {
	r, _ := ctx.Value(redeliveredKey{}).(bool)
	return r
}

// Conversation returns the conversation of event e as its handler reads it:
// at least as new as e, from the process's followed cache when that holds e
// (events.Conversations.At), without reading the log. A handler handed its
// event before reads the log: an earlier handling (here or on a replica
// that died) may have recorded effects, a send say, that the follower has
// not handed over yet, and a handler checks for them to act once.
func Conversation(ctx context.Context, convs *events.Conversations, e events.Envelope) (*events.Conversation, error) {
	return ConversationAt(ctx, convs, e.AggregateID, e.Sequence)
}

// ConversationAt is Conversation for conversation id at least as new as
// stream sequence seq: an event's, or the last the handler appended.
func ConversationAt(ctx context.Context, convs *events.Conversations, id string, seq uint64) (*events.Conversation, error) {
	if Redelivered(ctx) {
		return convs.Load(ctx, id)
	}
	return convs.At(ctx, id, seq)
}
