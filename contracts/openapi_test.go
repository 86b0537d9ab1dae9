package contracts_test

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/helpline-org/helpline/contracts"
)

// operationMethods are the keys of a path item that are operations.
var operationMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPIDoc is contracts.OpenAPI, failing the test on an error.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	doc, err := contracts.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// resolve follows a local $ref ("#/a/b") to what it names.
func resolve(doc map[string]any, ref string) (any, error) {
	frag, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not local to the document", ref)
	}
	frag, err := url.PathUnescape(frag)
	if err != nil {
		return nil, fmt.Errorf("$ref %q: %w", ref, err)
	}
	var cur any = doc
	if frag == "" {
		return cur, nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(frag, "/"), "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not inside a mapping", ref, tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("$ref %q: no %q", ref, tok)
		}
	}
	return cur, nil
}

// deref returns v, or what its $ref names when it is a reference object.
func deref(t *testing.T, doc map[string]any, v any) map[string]any {
	t.Helper()
	m, _ := v.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		target, err := resolve(doc, ref)
		if err != nil {
			t.Fatal(err)
		}
		m, _ = target.(map[string]any)
	}
	return m
}

// schemaAt is one schema of the document and where it is.
type schemaAt struct {
	where  string // for messages
	ptr    []string
	schema map[string]any
	// examples are values the document gives for this schema: a media
	// type's example(s), a parameter's, or the schema's own "examples".
	examples []any
}

// operation is one documented method of one path.
type operation struct {
	path, method string
	op           map[string]any
}

func operations(doc map[string]any) []operation {
	var ops []operation
	paths, _ := doc["paths"].(map[string]any)
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[path].(map[string]any)
		for _, m := range operationMethods {
			if op, ok := item[m].(map[string]any); ok {
				ops = append(ops, operation{path: path, method: m, op: op})
			}
		}
	}
	return ops
}

// documentSchemas lists every schema of the document: the components'
// and those inline in parameters, headers and media types, with the
// examples given next to each.
func documentSchemas(t *testing.T, doc map[string]any) []schemaAt {
	t.Helper()
	var out []schemaAt
	comps, _ := doc["components"].(map[string]any)
	schemas, _ := comps["schemas"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(schemas)) {
		s, _ := schemas[name].(map[string]any)
		ex, _ := s["examples"].([]any)
		out = append(out, schemaAt{where: "components/schemas/" + name, ptr: []string{"components", "schemas", name}, schema: s, examples: ex})
	}
	// withSchema adds the schema of a parameter, header or media type
	// object at ptr, with its example(s).
	withSchema := func(where string, ptr []string, obj map[string]any) {
		if _, ok := obj["$ref"]; ok {
			return // a shared object is listed where it is defined
		}
		s, ok := obj["schema"].(map[string]any)
		if !ok {
			return
		}
		var ex []any
		if e, ok := obj["example"]; ok {
			ex = append(ex, e)
		}
		if named, ok := obj["examples"].(map[string]any); ok {
			for _, n := range slices.Sorted(maps.Keys(named)) {
				e := deref(t, doc, named[n])
				if v, ok := e["value"]; ok {
					ex = append(ex, v)
				}
			}
		}
		out = append(out, schemaAt{where: where, ptr: append(slices.Clone(ptr), "schema"), schema: s, examples: ex})
	}
	contentOf := func(where string, ptr []string, owner map[string]any) {
		content, _ := owner["content"].(map[string]any)
		for _, mt := range slices.Sorted(maps.Keys(content)) {
			m, _ := content[mt].(map[string]any)
			withSchema(where+" "+mt, append(slices.Clone(ptr), "content", mt), m)
		}
	}
	response := func(where string, ptr []string, r map[string]any) {
		if _, ok := r["$ref"]; ok {
			return
		}
		contentOf(where, ptr, r)
		headers, _ := r["headers"].(map[string]any)
		for _, h := range slices.Sorted(maps.Keys(headers)) {
			hm, _ := headers[h].(map[string]any)
			withSchema(where+" header "+h, append(slices.Clone(ptr), "headers", h), hm)
		}
	}
	params := func(where string, ptr []string, list []any) {
		for i, p := range list {
			pm, _ := p.(map[string]any)
			withSchema(fmt.Sprintf("%s parameter %v", where, pm["name"]), append(slices.Clone(ptr), fmt.Sprint(i)), pm)
		}
	}
	paths, _ := doc["paths"].(map[string]any)
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		item, _ := paths[path].(map[string]any)
		list, _ := item["parameters"].([]any)
		params(path, []string{"paths", path, "parameters"}, list)
	}
	for _, o := range operations(doc) {
		where := strings.ToUpper(o.method) + " " + o.path
		ptr := []string{"paths", o.path, o.method}
		list, _ := o.op["parameters"].([]any)
		params(where, append(slices.Clone(ptr), "parameters"), list)
		if rb, ok := o.op["requestBody"].(map[string]any); ok {
			contentOf(where+" request", append(slices.Clone(ptr), "requestBody"), rb)
		}
		responses, _ := o.op["responses"].(map[string]any)
		for _, code := range slices.Sorted(maps.Keys(responses)) {
			r, _ := responses[code].(map[string]any)
			response(where+" "+code, append(slices.Clone(ptr), "responses", code), r)
		}
	}
	for _, kind := range []string{"parameters", "headers"} {
		objs, _ := comps[kind].(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(objs)) {
			o, _ := objs[name].(map[string]any)
			withSchema("components/"+kind+"/"+name, []string{"components", kind, name}, o)
		}
	}
	rs, _ := comps["responses"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(rs)) {
		r, _ := rs[name].(map[string]any)
		response("components/responses/"+name, []string{"components", "responses", name}, r)
	}
	return out
}

