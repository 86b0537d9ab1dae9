package events

// ConflictAttempts, ConflictPatience and ConflictMaxAttempts expose the
// conflict policy to the tests.
const (
	ConflictAttempts    = conflictAttempts
	ConflictPatience    = conflictPatience
	ConflictMaxAttempts = conflictMaxAttempts
)
