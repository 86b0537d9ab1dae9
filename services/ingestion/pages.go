package ingestion

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
)

// PageRef is one page a staff member was sent: ids and a time, never a
// number or content.
type PageRef struct {
	EscalationID   string
	ConversationID string
	PagedAt        time.Time
}

// maxRecentPages is how many pages per staff member the index keeps: a
// reply answers the newest open one, or one named by its client.
const maxRecentPages = 16

// PagesHandler names the handler that follows the log into the index.
const PagesHandler = "ingestion-pages"

// PageIndex remembers, per staff member, the pages they were sent lately,
// newest first: what a "1" or "2" texted back answers. It is a read model
// in memory, kept from the log's EscalationPaged events by a Local
// follower of this process (no durable consumer, nothing written per
// event) and rebuilt from the log at every start, so a restarted replica
// knows every page again. It is safe for concurrent use.
type PageIndex struct {
	mu      sync.Mutex
	byStaff map[string][]PageRef
	last    uint64 // the last stream sequence applied
}

// NewPageIndex returns an empty index; run its Specs to fill it.
func NewPageIndex() *PageIndex { return &PageIndex{byStaff: map[string][]PageRef{}} }

// Specs is the index's follower of the log.
func (x *PageIndex) Specs() []consume.Spec {
	return []consume.Spec{consume.Local{Name: PagesHandler, Filter: events.AggregateSubjects(events.AggregateConversation), Handler: x.Handle,
		From: x.applied}}
}

func (x *PageIndex) applied() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.last
}

// Handle records one page; other events change nothing.
func (x *PageIndex) Handle(_ context.Context, e events.Envelope) error {
	var paged events.EscalationPaged
	if e.Type == events.TypeEscalationPaged {
		d, err := e.Decode()
		if err != nil {
			return consume.Permanent(err)
		}
		paged = d.(events.EscalationPaged)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.last = max(x.last, e.Sequence)
	if paged.StaffID != "" {
		x.add(paged.StaffID, PageRef{EscalationID: paged.EscalationID, ConversationID: e.AggregateID, PagedAt: e.OccurredAt})
	}
	return nil
}

// add records a page, once per escalation (a later page for the same
// escalation moves it to the front), keeping the newest maxRecentPages.
func (x *PageIndex) add(staffID string, p PageRef) {
	refs := x.byStaff[staffID]
	i := slices.IndexFunc(refs, func(r PageRef) bool { return r.EscalationID == p.EscalationID })
	if i >= 0 && !refs[i].PagedAt.Before(p.PagedAt) {
		return // a redelivery, or an older page of the same escalation
	}
	if i >= 0 {
		refs = slices.Delete(refs, i, i+1)
	}
	// Newest first; of pages at the same moment, the one just made.
	refs = append([]PageRef{p}, refs...)
	slices.SortStableFunc(refs, func(a, b PageRef) int { return b.PagedAt.Compare(a.PagedAt) })
	x.byStaff[staffID] = refs[:min(len(refs), maxRecentPages)]
}

// Recent returns the staff member's latest pages, newest first.
func (x *PageIndex) Recent(staffID string) []PageRef {
	x.mu.Lock()
	defer x.mu.Unlock()
	return slices.Clone(x.byStaff[staffID])
}
