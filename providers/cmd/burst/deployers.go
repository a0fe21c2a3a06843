package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"google.golang.org/api/option"

	"github.com/burst-dev/burst/pool/azure"
	"github.com/burst-dev/burst/pool/azure/azuredeploy"
	"github.com/burst-dev/burst/pool/gcp/gcpdeploy"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/ibm"
	"github.com/burst-dev/burst/pool/ibm/ibmdeploy"
	"github.com/burst-dev/burst/pool/knative/knativedeploy"
	"github.com/burst-dev/burst/pool/openwhisk"
	"github.com/burst-dev/burst/providers"
)

// The deployer shape agreed with the pool/driver split (driver.Deployer,
// Target, Artifact, Deployed). The adapters below turn burst.yaml into each
// backend's deploy options until each backend yields its own Deployer.
type (
	target struct {
		GOARCH string
		Tags   []string
		Source bool // the platform builds from the module's source (gcp)
	}
	artifact struct {
		Binary, BuildID, ModuleDir, MainDir string
		Env                                 map[string]string
		Log                                 io.Writer
	}
	deployed struct {
		Function, URL, Hint string
		Changed             bool
	}
	deployer interface {
		Target() target
		Deploy(ctx context.Context, a artifact) (*deployed, error)
	}
)

// deployFunc adapts a function to deployer.
type deployFunc struct {
	t target
	f func(ctx context.Context, a artifact) (*deployed, error)
}

func (d deployFunc) Target() target { return d.t }
func (d deployFunc) Deploy(ctx context.Context, a artifact) (*deployed, error) {
	return d.f(ctx, a)
}

// secret is the shared secret every HTTP function checks calls against.
func secret(cfg *providers.Config) ([]byte, error) {
	s := os.Getenv(httpfn.EnvSecret)
	if s == "" {
		return nil, fmt.Errorf("$%s is empty: the %s function checks every call's signature with it; set the same value here and where the program runs (e.g. export %s=$(openssl rand -hex 32))",
			httpfn.EnvSecret, cfg.Compute.Backend, httpfn.EnvSecret)
	}
	return []byte(s), nil
}

// need is a config error for a key deploy requires.
func need(cfg *providers.Config, key, what string) error {
	return &providers.ConfigError{File: orDefault(cfg.Path, "(no config file)"), Key: key,
		Reason: fmt.Sprintf("required by burst deploy for backend %s: %s", cfg.Compute.Backend, what)}
}

func envOr(name, def string) string {
	if name == "" {
		name = def
	}
	return os.Getenv(name)
}

// memory is compute.memory in MB, or def.
func memory(cfg *providers.Config, def int) int {
	if cfg.Compute.Memory > 0 {
		return cfg.Compute.Memory
	}
	return def
}

func timeoutSeconds(cfg *providers.Config, def int) int {
	if d := cfg.Compute.Timeout.D(); d > 0 {
		return int((d + time.Second - 1) / time.Second)
	}
	return def
}

