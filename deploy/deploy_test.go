package deploy_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"gopkg.in/yaml.v3"

	"github.com/helpline-org/helpline/internal/config"
	"github.com/helpline-org/helpline/internal/natsauth"
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
	header, err := os.ReadFile("../docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
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
			if strings.HasPrefix(src, "./deploy/secrets/") {
				// Made by the commands the header documents.
				if !strings.Contains(string(header), "--dir deploy/secrets/nats") {
					t.Errorf("%s mounts %s, which the header does not say how to make", name, src)
				}
			} else if strings.HasPrefix(src, "./") {
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
		role := "setup"
		if len(s.Command) == 2 {
			role = s.Command[1]
		}
		checkNATSClient(t, f, name, role, s)
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
			if strings.Join(s.Command, " ") != "-c /etc/nats/cluster.conf" || !slices.Contains(s.Volumes, "./deploy/nats/cluster.conf:/etc/nats/cluster.conf:ro") {
				t.Errorf("%s does not run deploy/nats/cluster.conf", name)
			}
			if s.Environment["NATS_SERVER_NAME"] != name || s.Environment["NATS_ROUTE_3"] == "" {
				t.Errorf("%s: server name %q, routes %q", name, s.Environment["NATS_SERVER_NAME"], s.Environment["NATS_ROUTE_3"])
			}
			// The users and the certificates sit where cluster.conf
			// includes and names them.
			if !slices.Contains(s.Volumes, "./deploy/secrets/nats/auth.conf:/etc/nats/auth.conf:ro") || !slices.Contains(s.Volumes, "./deploy/secrets/nats/tls:/etc/nats/tls:ro") {
				t.Errorf("%s does not mount the NATS users (auth.conf) and certificates", name)
			}
			for _, v := range []string{"NATS_TLS_CERT", "NATS_TLS_KEY", "NATS_TLS_CA"} {
				if !strings.HasPrefix(s.Environment[v], "/etc/nats/tls/") {
					t.Errorf("%s: %s=%q, want a file of the mounted certificates", name, v, s.Environment[v])
				}
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

// checkNATSClient checks a helpline container connects to NATS over TLS
// as the role's user, with the role's seed mounted as a secret of its own.
func checkNATSClient(t *testing.T, f composeFile, name, role string, s composeService) {
	t.Helper()
	for _, u := range strings.Split(s.Environment[config.VarNATSURL], ",") {
		if !strings.HasPrefix(u, "tls://") {
			t.Errorf("%s: NATS URL %q is not TLS", name, u)
		}
	}
	secret := "nats_" + role
	if s.Environment[config.VarNATSNkeyFile] != "/run/secrets/"+secret || !slices.Contains(s.Secrets, secret) {
		t.Errorf("%s: %s=%q, secrets %v; want the %s user's seed, secret %s", name, config.VarNATSNkeyFile, s.Environment[config.VarNATSNkeyFile], s.Secrets, role, secret)
	}
	if want := "./deploy/secrets/nats/" + role + natsauth.SeedExt; f.Secrets[secret].File != want {
		t.Errorf("secret %s is %q, want %s", secret, f.Secrets[secret].File, want)
	}
	for _, other := range s.Secrets {
		if strings.HasPrefix(other, "nats_") && other != secret && other != "nats_ca" {
			t.Errorf("%s also gets %s: a service holds its own credential only", name, other)
		}
	}
	if ca := s.Environment[config.VarNATSCAFile]; ca != "/run/secrets/nats_ca" || !slices.Contains(s.Secrets, "nats_ca") {
		t.Errorf("%s: %s=%q, want the NATS authority", name, config.VarNATSCAFile, ca)
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

// TestNATSConfigAdmitsOnlyUsersOverTLS loads the shipped cluster config as
// nats-server does, next to an auth.conf and certificates made by the
// commands README documents: every client needs a NATS user (one per
// role, each with permissions, no anonymous user) and TLS, and routes are
// mutual TLS.
func TestNATSConfigAdmitsOnlyUsersOverTLS(t *testing.T) {
	dir := t.TempDir()
	if _, err := natsauth.Users(dir, natsauth.Roles()); err != nil {
		t.Fatal(err)
	}
	if err := natsauth.WriteTLS(filepath.Join(dir, "tls"), []string{"nats-1", "nats-2", "nats-3"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	conf, err := os.ReadFile("nats/cluster.conf")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cluster.conf")
	if err := os.WriteFile(path, conf, 0o600); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"NATS_SERVER_NAME": "nats-1", "NATS_LISTEN": "0.0.0.0:4222", "NATS_HTTP": "0.0.0.0:8222",
		"NATS_CLUSTER": "0.0.0.0:6222", "NATS_ROUTE_1": "nats://nats-1:6222", "NATS_ROUTE_2": "nats://nats-2:6222",
		"NATS_ROUTE_3": "nats://nats-3:6222", "NATS_STORE_DIR": filepath.Join(dir, "js"),
		"NATS_TLS_CERT": filepath.Join(dir, "tls", natsauth.TLSCertFile), "NATS_TLS_KEY": filepath.Join(dir, "tls", natsauth.TLSKeyFile),
		"NATS_TLS_CA": filepath.Join(dir, "tls", natsauth.TLSCAFile)} {
		t.Setenv(k, v)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats/cluster.conf with a rendered auth.conf: %v", err)
	}
	if len(opts.Nkeys) != len(natsauth.Roles()) || len(opts.Users) != 0 || opts.NoAuthUser != "" || opts.Authorization != "" {
		t.Errorf("%d nkey users, %d other users, no_auth_user %q; want exactly one nkey user per role", len(opts.Nkeys), len(opts.Users), opts.NoAuthUser)
	}
	for _, u := range opts.Nkeys {
		if u.Permissions == nil || u.Permissions.Publish == nil || u.Permissions.Subscribe == nil || len(u.AllowedConnectionTypes) != 1 {
			t.Errorf("user %s has no permissions, or is admitted on any connection", u.Nkey)
		}
	}
	if opts.TLSConfig == nil || opts.AllowNonTLS {
		t.Error("clients are not required to use TLS")
	}
	if opts.Cluster.TLSConfig == nil || opts.Cluster.TLSConfig.ClientAuth != tls.RequireAndVerifyClientCert {
		t.Error("routes are not mutual TLS")
	}
}

// TestNATSHelmValuesAuthAndTLS: the chart's servers include the users,
// use TLS for clients and routes, and ship no unauthenticated nats-box.
func TestNATSHelmValuesAuthAndTLS(t *testing.T) {
	data, err := os.ReadFile("k8s/nats-values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	type tls struct {
		Enabled    bool           `yaml:"enabled"`
		SecretName string         `yaml:"secretName"`
		Merge      map[string]any `yaml:"merge"`
	}
	var v struct {
		Config struct {
			Cluster struct {
				TLS tls `yaml:"tls"`
			} `yaml:"cluster"`
			NATS struct {
				TLS tls `yaml:"tls"`
			} `yaml:"nats"`
			Merge map[string]any `yaml:"merge"`
		} `yaml:"config"`
		NatsBox struct {
			Enabled *bool `yaml:"enabled"`
		} `yaml:"natsBox"`
	}
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	if v.Config.Merge["$include"] != natsauth.AuthFile || !strings.Contains(string(data), "configMap.merge.data.auth\\.conf=") {
		t.Errorf("the servers do not include the NATS users (%s) from the install command", natsauth.AuthFile)
	}
	if !v.Config.NATS.TLS.Enabled || v.Config.NATS.TLS.SecretName == "" {
		t.Error("clients are not on TLS")
	}
	if c := v.Config.Cluster.TLS; !c.Enabled || c.SecretName == "" || c.Merge["verify"] != true || c.Merge["ca_file"] == nil {
		t.Error("routes are not mutual TLS")
	}
	if v.NatsBox.Enabled == nil || *v.NatsBox.Enabled {
		t.Error("nats-box is enabled")
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
		// CronJob
		JobTemplate struct {
			Spec struct {
				Template struct {
					Spec podSpec `yaml:"spec"`
				} `yaml:"template"`
			} `yaml:"spec"`
		} `yaml:"jobTemplate"`
		// NetworkPolicy
		PodSelector labelSelector `yaml:"podSelector"`
		Ingress     []struct {
			From []struct {
				PodSelector       *labelSelector `yaml:"podSelector"`
				NamespaceSelector any            `yaml:"namespaceSelector"`
				IPBlock           any            `yaml:"ipBlock"`
			} `yaml:"from"`
			Ports []struct {
				Port int `yaml:"port"`
			} `yaml:"ports"`
		} `yaml:"ingress"`
	} `yaml:"spec"`
}

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot bool `yaml:"runAsNonRoot"`
	} `yaml:"securityContext"`
	Volumes []struct {
		Name   string `yaml:"name"`
		Secret struct {
			SecretName string `yaml:"secretName"`
		} `yaml:"secret"`
	} `yaml:"volumes"`
	Containers []struct {
		Args []string `yaml:"args"`
		Env  []struct {
			Name  string `yaml:"name"`
			Value string `yaml:"value"`
		} `yaml:"env"`
		VolumeMounts []struct {
			Name      string `yaml:"name"`
			MountPath string `yaml:"mountPath"`
		} `yaml:"volumeMounts"`
		LivenessProbe  *probe `yaml:"livenessProbe"`
		ReadinessProbe *probe `yaml:"readinessProbe"`
		Resources      struct {
			Limits map[string]string `yaml:"limits"`
		} `yaml:"resources"`
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
	natsPolicy, retention := false, false
	for _, o := range objs {
		switch o.Kind {
		case "Deployment":
			c := o.Spec.Template.Spec.Containers
			if len(c) != 1 || len(c[0].Args) != 2 || c[0].Args[0] != "serve" || !serveServices[c[0].Args[1]] {
				t.Errorf("%s: want one container running helpline serve <service>", o.Metadata.Name)
				continue
			}
			served[c[0].Args[1]] = o.Spec.Selector.MatchLabels
			checkNATSCredential(t, o, c[0].Args[1])
			if c[0].LivenessProbe == nil || c[0].LivenessProbe.HTTPGet.Path != "/healthz" || c[0].ReadinessProbe == nil || c[0].ReadinessProbe.HTTPGet.Path != "/readyz" {
				t.Errorf("%s: probes must be /healthz (liveness) and /readyz (readiness)", o.Metadata.Name)
			}
			if !o.Spec.Template.Spec.SecurityContext.RunAsNonRoot {
				t.Errorf("%s: pods must run as non-root", o.Metadata.Name)
			}
			for _, e := range c[0].Env {
				if !vars[e.Name] && e.Name != "GOMEMLIMIT" {
					t.Errorf("%s: %s is not a HELPLINE_ variable of internal/config", o.Metadata.Name, e.Name)
				}
			}
			checkMemoryLimit(t, o.Metadata.Name, o.Spec.Template.Spec)
		case "PodDisruptionBudget":
			pdbs[o.Spec.Selector.MatchLabels["app.kubernetes.io/component"]] = true
		case "Job":
			checkNATSCredential(t, o, string(natsauth.Setup))
			checkMemoryLimit(t, o.Metadata.Name, o.Spec.Template.Spec)
		case "CronJob":
			// The retention job destroys data keys: the admin user's.
			o.Spec.Template.Spec = o.Spec.JobTemplate.Spec.Template.Spec
			checkNATSCredential(t, o, string(natsauth.Admin))
			checkMemoryLimit(t, o.Metadata.Name, o.Spec.Template.Spec)
			retention = true
		case "NetworkPolicy":
			if o.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"] == "nats" {
				natsPolicy = checkNATSPolicy(t, o)
			}
		}
	}
	if !retention {
		t.Error("no CronJob runs the retention job")
	}
	if !natsPolicy {
		t.Error("no NetworkPolicy admits only Helpline's pods to NATS's client port and only NATS's to its cluster port")
	}
	for svc := range serveServices {
		if served[svc] == nil {
			t.Errorf("no Deployment runs helpline serve %s", svc)
		} else if !pdbs[served[svc]["app.kubernetes.io/component"]] {
			t.Errorf("no PodDisruptionBudget for %s", svc)
		}
	}
}

// checkMemoryLimit checks a pod's container has a memory limit and tells
// the Go runtime about it: GOMEMLIMIT at 75-85% of the limit, so the
// garbage collector works harder before the kernel kills the pod (and the
// console sizes its password-hash turns by it: services/console/auth).
func checkMemoryLimit(t *testing.T, name string, spec podSpec) {
	t.Helper()
	c := spec.Containers[0]
	limit, err := quantity(c.Resources.Limits["memory"])
	if err != nil {
		t.Errorf("%s: limits.memory: %v", name, err)
		return
	}
	var soft string
	for _, e := range c.Env {
		if e.Name == "GOMEMLIMIT" {
			soft = e.Value
		}
	}
	got, err := quantity(strings.TrimSuffix(soft, "B"))
	if err != nil {
		t.Errorf("%s: GOMEMLIMIT: %v", name, err)
		return
	}
	if got < limit*75/100 || got > limit*85/100 {
		t.Errorf("%s: GOMEMLIMIT %s is %d%% of limits.memory %s, want 75-85%%", name, soft, got*100/limit, c.Resources.Limits["memory"])
	}
}

// quantity reads a memory size in Kubernetes' binary units (256Mi; the Go
// runtime writes the same sizes as 256MiB).
func quantity(s string) (int64, error) {
	for i, unit := range []string{"Ki", "Mi", "Gi"} {
		if n, ok := strings.CutSuffix(s, unit); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			return v << (10 * (i + 1)), err
		}
	}
	if s == "" {
		return 0, errors.New("not set")
	}
	return 0, fmt.Errorf("%q: want a size in Ki, Mi or Gi", s)
}

// checkNATSCredential checks a pod connects to NATS over TLS as the
// role's user, with the role's seed from a Secret of its own.
func checkNATSCredential(t *testing.T, o k8sObject, role string) {
	t.Helper()
	spec := o.Spec.Template.Spec
	env := map[string]string{}
	for _, e := range spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	if !strings.HasPrefix(env[config.VarNATSURL], "tls://") || env[config.VarNATSCAFile] == "" {
		t.Errorf("%s: NATS at %q with authority %q: want TLS", o.Metadata.Name, env[config.VarNATSURL], env[config.VarNATSCAFile])
	}
	mounted := map[string]string{} // mount path -> secret
	for _, m := range spec.Containers[0].VolumeMounts {
		for _, v := range spec.Volumes {
			if v.Name == m.Name && v.Secret.SecretName != "" {
				mounted[m.MountPath] = v.Secret.SecretName
			}
		}
	}
	if got := mounted[filepath.Dir(env[config.VarNATSNkeyFile])]; got != "helpline-nats-"+role {
		t.Errorf("%s: %s=%q is in secret %q, want helpline-nats-%s", o.Metadata.Name, config.VarNATSNkeyFile, env[config.VarNATSNkeyFile], got, role)
	}
	for _, sec := range mounted {
		if strings.HasPrefix(sec, "helpline-nats-") && sec != "helpline-nats-"+role {
			t.Errorf("%s mounts %s: a service holds its own NATS credential only", o.Metadata.Name, sec)
		}
	}
}

// checkNATSPolicy reports whether the policy admits Helpline's pods (and
// no one else) on 4222 and NATS's own pods (and no one else) on 6222.
func checkNATSPolicy(t *testing.T, o k8sObject) bool {
	t.Helper()
	admitted := map[int][]string{} // port -> app.kubernetes.io/name of the pods admitted
	for _, in := range o.Spec.Ingress {
		for _, p := range in.Ports {
			for _, f := range in.From {
				if f.PodSelector == nil || f.NamespaceSelector != nil || f.IPBlock != nil {
					t.Errorf("%s admits more than pods of this namespace on %d", o.Metadata.Name, p.Port)
					continue
				}
				admitted[p.Port] = append(admitted[p.Port], f.PodSelector.MatchLabels["app.kubernetes.io/name"])
			}
		}
		if len(in.Ports) == 0 || len(in.From) == 0 {
			t.Errorf("%s has a rule for every port or every source", o.Metadata.Name)
		}
	}
	ok := strings.Join(admitted[4222], ",") == "helpline" && strings.Join(admitted[6222], ",") == "nats" && len(admitted) == 2
	if !ok {
		t.Errorf("%s admits %v; want helpline on 4222 and nats on 6222 only", o.Metadata.Name, admitted)
	}
	return ok
}
