package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/helpline-org/helpline/contracts"
)

// apiOp is one documented operation and the request its examples make.
type apiOp struct {
	method, path string
	ptr          []string // JSON pointer tokens of the operation
	op           map[string]any
}

// TestRoutesMatchOpenAPI runs the binary in its default shape (embedded,
// sandbox) and sends every operation contracts/openapi.yaml documents,
// built from the document's own examples. No documented route may answer
// 404 or 405; every answer's status must be one the document lists for
// it, with a documented media type, and JSON bodies must match their
// schemas. Paths the document does not list answer 404, and documented
// paths asked with a method the document does not list answer 404 or 405.
func TestRoutesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	doc, err := contracts.OpenAPI() // the HTTP contract the routes are checked against
	if err != nil {
		t.Fatal(err)
	}
	c, err := contracts.OpenAPICompiler(doc)
	if err != nil {
		t.Fatal(err)
	}

	p := startHelpline(t, t.TempDir())
	p.waitReady(t)
	base := "http://" + p.addr
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Timeout: 15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	ops := apiOps(doc)
	if len(ops) < 10 {
		t.Fatalf("found %d operations: the walk is broken", len(ops))
	}
	for _, o := range ops {
		name := strings.ToUpper(o.method) + " " + o.path
		req := exampleRequest(t, doc, base, o)
		resp, err := client.Do(req)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		var body []byte
		if mt != "text/event-stream" { // a stream does not end: headers are enough
			body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		}
		resp.Body.Close()
		t.Logf("%s %s: %d %s", req.Method, req.URL.RequestURI(), resp.StatusCode, mt)

		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			t.Errorf("%s is documented but answers %d: %.200s", name, resp.StatusCode, body)
			continue
		}
		code := strconv.Itoa(resp.StatusCode)
		responses, _ := o.op["responses"].(map[string]any)
		documented, ok := responses[code]
		if !ok {
			t.Errorf("%s answers %d, which the document does not list for it: %.200s", name, resp.StatusCode, body)
			continue
		}
		content, _ := derefMap(t, doc, documented)["content"].(map[string]any)
		if len(content) == 0 {
			continue
		}
		if _, ok := content[mt]; !ok {
			t.Errorf("%s %d: Content-Type %q, document lists %v", name, resp.StatusCode, mt, slices.Sorted(maps.Keys(content)))
			continue
		}
		media, _ := content[mt].(map[string]any)
		if mt != "application/json" || media["schema"] == nil {
			continue
		}
		respPtr := slices.Concat(o.ptr, []string{"responses", code})
		if ref, ok := documented.(map[string]any)["$ref"].(string); ok {
			respPtr = refTokens(ref)
		}
		sch, err := c.Compile(contracts.OpenAPISchemaURL(slices.Concat(respPtr, []string{"content", mt, "schema"})...))
		if err != nil {
			t.Errorf("%s %d schema: %v", name, resp.StatusCode, err)
			continue
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
		if err != nil {
			t.Errorf("%s %d: body is not JSON: %v: %.200s", name, resp.StatusCode, err, body)
			continue
		}
		if err := sch.Validate(v); err != nil {
			t.Errorf("%s %d: body does not match the document: %v", name, resp.StatusCode, err)
		}
	}

	documented := map[string]bool{}
	paths, _ := doc["paths"].(map[string]any)
	for path := range paths {
		documented[path] = true
	}
	// Paths nobody documented.
	for _, path := range []string{"/nonexistent", "/admin", "/assets/nonexistent", "/api/conversations", "/api/nonexistent", "/api/chat", "/api/chat/", "/api/chat/nonexistent",
		"/chat/nonexistent", "/twilio", "/twilio/other", "/sandbox/nonexistent", "/sandbox-api/2010-04-01/Nothing",
		"/healthz/extra", "/console"} {
		if documented[path] {
			t.Errorf("%s is documented: pick another undocumented path", path)
			continue
		}
		resp, err := client.Get(base + path)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("undocumented GET %s answers %d, want 404", path, resp.StatusCode)
		}
	}
	// Methods nobody documented. /sandbox redirects whatever the method.
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[path].(map[string]any)
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
			if item[strings.ToLower(m)] != nil || path == "/sandbox" {
				continue
			}
			req, err := http.NewRequest(m, base+fillPath(t, doc, path, item, nil), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Errorf("%s %s: %v", m, path, err)
				continue
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed && resp.StatusCode != http.StatusNotFound {
				t.Errorf("undocumented %s %s answers %d, want 405 or 404", m, path, resp.StatusCode)
			}
		}
	}
}