// TestOpenAPIStructure checks the basics a tool needs of the document: an
// OpenAPI 3.1 version, and operations that each have an id, responses
// with descriptions, declared path parameters, known tags and known
// security schemes.
func TestOpenAPIStructure(t *testing.T) {
	doc := openAPIDoc(t)
	if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Errorf("openapi %q, want 3.1.x", v)
	}
	if d, _ := doc["jsonSchemaDialect"].(string); d != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("jsonSchemaDialect %q, want draft 2020-12", d)
	}
	info, _ := doc["info"].(map[string]any)
	for _, k := range []string{"title", "version"} {
		if s, _ := info[k].(string); s == "" {
			t.Errorf("info.%s is missing", k)
		}
	}
	tags := map[string]bool{}
	list, _ := doc["tags"].([]any)
	for _, tag := range list {
		tm, _ := tag.(map[string]any)
		tags[fmt.Sprint(tm["name"])] = true
	}
	comps, _ := doc["components"].(map[string]any)
	schemes, _ := comps["securitySchemes"].(map[string]any)

	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatal("no paths")
	}
	templated := regexp.MustCompile(`\{([^{}]+)\}`)
	ids := map[string]string{}
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		if !strings.HasPrefix(path, "/") {
			t.Errorf("path %q does not start with /", path)
		}
		item, _ := paths[path].(map[string]any)
		if !slices.ContainsFunc(operationMethods, func(m string) bool { return item[m] != nil }) {
			t.Errorf("%s has no operation", path)
		}
	}
	for _, o := range operations(doc) {
		name := strings.ToUpper(o.method) + " " + o.path
		id, _ := o.op["operationId"].(string)
		if id == "" {
			t.Errorf("%s has no operationId", name)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("%s and %s share operationId %s", prev, name, id)
		}
		ids[id] = name

		responses, _ := o.op["responses"].(map[string]any)
		if len(responses) == 0 {
			t.Errorf("%s has no responses", name)
		}
		for _, code := range slices.Sorted(maps.Keys(responses)) {
			if !regexp.MustCompile(`^([1-5]([0-9]{2}|XX)|default)$`).MatchString(code) {
				t.Errorf("%s: response %q is not a status code", name, code)
			}
			if r := deref(t, doc, responses[code]); r["description"] == nil {
				t.Errorf("%s %s has no description", name, code)
			}
		}

		// Path parameters: declared exactly for the template's names.
		declared := map[string]bool{}
		item, _ := paths[o.path].(map[string]any)
		pathParams, _ := item["parameters"].([]any)
		opParams, _ := o.op["parameters"].([]any)
		for _, p := range append(slices.Clone(pathParams), opParams...) {
			pm := deref(t, doc, p)
			if pm["in"] != "path" {
				continue
			}
			if pm["required"] != true {
				t.Errorf("%s: path parameter %v is not required", name, pm["name"])
			}
			declared[fmt.Sprint(pm["name"])] = true
		}
		inTemplate := map[string]bool{}
		for _, m := range templated.FindAllStringSubmatch(o.path, -1) {
			inTemplate[m[1]] = true
			if !declared[m[1]] {
				t.Errorf("%s: path parameter {%s} is not declared", name, m[1])
			}
		}
		for p := range declared {
			if !inTemplate[p] {
				t.Errorf("%s: parameter %s is not in the path", name, p)
			}
		}

		opTags, _ := o.op["tags"].([]any)
		if len(opTags) == 0 {
			t.Errorf("%s has no tag", name)
		}
		for _, tag := range opTags {
			if !tags[fmt.Sprint(tag)] {
				t.Errorf("%s: tag %v is not declared", name, tag)
			}
		}
		security, _ := o.op["security"].([]any)
		for _, req := range security {
			rm, _ := req.(map[string]any)
			for s := range rm {
				if schemes[s] == nil {
					t.Errorf("%s: security scheme %s is not declared", name, s)
				}
			}
		}
	}
}

