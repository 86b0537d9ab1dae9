package escalations

import (
	"testing"

	"github.com/helpline-org/helpline/events"
	"github.com/helpline-org/helpline/projections/projectiontest"
)

// scenario: four conversations on lines "main" and "other", escalations
// acknowledged, exhausted and still open, in stream order.
func scenario(t testing.TB) []events.Envelope {
	s := &projectiontest.Script{T: t}
	started := func(conv, line, pseudonym string, h, m, sec int) {
		s.Add(conv, at(h, m, sec), events.ConversationStarted{LineID: line, ClientID: "client" + conv, Pseudonym: pseudonym, Channel: events.ChannelSMS})
	}
	page := func(conv, esc, staff string, level int, name string, round, h, m, sec int) {
		s.Add(conv, at(h, m, sec), events.EscalationPaged{EscalationID: esc, Level: level, LevelName: name, StaffID: staff, Round: round,
			Channel: events.PageBySMS, ProviderMessageID: "SM" + esc + staff, Last: true})
	}
	// conv1: crisis, re-escalated, acknowledged at the backup level.
	started("conv1", "main", "C-AAAA", 10, 0, 0)
	s.Add("conv1", at(10, 0, 1), events.MessageReceived{MessageID: "m1", LineID: "main", ClientID: "clientconv1", Channel: events.ChannelSMS,
		Body: events.Sealed{KeyID: "k", Data: []byte("sealed")}, ReceivedAt: at(10, 0, 1)}) // not this projection's
	s.Add("conv1", at(10, 0, 5), events.EscalationRaised{EscalationID: "esc1", LineID: "main", MessageID: "m1", Reason: events.ReasonCrisis,
		Risk: events.RiskCrisis, Categories: []string{"self_harm"}, Terms: words("k1", "end it")})
	page("conv1", "esc1", "sam", 0, "duty", 1, 10, 0, 10)
	// Delivery: sent, delivered, then a late "sent" that moves nothing back;
	// a reply's status (no page) changes nothing.
	s.Add("conv1", at(10, 0, 11), events.DeliveryStatusChanged{ProviderMessageID: "SMesc1sam", Status: "sent"})
	s.Add("conv1", at(10, 0, 12), events.DeliveryStatusChanged{ProviderMessageID: "SMesc1sam", Status: "delivered"})
	s.Add("conv1", at(10, 0, 13), events.DeliveryStatusChanged{ProviderMessageID: "SMesc1sam", Status: "sent"})
	s.Add("conv1", at(10, 0, 14), events.DeliveryStatusChanged{ProviderMessageID: "SMreply", Status: "delivered"})
	s.Add("conv1", at(10, 5, 10), events.EscalationReEscalated{EscalationID: "esc1", FromLevel: 0, ToLevel: 1, Round: 1, Reason: "ack_timeout"})
	page("conv1", "esc1", "kim", 1, "backup", 1, 10, 5, 11)
	s.Add("conv1", at(10, 6, 0), events.EscalationAcknowledged{EscalationID: "esc1", StaffID: "kim"})
	s.Add("conv1", at(10, 6, 1), events.EscalationAcknowledged{EscalationID: "esc1", StaffID: "sam"}) // late: not counted
	// conv2: out of hours, nobody answered: exhausted.
	started("conv2", "main", "C-BBBB", 10, 4, 0)
	s.Add("conv2", at(10, 5, 0), events.EscalationRaised{EscalationID: "esc2", LineID: "main", Reason: events.ReasonOutOfHours, Risk: events.RiskNone})
	page("conv2", "esc2", "sam", 0, "duty", 1, 10, 5, 1)
	s.Add("conv2", at(10, 5, 2), events.DeliveryStatusChanged{ProviderMessageID: "SMesc2sam", Status: "undelivered", ErrorCode: 30003})
	s.Add("conv2", at(10, 30, 0), events.EscalationExhausted{EscalationID: "esc2", Rounds: 1})
	// conv3: another line, open.
	started("conv3", "other", "C-CCCC", 10, 6, 0)
	s.Add("conv3", at(10, 6, 30), events.EscalationRaised{EscalationID: "esc3", LineID: "other", Reason: events.ReasonCrisis, Risk: events.RiskCrisis,
		Categories: []string{"overdose_means"}, Terms: words("k3", "overdose")})
	// conv3's client is erased while it is open: esc3's terms go, and an
	// escalation raised afterwards keeps none.
	s.Add("clientconv3", at(10, 6, 40), events.ClientErased{ByStaffID: "admin", Reason: "client request"})
	s.Add("conv3", at(10, 6, 50), events.EscalationRaised{EscalationID: "esc6", LineID: "other", MessageID: "m6", Reason: events.ReasonCrisis,
		Risk: events.RiskCrisis, Categories: []string{"overdose_means"}, Terms: words("k3", "again")})
	// conv4: two escalations raised in the same instant, both open.
	started("conv4", "main", "C-DDDD", 10, 7, 0)
	s.Add("conv4", at(10, 7, 30), events.EscalationRaised{EscalationID: "esc5", LineID: "main", Reason: events.ReasonUnanswered, Risk: events.RiskElevated})
	s.Add("conv4", at(10, 7, 30), events.EscalationRaised{EscalationID: "esc4", LineID: "main", Reason: events.ReasonCrisis, Risk: events.RiskCrisis,
		Categories: []string{"self_harm", "plan"}, Terms: words("k4", "end it, tonight")})
	page("conv4", "esc4", "sam", 0, "duty", 1, 10, 7, 31)
	// sam's second rule: a call, which rings and is answered.
	s.Add("conv4", at(10, 9, 31), events.EscalationPaged{EscalationID: "esc4", LevelName: "duty", StaffID: "sam", Round: 1,
		Channel: events.PageByCall, ProviderMessageID: "CAesc4sam", Rule: 1, Last: true})
	s.Add("conv4", at(10, 9, 32), events.CallStatusChanged{ProviderCallID: "CAesc4sam", Status: "ringing"})
	s.Add("conv4", at(10, 9, 40), events.CallStatusChanged{ProviderCallID: "CAesc4sam", Status: "in-progress"})
	s.Add("conv4", at(10, 9, 50), events.CallStatusChanged{ProviderCallID: "CAesc4sam", Status: "completed"})
	s.Add("conv4", at(10, 7, 31), events.EscalationRaised{EscalationID: "esc4", LineID: "main", Reason: events.ReasonOutOfHours}) // repeat: ignored
	s.Add("conv1", at(10, 40, 0), events.ConversationClosed{ByStaffID: "kim", Reason: "resolved"})
	return s.Envs
}

