package ingestion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/consume"
	"github.com/helpline-org/helpline/internal/kv"
)

// PageRef is one page a staff member was sent: ids and a time, never a
// number or content.
type PageRef struct {
	EscalationID   string    `json:"escalation_id"`
	ConversationID string    `json:"conversation_id"`
	PagedAt        time.Time `json:"paged_at"`
}

// Pages remembers, per staff member, the pages they were sent lately,
// newest first: what a "1" or "2" texted back answers.
type Pages interface {
	Add(ctx context.Context, staffID string, p PageRef) error
	Recent(ctx context.Context, staffID string) ([]PageRef, error)
}

// maxRecentPages is how many pages per staff member the index keeps: a
// reply answers the newest open one, or one named by its client.
const maxRecentPages = 16

var _ Pages = (*KVIndex)(nil)

func pagesKey(staffID string) string { return "pages." + staffID }

// Recent returns the staff member's latest pages, newest first.
func (x *KVIndex) Recent(ctx context.Context, staffID string) ([]PageRef, error) {
	refs, _, err := x.pages(ctx, staffID)
	return refs, err
}

func (x *KVIndex) pages(ctx context.Context, staffID string) ([]PageRef, uint64, error) {
	e, err := x.b.Get(ctx, pagesKey(staffID))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var refs []PageRef
	if err := json.Unmarshal(e.Value(), &refs); err != nil {
		return nil, 0, fmt.Errorf("pages of %s: %w", staffID, err)
	}
	return refs, e.Revision(), nil
}

// Add records a page, once per escalation (a later page for the same
// escalation moves it to the front), keeping the newest maxRecentPages.
// Two replicas adding at once: each update expects the revision it read,
// and the loser reads again.
func (x *KVIndex) Add(ctx context.Context, staffID string, p PageRef) error {
	for range 5 {
		refs, rev, err := x.pages(ctx, staffID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(refs, func(r PageRef) bool { return r.EscalationID == p.EscalationID })
		if i >= 0 && !refs[i].PagedAt.Before(p.PagedAt) {
			return nil // a redelivery, or an older page of the same escalation
		}
		if i >= 0 {
			refs = slices.Delete(refs, i, i+1)
		}
		// Newest first; of pages at the same moment, the one just made.
		refs = append([]PageRef{p}, refs...)
		slices.SortStableFunc(refs, func(a, b PageRef) int { return b.PagedAt.Compare(a.PagedAt) })
		refs = refs[:min(len(refs), maxRecentPages)]
		value, err := json.Marshal(refs)
		if err != nil {
			return err
		}
		_, err = x.b.Update(ctx, pagesKey(staffID), value, rev)
		if !errors.Is(err, kv.ErrExists) {
			return err
		}
	}
	return fmt.Errorf("pages of %s kept changing: %w", staffID, events.ErrConcurrency)
}

// PagesConsumer is the durable consumer that feeds the page index from
// the log (EscalationPaged events): a restarted ingestion, or another
// replica, knows every page without keeping state of its own.
const PagesConsumer = "ingestion-pages"

// PageIndexer keeps the page index from the log.
type PageIndexer struct{ pages Pages }

// NewPageIndexer returns the handler that keeps pages from the log.
func NewPageIndexer(pages Pages) *PageIndexer { return &PageIndexer{pages: pages} }

// Specs is the indexer's durable consumer.
func (p *PageIndexer) Specs() []consume.Spec {
	return []consume.Spec{{Name: PagesConsumer, Filter: events.AggregateSubjects(events.AggregateConversation), Handler: p.Handle}}
}

// Handle records one page; other events change nothing.
func (p *PageIndexer) Handle(ctx context.Context, e events.Envelope) error {
	if e.Type != events.TypeEscalationPaged {
		return nil
	}
	d, err := e.Decode()
	if err != nil {
		return consume.Permanent(err)
	}
	paged := d.(events.EscalationPaged)
	return p.pages.Add(ctx, paged.StaffID, PageRef{EscalationID: paged.EscalationID, ConversationID: e.AggregateID, PagedAt: e.OccurredAt})
}
