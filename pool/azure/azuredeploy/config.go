package azuredeploy

import (
	"cmp"
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/burst-dev/burst/pool/azure"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
)

// burst deploy deploys the azure section of burst.yaml with this package.
func init() {
	driver.RegisterDeployer(azure.Scheme, func(s driver.Section, c driver.Compute) (driver.Deployer, error) {
		az := s.(*azure.Section)
		switch {
		case az.Subscription == "":
			return nil, driver.NeedForDeploy("azure.subscription", azure.Scheme, "the subscription ID of the function app")
		case az.ResourceGroup == "":
			return nil, driver.NeedForDeploy("azure.resource_group", azure.Scheme, "the function app's resource group")
		case az.App == "":
			return nil, driver.NeedForDeploy("azure.app", azure.Scheme, "the function app's name (create the app once, see docs/providers/azure.md)")
		}
		fn := c.Function
		return driver.DeployFunc{T: driver.Target{GOARCH: "amd64"}, F: func(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
			sec, err := httpfn.SecretFromEnv(azure.Scheme)
			if err != nil {
				return nil, err
			}
			cred, err := azidentity.NewDefaultAzureCredential(nil)
			if err != nil {
				return nil, fmt.Errorf("azure credentials (az login, AZURE_* variables or a managed identity): %w", err)
			}
			a.Log.Info(fmt.Sprintf("zip-deploying to function app %s", az.App))
			r, err := Deploy(ctx, Options{SubscriptionID: az.Subscription, ResourceGroup: az.ResourceGroup,
				App: az.App, Function: fn, Binary: a.Binary, Secret: sec, SpillURL: a.Env["BURST_SPILL_URL"], Settings: a.Env,
				Credential: cred, ManagementEndpoint: az.ManagementEndpoint, SCMEndpoint: az.SCMEndpoint})
			if err != nil {
				return nil, err
			}
			return &driver.Deployed{Function: fn, URL: r.URL, Changed: r.Changed,
				Next: fmt.Sprintf("the function key is in the portal (or az functionapp function keys list); export it as $%s where the program runs",
					cmp.Or(az.KeyEnv, azure.DefaultKeyEnv))}, nil
		}}, nil
	})
}
