package deploy_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/helpline-org/helpline/internal/config"
)

// serveServices are the services `helpline serve` runs (cmd/helpline).
var serveServices = map[string]bool{"ingestion": true, "triage": true, "notification": true, "projector": true, "console": true}

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
	Secrets  map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
}

type composeService struct {
	Image       string            `yaml:"image"`
	Build       map[string]string `yaml:"build"`
	Command     []string          `yaml:"command"`
	Entrypoint  []string          `yaml:"entrypoint"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Secrets     []string          `yaml:"secrets"`
	Ports       []string          `yaml:"ports"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck struct {
		Test    []string `yaml:"test"`
		Disable bool     `yaml:"disable"`
	} `yaml:"healthcheck"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var f composeFile
	// yaml.v3 resolves the anchors and merge keys as compose does.
	if err := yaml.Unmarshal(data, &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f
}

// TestComposeShape checks docker-compose.yml without a container engine:
// the distributed shape is all there, every depends_on names a service
// with the condition it can meet, every long-running service has a health
// check, helpline containers run real commands with real HELPLINE_
// variables, and the NATS nodes use the shared cluster config.
func TestComposeShape(t *testing.T) {
	f := loadCompose(t)
	vars := map[string]bool{}
	for _, v := range config.Vars() {
		vars[v.Name] = true
	}
	var roles []string
	for name, s := range f.Services {
		for dep, d := range s.DependsOn {
			target, ok := f.Services[dep]
			if !ok {
				t.Errorf("%s depends on %s, which is not a service", name, dep)
				continue
			}
			switch d.Condition {
			case "service_healthy":
				if len(target.Healthcheck.Test) == 0 || target.Healthcheck.Disable {
					t.Errorf("%s waits for %s to be healthy, which has no health check", name, dep)
				}
			case "service_completed_successfully", "service_started":
			default:
				t.Errorf("%s -> %s: condition %q", name, dep, d.Condition)
			}
		}
		isJob := name == "migrate" || name == "cockroach-init"
		if !isJob && (len(s.Healthcheck.Test) == 0 || s.Healthcheck.Disable) {
			t.Errorf("%s has no health check", name)
		}
		if s.Image == "" {
			t.Errorf("%s has no image", name)
		}
		for _, v := range s.Volumes {
			src := strings.SplitN(v, ":", 2)[0]
			if strings.HasPrefix(src, "./") {
				if _, err := os.Stat(filepath.Join("..", src)); err != nil {
					t.Errorf("%s mounts %s: %v", name, src, err)
				}
			} else if _, ok := f.Volumes[src]; !ok {
				t.Errorf("%s mounts volume %s, which is not declared", name, src)
			}
		}
		for _, sec := range s.Secrets {
			if _, ok := f.Secrets[sec]; !ok {
				t.Errorf("%s uses secret %s, which is not declared", name, sec)
			}
		}
		if s.Image != "helpline:local" {
			continue
		}
		if s.Healthcheck.Test != nil && strings.Join(s.Healthcheck.Test, " ") != "CMD /usr/local/bin/helpline health" {
			t.Errorf("%s: health check %v, want helpline health", name, s.Healthcheck.Test)
		}
		switch {
		case len(s.Command) == 2 && s.Command[0] == "serve" && serveServices[s.Command[1]]:
			roles = append(roles, s.Command[1])
		case len(s.Command) == 1 && s.Command[0] == "migrate":
			if s.DependsOn["cockroach-init"].Condition != "service_completed_successfully" {
				t.Errorf("migrate must wait for the database's init")
			}
		default:
			t.Errorf("%s: command %v is not a helpline command", name, s.Command)
		}
		for k := range s.Environment {
			if !vars[k] {
				t.Errorf("%s: %s is not a HELPLINE_ variable of internal/config", name, k)
			}
		}
		for _, k := range []string{config.VarNATSURL, config.VarMasterKeyFile, config.VarDatabaseURL, config.VarTwilioSID, config.VarTwilioToken, config.VarPublicURL} {
			if s.Environment[k] == "" {
				t.Errorf("%s: %s is not set", name, k)
			}
		}
		if len(s.Command) == 2 && s.DependsOn["migrate"].Condition != "service_completed_successfully" {
			t.Errorf("%s must start after the migration", name)
		}
	}
	count := map[string]int{}
	for _, r := range roles {
		count[r]++
	}
	for svc := range serveServices {
		want := 1
		if svc == "ingestion" {
			want = 2
		}
		if count[svc] < want {
			t.Errorf("%d %s services, want at least %d", count[svc], svc, want)
		}
	}

	var nats, crdb int
	for name, s := range f.Services {
		switch {
		case strings.HasPrefix(s.Image, "nats:"):
			nats++
			if strings.Join(s.Command, " ") != "-c /etc/nats/cluster.conf" || !contains(s.Volumes, "./deploy/nats/cluster.conf:/etc/nats/cluster.conf:ro") {
				t.Errorf("%s does not run deploy/nats/cluster.conf", name)
			}
			if s.Environment["NATS_SERVER_NAME"] != name || s.Environment["NATS_ROUTE_3"] == "" {
				t.Errorf("%s: server name %q, routes %q", name, s.Environment["NATS_SERVER_NAME"], s.Environment["NATS_ROUTE_3"])
			}
		case strings.HasPrefix(s.Image, "cockroachdb/") && len(s.Command) > 0 && s.Command[0] == "start":
			crdb++
		}
	}
	if nats != 3 || crdb != 3 {
		t.Errorf("%d NATS nodes and %d CockroachDB nodes, want 3 and 3", nats, crdb)
	}
	if _, ok := f.Services["cockroach-init"]; !ok {
		t.Error("no cockroach-init job")
	}
}

// TestComposeConfigValidates runs `docker compose config -q` where the
// compose plugin exists (it needs no engine); the structural check above
// runs everywhere.
func TestComposeConfigValidates(t *testing.T) {
	if exec.Command("docker", "compose", "version").Run() != nil {
		t.Skip("no docker compose plugin here; TestComposeShape checks the file")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "compose", "-f", "../docker-compose.yml", "config", "-q")
	cmd.Env = append(os.Environ(), "HELPLINE_TWILIO_ACCOUNT_SID=ACtest", "HELPLINE_TWILIO_AUTH_TOKEN=test", "HELPLINE_PUBLIC_URL=https://sms.example.org")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker compose config: %v\n%s", err, out)
	}
}

// TestNATSConfigSyncsAlways checks the cluster config fsyncs every write
// and names every variable the harness and compose set.
func TestNATSConfigSyncsAlways(t *testing.T) {
	data, err := os.ReadFile("nats/cluster.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf := string(data)
	if !regexp.MustCompile(`(?m)^\s*sync_interval:\s*always\s*$`).MatchString(conf) {
		t.Error("nats/cluster.conf must set sync_interval: always")
	}
	for _, v := range []string{"NATS_SERVER_NAME", "NATS_LISTEN", "NATS_HTTP", "NATS_CLUSTER", "NATS_ROUTE_1", "NATS_ROUTE_2", "NATS_ROUTE_3", "NATS_STORE_DIR"} {
		if !strings.Contains(conf, "$"+v) {
			t.Errorf("nats/cluster.conf does not use $%s", v)
		}
	}
	values, err := os.ReadFile("k8s/nats-values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Config struct {
			Cluster struct {
				Replicas int `yaml:"replicas"`
			} `yaml:"cluster"`
			Merge struct {
				JetStream map[string]string `yaml:"jetstream"`
			} `yaml:"merge"`
		} `yaml:"config"`
	}
	if err := yaml.Unmarshal(values, &v); err != nil {
		t.Fatal(err)
	}
	if v.Config.Cluster.Replicas != 3 || v.Config.Merge.JetStream["sync_interval"] != "always" {
		t.Errorf("k8s/nats-values.yaml: %d replicas, sync_interval %q; want 3, always", v.Config.Cluster.Replicas, v.Config.Merge.JetStream["sync_interval"])
	}
}

type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Spec struct {
		Replicas int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	Containers []struct {
		Args []string `yaml:"args"`
		Env  []struct {
			Name string `yaml:"name"`
		} `yaml:"env"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
	} `yaml:"containers"`
}

