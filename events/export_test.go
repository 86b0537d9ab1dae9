package events

// ConflictAttempts exposes the conflict policy's bound to the tests.
const ConflictAttempts = conflictAttempts