// deployerFor returns the deployer of the config's backend; nil when the
// backend runs on this machine.
func deployerFor(cfg *providers.Config) (deployer, error) {
	fn := cfg.Compute.Function
	switch b := cfg.Compute.Backend; b {
	case "local", "process", "slurm", "tcp", "":
		return nil, nil
	case "gcp":
		g := cfg.GCP
		if g.Project == "" {
			return nil, need(cfg, "gcp.project", "the Google Cloud project")
		}
		if g.Region == "" {
			return nil, need(cfg, "gcp.region", "the function's region")
		}
		return deployFunc{target{GOARCH: "amd64", Source: true}, func(ctx context.Context, a artifact) (*deployed, error) {
			sec, err := secret(cfg)
			if err != nil {
				return nil, err
			}
			o := gcpdeploy.Options{Project: g.Project, Region: g.Region, Function: fn, ModuleDir: a.ModuleDir, MainDir: a.MainDir,
				Secret: sec, Memory: fmt.Sprintf("%dMi", memory(cfg, 512)), Timeout: int32(timeoutSeconds(cfg, 300)),
				SpillURL: a.Env["BURST_SPILL_URL"], Env: a.Env}
			if g.Credentials == "file" {
				o.ClientOptions = append(o.ClientOptions, option.WithAuthCredentialsFile(option.ServiceAccount, g.CredentialsFile))
			}
			fmt.Fprintf(a.Log, "uploading the source of %s to Cloud Run functions %s/%s/%s\n", a.MainDir, g.Project, g.Region, fn)
			r, err := gcpdeploy.Deploy(ctx, o)
			if err != nil {
				return nil, err
			}
			d := &deployed{Function: fn, URL: r.URL, Changed: r.Changed}
			if g.Endpoint == "" && r.URL != "" {
				d.Hint = "set gcp.endpoint: " + r.URL + " if it is not https://" + g.Region + "-" + g.Project + ".cloudfunctions.net/" + fn
			}
			return d, nil
		}}, nil
	case "azure":
		az := cfg.Azure
		switch {
		case az.Subscription == "":
			return nil, need(cfg, "azure.subscription", "the subscription ID of the function app")
		case az.ResourceGroup == "":
			return nil, need(cfg, "azure.resource_group", "the function app's resource group")
		case az.App == "":
			return nil, need(cfg, "azure.app", "the function app's name (create the app once, see docs/providers/azure.md)")
		}
		return deployFunc{target{GOARCH: "amd64"}, func(ctx context.Context, a artifact) (*deployed, error) {
			sec, err := secret(cfg)
			if err != nil {
				return nil, err
			}
			cred, err := azidentity.NewDefaultAzureCredential(nil)
			if err != nil {
				return nil, fmt.Errorf("azure credentials (az login, AZURE_* variables or a managed identity): %w", err)
			}
			fmt.Fprintf(a.Log, "zip-deploying to function app %s\n", az.App)
			r, err := azuredeploy.Deploy(ctx, azuredeploy.Options{SubscriptionID: az.Subscription, ResourceGroup: az.ResourceGroup,
				App: az.App, Function: fn, Binary: a.Binary, Secret: sec, SpillURL: a.Env["BURST_SPILL_URL"], Settings: a.Env,
				Credential: cred, ManagementEndpoint: az.ManagementEndpoint, SCMEndpoint: az.SCMEndpoint})
			if err != nil {
				return nil, err
			}
			d := &deployed{Function: fn, URL: r.URL, Changed: r.Changed}
			if r.Key != "" {
				d.Hint = fmt.Sprintf("the function key is in the portal; export it as $%s (azure.key_env) where the program runs",
					orDefault(az.KeyEnv, azure.DefaultKeyEnv))
			}
			return d, nil
		}}, nil
	case "openwhisk":
		purl, err := cfg.PoolURL()
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(purl)
		if err != nil {
			return nil, err
		}
		return deployFunc{target{GOARCH: "amd64"}, func(ctx context.Context, a artifact) (*deployed, error) {
			o, err := openwhisk.OptionsFromURL(u)
			if err != nil {
				return nil, fmt.Errorf("openwhisk.auth_env: %w", err)
			}
			if len(o.Secret) == 0 {
				if o.Secret, err = secret(cfg); err != nil {
					return nil, err
				}
			}
			fmt.Fprintf(a.Log, "putting action %s/%s on %s\n", o.Namespace, o.Action, o.APIHost)
			changed, err := openwhisk.Deploy(ctx, openwhisk.DeployOptions{Options: o, Binary: a.Binary,
				Memory: memory(cfg, 256), Timeout: time.Duration(timeoutSeconds(cfg, 60)) * time.Second,
				SpillURL: a.Env["BURST_SPILL_URL"], Env: a.Env})
			if err != nil {
				return nil, err
			}
			return &deployed{Function: fn, URL: o.APIHost, Changed: changed}, nil
		}}, nil
	case "ibm":
		i := cfg.IBM
		switch {
		case i.Project == "":
			return nil, need(cfg, "ibm.project", "the Code Engine project's ID")
		case i.Region == "" && i.APIEndpoint == "":
			return nil, need(cfg, "ibm.region", "the Code Engine project's region (us-south, eu-de, …)")
		case i.Image == "":
			return nil, need(cfg, "ibm.image", "where to push the worker image, e.g. icr.io/NAMESPACE/burst-worker")
		}
		return deployFunc{target{GOARCH: "amd64"}, func(ctx context.Context, a artifact) (*deployed, error) {
			sec, err := secret(cfg)
			if err != nil {
				return nil, err
			}
			keyEnv := orDefault(i.APIKeyEnv, ibm.DefaultAPIKeyEnv)
			key := os.Getenv(keyEnv)
			if key == "" {
				return nil, fmt.Errorf("ibm.api_key_env: $%s is empty: the Code Engine API needs an IBM Cloud API key", keyEnv)
			}
			mem := memory(cfg, 4096)
			cpu := "1"
			if cfg.Compute.CPU > 0 {
				cpu = fmt.Sprint(cfg.Compute.CPU)
			}
			fmt.Fprintf(a.Log, "pushing the worker image to %s and updating application %s\n", i.Image, fn)
			r, err := ibmdeploy.Deploy(ctx, ibmdeploy.Options{Project: i.Project, Region: i.Region, App: fn,
				Image: i.Image, ImageSecret: i.ImageSecret, Binary: a.Binary, BuildID: a.BuildID, Secret: sec,
				SpillURL: a.Env["BURST_SPILL_URL"], Env: a.Env, Memory: fmt.Sprintf("%gG", float64(mem)/1024), CPU: cpu,
				Timeout: timeoutSeconds(cfg, 600), APIKey: key, IAMEndpoint: i.IAMEndpoint, Endpoint: i.APIEndpoint})
			if err != nil {
				return nil, err
			}
			d := &deployed{Function: fn, URL: r.URL, Changed: r.Changed}
			if i.Endpoint == "" && r.URL != "" {
				d.Hint = "set ibm.endpoint: " + r.URL
			}
			return d, nil
		}}, nil
	case "knative":
		k := cfg.Knative
		switch {
		case k.APIServer == "":
			return nil, need(cfg, "knative.api_server", "the Kubernetes API server's URL")
		case k.Image == "":
			return nil, need(cfg, "knative.image", "where to push the worker image, e.g. registry.example.com/burst-worker")
		}
		return deployFunc{target{GOARCH: "amd64"}, func(ctx context.Context, a artifact) (*deployed, error) {
			sec, err := secret(cfg)
			if err != nil {
				return nil, err
			}
			tok := ""
			if k.APITokenEnv != "" {
				if tok = os.Getenv(k.APITokenEnv); tok == "" {
					return nil, fmt.Errorf("knative.api_token_env: $%s is empty", k.APITokenEnv)
				}
			}
			o := knativedeploy.Options{APIServer: k.APIServer, Token: tok, Namespace: k.Namespace, Service: fn,
				Image: k.Image, Binary: a.Binary, BuildID: a.BuildID, Secret: sec, SpillURL: a.Env["BURST_SPILL_URL"], Env: a.Env,
				Timeout: timeoutSeconds(cfg, 600)}
			if cfg.Compute.Memory > 0 {
				o.Memory = fmt.Sprintf("%dMi", cfg.Compute.Memory)
			}
			if cfg.Compute.CPU > 0 {
				o.CPU = fmt.Sprint(cfg.Compute.CPU)
			}
			fmt.Fprintf(a.Log, "pushing the worker image to %s and applying Service %s\n", k.Image, fn)
			r, err := knativedeploy.Deploy(ctx, o)
			if err != nil {
				return nil, err
			}
			d := &deployed{Function: fn, URL: r.URL, Changed: r.Changed}
			if k.Endpoint == "" && r.URL != "" {
				d.Hint = "set knative.endpoint: " + r.URL
			}
			return d, nil
		}}, nil
	default:
		return nil, need(cfg, "compute.backend", "a backend burst deploy knows (aws, gcp, azure, ibm, openwhisk, knative)")
	}
}
