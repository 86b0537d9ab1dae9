package contracts

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"

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
