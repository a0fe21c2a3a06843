package main

// burst deploy deploys with the deployer each backend's deploy package
// registers (driver.RegisterDeployer), made from the backend's section of
// burst.yaml: the command links them all.
import (
	_ "github.com/burst-dev/burst/pool/aws/awsdeploy"
	_ "github.com/burst-dev/burst/pool/azure/azuredeploy"
	_ "github.com/burst-dev/burst/pool/gcp/gcpdeploy"
	_ "github.com/burst-dev/burst/pool/ibm/ibmdeploy"
	_ "github.com/burst-dev/burst/pool/knative/knativedeploy"
)
