package console

import "testing"

// TestSignInReturnsOnlyToLocalPaths: the page asked for is kept through
// sign-in, and nothing sends staff to another site.
func TestSignInReturnsOnlyToLocalPaths(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"/queue/k7q2kx3mz5d4a6ffh2rtw9pq1e", "/queue/k7q2kx3mz5d4a6ffh2rtw9pq1e"},
		{"/inbox?cursor=abc", "/inbox?cursor=abc"},
		{"", "/"},
		{"/", "/"},
		{"//evil.example/queue", "/"},
		{"https://evil.example/", "/"},
		{"/\\evil.example", "/"},
		{"evil.example", "/"},
		{"/login?next=/x", "/"},
		{"/queue/x\r\nSet-Cookie: a=b", "/"},
		{"javascript:alert(1)", "/"},
	} {
		if got := localPath(c.in); got != c.want {
			t.Errorf("localPath(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := loginURL("/queue/k7q2"); got != "/login?next=%2Fqueue%2Fk7q2" {
		t.Errorf("loginURL = %q", got)
	}
	if got := loginURL("//evil.example"); got != "/login" {
		t.Errorf("loginURL of another site = %q", got)
	}
}
