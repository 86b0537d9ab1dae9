package events

// Event type names: the catalogue registers each once under its constant,
// and handlers and read models switch on the constants, never on literals.
const (
	TypeConversationStarted       = "conversation.started"
	TypeMessageReceived           = "conversation.message_received"
	TypeMessageTriaged            = "conversation.message_triaged"
	TypeOutOfHoursContactRecorded = "conversation.out_of_hours_contact_recorded"
	TypeEscalationRaised          = "conversation.escalation_raised"
	TypeEscalationPaged           = "conversation.escalation_paged"
	TypeEscalationAcknowledged    = "conversation.escalation_acknowledged"
	TypeEscalationReEscalated     = "conversation.escalation_reescalated"
	TypeEscalationExhausted       = "conversation.escalation_exhausted"
	TypeReplyRequested            = "conversation.reply_requested"
	TypeMessageSent               = "conversation.message_sent"
	TypeMessageSendFailed         = "conversation.message_send_failed"
	TypeReplyBlocked              = "conversation.reply_blocked"
	TypeDeliveryStatusChanged     = "conversation.delivery_status_changed"
	TypeCallStatusChanged         = "conversation.call_status_changed"
	TypeConversationAssigned      = "conversation.assigned"
	TypeConversationClosed        = "conversation.closed"
	TypeEscalationRequested       = "conversation.escalation_requested"
	TypeTriageFeedbackRecorded    = "conversation.triage_feedback_recorded"
	TypeEscalationDeclined        = "conversation.escalation_declined"
	TypeConversationReopened      = "conversation.reopened"
	TypeConversationHandedOver    = "conversation.handed_over"
	TypeResponseClockStarted      = "conversation.response_clock_started"
	TypeSurveyQuestionAsked       = "conversation.survey_question_asked"
	TypeSurveyAnswered            = "conversation.survey_answered"
	TypeFollowUpScheduled         = "conversation.follow_up_scheduled"
	TypeFollowUpCancelled         = "conversation.follow_up_cancelled"
	TypeFollowUpAnswered          = "conversation.follow_up_answered"
	TypeUrgentNoticeRaised        = "conversation.urgent_notice_raised"
	TypePageAttempted             = "conversation.page_attempted"

	TypeClientRegistered = "client.registered"
	TypeConsentChanged   = "client.consent_changed"
	TypeClientErased     = "client.erased"
	TypeClientFlagged    = "client.flagged"

	TypeWorkerRegistered      = "worker.registered"
	TypeWorkerPasswordChanged = "worker.password_changed"
	TypeWorkerRoleGranted     = "worker.role_granted"
	TypeWorkerRoleRevoked     = "worker.role_revoked"
	TypeWorkerDisabled        = "worker.disabled"
	TypeWorkerNotifyRulesSet  = "worker.notify_rules_set"
	TypeContentRead           = "worker.content_read"

	TypeRotaOverrideAdded          = "rota.override_added"
	TypeRotaSwapRecorded           = "rota.swap_recorded"
	TypeRotaUnavailabilityRecorded = "rota.unavailability_recorded"
	TypeRotaChangeCancelled        = "rota.change_cancelled"
	TypeRotaGapWarned              = "rota.gap_warned"

	TypeSavedReplyAdded   = "replies.saved_reply_added"
	TypeSavedReplyEdited  = "replies.saved_reply_edited"
	TypeSavedReplyRemoved = "replies.saved_reply_removed"
)

// Send ids of automatic replies begin with these: the console and the web
// chat tell which reply one was by them.
const (
	OutOfHoursSendPrefix = "ooh-"
	CrisisSendPrefix     = "alert-"
	// HelpSendPrefix: the line's help_reply, answering a client's HELP.
	HelpSendPrefix = "help-"
	// WaitSendPrefix: the wait message to a client nobody has answered yet.
	WaitSendPrefix = "wait-"
	// SurveySendPrefix: a question of the post-contact survey
	// (SurveySendID).
	SurveySendPrefix = "survey-"
	// FollowUpSendPrefix: a follow-up check-in the client agreed to
	// (FollowUpSendID).
	FollowUpSendPrefix = "followup-"
)
