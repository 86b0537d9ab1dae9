package console_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/helpline-org/helpline/contracts"
)

// TestContractNamesEveryRoute: every console route is in
// contracts/openapi.yaml, and every JSON answer of the role-by-route
// matrix matches the schema documented for its status.
func TestContractNamesEveryRoute(t *testing.T) {
	t.Parallel()
	doc, err := contracts.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	paths := doc["paths"].(map[string]any)
	s := seed(t)
	for _, rt := range s.svc.Routes() {
		method, pattern, _ := strings.Cut(rt, " ")
		item, ok := paths[pattern].(map[string]any)
		if !ok || item[strings.ToLower(method)] == nil {
			t.Errorf("%s is not in contracts/openapi.yaml", rt)
		}
	}
	c, err := contracts.OpenAPICompiler(doc)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, id := range []string{"wes", "dana", "mia", "ada"} {
		cl := s.signIn(t, id)
		for _, r := range s.matrix() {
			if !strings.HasPrefix(r.pattern, "/api/") || r.pattern == "/api/live" || r.method == "DELETE" {
				continue
			}
			code, body := cl.send(r.method, r.path, r.body)
			if len(body) == 0 || body[0] != '{' {
				continue
			}
			op := paths[r.pattern].(map[string]any)[strings.ToLower(r.method)].(map[string]any)
			resp, ok := op["responses"].(map[string]any)[strconv.Itoa(code)].(map[string]any)
			if !ok {
				t.Errorf("%s %s as %s: %d is not documented", r.method, r.pattern, id, code)
				continue
			}
			ptr := []string{"paths", r.pattern, strings.ToLower(r.method), "responses", strconv.Itoa(code)}
			if ref, ok := resp["$ref"].(string); ok {
				ptr = strings.Split(strings.TrimPrefix(ref, "#/"), "/")
			}
			sch, err := c.Compile(contracts.OpenAPISchemaURL(append(ptr, "content", "application/json", "schema")...))
			if err != nil {
				t.Errorf("%s %s %d: %v", r.method, r.pattern, code, err)
				continue
			}
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(v); err != nil {
				t.Errorf("%s %s as %s (%d): the answer does not match the contract: %v", r.method, r.pattern, id, code, err)
			}
			checked++
		}
	}
	if checked < 30 {
		t.Errorf("checked %d answers: the walk is broken", checked)
	}
}
