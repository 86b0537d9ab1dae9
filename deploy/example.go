// Package deploy holds deployment material: the documented example
// configuration (embedded, so `helpline run` works from any directory),
// the container image, NATS cluster configuration, Kubernetes manifests
// and SQL migrations.
package deploy

import _ "embed"

// ExampleConfig is deploy/helpline.example.yaml.
//
//go:embed helpline.example.yaml
var ExampleConfig []byte

// ExampleConfigPath is the default of HELPLINE_CONFIG.
const ExampleConfigPath = "deploy/helpline.example.yaml"
