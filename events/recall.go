package events

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
)

// A folded conversation keeps by id only its latest messages (Messages)
// and their verdicts, so that what a process holds of a conversation
// (the ConversationCache's entries above all) does not grow with it: the
// decisions on a message sent again, redelivered or marked long after
// read its id, and a conversation of thousands of messages would keep
// them all. Older ids leave Messages, and their verdicts with them,
// keptMessages at a time; each leaves a 32-bit hash behind (forgotten).
// A command asked about an id it does not hold then knows whether the
// id may be one it forgot: when its hash is among the forgotten, the
// command fails with ErrForgotten, and the repository decides again on
// the conversation folded from its whole history with nothing forgotten
// (Conversations.LoadWhole), which is exact. A hash shared by chance
// with a forgotten id (about one new message in 2^32/n, n the ids
// forgotten) costs that read, never a wrong decision.

// keptMessages is how many of its latest messages' ids a folded
// conversation keeps at least; it holds up to twice as many, and forgets
// the oldest down to keptMessages when it would hold more. A webhook's
// retries, triage's redeliveries and a page's notices all come within
// a few messages of the one they are about.
const keptMessages = 64

// ErrForgotten means a command was asked about a message a folded
// conversation no longer holds by id (recall.go): decide on the whole
// history. The repository does; nobody else sees it.
var ErrForgotten = errors.New("message forgotten by the folded conversation")

// forgottenError names the message.
func forgottenError(c *Conversation, messageID string) error {
	return fmt.Errorf("conversation %s, message %s: %w", c.ID, messageID, ErrForgotten)
}

// idHash is the 32-bit hash a forgotten id leaves.
func idHash(id string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id)) // never fails
	return h.Sum32()
}

// mayHaveForgotten reports whether messageID, not in Messages, may be a
// message the conversation received and forgot (false: it never saw it).
func (c *Conversation) mayHaveForgotten(messageID string) bool {
	if len(c.forgotten) == 0 {
		return false
	}
	_, found := slices.BinarySearch(c.forgotten, idHash(messageID))
	return found
}

// recall fails with ErrForgotten when messageID is neither in Messages
// nor surely new: the caller's decision needs the whole history.
func (c *Conversation) recall(messageID string) error {
	if _, ok := c.Messages[messageID]; ok || !c.mayHaveForgotten(messageID) {
		return nil
	}
	return forgottenError(c, messageID)
}

// Seen reports whether message messageID was received (or answered a
// survey), for a decision made before Receive's: ErrForgotten when the
// folded conversation cannot tell (return it from the decision, and the
// repository decides again on the whole history).
func (c *Conversation) Seen(messageID string) (bool, error) {
	if err := c.recall(messageID); err != nil {
		return false, err
	}
	_, ok := c.Messages[messageID]
	return ok, nil
}

// Forgets reports whether the conversation has forgotten any message's
// id: only then does a reader that needs every id (the ingestion index's
// record of a conversation's messages) read the whole history.
func (c *Conversation) Forgets() bool { return len(c.forgotten) > 0 }

// noteMessage records message id at stream sequence seq (0 while recorded
// and not yet appended), and forgets the oldest ids once Messages holds
// twice keptMessages.
func (c *Conversation) noteMessage(id string, seq uint64) {
	if _, seen := c.Messages[id]; !seen {
		c.MessagesSeen++
	}
	c.Messages[id] = seq
	if !c.whole && len(c.Messages) > 2*keptMessages {
		c.forget()
	}
}

// forget drops the oldest ids from Messages (by stream sequence; one not
// appended yet is never dropped) down to keptMessages, with their
// verdicts, and keeps a hash of each. A message an urgent notice is about
// is kept, id and verdict: a notice's safety net reads them (Heeded,
// EscalateUnheeded) outside the repository, on a followed copy.
func (c *Conversation) forget() {
	noticed := make(map[string]bool, len(c.UrgentNotices))
	for _, n := range c.UrgentNotices {
		noticed[n.MessageID] = true
	}
	type kept struct {
		id  string
		seq uint64
	}
	var old []kept
	for id, seq := range c.Messages {
		if seq != 0 && !noticed[id] {
			old = append(old, kept{id, seq})
		}
	}
	if len(old) <= keptMessages {
		return
	}
	slices.SortFunc(old, func(a, b kept) int { return cmp.Compare(a.seq, b.seq) })
	old = old[:len(old)-keptMessages]
	hashes := make([]uint32, 0, len(c.forgotten)+len(old))
	hashes = append(hashes, c.forgotten...) // a new slice: clones share the old one
	for _, m := range old {
		delete(c.Messages, m.id)
		hashes = append(hashes, idHash(m.id))
	}
	// Verdicts go with their messages, and any verdict recorded after its
	// message was forgotten (triage far behind) goes now, leaving its hash
	// too.
	for id := range c.verdicts {
		if _, ok := c.Messages[id]; !ok && !noticed[id] {
			delete(c.verdicts, id)
			delete(c.verdictTerms, id)
			hashes = append(hashes, idHash(id))
		}
	}
	slices.Sort(hashes)
	c.forgotten = slices.Compact(hashes)
}
