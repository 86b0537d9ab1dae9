// Command cluster brings up Helpline's distributed shape as processes on
// loopback (three nats-server nodes, each service as its own process, two
// ingestion replicas) with a Twilio-compatible fake, prints where
// everything listens, and keeps it up until interrupted. deploy/local-cluster
// runs it with a throwaway PostgreSQL.
//
//	HELPLINE_TEST_DATABASE_URL=postgres://... go run ./loadtest/cmd/cluster [-dir DIR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/rs/zerolog"

	"github.com/helpline-org/helpline/internal/natsauth"
	"github.com/helpline-org/helpline/internal/twiliofake"
	"github.com/helpline-org/helpline/loadtest"
	"github.com/helpline-org/helpline/loadtest/cluster"
)

func main() { os.Exit(loadtest.Main("cluster", run)) }

func run(ctx context.Context) error {
	dir := flag.String("dir", "", "directory for the nodes' storage and the logs (default: a new temporary one)")
	db := flag.String("db", os.Getenv("HELPLINE_TEST_DATABASE_URL"), "PostgreSQL URL of an empty database for the projector")
	ingestion := flag.Int("ingestion", 2, "ingestion replicas")
	notification := flag.Int("notification", 1, "notification replicas")
	fakeAddr := flag.String("twilio", "127.0.0.1:0", "where the Twilio-compatible fake listens")
	flag.Parse()
	if *db == "" {
		return errors.New("no database: pass -db or set HELPLINE_TEST_DATABASE_URL (deploy/local-cluster starts one)")
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "helpline-cluster")
		if err != nil {
			return err
		}
		*dir = d
	}
	bin, err := cluster.Build(ctx, *dir)
	if err != nil {
		return err
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr}).With().Timestamp().Logger()
	fake := twiliofake.New(twiliofake.Config{AuthToken: "localcluster0123456789"}, log)
	defer fake.Close()
	l, err := net.Listen("tcp", *fakeAddr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fake}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	c, err := cluster.Start(ctx, cluster.Config{Dir: *dir, Bin: bin, DatabaseURL: *db, TwilioAPIURL: "http://" + l.Addr().String(),
		TwilioAccountSID: fake.AccountSID(), TwilioAuthToken: fake.AuthToken(),
		Replicas: map[string]int{"ingestion": *ingestion, "notification": *notification}})
	if err != nil {
		return fmt.Errorf("%w (logs in %s)", err, *dir)
	}
	defer c.Stop()
	fmt.Printf("helpline cluster up; logs and storage in %s\n", *dir)
	fmt.Printf("  HELPLINE_NATS_URL=%s\n", c.NATSURL())
	fmt.Printf("  HELPLINE_NATS_CA_FILE=%s HELPLINE_NATS_NKEY_FILE=%s (admin; the other roles' seeds beside it)\n", c.CAFile(), c.NkeyFile(natsauth.Admin))
	fmt.Printf("  Twilio fake       http://%s (account %s, token %s)\n", l.Addr(), fake.AccountSID(), fake.AuthToken())
	fmt.Printf("  public URL        %s (webhooks are signed for it; post them to any ingestion replica)\n", cluster.PublicURL)
	for _, p := range append(append([]*cluster.Proc(nil), c.NATS...), c.Services...) {
		fmt.Printf("  %-16s http://%s  pid %d\n", p.Name, p.HTTPAddr, p.PID())
	}
	fmt.Println("Ctrl-C stops it.")
	<-ctx.Done()
	return nil
}
