package events

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/helpline-org/helpline/internal/transient"
)

// GroupCommit is an Appender that commits the appends of concurrent
// callers (handlers of many conversations at once) together, as one
// JetStream atomic batch, and returns to each caller only when its own
// events are durable: the batch's one answer comes after the server
// stored every message of it and, with fsync on every write, after its one
// fsync (nats-server 2.15.2, stream.processJetStreamAtomicBatchMsg: on one
// node the batch is written with the store's per-write sync switched off
// and answered after FlushAllPending syncs it; on a cluster it is one
// multi-entry Raft proposal). A caller who acknowledges its input after
// Append returns therefore acknowledges nothing that is not durable.
//
// Why a batch and not asynchronous publishing: with fsync on every write,
// the server stores and syncs each published message by itself
// (fileStore.writeMsgRecord flushes in place, msgBlock.flushPendingMsgsLocked
// syncs), however many arrive together, and the parallel handlers already
// keep many synchronous publishes in flight; only an atomic batch shares
// one fsync between messages. It has a fixed cost (on one node the server
// stages it in a file store of its own, made and removed for each batch),
// measured at about ten single appends: so up to MinBatch appends at once
// go on their own through the Store, as without a GroupCommit, and only
// the callers beyond those wait for one another, MinBatch or more of them
// then sharing one batch.
//
// Conditions stay per caller: each append's first event carries its own
// expected sequence, and events of one append follow each other in the
// batch. An atomic batch is all or nothing, so when the server refuses it
// (a conflict, a duplicate id, a stream without atomic publishing, no
// answer) every append of it is made again on its own through
// Store.Append, which gives each caller its own answer: a conflict reaches
// only its caller, who retries through the repository's one policy; a
// batch that did land makes each of those a duplicate (the message id,
// or the store's search after a conflict), never a second event.
type GroupCommit struct {
	store *Store
	cfg   GroupCommitConfig

	mu         sync.Mutex
	queue      []*groupAppend
	singles    int  // appends in flight on their own
	committing bool // a batch is in flight
	held       bool // tests: nothing leaves the queue
	// noAtomic is set once the stream refused an atomic batch because it
	// does not allow them: from then on every append goes on its own.
	noAtomic atomic.Bool
	batches  atomic.Uint64 // atomic batches committed
	batched  atomic.Uint64 // appends committed in them
	single   atomic.Uint64 // appends made on their own
}

var _ Appender = (*GroupCommit)(nil)

// GroupCommitConfig configures a GroupCommit.
type GroupCommitConfig struct {
	// MinBatch is both how many appends go on their own at once and how
	// many must be waiting beyond those for them to go as one atomic
	// batch. Default 16: on one fsync-always node a batch cost about as
	// much as ten single appends (loadtest/README.md, group commit), and a
	// few callers at once lose nothing to waiting for each other.
	MinBatch int
	// MaxBatch is the most messages one batch holds (the server's limit is
	// 1,000 by default). Default 256.
	MaxBatch int
}

func (c *GroupCommitConfig) setDefaults() {
	c.MinBatch = max(cmp.Or(c.MinBatch, 16), 2)
	c.MaxBatch = max(cmp.Or(c.MaxBatch, 256), c.MinBatch)
}

// NewGroupCommit returns a GroupCommit appending to s's domain events
// stream.
func NewGroupCommit(s *Store, cfg GroupCommitConfig) *GroupCommit {
	cfg.setDefaults()
	return &GroupCommit{store: s, cfg: cfg}
}

// groupAppend is one caller's append, waiting for its answer.
type groupAppend struct {
	ctx    context.Context
	expect Expect
	envs   []Envelope
	msgs   []*nats.Msg
	acks   []Appended
	err    error
	done   chan struct{}
}

func (a *groupAppend) finish(acks []Appended, err error) {
	a.acks, a.err = acks, err
	close(a.done)
}

// Append is Store.Append, committed with the appends of other callers
// waiting at the same time.
func (g *GroupCommit) Append(ctx context.Context, expect Expect, envs ...Envelope) ([]Appended, error) {
	msgs := make([]*nats.Msg, len(envs))
	for i, e := range envs {
		m, err := Marshal(e)
		if err != nil || e.Subject() != envs[0].Subject() {
			return g.store.Append(ctx, expect, envs...) // the store's own answer to what it refuses
		}
		msgs[i] = m
	}
	if len(envs) == 0 {
		return g.store.Append(ctx, expect)
	}
	a := &groupAppend{ctx: ctx, expect: expect, envs: envs, msgs: msgs, done: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, a)
	g.dispatch()
	g.mu.Unlock()
	select {
	case <-a.done:
		return a.acks, a.err
	case <-ctx.Done():
		// Like a publish whose answer did not come: the events may still
		// be appended; a retry with the same ids is safe.
		return nil, fmt.Errorf("append %s to %s: %w", envs[0].Type, envs[0].Subject(), transient.Classify(ctx.Err()))
	}
}

// dispatch sends what waits: as one atomic batch when at least MinBatch
// appends wait and no batch is in flight, and otherwise each on its own
// while fewer than MinBatch are. So a few callers at once go straight to
// the log, and the callers beyond those wait for one another and share a
// batch. The lock is held.
func (g *GroupCommit) dispatch() {
	if g.held {
		return
	}
	if !g.committing && len(g.queue) >= g.cfg.MinBatch && !g.noAtomic.Load() {
		if round := g.take(); len(round) > 0 {
			g.committing = true
			go g.commitRound(round)
		}
	}
	for g.singles < g.cfg.MinBatch && len(g.queue) > 0 {
		a := g.queue[0]
		g.queue = g.queue[1:]
		if a.ctx.Err() != nil {
			a.finish(nil, transient.Classify(a.ctx.Err()))
			continue
		}
		g.singles++
		go func() {
			g.appendOne(a)
			g.mu.Lock()
			g.singles--
			g.dispatch()
			g.mu.Unlock()
		}()
	}
}