// TestOpenAPIRefsResolve checks every $ref is local and names something.
func TestOpenAPIRefsResolve(t *testing.T) {
	doc := openAPIDoc(t)
	n := 0
	var walk func(where string, v any)
	walk = func(where string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				n++
				if _, err := resolve(doc, ref); err != nil {
					t.Errorf("%s: %v", where, err)
				}
			}
			for _, k := range slices.Sorted(maps.Keys(v)) {
				walk(where+"/"+k, v[k])
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s/%d", where, i), e)
			}
		}
	}
	walk("", doc)
	if n == 0 {
		t.Error("no $ref found: the walk is broken")
	}
}

// openAPICompiler is contracts.OpenAPICompiler, asserting formats.
func openAPICompiler(t *testing.T, doc map[string]any) *jsonschema.Compiler {
	t.Helper()
	c, err := contracts.OpenAPICompiler(doc)
	if err != nil {
		t.Fatal(err)
	}
	c.AssertFormat()
	return c
}

// TestOpenAPISchemasCompile checks every schema, in components and
// inline, is a valid draft 2020-12 schema and compiles with its $refs.
func TestOpenAPISchemasCompile(t *testing.T) {
	doc := openAPIDoc(t)
	c := openAPICompiler(t, doc)
	meta, err := c.Compile("https://json-schema.org/draft/2020-12/schema")
	if err != nil {
		t.Fatal(err)
	}
	schemas := documentSchemas(t, doc)
	if len(schemas) < 10 {
		t.Fatalf("found %d schemas: the walk is broken", len(schemas))
	}
	for _, s := range schemas {
		if err := meta.Validate(s.schema); err != nil {
			t.Errorf("%s is not a draft 2020-12 schema: %v", s.where, err)
			continue
		}
		if _, err := c.Compile(contracts.OpenAPISchemaURL(s.ptr...)); err != nil {
			t.Errorf("%s does not compile: %v", s.where, err)
		}
	}
}

// TestOpenAPIExamplesValidate checks every example the document gives
// matches its schema, that every component schema has one, and that a
// schema closed to unknown fields (as the chat API's decoder is) rejects
// an example with one more.
func TestOpenAPIExamplesValidate(t *testing.T) {
	doc := openAPIDoc(t)
	c := openAPICompiler(t, doc)
	checked := 0
	for _, s := range documentSchemas(t, doc) {
		if strings.HasPrefix(s.where, "components/schemas/") && len(s.examples) == 0 {
			t.Errorf("%s has no examples", s.where)
		}
		if len(s.examples) == 0 {
			continue
		}
		sch, err := c.Compile(contracts.OpenAPISchemaURL(s.ptr...))
		if err != nil {
			t.Errorf("%s: %v", s.where, err)
			continue
		}
		for i, ex := range s.examples {
			checked++
			if err := sch.Validate(ex); err != nil {
				t.Errorf("%s: example %d does not match: %v", s.where, i, err)
			}
			obj, ok := ex.(map[string]any)
			if !ok || s.schema["additionalProperties"] != false {
				continue
			}
			extra := map[string]any{"unexpected_field": "x"}
			for k, v := range obj {
				extra[k] = v
			}
			if err := sch.Validate(extra); err == nil {
				t.Errorf("%s: example %d with an unknown field is accepted", s.where, i)
			}
		}
	}
	if checked < 10 {
		t.Errorf("checked %d examples: the walk is broken", checked)
	}
}

