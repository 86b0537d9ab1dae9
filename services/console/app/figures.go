package app

import (
	"context"
	"strconv"
	"time"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/projections/responsetimes"
	"github.com/helpline-org/helpline/services/console/views"
)

// Figures asks for a line's figures over the last days, as the dashboard's
// query string says them: line (default: the first line) and days (1 to
// 92, default 14, ending today UTC).
type Figures struct {
	Line string
	Days string
}

// FiguresHandler reads the managers' figures: the dashboard's report and
// the per-conversation export. Both hold counts and durations only.
type FiguresHandler struct{ d *deps }

// period resolves q to a line the console serves and a range of UTC days
// ending today.
func (h FiguresHandler) period(q Figures) (lineID string, from, to time.Time, days int, err error) {
	lineID, days = q.Line, 14
	if lines := h.d.Staff.Lines(); lineID == "" && len(lines) > 0 {
		lineID = lines[0]
	}
	if !h.d.Staff.serves(lineID) {
		return "", time.Time{}, time.Time{}, 0, ErrNotFound
	}
	if q.Days != "" {
		n, err := strconv.Atoi(q.Days)
		if err != nil || n < 1 || n > 92 {
			return "", time.Time{}, time.Time{}, 0, badRequest("days must be 1 to 92")
		}
		days = n
	}
	y, m, d := h.d.Now().UTC().Date()
	to = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 1)
	return lineID, to.AddDate(0, 0, -days), to, days, nil
}

// Handle returns the report, and the number of days it covers.
func (h FiguresHandler) Handle(ctx context.Context, q Figures) (views.Report, int, error) {
	lineID, from, to, days, err := h.period(q)
	if err != nil {
		return views.Report{}, 0, err
	}
	rep, err := h.d.Figures.Figures(ctx, lineID, from, to, h.d.Now().UTC())
	if err != nil {
		return views.Report{}, 0, err
	}
	out := views.Report{LineID: rep.LineID, From: rep.From.Format(time.DateOnly), To: rep.To.Format(time.DateOnly),
		Totals: figuresOf(rep.Totals), HourOfWeek: rep.HourOfWeek, Days: []views.Day{}}
	for _, d := range rep.Days {
		out.Days = append(out.Days, views.Day{Day: d.Day.Format(time.DateOnly), Figures: figuresOf(d.Figures)})
	}
	if l, ok := h.d.File.LineByID(lineID); ok && l.Taxonomy != nil {
		out.Labels = labelsOf(l.Taxonomy)
		surveyLabels(out.Labels, l.Survey)
	}
	return out, days, nil
}

// labelsOf names each outcome and category code of a taxonomy as the
// dashboard shows it: "Risk level assessed: High".
func labelsOf(t *config.Taxonomy) map[string]string {
	out := map[string]string{responsetimes.NoOutcome: "No outcome recorded"}
	for _, o := range t.Outcomes {
		out[o.ID] = o.Label
	}
	for _, g := range t.Categories {
		for _, v := range g.Values {
			out[config.CategoryCode(g.ID, v.ID)] = g.Label + ": " + v.Label
		}
	}
	return out
}

// surveyLabels names each answer code of a survey as the dashboard
// shows it: "Did the conversation help?: Yes".
func surveyLabels(labels map[string]string, s *config.Survey) {
	if s == nil {
		return
	}
	for _, q := range s.Questions {
		for i, o := range q.Options {
			labels[events.SurveyAnswered{QuestionID: q.ID, Option: i + 1}.Code()] = q.Label + ": " + o
		}
	}
}

// Export returns one row per conversation of the line opened in the
// period, numbered in the order they opened: no id, pseudonym, number or
// word of theirs, and the hour they opened rather than the moment.
func (h FiguresHandler) Export(ctx context.Context, q Figures) (views.ConversationExport, error) {
	lineID, from, to, _, err := h.period(q)
	if err != nil {
		return views.ConversationExport{}, err
	}
	convs, err := h.d.Figures.Conversations(ctx, lineID, from, to)
	if err != nil {
		return views.ConversationExport{}, err
	}
	out := views.ConversationExport{LineID: lineID, From: from.Format(time.DateOnly), To: to.Format(time.DateOnly)}
	for i, c := range convs {
		row := views.ConversationRow{Row: i + 1, LineID: c.LineID, Opened: c.OpenedAt.UTC().Truncate(time.Hour).Format(time.RFC3339),
			MessagesIn: c.MessagesIn, MessagesOut: c.MessagesOut, Closed: c.Closed, Outcome: c.Outcome, Categories: c.Categories,
			Escalated: c.Escalated, Exhausted: c.Exhausted, Survey: c.Survey}
		if c.Replied {
			s := c.FirstReplyWait.Seconds()
			row.FirstReplySeconds = &s
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// seconds is a percentile in seconds; nil when beyond a week.
func seconds(d time.Duration) *float64 {
	if d == responsetimes.Beyond {
		return nil
	}
	v := d.Seconds()
	return &v
}

func quantilesOf(q responsetimes.Quantiles) views.Quantiles {
	return views.Quantiles{Count: q.Count, P50: seconds(q.P50), P90: seconds(q.P90), P99: seconds(q.P99)}
}

// abandonBands name the projection's abandonment bands, in order.
var abandonBands = [responsetimes.NumAbandonBands]struct{ band, label string }{
	{"once", "wrote once"}, {"5m", "within 5 min"}, {"15m", "5 to 15 min"}, {"1h", "15 to 60 min"}, {"longer", "over an hour"},
}

func figuresOf(f responsetimes.Figures) views.Figures {
	out := views.Figures{Received: f.Received, OutOfHours: f.OutOfHours, OutOfHoursShare: f.OutOfHoursShare, Breaches: f.Breaches,
		NextBreaches: f.NextBreaches, Exhausted: f.Exhausted, FirstReply: quantilesOf(f.FirstReply), NextReply: quantilesOf(f.NextReply),
		Ack:           quantilesOf(f.Ack),
		AckByChannel:  views.AckChannels{SMS: quantilesOf(f.AckSMS), Call: quantilesOf(f.AckCall), Console: quantilesOf(f.AckConsole)},
		Conversations: f.Conversations, NeverAnswered: f.NeverAnswered, Outcomes: f.Outcomes, Categories: f.Categories, Survey: f.Survey}
	for i, b := range abandonBands {
		out.Abandoned = append(out.Abandoned, views.Band{Band: b.band, Label: b.label, Count: f.Abandoned[i]})
	}
	if out.Outcomes == nil {
		out.Outcomes = map[string]int64{}
	}
	if out.Categories == nil {
		out.Categories = map[string]int64{}
	}
	if out.Survey == nil {
		out.Survey = map[string]int64{}
	}
	return out
}
