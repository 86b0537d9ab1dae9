package views

import "time"

// User is a staff account as admins see it: no hash, no number.
type User struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Roles    []string `json:"roles"`
	Disabled bool     `json:"disabled"`
	Teams    []string `json:"teams"`
	InConfig bool     `json:"in_config"`
}

// UserList is every staff account, by id.
type UserList struct {
	Users []User `json:"users"`
}

// Created answers the creation of a staff account.
type Created struct {
	ID string `json:"id"`
}

// AuditRecord is one reading of a conversation's content.
type AuditRecord struct {
	Seq              uint64    `json:"seq"`
	At               time.Time `json:"at"`
	StaffID          string    `json:"staff_id"`
	StaffName        string    `json:"staff_name"`
	Role             string    `json:"role"`
	ConversationID   string    `json:"conversation_id"`
	Via              string    `json:"via"`
	BreakGlassReason string    `json:"break_glass_reason,omitempty"`
	Messages         int       `json:"messages_disclosed"`
}

// AuditList is one page of the audit trail, oldest first.
type AuditList struct {
	Records []AuditRecord `json:"records"`
	Next    string        `json:"next_cursor,omitempty"`
}

// Config is the configuration as admins see it in the console: no phone
// numbers (those stay in the file and the pager).
type Config struct {
	Lines []Line        `json:"lines"`
	Staff []StaffMember `json:"staff"`
	Rota  []Shift       `json:"rota"`
}

// Line is one line's settings.
type Line struct {
	ID                  string `json:"id"`
	Name                string `json:"name"`
	Timezone            string `json:"timezone"`
	AlwaysOpen          bool   `json:"always_open"`
	FirstResponseTarget string `json:"first_response_target"`
	NextResponseTarget  string `json:"next_response_target"`
	Policy              string `json:"policy"`
}

// StaffMember is one person of the configuration's staff, without their
// work phone.
type StaffMember struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Role         string   `json:"role"`
	Teams        []string `json:"teams"`
	HasWorkPhone bool     `json:"has_work_phone"`
}

// Shift is one entry of the on-call rota.
type Shift struct {
	Line  string   `json:"line"`
	Level string   `json:"level"`
	Staff string   `json:"staff"`
	Days  []string `json:"days"`
	Hours string   `json:"hours,omitempty"`
}
