package console

import (
	"net/url"
	"strings"
)

// loginURL is the sign-in page that returns to path once signed in.
func loginURL(path string) string {
	if p := localPath(path); p != "/" {
		return "/login?next=" + url.QueryEscape(p)
	}
	return "/login"
}

// localPath returns p when it is a path on this console ("/queue/x?y"),
// else "/": never another site ("//evil.example", "https://…",
// "/\\evil.example"), so a link cannot make signing in send staff
// elsewhere (an open redirect).
func localPath(p string) string {
	if len(p) > 2048 || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\x00\r\n\t") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || strings.HasPrefix(u.Path, "/login") {
		return "/"
	}
	return u.RequestURI()
}
