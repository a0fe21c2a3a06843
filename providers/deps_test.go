package providers_test

import (
	"os/exec"
	"strings"
	"testing"
)

// cloudSDKs are the import path prefixes of the providers' SDKs and of
// gocloud's per-cloud drivers: what a program should compile only when it
// links the backend or store that needs them.
var cloudSDKs = []string{
	"github.com/aws/", "cloud.google.com/go/", "github.com/Azure/", "github.com/AzureAD/",
	"github.com/IBM/", "github.com/GoogleCloudPlatform/", "golang.org/x/oauth2/google",
	"google.golang.org/api/option", "google.golang.org/api/transport", "google.golang.org/api/storage",
	"gocloud.dev/blob/s3blob", "gocloud.dev/blob/gcsblob", "gocloud.dev/blob/azureblob",
	"github.com/burst-dev/burst/pool/aws", "github.com/burst-dev/burst/pool/gcp",
	"github.com/burst-dev/burst/pool/azure", "github.com/burst-dev/burst/pool/ibm",
}

// TestNoCloudSDKInProviders: the provider switch, and the smallest program
// that uses it, compile no cloud's SDK; database/sql style, the program
// links the backends it names (or providers/all).
func TestNoCloudSDKInProviders(t *testing.T) {
	for _, pkg := range []string{"github.com/burst-dev/burst/providers", "github.com/burst-dev/burst/examples/hello"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		var bad []string
		for _, d := range deps {
			for _, p := range cloudSDKs {
				if strings.HasPrefix(d, p) {
					bad = append(bad, d)
					break
				}
			}
		}
		if len(bad) > 0 {
			t.Errorf("%s depends on %d cloud SDK packages (of %d), e.g. %v", pkg, len(bad), len(deps), bad[:min(len(bad), 5)])
		}
	}
	// The convenience package does link them all: the list above is not
	// simply missing what it looks for.
	out, err := exec.Command("go", "list", "-deps", "github.com/burst-dev/burst/providers/all").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps providers/all: %v\n%s", err, out)
	}
	for _, want := range []string{"github.com/aws/aws-sdk-go-v2/service/lambda", "gocloud.dev/blob/s3blob", "github.com/burst-dev/burst/pool/gcp"} {
		if !strings.Contains(string(out), want+"\n") {
			t.Errorf("providers/all does not link %s", want)
		}
	}
}
