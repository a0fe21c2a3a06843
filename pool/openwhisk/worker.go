package openwhisk

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
)

// The Go action-loop protocol, as the OpenWhisk Go runtime's proxy
// (apache/openwhisk-runtime-go, docs/ACTION.md) runs an executable action:
//
//   - the proxy starts the executable once, with fd 3 open for results;
//     when __OW_WAIT_FOR_ACK is set the action first writes {"ok":true} and a
//     newline on fd 3 to say it is ready;
//   - for each activation the proxy writes one line on the action's stdin:
//     {"value":{…parameters…},"namespace":…,"action_name":…,"activation_id":…,"deadline":"<unix ms>",…};
//   - the action answers with one line on fd 3, a JSON object (the result),
//     and ends the activation's logs by printing the sentinel
//     XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX on both stdout and stderr.
//
// Activations reach one action process one at a time.

// EnvWorker marks this binary as an OpenWhisk action; deploy writes it into
// exec.env, as the ack variable is not set by older proxies.
const EnvWorker = "BURST_OPENWHISK"

const sentinel = "XXX_THE_END_OF_A_WHISK_ACTIVATION_XXX"

func init() {
	driver.RegisterWorker("openwhisk", func() bool {
		return os.Getenv("__OW_WAIT_FOR_ACK") != "" || os.Getenv("__OW_PROXY_VERSION") != "" || os.Getenv(EnvWorker) != ""
	}, serve)
}

// activation is one line from the proxy.
type activation struct {
	Value        json.RawMessage `json:"value"`
	ActivationID string          `json:"activation_id"`
	Deadline     string          `json:"deadline"`
}

func serve(ctx context.Context) error {
	out := os.NewFile(3, "ow-results")
	if out == nil {
		return errors.New("openwhisk worker: fd 3 is not open: an action is started by the OpenWhisk action-loop proxy")
	}
	h, err := httpfn.HandlerFromEnv(ctx, httpfn.SpillBelow(DefaultMaxMessage))
	if err != nil {
		return err
	}
	driver.SetWorkerID(httpfn.WorkerID("openwhisk", "__OW_ACTION_NAME"))
	return actionLoop(ctx, h, os.Stdin, out, os.Stdout, os.Stderr, os.Getenv("__OW_WAIT_FOR_ACK") != "")
}

// actionLoop serves activations read from in, writing results to out.
func actionLoop(ctx context.Context, h *httpfn.Handler, in io.Reader, out io.Writer, stdout, stderr io.Writer, ack bool) error {
	if ack {
		if _, err := io.WriteString(out, "{\"ok\":true}\n"); err != nil {
			return fmt.Errorf("openwhisk worker: ack: %w", err)
		}
	}
	r := bufio.NewReaderSize(in, 1<<20)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			res := runActivation(ctx, h, line)
			if _, werr := out.Write(append(res, '\n')); werr != nil {
				return fmt.Errorf("openwhisk worker: write result: %w", werr)
			}
			fmt.Fprintln(stdout, sentinel)
			fmt.Fprintln(stderr, sentinel)
		}
		if errors.Is(err, io.EOF) {
			return nil // the proxy closed stdin: the container is stopping
		}
		if err != nil {
			return fmt.Errorf("openwhisk worker: read: %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

func failure(msg string, rejected bool) []byte {
	b, _ := json.Marshal(map[string]any{"error": msg, "rejected": rejected})
	return b
}

func runActivation(ctx context.Context, h *httpfn.Handler, line []byte) []byte {
	var a activation
	if err := json.Unmarshal(line, &a); err != nil {
		return failure("burst worker: undecodable activation: "+err.Error(), false)
	}
	var p params
	if err := json.Unmarshal(a.Value, &p); err != nil || p.Request == "" {
		return failure("burst worker: the parameters carry no signed burst call (burst_req); invoke through the openwhisk:// pool backend", true)
	}
	if ms, err := strconv.ParseInt(a.Deadline, 10, 64); err == nil && ms > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.UnixMilli(ms))
		defer cancel()
	}
	resp, err := h.Serve(ctx, []byte(p.Request), httpfn.Signature{Timestamp: p.Timestamp, Nonce: p.Nonce, MAC: p.MAC})
	if err != nil {
		fmt.Fprintln(os.Stderr, "burst worker:", err)
		return failure(err.Error(), errors.Is(err, httpfn.ErrRejected))
	}
	b, err := json.Marshal(resp)
	if err != nil {
		b, _ = json.Marshal(&driver.Response{Version: driver.ProtocolVersion, ID: resp.ID, Attempt: resp.Attempt,
			Error: &driver.WireError{Code: driver.CodeBadOutput, Message: "burst worker: encode result: " + err.Error()}})
	}
	res, _ := json.Marshal(result{Burst: b})
	return res
}
