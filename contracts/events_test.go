package contracts_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/helpline-org/helpline/events"
)

var update = flag.Bool("update", false, "write schemas for event types that have none (never overwrites)")

func schemaPath(d events.Definition) string {
	return filepath.Join("events", fmt.Sprintf("%s.v%d.schema.json", d.Type, d.Version))
}

// TestEventSchemas emits an example of every catalogued event, wrapped in
// its envelope, and validates it against the committed schemas. An event
// type without a schema fails.
func TestEventSchemas(t *testing.T) {
	c := jsonschema.NewCompiler()
	envSchema, err := c.Compile("events/envelope.schema.json")
	if err != nil {
		t.Fatalf("envelope schema: %v", err)
	}
	for _, d := range events.Catalogue() {
		t.Run(fmt.Sprintf("%s.v%d", d.Type, d.Version), func(t *testing.T) {
			path := schemaPath(d)
			if _, err := os.Stat(path); os.IsNotExist(err) {
				if !*update {
					t.Fatalf("%s has no schema at contracts/%s (generate with -update, review, commit)", d.Type, path)
				}
				writeSchema(t, d, path)
			}
			sch, err := c.Compile(path)
			if err != nil {
				t.Fatalf("compile %s: %v", path, err)
			}
			env, err := events.New("agg-1", d.Example(), events.Meta{OccurredAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			wire, err := json.Marshal(env)
			if err != nil {
				t.Fatal(err)
			}
			if err := envSchema.Validate(decode(t, wire)); err != nil {
				t.Errorf("envelope does not match envelope.schema.json: %v", err)
			}
			if err := sch.Validate(decode(t, env.Payload)); err != nil {
				t.Errorf("payload does not match %s: %v", path, err)
			}
			// The schema must reject what the code would never emit: an
			// unknown field means the two have drifted.
			var withExtra map[string]any
			_ = json.Unmarshal(env.Payload, &withExtra)
			withExtra["unexpected_field"] = 1
			if err := sch.Validate(withExtra); err == nil {
				t.Errorf("%s accepts unknown fields", path)
			}
		})
	}
}

// TestNoOrphanSchemas fails for a schema file whose event type is not in
// the catalogue.
func TestNoOrphanSchemas(t *testing.T) {
	known := map[string]bool{"envelope.schema.json": true}
	for _, d := range events.Catalogue() {
		known[filepath.Base(schemaPath(d))] = true
	}
	files, _ := filepath.Glob("events/*.json")
	for _, f := range files {
		if !known[filepath.Base(f)] {
			t.Errorf("contracts/%s describes no catalogued event", f)
		}
	}
}

// TestAsyncAPINamesEveryEvent checks the AsyncAPI document lists every
// catalogued event as a message whose payload is its schema file, and
// names the streams the store creates.
func TestAsyncAPINamesEveryEvent(t *testing.T) {
	data, err := os.ReadFile("asyncapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		AsyncAPI   string `yaml:"asyncapi"`
		Components struct {
			Messages map[string]struct {
				Name    string `yaml:"name"`
				Payload struct {
					Ref string `yaml:"$ref"`
				} `yaml:"payload"`
			} `yaml:"messages"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("asyncapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.AsyncAPI, "3.") {
		t.Errorf("asyncapi version %q, want 3.x", doc.AsyncAPI)
	}
	for _, d := range events.Catalogue() {
		key := fmt.Sprintf("%s.v%d", d.Type, d.Version)
		m, ok := doc.Components.Messages[key]
		if !ok {
			t.Errorf("asyncapi.yaml has no message %s", key)
			continue
		}
		if want := "./" + filepath.ToSlash(schemaPath(d)); m.Payload.Ref != want {
			t.Errorf("message %s payload $ref %q, want %q", key, m.Payload.Ref, want)
		}
	}
	for _, s := range []string{events.DefaultStream, events.DefaultAuditStream, events.DefaultDeadLetterStream, events.SubjectPrefix} {
		if !bytes.Contains(data, []byte(s)) {
			t.Errorf("asyncapi.yaml does not mention %s", s)
		}
	}
}

func decode(t *testing.T, b []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// writeSchema derives a strict schema from the payload's Go type: a start
// for a human to review, not a substitute for one.
func writeSchema(t *testing.T, d events.Definition, path string) {
	t.Helper()
	s := typeSchema(reflect.TypeOf(d.Example()))
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = "https://helpline.example/contracts/" + filepath.ToSlash(path)
	s["title"] = fmt.Sprintf("%s v%d", d.Type, d.Version)
	s["description"] = d.Doc + " Aggregate: " + d.Aggregate + "."
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: review it before committing", path)
}

var timeType = reflect.TypeOf(time.Time{})

func typeSchema(rt reflect.Type) map[string]any {
	switch {
	case rt == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case rt.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case rt.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case rt.Kind() >= reflect.Int && rt.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case rt.Kind() == reflect.Float64 || rt.Kind() == reflect.Float32:
		return map[string]any{"type": "number"}
	case rt.Kind() == reflect.Slice && rt.Elem().Kind() == reflect.Uint8:
		return map[string]any{"type": "string", "contentEncoding": "base64"}
	case rt.Kind() == reflect.Slice:
		return map[string]any{"type": []string{"array", "null"}, "items": typeSchema(rt.Elem())}
	case rt.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": typeSchema(rt.Elem())}
	case rt.Kind() == reflect.Struct:
		props := map[string]any{}
		var required []string
		for i := range rt.NumField() {
			f := rt.Field(i)
			tag := f.Tag.Get("json")
			name, opts, _ := strings.Cut(tag, ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			props[name] = typeSchema(f.Type)
			if !strings.Contains(opts, "omitempty") {
				required = append(required, name)
			}
		}
		s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	panic("no schema for " + rt.String())
}
