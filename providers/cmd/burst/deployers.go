package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"google.golang.org/api/option"

	"github.com/burst-dev/burst/pool/aws/awsdeploy"
	"github.com/burst-dev/burst/pool/azure/azuredeploy"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/gcp/gcpdeploy"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/ibm"
	"github.com/burst-dev/burst/pool/ibm/ibmdeploy"
	"github.com/burst-dev/burst/pool/knative/knativedeploy"
	"github.com/burst-dev/burst/pool/openwhisk"
	"github.com/burst-dev/burst/providers"
)

// deployFunc adapts a function to driver.Deployer: each adapter below turns
// burst.yaml into one backend's deploy options.
type deployFunc struct {
	t driver.Target
	f func(ctx context.Context, a driver.Artifact) (*driver.Deployed, error)
}

func (d deployFunc) Target() driver.Target { return d.t }
func (d deployFunc) Deploy(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
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
	return &providers.ConfigError{File: cmp.Or(cfg.Path, "(no config file)"), Key: key,
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
func deployerFor(cfg *providers.Config) (driver.Deployer, error) {
	fn := cfg.Compute.Function
	switch b := cfg.Compute.Backend; b {
	case "local", "process", "slurm", "tcp", "":
		return nil, nil
	case "aws":
		a := cfg.AWS
		o := awsdeploy.Options{Function: fn, Role: a.Role, Region: a.Region, Endpoint: a.Endpoint,
			Architecture: a.Architecture, MemoryMB: cfg.Compute.Memory, Timeout: cfg.Compute.Timeout.D()}
		if a.Credentials == "profile" {
			o.Profile = a.Profile
		}
		d := awsdeploy.New(o)
		return deployFunc{d.Target(), func(ctx context.Context, art driver.Artifact) (*driver.Deployed, error) {
			r, err := d.Deploy(ctx, art)
			if errors.Is(err, awsdeploy.ErrNoRole) {
				return nil, need(cfg, "aws.role", "the execution role ARN a new function gets")
			}
			if errors.Is(err, awsdeploy.ErrNoRegion) {
				return nil, need(cfg, "aws.region", "the function's region (or BURST_AWS_REGION, AWS_REGION)")
			}
			return r, err
		}}, nil
	case "gcp":
		g := cfg.GCP
		if g.Project == "" {
			return nil, need(cfg, "gcp.project", "the Google Cloud project")
		}
		if g.Region == "" {
			return nil, need(cfg, "gcp.region", "the function's region")
		}
		return deployFunc{driver.Target{GOARCH: "amd64", Source: true}, func(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
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
			a.Log.Info(fmt.Sprintf("uploading the source of %s to Cloud Run functions %s/%s/%s", a.MainDir, g.Project, g.Region, fn))
			r, err := gcpdeploy.Deploy(ctx, o)
			if err != nil {
				return nil, err
			}
			return &driver.Deployed{Function: fn, URL: r.URL, Changed: r.Changed}, nil
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
		return deployFunc{driver.Target{GOARCH: "amd64"}, func(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
			sec, err := secret(cfg)
			if err != nil {
				return nil, err
			}
			cred, err := azidentity.NewDefaultAzureCredential(nil)
			if err != nil {
				return nil, fmt.Errorf("azure credentials (az login, AZURE_* variables or a managed identity): %w", err)
			}
			a.Log.Info(fmt.Sprintf("zip-deploying to function app %s", az.App))
			r, err := azuredeploy.Deploy(ctx, azuredeploy.Options{SubscriptionID: az.Subscription, ResourceGroup: az.ResourceGroup,
				App: az.App, Function: fn, Binary: a.Binary, Secret: sec, SpillURL: a.Env["BURST_SPILL_URL"], Settings: a.Env,
				Credential: cred, ManagementEndpoint: az.ManagementEndpoint, SCMEndpoint: az.SCMEndpoint})
			if err != nil {
				return nil, err
			}
			return &driver.Deployed{Function: fn, URL: r.URL, Changed: r.Changed}, nil
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
		return deployFunc{driver.Target{GOARCH: "amd64"}, func(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
			o, err := openwhisk.OptionsFromURL(u)
			if err != nil {
				return nil, fmt.Errorf("openwhisk.auth_env: %w", err)
			}
			if len(o.Secret) == 0 {
				if o.Secret, err = secret(cfg); err != nil {
					return nil, err
				}
			}
			a.Log.Info(fmt.Sprintf("putting action %s/%s on %s", o.Namespace, o.Action, o.APIHost))
			changed, err := openwhisk.Deploy(ctx, openwhisk.DeployOptions{Options: o, Binary: a.Binary,
				Memory: memory(cfg, 256), Timeout: time.Duration(timeoutSeconds(cfg, 60)) * time.Second,
				SpillURL: a.Env["BURST_SPILL_URL"], Env: a.Env})
			if err != nil {
				return nil, err
			}
			return &driver.Deployed{Function: fn, URL: o.APIHost, Changed: changed}, nil
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
		return deployFunc{driver.Target{GOARCH: "amd64"}, func(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
			sec, err := secret(cfg)
			if err != nil {
				return nil, err
			}
			keyEnv := cmp.Or(i.APIKeyEnv, ibm.DefaultAPIKeyEnv)
			key := os.Getenv(keyEnv)
			if key == "" {
				return nil, fmt.Errorf("ibm.api_key_env: $%s is empty: the Code Engine API needs an IBM Cloud API key", keyEnv)
			}
			mem := memory(cfg, 4096)
			cpu := "1"
			if cfg.Compute.CPU > 0 {
				cpu = fmt.Sprint(cfg.Compute.CPU)
			}
			return ibmdeploy.New(ibmdeploy.Options{Project: i.Project, Region: i.Region, App: fn,
				Image: i.Image, ImageSecret: i.ImageSecret, Secret: sec, SpillURL: a.Env["BURST_SPILL_URL"],
				Memory: fmt.Sprintf("%gG", float64(mem)/1024), CPU: cpu,
				Timeout: timeoutSeconds(cfg, 600), APIKey: key, IAMEndpoint: i.IAMEndpoint, Endpoint: i.APIEndpoint}).Deploy(ctx, a)
		}}, nil
	case "knative":
		k := cfg.Knative
		switch {
		case k.APIServer == "":
			return nil, need(cfg, "knative.api_server", "the Kubernetes API server's URL")
		case k.Image == "":
			return nil, need(cfg, "knative.image", "where to push the worker image, e.g. registry.example.com/burst-worker")
		}
		return deployFunc{driver.Target{GOARCH: "amd64"}, func(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
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
				Image: k.Image, Secret: sec, SpillURL: a.Env["BURST_SPILL_URL"], Timeout: timeoutSeconds(cfg, 600)}
			if cfg.Compute.Memory > 0 {
				o.Memory = fmt.Sprintf("%dMi", cfg.Compute.Memory)
			}
			if cfg.Compute.CPU > 0 {
				o.CPU = fmt.Sprint(cfg.Compute.CPU)
			}
			return knativedeploy.New(o).Deploy(ctx, a)
		}}, nil
	default:
		return nil, need(cfg, "compute.backend", "a backend burst deploy knows (aws, gcp, azure, ibm, openwhisk, knative)")
	}
}