// TestOpenAPISchemasRejectWhatTheCodeRejects pins the limits the handlers
// enforce to the schemas that document them.
func TestOpenAPISchemasRejectWhatTheCodeRejects(t *testing.T) {
	doc := openAPIDoc(t)
	c := openAPICompiler(t, doc)
	compile := func(name string) *jsonschema.Schema {
		s, err := c.Compile(contracts.OpenAPISchemaURL("components", "schemas", name))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	long := strings.Repeat("é", 1600) // 1600 characters, 3200 bytes
	tests := []struct {
		schema string
		value  any
		valid  bool
	}{
		{"ChatSendRequest", map[string]any{"body": long}, true},
		{"ChatSendRequest", map[string]any{"body": long + "a"}, false},
		{"ChatSendRequest", map[string]any{"body": ""}, false},
		{"ChatSendRequest", map[string]any{"body": " \n\t"}, false},
		{"ChatSendRequest", map[string]any{"id": "abc"}, false},
		{"ChatSendRequest", map[string]any{"body": "hi", "id": "not valid!"}, false},
		{"ChatSendRequest", map[string]any{"body": "hi", "id": strings.Repeat("a", 65)}, false},
		{"ChatStartRequest", map[string]any{"language": "english"}, false},
		{"ChatStartRequest", map[string]any{"language": "zh-Hant"}, true},
		{"ChatStartRequest", map[string]any{"line": 5}, false},
		{"TwilioInboundSMS", map[string]any{"MessageSid": "SM0123456789abcdef0123456789abcdef", "From": "+447700900123", "To": "+442079460000", "Body": long}, true},
		{"TwilioInboundSMS", map[string]any{"MessageSid": "SM0123456789abcdef0123456789abcdef", "From": "+447700900123", "To": "+442079460000", "Body": long + "a"}, false},
		{"TwilioInboundSMS", map[string]any{"MessageSid": "SM0123", "From": "+447700900123", "To": "+442079460000"}, false},
		{"TwilioInboundSMS", map[string]any{"MessageSid": "SM0123456789abcdef0123456789abcdef", "From": "07700900123", "To": "+442079460000"}, false},
		{"TwilioInboundSMS", map[string]any{"MessageSid": "SM0123456789abcdef0123456789abcdef", "From": "whatsapp:+447700900123", "To": "whatsapp:+442079460000", "ProfileName": "x", "WaId": "447700900123"}, true},
		{"TwilioInboundSMS", map[string]any{"MessageSid": "SM0123456789abcdef0123456789abcdef", "From": "whatsapp:07700900123", "To": "whatsapp:+442079460000"}, false},
		{"TwilioInboundSMS", map[string]any{"MessageSid": "SM0123456789abcdef0123456789abcdef", "From": "+447700900123", "To": "+442079460000", "MediaUrl0": "https://api.twilio.com/x"}, true},
		{"TwilioStatusCallback", map[string]any{"MessageSid": "SM0123456789abcdef0123456789abcdef", "MessageStatus": "lost"}, false},
		{"TwilioStatusCallback", map[string]any{"MessageSid": "SM0123456789abcdef0123456789abcdef", "MessageStatus": "failed", "ErrorCode": "-1"}, false},
		{"Readiness", map[string]any{"status": "ok"}, false},
	}
	for _, tt := range tests {
		err := compile(tt.schema).Validate(tt.value)
		if (err == nil) != tt.valid {
			t.Errorf("%s %v: valid %v, want %v (%v)", tt.schema, tt.value, err == nil, tt.valid, err)
		}
	}
}
