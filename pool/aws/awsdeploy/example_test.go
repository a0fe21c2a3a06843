package awsdeploy_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"

	"github.com/burst-dev/burst/pool/aws/awsdeploy"
	"github.com/burst-dev/burst/pool/driver"
)

// Deploy a build made as Target says (linux, lambda.norpc) as a Lambda
// function (what burst deploy does from burst.yaml).
func Example() {
	d := awsdeploy.New(awsdeploy.Options{Function: "burst-fn", Region: "eu-west-1",
		Role: "arn:aws:iam::123456789012:role/burst"})
	fmt.Println(d.Target().Tags)
	res, err := d.Deploy(context.Background(), driver.Artifact{Binary: "bootstrap", BuildID: "go-1234", Log: slog.Default()})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Changed, res.Hash)
}
