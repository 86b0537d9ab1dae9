package contracts

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPI returns openapi.yaml, the contract of the HTTP surface, as JSON
// values: what a JSON parser would give for the same document, numbers as
// json.Number.
func OpenAPI() (map[string]any, error) {
	var raw any
	if err := yaml.Unmarshal(openAPIYAML, &raw); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	// A mapping with a key that is not a string (an unquoted response
	// code) cannot be JSON: json.Marshal refuses it.
	b, err := json.Marshal(raw)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml is not JSON-compatible (quote response codes): %w", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("openapi.yaml is not a mapping")
	}
	return doc, nil
}

// OpenAPIURL is the base URL openapi.yaml is compiled under: a schema of
// it is addressed as a JSON pointer into it (OpenAPISchemaURL), so that
// its $refs resolve as in the document.
const OpenAPIURL = "https://helpline.example/contracts/openapi.yaml"

// OpenAPICompiler returns a compiler of the schemas of doc (OpenAPI's
// document) as draft 2020-12, the document's jsonSchemaDialect.
func OpenAPICompiler(doc map[string]any) (*jsonschema.Compiler, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource(OpenAPIURL, doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return c, nil
}

// OpenAPISchemaURL is the address of the schema at the JSON pointer of
// tokens ("components", "schemas", "Error"), each escaped for a URL
// fragment, for OpenAPICompiler's Compile.
func OpenAPISchemaURL(tokens ...string) string {
	var b strings.Builder
	b.WriteString(OpenAPIURL + "#")
	for _, tok := range tokens {
		b.WriteString("/" + url.PathEscape(strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)))
	}
	return b.String()
}
