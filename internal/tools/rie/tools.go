// Package rie pins the AWS Lambda Runtime Interface Emulator for burst's
// tests. It is a module of its own so the emulator's dependencies never enter
// burst's go.mod; internal/testenv/install.d/lambda.sh builds the pinned
// cmd/aws-lambda-rie (a `tool` directive of go.mod) into $BURST_TOOLS/bin.
package rie