// apiOps lists the documented operations in the order they are sent:
// POSTs first, so that a chat is started (POST /api/chat/conversations
// sorts before POST /api/chat/messages) before the routes that need its
// session; DELETEs last, so that leaving the chat comes after every use.
func apiOps(doc map[string]any) []apiOp {
	rank := map[string]int{"post": 0, "get": 1, "put": 1, "patch": 1, "delete": 2}
	var ops []apiOp
	paths, _ := doc["paths"].(map[string]any)
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[path].(map[string]any)
		for m := range rank {
			if op, ok := item[m].(map[string]any); ok {
				ops = append(ops, apiOp{method: m, path: path, ptr: []string{"paths", path, m}, op: op})
			}
		}
	}
	slices.SortFunc(ops, func(a, b apiOp) int {
		if d := rank[a.method] - rank[b.method]; d != 0 {
			return d
		}
		return strings.Compare(a.path, b.path)
	})
	return ops
}

// exampleRequest builds o's request from the document's examples: path
// parameters, required query and header parameters, and the request body.
func exampleRequest(t *testing.T, doc map[string]any, base string, o apiOp) *http.Request {
	t.Helper()
	paths, _ := doc["paths"].(map[string]any)
	item, _ := paths[o.path].(map[string]any)
	query := url.Values{}
	header := http.Header{}
	for _, p := range params(t, doc, item, o.op) {
		if p["required"] != true {
			continue
		}
		ex, ok := p["example"]
		if !ok {
			t.Fatalf("%s %s: required parameter %v has no example", o.method, o.path, p["name"])
		}
		switch p["in"] {
		case "query":
			query.Set(fmt.Sprint(p["name"]), fmt.Sprint(ex))
		case "header":
			header.Set(fmt.Sprint(p["name"]), fmt.Sprint(ex))
		}
	}
	u := base + fillPath(t, doc, o.path, item, o.op)
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var body io.Reader
	if rb, ok := o.op["requestBody"]; ok {
		content, _ := derefMap(t, doc, rb)["content"].(map[string]any)
		mt := slices.Sorted(maps.Keys(content))[0]
		media, _ := content[mt].(map[string]any)
		ex, ok := media["example"]
		if !ok {
			t.Fatalf("%s %s: request body %s has no example", o.method, o.path, mt)
		}
		switch mt {
		case "application/json":
			b, err := json.Marshal(ex)
			if err != nil {
				t.Fatal(err)
			}
			body = bytes.NewReader(b)
		case "application/x-www-form-urlencoded":
			form := url.Values{}
			fields, _ := ex.(map[string]any)
			for k, v := range fields {
				form.Set(k, fmt.Sprint(v))
			}
			body = strings.NewReader(form.Encode())
		default:
			t.Fatalf("%s %s: no way to send %s", o.method, o.path, mt)
		}
		header.Set("Content-Type", mt)
	}
	req, err := http.NewRequest(strings.ToUpper(o.method), u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return req
}

var pathTemplate = regexp.MustCompile(`\{([^{}]+)\}`)

// fillPath puts the examples of the path parameters into path.
func fillPath(t *testing.T, doc map[string]any, path string, item, op map[string]any) string {
	t.Helper()
	examples := map[string]string{}
	for _, p := range params(t, doc, item, op) {
		if p["in"] == "path" {
			examples[fmt.Sprint(p["name"])] = fmt.Sprint(p["example"])
		}
	}
	if op == nil { // any operation's path parameters will do
		for _, m := range []string{"get", "post", "put", "patch", "delete"} {
			if o, ok := item[m].(map[string]any); ok {
				for _, p := range params(t, doc, item, o) {
					if p["in"] == "path" {
						examples[fmt.Sprint(p["name"])] = fmt.Sprint(p["example"])
					}
				}
			}
		}
	}
	return pathTemplate.ReplaceAllStringFunc(path, func(s string) string {
		v, ok := examples[s[1:len(s)-1]]
		if !ok {
			t.Fatalf("%s: no example for %s", path, s)
		}
		return url.PathEscape(v)
	})
}

// params is the path item's and the operation's parameters, resolved.
func params(t *testing.T, doc map[string]any, item, op map[string]any) []map[string]any {
	t.Helper()
	var out []map[string]any
	a, _ := item["parameters"].([]any)
	b, _ := op["parameters"].([]any)
	for _, p := range slices.Concat(a, b) {
		out = append(out, derefMap(t, doc, p))
	}
	return out
}

// derefMap returns v, or what its local $ref names.
func derefMap(t *testing.T, doc map[string]any, v any) map[string]any {
	t.Helper()
	m, _ := v.(map[string]any)
	ref, ok := m["$ref"].(string)
	if !ok {
		return m
	}
	var cur any = doc
	for _, tok := range refTokens(ref) {
		cm, _ := cur.(map[string]any)
		if cur, ok = cm[tok]; !ok {
			t.Fatalf("$ref %s does not resolve", ref)
		}
	}
	m, _ = cur.(map[string]any)
	return m
}

// refTokens splits a local $ref into its JSON pointer tokens.
func refTokens(ref string) []string {
	frag, _ := url.PathUnescape(strings.TrimPrefix(ref, "#/"))
	toks := strings.Split(frag, "/")
	for i, tok := range toks {
		toks[i] = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
	}
	return toks
}
