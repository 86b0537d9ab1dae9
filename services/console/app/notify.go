package app

import (
	"context"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/services/console/views"
)

// A staff member's notification rules (how they are paged: an SMS at
// once, a call after two minutes...) are theirs to set, and an admin's
// for anyone: the worker event the pager reads at its next page. Every
// change is in the account's history with who made it, shown with the
// rules.

// NotifyRules asks for a staff member's rules; StaffID empty means the
// actor's own.
type NotifyRules struct {
	Actor   Actor
	StaffID string
}

// NotifyRulesHandler reads a staff member's rules.
type NotifyRulesHandler struct{ d *deps }

// Handle returns the rules as the pager will use them at the next page,
// where they come from and their history; only to the person themselves
// or an admin.
func (h NotifyRulesHandler) Handle(ctx context.Context, q NotifyRules) (views.NotifyRules, error) {
	id, err := mayChangeRules(q.Actor, q.StaffID)
	if err != nil {
		return views.NotifyRules{}, err
	}
	w, history, err := h.d.Staff.worker(ctx, id)
	if err != nil {
		return views.NotifyRules{}, err
	}
	if !w.Registered {
		return views.NotifyRules{}, ErrNotFound
	}
	st := h.d.Staff.config[id]
	within := min(h.d.File.NotifyWithin(), events.MaxNotifyAfter)
	out := views.NotifyRules{StaffID: id, Name: w.Name, HasWorkPhone: st.WorkPhone != "", WithinSeconds: int(within / time.Second),
		MaxRules: events.MaxNotifyRules, Changes: []views.NotifyChange{}}
	switch {
	case w.NotifySet:
		out.Source, out.Rules = views.NotifyFromConsole, notifyView(w.Notify)
	case len(st.Notify) > 0:
		out.Source, out.Rules = views.NotifyFromConfig, notifyView(config.EventRules(st.Notify))
	default:
		out.Source, out.Rules = views.NotifyFromDefault, notifyView(config.EventRules(config.DefaultNotify))
	}
	for _, e := range history {
		if p, err := e.Decode(); err == nil {
			if set, ok := p.(events.WorkerNotifyRulesSet); ok {
				out.Changes = append(out.Changes, views.NotifyChange{At: e.OccurredAt, ByID: set.ByStaffID, ByName: h.d.Staff.Name(ctx, set.ByStaffID),
					Rules: notifyView(set.Rules)})
			}
		}
	}
	return out, nil
}

// SetNotifyRules is a staff member, or an admin, setting someone's rules.
type SetNotifyRules struct {
	Actor   Actor
	StaffID string
	Rules   []views.NotifyRule
}

// SetNotifyRulesHandler records rules.
type SetNotifyRulesHandler struct{ d *deps }

// Handle records the rules through the worker aggregate, which refuses
// (recording nothing) rules the pager could not follow: no rule, an
// unknown channel, a first rule held back, delays out of order or past
// the shortest acknowledgement timeout, or no work phone to reach.
func (h SetNotifyRulesHandler) Handle(ctx context.Context, cmd SetNotifyRules) error {
	id, err := mayChangeRules(cmd.Actor, cmd.StaffID)
	if err != nil {
		return err
	}
	rules := make([]events.NotifyRule, 0, len(cmd.Rules))
	for _, r := range cmd.Rules {
		rules = append(rules, events.NotifyRule{Channel: r.Channel, AfterSeconds: r.AfterSeconds})
	}
	limits := events.NotifyLimits{Within: h.d.File.NotifyWithin(), WorkPhone: h.d.Staff.config[id].WorkPhone != ""}
	m := h.d.meta()
	if err := h.d.Staff.change(ctx, id, func(w *events.Worker) error { return w.SetNotifyRules(rules, limits, cmd.Actor.ID, m) }); err != nil {
		return err
	}
	h.d.log.Info().Str("staff", id).Str("by", cmd.Actor.ID).Int("rules", len(rules)).Msg("notification rules set")
	return nil
}

// mayChangeRules is who may read and set whose rules: anyone their own,
// an admin anyone's. It returns the staff id meant.
func mayChangeRules(a Actor, staffID string) (string, error) {
	if staffID == "" {
		staffID = a.ID
	}
	if events.ValidateID(staffID) != nil {
		return "", ErrNotFound
	}
	if staffID != a.ID && a.Role != events.RoleAdmin {
		return "", ErrForbidden
	}
	return staffID, nil
}

func notifyView(rules []events.NotifyRule) []views.NotifyRule {
	out := make([]views.NotifyRule, 0, len(rules))
	for _, r := range rules {
		out = append(out, views.NotifyRule{Channel: r.Channel, AfterSeconds: r.AfterSeconds})
	}
	return out
}