// commitRound commits round as one batch or, refused, each append of it on
// its own, then sends what waits.
func (g *GroupCommit) commitRound(round []*groupAppend) {
	if !g.commit(round) {
		var wg sync.WaitGroup
		for _, a := range round {
			wg.Go(func() { g.appendOne(a) })
		}
		wg.Wait()
	}
	g.mu.Lock()
	g.committing = false
	g.dispatch()
	g.mu.Unlock()
}

// take removes from the queue the appends of the next batch, in order: at
// most one per aggregate (the server refuses an expected sequence on a
// subject the batch already writes) and at most MaxBatch messages. A
// caller that stopped waiting is dropped. The lock is held.
func (g *GroupCommit) take() []*groupAppend {
	var round, rest []*groupAppend
	subjects := map[string]bool{}
	n := 0
	for _, a := range g.queue {
		switch {
		case a.ctx.Err() != nil:
			a.finish(nil, transient.Classify(a.ctx.Err()))
		case subjects[a.msgs[0].Subject] || (len(round) > 0 && n+len(a.msgs) > g.cfg.MaxBatch):
			rest = append(rest, a)
		default:
			subjects[a.msgs[0].Subject] = true
			n += len(a.msgs)
			round = append(round, a)
		}
	}
	g.queue = rest
	return round
}

// appendOne makes one append on its own, through the store.
func (g *GroupCommit) appendOne(a *groupAppend) {
	g.single.Add(1)
	a.finish(g.store.Append(a.ctx, a.expect, a.envs...))
}

// Atomic batch headers (nats-server 2.12+, ADR-50).
const (
	batchIDHeader     = "Nats-Batch-Id"
	batchSeqHeader    = "Nats-Batch-Sequence"
	batchCommitHeader = "Nats-Batch-Commit"
)

// errAtomicDisabled is JSAtomicPublishDisabledErr: the stream was not
// created with AllowAtomicPublish.
const errAtomicDisabled jetstream.ErrorCode = 10174

// batchAck is the server's answer to a batch's commit.
type batchAck struct {
	Seq   uint64              `json:"seq"`
	Batch string              `json:"batch"`
	Count int                 `json:"count"`
	Error *jetstream.APIError `json:"error"`
}

// commit publishes round as one atomic batch and answers every append of
// it; false when the batch was not stored as a whole (then nothing of it
// was, or it may have been and the answer was lost), and nobody was
// answered.
func (g *GroupCommit) commit(round []*groupAppend) bool {
	ctx, cancel := context.WithTimeout(context.Background(), g.store.cfg.AttemptTimeout)
	defer cancel()
	nc := g.store.js.Conn()
	id := nuid.Next()
	total := 0
	for _, a := range round {
		total += len(a.msgs)
	}
	seq := 0
	for _, a := range round {
		for i, m := range a.msgs {
			seq++
			b := &nats.Msg{Subject: m.Subject, Data: m.Data, Header: nats.Header{}}
			for k, v := range m.Header {
				b.Header[k] = v
			}
			b.Header.Set(jetstream.ExpectedStreamHeader, g.store.cfg.Stream)
			if i == 0 && !a.expect.any {
				b.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(a.expect.seq, 10))
			}
			b.Header.Set(batchIDHeader, id)
			b.Header.Set(batchSeqHeader, strconv.Itoa(seq))
			if seq < total {
				if err := nc.PublishMsg(b); err != nil {
					g.store.log.Debug().Err(err).Msg("group commit: stage")
					return false
				}
				continue
			}
			b.Header.Set(batchCommitHeader, "1")
			r, err := nc.RequestMsgWithContext(ctx, b)
			if err != nil {
				g.store.log.Debug().Err(err).Int("appends", len(round)).Msg("group commit: no answer, each on its own")
				return false
			}
			var ack batchAck
			if err := json.Unmarshal(r.Data, &ack); err != nil || ack.Error != nil || ack.Count != total || ack.Seq < uint64(total) {
				if ack.Error != nil && ack.Error.ErrorCode == errAtomicDisabled {
					g.noAtomic.Store(true)
					g.store.log.Warn().Str("stream", g.store.cfg.Stream).Msg("group commit: the stream refuses atomic batches, appending each on its own")
				}
				g.store.log.Debug().Err(errors.Join(err, batchErr(ack.Error))).Int("appends", len(round)).Msg("group commit: refused, each on its own")
				return false
			}
			g.answer(round, ack.Seq-uint64(total)+1)
		}
	}
	g.batches.Add(1)
	g.batched.Add(uint64(len(round)))
	return true
}

// batchErr is the server's refusal as an error, nil when there is none.
func batchErr(e *jetstream.APIError) error {
	if e == nil {
		return nil
	}
	return e
}

// answer gives each append of a committed batch its sequences: the batch
// is stored contiguously from first, in the order it was published.
func (g *GroupCommit) answer(round []*groupAppend, first uint64) {
	seq := first
	for _, a := range round {
		acks := make([]Appended, len(a.msgs))
		for i := range acks {
			acks[i] = Appended{Seq: seq}
			seq++
		}
		a.finish(acks, nil)
	}
}

// GroupCommitStats counts what a GroupCommit did: atomic batches
// committed and the appends in them, and appends made on their own (too
// few waiting, or a batch refused).
type GroupCommitStats struct {
	Batches, Batched, Single uint64
}

// Stats returns the counts so far.
func (g *GroupCommit) Stats() GroupCommitStats {
	return GroupCommitStats{Batches: g.batches.Load(), Batched: g.batched.Load(), Single: g.single.Load()}
}
