package views

// Viewer is who is signed in, as the layout shows them.
type Viewer struct {
	ID   string
	Name string
	Role string
}

// Session is the API's view of a session.
type Session struct {
	StaffID   string `json:"staff_id"`
	Name      string `json:"name"`
	Role      string `json:"role"`
	CSRFToken string `json:"csrf_token"`
	ExpiresAt string `json:"expires_at"`
}

// Error is the API's body for a refused request.
type Error struct {
	Error string `json:"error"`
}

// Changed is the data of a live stream's "changed" event: which list
// changed. It carries no content and no pseudonym.
type Changed struct {
	View string `json:"view"`
}
