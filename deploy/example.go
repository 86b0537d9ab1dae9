// Package deploy holds deployment material: the documented example
// configuration (embedded, so `helpline run` works from any directory),
// the container image, NATS cluster configuration, Kubernetes manifests
// and SQL migrations.
package deploy

import _ "embed"

// ExampleConfig is deploy/helpline.example.yaml, the default of
// HELPLINE_CONFIG (config.DefaultConfigFile).
//
//go:embed helpline.example.yaml
var ExampleConfig []byte
