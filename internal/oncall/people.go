package oncall

import (
	"context"
	"slices"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
)

// People are the configured staff, each with the notification rules they
// set for themselves in the console (their worker aggregate's latest
// WorkerNotifyRulesSet), read from the log at every question like Live:
// a change made a moment ago, through any process, decides the next page,
// with no restart. Without rules of their own, the configuration's apply.
type People struct {
	byID    map[string]config.Staff
	workers *follow[*events.Worker]
}

// NewPeople returns the configuration's staff with what they set in log.
func NewPeople(staff []config.Staff, log Log) *People {
	p := &People{byID: map[string]config.Staff{},
		workers: newFollow(log, events.AggregateWorker, events.NewWorker, func(w *events.Worker) uint64 { return w.Version })}
	for _, st := range staff {
		p.byID[st.ID] = st
	}
	return p
}

// Get returns staff member id as the configuration knows them, with
// Notify their latest rules; false when the configuration does not know
// them (nobody the pager can reach). Role is the configuration's, unless
// their account no longer holds any role that reads conversations (an
// admin revoked it): then the account's first role, or none, so that no
// page names a client to someone the console would not show them to
// (events.PageClient). An error reading the log is returned, never taken
// for the configuration's rules.
func (p *People) Get(ctx context.Context, id string) (config.Staff, bool, error) {
	st, ok := p.byID[id]
	if !ok {
		return config.Staff{}, false, nil
	}
	w, err := p.workers.latest(ctx, id)
	if err != nil {
		return config.Staff{}, false, err
	}
	if w.NotifySet {
		st.Notify = config.RulesFromEvents(w.Notify)
	}
	if w.Registered && events.ReadsContent(st.Role) && !slices.ContainsFunc(w.Roles, events.ReadsContent) {
		st.Role = ""
		if len(w.Roles) > 0 {
			st.Role = w.Roles[0]
		}
	}
	return st, true, nil
}

// Refresh returns st (as the rota or the configuration gave them) as Get
// has them now.
func (p *People) Refresh(ctx context.Context, st config.Staff) (config.Staff, error) {
	got, ok, err := p.Get(ctx, st.ID)
	if err != nil || !ok {
		return st, err
	}
	return got, nil
}