type probe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
	} `yaml:"httpGet"`
}

// TestKubernetesManifests checks deploy/k8s: a Deployment per service with
// probes on /healthz and /readyz, non-root pods, real HELPLINE_ variables,
// and a PodDisruptionBudget selecting each Deployment's pods.
func TestKubernetesManifests(t *testing.T) {
	vars := map[string]bool{}
	for _, v := range config.Vars() {
		vars[v.Name] = true
	}
	var objs []k8sObject
	paths, _ := filepath.Glob("k8s/*.yaml")
	for _, p := range paths {
		if filepath.Base(p) == "nats-values.yaml" {
			continue
		}
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		dec := yaml.NewDecoder(bufio.NewReader(fh))
		for {
			var o k8sObject
			if err := dec.Decode(&o); err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("%s: %v", p, err)
				}
				break
			}
			if o.Kind == "" {
				t.Errorf("%s: an object without kind", p)
			}
			objs = append(objs, o)
		}
		fh.Close()
	}
	served := map[string]map[string]string{}
	pdbs := map[string]bool{}
	for _, o := range objs {
		switch o.Kind {
		case "Deployment":
			c := o.Spec.Template.Spec.Containers
			if len(c) != 1 || len(c[0].Args) != 2 || c[0].Args[0] != "serve" || !serveServices[c[0].Args[1]] {
				t.Errorf("%s: want one container running helpline serve <service>", o.Metadata.Name)
				continue
			}
			served[c[0].Args[1]] = o.Spec.Selector.MatchLabels
			if c[0].LivenessProbe == nil || c[0].LivenessProbe.HTTPGet.Path != "/healthz" || c[0].ReadinessProbe == nil || c[0].ReadinessProbe.HTTPGet.Path != "/readyz" {
				t.Errorf("%s: probes must be /healthz (liveness) and /readyz (readiness)", o.Metadata.Name)
			}
			if !o.Spec.Template.Spec.SecurityContext.RunAsNonRoot {
				t.Errorf("%s: pods must run as non-root", o.Metadata.Name)
			}
			for _, e := range c[0].Env {
				if !vars[e.Name] {
					t.Errorf("%s: %s is not a HELPLINE_ variable of internal/config", o.Metadata.Name, e.Name)
				}
			}
		case "PodDisruptionBudget":
			pdbs[o.Spec.Selector.MatchLabels["app.kubernetes.io/component"]] = true
		}
	}
	for svc := range serveServices {
		if served[svc] == nil {
			t.Errorf("no Deployment runs helpline serve %s", svc)
		} else if !pdbs[served[svc]["app.kubernetes.io/component"]] {
			t.Errorf("no PodDisruptionBudget for %s", svc)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
