package app

import (
	"context"
	"errors"
	"strconv"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/services/console/views"
)

// Audit asks for one page of the audit trail, oldest first, after the
// cursor (a sequence).
type Audit struct {
	Cursor string
	Limit  int // 0: 100
}

// AuditHandler reads the audit trail of content readings.
type AuditHandler struct{ d *deps }

var errPageFull = errors.New("page full")

// Handle returns up to Limit records after the cursor, and the cursor of
// the next page.
func (h AuditHandler) Handle(ctx context.Context, q Audit) (views.AuditList, error) {
	var after uint64
	if q.Cursor != "" {
		n, err := strconv.ParseUint(q.Cursor, 10, 64)
		if err != nil {
			return views.AuditList{}, badRequest("the cursor is not valid")
		}
		after = n
	}
	limit := q.Limit
	if limit == 0 {
		limit = 100
	}
	out := views.AuditList{Records: []views.AuditRecord{}}
	_, err := h.d.Audit.ReadAudit(ctx, after, func(e events.Envelope) error {
		p, err := e.Decode()
		if err != nil {
			return err
		}
		if cr, ok := p.(events.ContentRead); ok {
			out.Records = append(out.Records, views.AuditRecord{Seq: e.Sequence, At: e.OccurredAt, StaffID: e.AggregateID,
				StaffName: h.d.Staff.Name(ctx, e.AggregateID), Role: cr.Role, ConversationID: cr.ConversationID, Via: cr.Via,
				BreakGlassReason: cr.BreakGlassReason, Messages: cr.MessagesDisclosed})
		}
		if len(out.Records) == limit {
			out.Next = strconv.FormatUint(e.Sequence, 10)
			return errPageFull
		}
		return nil
	})
	if err != nil && !errors.Is(err, errPageFull) {
		return views.AuditList{}, err
	}
	return out, nil
}