// scenarioRows are the scenario's rows, by hand.
func scenarioRows() map[string]Escalation {
	return map[string]Escalation{
		"esc1": {ID: "esc1", ConversationID: "conv1", LineID: "main", Pseudonym: "C-AAAA", ClientID: "clientconv1", Reason: events.ReasonCrisis, Risk: events.RiskCrisis,
			Categories: []string{"self_harm"}, MessageID: "m1", Terms: words("k1", "end it"), Level: 1, Round: 1,
			Pages: []Page{
				{StaffID: "sam", Level: 0, LevelName: "duty", Round: 1, At: at(10, 0, 10), Channel: "sms", ProviderID: "SMesc1sam", Delivery: DeliveryDelivered},
				{StaffID: "kim", Level: 1, LevelName: "backup", Round: 1, At: at(10, 5, 11), Channel: "sms", ProviderID: "SMesc1kim", Delivery: DeliveryQueued},
			},
			RaisedAt: at(10, 0, 5), AcknowledgedBy: "kim", AcknowledgedAt: at(10, 6, 0)},
		"esc2": {ID: "esc2", ConversationID: "conv2", LineID: "main", Pseudonym: "C-BBBB", ClientID: "clientconv2", Reason: events.ReasonOutOfHours, Risk: events.RiskNone,
			Level: 0, Round: 1, Pages: []Page{{StaffID: "sam", LevelName: "duty", Round: 1, At: at(10, 5, 1), Channel: "sms", ProviderID: "SMesc2sam",
				Delivery: DeliveryFailed, ErrorCode: 30003}},
			RaisedAt: at(10, 5, 0), Exhausted: true},
		"esc3": {ID: "esc3", ConversationID: "conv3", LineID: "other", Pseudonym: "C-CCCC", ClientID: "clientconv3", Reason: events.ReasonCrisis, Risk: events.RiskCrisis,
			Categories: []string{"overdose_means"}, TermsErased: true, Round: 1, RaisedAt: at(10, 6, 30)},
		"esc6": {ID: "esc6", ConversationID: "conv3", LineID: "other", Pseudonym: "C-CCCC", ClientID: "clientconv3", Reason: events.ReasonCrisis, Risk: events.RiskCrisis,
			Categories: []string{"overdose_means"}, MessageID: "m6", TermsErased: true, Round: 1, RaisedAt: at(10, 6, 50)},
		"esc4": {ID: "esc4", ConversationID: "conv4", LineID: "main", Pseudonym: "C-DDDD", ClientID: "clientconv4", Reason: events.ReasonCrisis, Risk: events.RiskCrisis,
			Categories: []string{"self_harm", "plan"}, Terms: words("k4", "end it, tonight"), Round: 1,
			Pages: []Page{
				{StaffID: "sam", LevelName: "duty", Round: 1, At: at(10, 7, 31), Channel: "sms", ProviderID: "SMesc4sam", Delivery: DeliveryQueued},
				{StaffID: "sam", LevelName: "duty", Round: 1, At: at(10, 9, 31), Channel: "call", ProviderID: "CAesc4sam", Delivery: DeliveryAnswered},
			}, RaisedAt: at(10, 7, 30)},
		"esc5": {ID: "esc5", ConversationID: "conv4", LineID: "main", Pseudonym: "C-DDDD", ClientID: "clientconv4", Reason: events.ReasonUnanswered, Risk: events.RiskElevated,
			Round: 1, RaisedAt: at(10, 7, 30)},
	}
}

// words stands for a list of terms sealed with a client's key: the
// projection keeps it as the event carries it.
func words(keyID, terms string) events.Sealed {
	return events.Sealed{KeyID: keyID, Data: []byte("sealed: " + terms)}
}
