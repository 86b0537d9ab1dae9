package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Taxonomy is how a line's workers sum a conversation up when they close
// it: one outcome, and values from groups of categories (a reason for
// contact, the risk assessed...). Figures count them by period; they say
// nothing of who the client is.
type Taxonomy struct {
	Outcomes   []Term          `yaml:"outcomes"`
	Categories []CategoryGroup `yaml:"categories"`
}

// Term is one choice: an id (lowercase, digits, '-' or '_') recorded in the
// log, and the label workers see.
type Term struct {
	ID    string `yaml:"id"`
	Label string `yaml:"label"`
}

// CategoryGroup is one question of the wrap-up, e.g. "risk level
// assessed". A worker's answer is recorded as "group:value".
type CategoryGroup struct {
	ID    string `yaml:"id"`
	Label string `yaml:"label"`
	// Required groups need at least one value; Multiple ones accept more
	// than one.
	Required bool   `yaml:"required"`
	Multiple bool   `yaml:"multiple"`
	Values   []Term `yaml:"values"`
}

// CategoryCode is how a category is recorded: "group:value".
func CategoryCode(group, value string) string { return group + ":" + value }

// DefaultReopenWindow is how long after its closing a client's message
// reopens a conversation, when the line does not say.
const DefaultReopenWindow = 24 * time.Hour

// DefaultAbandonedAfter is how long a client nobody has answered may stay
// silent before the figures count their conversation as abandoned, when
// the line does not say.
const DefaultAbandonedAfter = 24 * time.Hour

// DefaultTaxonomy is the taxonomy of a line that configures none, modelled
// on Child Helpline International's classification of contacts: the
// reason for contact, the risk level assessed, the action taken and the
// referral made.
func DefaultTaxonomy() *Taxonomy {
	return &Taxonomy{
		Outcomes: []Term{
			{"supported", "Supported"},
			{"referred", "Referred on"},
			{"emergency", "Emergency response"},
			{"client_left", "Client left before the end"},
			{"no_contact", "No real contact (silent, test, wrong number)"},
			{"abusive", "Abusive or hoax contact"},
		},
		Categories: []CategoryGroup{
			{ID: "reason", Label: "Reason for contact", Required: true, Multiple: true, Values: []Term{
				{"mental_health", "Mental health"},
				{"suicidal", "Suicidal thoughts or self-harm"},
				{"abuse_violence", "Abuse and violence"},
				{"family", "Family relationships"},
				{"peer", "Peer relationships"},
				{"sexuality", "Sexuality and gender"},
				{"physical_health", "Physical health"},
				{"substance_use", "Substance use"},
				{"school_work", "School or work"},
				{"homelessness", "Homelessness or running away"},
				{"legal", "Legal matters"},
				{"poverty", "Poverty and material needs"},
				{"discrimination", "Discrimination"},
				{"information", "Request for information"},
				{"other", "Other"},
			}},
			{ID: "risk", Label: "Risk level assessed", Required: true, Values: []Term{
				{"none", "None"}, {"low", "Low"}, {"medium", "Medium"}, {"high", "High"}, {"imminent", "Imminent danger"},
			}},
			{ID: "action", Label: "Action taken", Multiple: true, Values: []Term{
				{"listened", "Listened and supported"},
				{"information", "Information given"},
				{"safety_plan", "Safety planning"},
				{"emergency_services", "Emergency services contacted"},
				{"follow_up", "Follow-up arranged"},
			}},
			{ID: "referral", Label: "Referral made", Multiple: true, Values: []Term{
				{"none", "None"},
				{"health", "Health services"},
				{"mental_health", "Mental health services"},
				{"social_services", "Social or child protection services"},
				{"police", "Police"},
				{"other_helpline", "Another helpline"},
				{"education", "School or education"},
			}},
		},
	}
}

// validate checks the taxonomy's ids and labels: every problem, each
// naming where it is.
func (t *Taxonomy) validate(where string) []error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(where+": taxonomy: "+format, a...)) }
	if len(t.Outcomes) == 0 {
		bad("outcomes: at least one")
	}
	checkTerms := func(what string, terms []Term) {
		seen := map[string]bool{}
		for i, v := range terms {
			if !idPattern.MatchString(v.ID) {
				bad("%s[%d]: id %q: want lowercase letters, digits, '-' or '_'", what, i, v.ID)
			}
			if seen[v.ID] {
				bad("%s[%d]: duplicate id %q", what, i, v.ID)
			}
			seen[v.ID] = true
			if strings.TrimSpace(v.Label) == "" {
				bad("%s[%d] (%s): label is required", what, i, v.ID)
			}
		}
	}
	checkTerms("outcomes", t.Outcomes)
	groups := make([]Term, len(t.Categories))
	for i, g := range t.Categories {
		groups[i] = Term{g.ID, g.Label}
		if len(g.Values) == 0 {
			bad("categories[%d] (%s): values: at least one", i, g.ID)
		}
		checkTerms(fmt.Sprintf("categories[%d] (%s).values", i, g.ID), g.Values)
	}
	checkTerms("categories", groups)
	return errs
}

// CheckWrapUp checks a worker's wrap-up (events.Taxonomy); its errors
// never quote what was sent. It wants a known
// outcome; categories "group:value" of known groups and values, each
// once; a value for every required group; one at most for a group that
// is not multiple.
func (t *Taxonomy) CheckWrapUp(outcome string, categories []string) error {
	if !slices.ContainsFunc(t.Outcomes, func(o Term) bool { return o.ID == outcome }) {
		return fmt.Errorf("choose an outcome of the line's (%s)", strings.Join(t.outcomeIDs(), ", "))
	}
	chosen := map[string]int{}
	var errs []error
	for _, code := range categories {
		group, value, _ := strings.Cut(code, ":")
		g := t.group(group)
		switch {
		case g == nil:
			errs = append(errs, fmt.Errorf("a category is not one of the line's (%s)", strings.Join(t.groupIDs(), ", ")))
		case !slices.ContainsFunc(g.Values, func(v Term) bool { return v.ID == value }):
			errs = append(errs, fmt.Errorf("%s: a value is not one of the line's", g.Label))
		default:
			chosen[group]++
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(categories)))) != len(categories) {
		errs = append(errs, errors.New("a category is given twice"))
	}
	for _, g := range t.Categories {
		if g.Required && chosen[g.ID] == 0 {
			errs = append(errs, fmt.Errorf("%s: choose one", g.Label))
		}
		if !g.Multiple && chosen[g.ID] > 1 {
			errs = append(errs, fmt.Errorf("%s: choose only one", g.Label))
		}
	}
	return errors.Join(errs...)
}

func (t *Taxonomy) group(id string) *CategoryGroup {
	for i := range t.Categories {
		if t.Categories[i].ID == id {
			return &t.Categories[i]
		}
	}
	return nil
}

func (t *Taxonomy) outcomeIDs() []string {
	out := make([]string, len(t.Outcomes))
	for i, o := range t.Outcomes {
		out[i] = o.ID
	}
	return out
}

func (t *Taxonomy) groupIDs() []string {
	out := make([]string, len(t.Categories))
	for i, g := range t.Categories {
		out[i] = g.ID + ":..."
	}
	return out
}
