package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/helpline-org/helpline/internal/natsauth"
)

const natsUsage = `helpline nats users [--dir DIR] [--rotate ROLE]
       helpline nats tls [--dir DIR] --hosts HOST,HOST,...`

// defaultNATSDir is where docker-compose.yml mounts the credentials from.
const defaultNATSDir = "deploy/secrets/nats"

// cmdNATS runs `helpline nats users` (an nkey seed per role, and the
// servers' authorization block) and `helpline nats tls` (a private
// certificate authority and server certificate for one-host clusters).
// It never prints a seed.
func cmdNATS(_ context.Context, args []string, io stdio, _ lookupFunc) error {
	if len(args) == 0 || (args[0] != "users" && args[0] != "tls") {
		return usageError{"usage: " + natsUsage}
	}
	fs := newFlags("nats "+args[0], io)
	dir := fs.String("dir", defaultNATSDir, "directory of the seeds (secret, 0700) and auth.conf")
	rotate := fs.String("rotate", "", "users: retire this role's seed and make a new one")
	hosts := fs.String("hosts", "", "tls: the servers' host names and addresses, comma-separated")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"usage: " + natsUsage}
	}
	if args[0] == "tls" {
		if *hosts == "" {
			return usageError{"--hosts is needed, e.g. --hosts nats-1,nats-2,nats-3,localhost,127.0.0.1"}
		}
		if err := natsauth.WriteTLS(*dir, strings.Split(*hosts, ","), time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(io.out, "wrote %s (trust it: HELPLINE_NATS_CA_FILE), %s and %s (the servers' certificate and key)\n",
			filepath.Join(*dir, natsauth.TLSCAFile), filepath.Join(*dir, natsauth.TLSCertFile), filepath.Join(*dir, natsauth.TLSKeyFile))
		return nil
	}
	var made []natsauth.Seed
	if *rotate != "" {
		role, err := natsauth.ParseRole(*rotate)
		if err != nil {
			return usageError{"--rotate: " + err.Error()}
		}
		s, err := natsauth.Rotate(*dir, role, time.Now())
		if err != nil {
			return err
		}
		made = append(made, s)
	} else {
		var err error
		if made, err = natsauth.Users(*dir, natsauth.Roles()); err != nil {
			return err
		}
	}
	for _, s := range made {
		fmt.Fprintf(io.out, "new %-12s %s  %s\n", s.Role, s.PublicKey, s.Path)
	}
	fmt.Fprintf(io.out, "wrote %s: the servers' authorization (public keys only); include it in their configuration and reload them\n",
		filepath.Join(*dir, natsauth.AuthFile))
	return nil
}
