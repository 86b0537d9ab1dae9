package app

import (
	"sync"

	"github.com/alexedwards/argon2id"
)

// passwordParams are argon2id parameters after RFC 9106's second
// recommendation (64 MiB, 3 passes), with 2 lanes for small machines.
var passwordParams = &argon2id.Params{Memory: 64 * 1024, Iterations: 3, Parallelism: 2, SaltLength: 16, KeyLength: 32}

// HashPassword returns the argon2id hash of a password of at least 12
// characters.
func HashPassword(password string) (string, error) {
	if len([]rune(password)) < 12 {
		return "", ErrWeakPassword
	}
	return argon2id.CreateHash(password, passwordParams)
}

// dummyHash is compared against when there is no hash (no such account),
// so a sign-in takes as long for an unknown id as for a wrong password. It
// is made at the first such sign-in, not at start: making it costs 64 MiB
// and a third of a second, which every process importing this package
// (each helpline command) used to pay.
var dummyHash = sync.OnceValue(func() string {
	h, _ := argon2id.CreateHash("not a password of anyone", passwordParams)
	return h
})

// CheckPassword reports whether password matches hash. An empty hash
// never matches, after the same work as a real comparison.
func CheckPassword(hash, password string) bool {
	known := hash != ""
	if !known {
		hash = dummyHash()
	}
	match, err := argon2id.ComparePasswordAndHash(password, hash)
	return err == nil && match && known
}
