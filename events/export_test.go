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
