package events

// ConflictAttempts, ConflictPatience and ConflictMaxAttempts expose the
// conflict policy to the tests.
const (
	ConflictAttempts    = conflictAttempts
	ConflictPatience    = conflictPatience
	ConflictMaxAttempts = conflictMaxAttempts
)

// KeptMessages exposes how many message ids a folded conversation keeps
// at least (recall.go).
const KeptMessages = keptMessages

// HoldGroupCommit holds g's queue: appends wait until release, so that a
// test makes one round of them. waiting is how many wait.
func HoldGroupCommit(g *GroupCommit) (waiting func() int, release func()) {
	g.mu.Lock()
	g.held = true
	g.mu.Unlock()
	waiting = func() int {
		g.mu.Lock()
		defer g.mu.Unlock()
		return len(g.queue)
	}
	return waiting, func() {
		g.mu.Lock()
		g.held = false
		g.dispatch()
		g.mu.Unlock()
	}
}
