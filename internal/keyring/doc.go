// Package keyring owns the keys that protect clients' content: the master
// key, one data key per client, and the pseudonyms that stand for clients in
// the event log.
//
// Message bodies and contact details are sealed with the client's data key
// (AES-256-GCM) before they are appended to the log. Data keys live in a
// JetStream key-value bucket, wrapped (AES-256-GCM) under a key-encryption
// key derived from the master key with HKDF-SHA256; the master key lives in
// a file outside NATS. Erasing a client destroys their data key
// (crypto-shredding): the log stays append-only and what was sealed for them
// can no longer be read by anyone.
//
// # What erasure guarantees, and where its windows are
//
//   - The Keyring that runs Erase refuses the client (ErrErased) as soon as
//     Erase returns, even to reads of the bucket that were in flight while
//     it ran.
//   - Other Keyrings on the bucket refuse the client once their watcher
//     delivers the tombstone: normally a few milliseconds. Until then a key
//     they had cached still seals and opens. If a watcher is disconnected,
//     that window lasts until it reconnects (the watcher resumes and
//     delivers the tombstone) and at most Config.CacheTTL; if the watcher
//     ends for good, the Keyring stops caching.
//   - On disk, Erase replaces the wrapped key by a tombstone, then has the
//     server overwrite the old message with random bytes. Copies it cannot
//     reach: the Raft log of a replicated
//     bucket (until the Raft log is compacted), backups of the data
//     directory, and the freed blocks of the file system or SSD below. Every
//     such copy is wrapped, so it is useless without the master key; see
//     the rotation notes in rewrap.go for retiring a master key.
//   - Process memory: Go cannot reliably wipe keys from memory. Evicted key
//     bytes are cleared, the AES key schedules are left to the collector.
//
// # Erasure is permanent for a client id
//
// An erased client's entry holds a tombstone, so DataKey and Seal never
// create a new key for them: a key can only be created where nothing was
// ever written. A person who was erased and contacts the line again becomes
// a new client with a new id (Keyring.ActiveClientID).
//
// If the bucket itself is lost, every key is gone: Open says ErrNoKey and the
// whole log is unreadable. Back it up with the master key kept separately.
package keyring
