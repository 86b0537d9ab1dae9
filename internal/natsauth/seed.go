package natsauth

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nkeys"
)

// SeedExt ends every seed file's name: DIR/<role>.nk is the role's current
// key; a rotated one is kept as DIR/<role>.retired-<time>.nk until its
// services have moved to the new one.
const SeedExt = ".nk"

// AuthFile is the server configuration's authorization block, rendered
// next to the seeds (public keys only).
const AuthFile = "auth.conf"

// header is the seed file's first line: it names the role, so a service
// given another role's seed says so at start instead of failing later.
var header = regexp.MustCompile(`^# helpline NATS user: ([a-z]+)`)

// Seed is a role's nkey: its public key and, when read from a file, where.
type Seed struct {
	Role      Role
	PublicKey string
	Path      string
}

// User is the seed's server-side user.
func (s Seed) User() User { return User{Role: s.Role, PublicKey: s.PublicKey} }

// CreateSeed writes a new nkey seed for role to path (mode 0600, the
// directory 0700), refusing to replace an existing file.
func CreateSeed(path string, role Role) (Seed, error) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		return Seed{}, fmt.Errorf("nkey: %w", err)
	}
	defer kp.Wipe()
	seed, err := kp.Seed()
	if err != nil {
		return Seed{}, err
	}
	pub, err := kp.PublicKey()
	if err != nil {
		return Seed{}, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# helpline NATS user: %s (public key %s)\n", role, pub)
	b.WriteString("# An nkey seed: keep it secret. Mount it where HELPLINE_NATS_NKEY_FILE points.\n")
	b.Write(seed)
	b.WriteByte('\n')
	clear(seed)
	defer clear(b.Bytes())
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return Seed{}, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Seed{}, fmt.Errorf("write nkey seed: %w", err)
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		os.Remove(path)
		return Seed{}, fmt.Errorf("write nkey seed %s: %w", path, err)
	}
	if err := errors.Join(f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return Seed{}, fmt.Errorf("write nkey seed %s: %w", path, err)
	}
	return Seed{Role: role, PublicKey: pub, Path: path}, nil
}

// ReadSeed reads the public key of the seed in path and the role its
// header names ("" for a seed made by another tool, e.g. `nk -gen user`).
// The seed itself is not kept.
func ReadSeed(path string) (Seed, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Seed{}, fmt.Errorf("nkey seed: %w", err)
	}
	defer clear(data)
	kp, err := nkeys.ParseDecoratedUserNKey(data)
	if err != nil {
		return Seed{}, fmt.Errorf("nkey seed %s: %w", path, err)
	}
	defer kp.Wipe()
	pub, err := kp.PublicKey()
	if err != nil {
		return Seed{}, fmt.Errorf("nkey seed %s: %w", path, err)
	}
	s := Seed{PublicKey: pub, Path: path}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	if m := header.FindSubmatch(first); m != nil {
		if s.Role, err = ParseRole(string(m[1])); err != nil {
			return Seed{}, fmt.Errorf("nkey seed %s: %w", path, err)
		}
	}
	return s, nil
}

// LoadOrCreateSeed reads the role's seed in path, creating it first if
// there is none.
func LoadOrCreateSeed(path string, role Role) (s Seed, created bool, err error) {
	s, err = ReadSeed(path)
	if errors.Is(err, fs.ErrNotExist) {
		s, err = CreateSeed(path, role)
		return s, err == nil, err
	}
	if err == nil && s.Role != role {
		err = fmt.Errorf("nkey seed %s is the %q user's, not %q's", path, s.Role, role)
	}
	return s, false, err
}

// Users is what `helpline nats users` keeps in dir: a seed for each role
// that has none yet (the existing ones are kept), and auth.conf rendered
// from every seed there, retired ones included. It returns the seeds
// created.
func Users(dir string, roles []Role) ([]Seed, error) {
	var created []Seed
	for _, r := range roles {
		s, made, err := LoadOrCreateSeed(filepath.Join(dir, string(r)+SeedExt), r)
		if err != nil {
			return nil, err
		}
		if made {
			created = append(created, s)
		}
	}
	return created, writeAuthorization(dir)
}

// Rotate retires the role's current seed in dir (renamed
// <role>.retired-<time>.nk, still admitted), creates a new one and renders
// auth.conf with both. Once every service of the role runs with the new
// seed, delete the retired file and run Users again.
func Rotate(dir string, role Role, now time.Time) (Seed, error) {
	cur := filepath.Join(dir, string(role)+SeedExt)
	if _, err := ReadSeed(cur); err != nil {
		return Seed{}, err
	}
	retired := filepath.Join(dir, string(role)+".retired-"+now.UTC().Format("20060102T150405Z")+SeedExt)
	if err := os.Rename(cur, retired); err != nil {
		return Seed{}, fmt.Errorf("retire nkey seed: %w", err)
	}
	s, err := CreateSeed(cur, role)
	if err != nil {
		return Seed{}, err
	}
	return s, writeAuthorization(dir)
}

// SeedsIn reads every seed in dir, sorted by role then file name. Each must
// name its role.
func SeedsIn(dir string) ([]Seed, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*"+SeedExt))
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	var out []Seed
	for _, p := range paths {
		s, err := ReadSeed(p)
		if err != nil {
			return nil, err
		}
		if s.Role == "" {
			return nil, fmt.Errorf("nkey seed %s names no role (its first line must be '# helpline NATS user: <role>')", p)
		}
		out = append(out, s)
	}
	slices.SortStableFunc(out, func(a, b Seed) int { return strings.Compare(string(a.Role), string(b.Role)) })
	return out, nil
}

// writeAuthorization renders dir/auth.conf from the seeds in dir.
func writeAuthorization(dir string) error {
	seeds, err := SeedsIn(dir)
	if err != nil {
		return err
	}
	users := make([]User, 0, len(seeds))
	for _, s := range seeds {
		users = append(users, s.User())
	}
	conf, err := RenderAuthorization(users)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+AuthFile+".tmp")
	if err := os.WriteFile(tmp, []byte(conf), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, AuthFile))
}
