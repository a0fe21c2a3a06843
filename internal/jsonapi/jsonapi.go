// Package jsonapi sends the JSON requests of burst's deployers (Code Engine,
// Kubernetes/Knative): a body marshalled in, an answer read with a bound and
// unmarshalled out, and a status other than 2xx returned as an error that
// quotes the start of the answer, since that is where the platform says why.
package jsonapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// maxAnswer bounds how much of an answer is read: deployers' answers are
// small objects, and an error page must not fill memory.
const maxAnswer = 1 << 20

// Do sends method base+path with in as its JSON body (no body when in is
// nil) and decodes a 2xx answer into out (when out is not nil). Accept and
// Content-Type are application/json; prepare, when set, adds authorisation
// or overrides headers. Errors start with name. The status is returned
// whenever the server answered, so callers can tell 404 from other failures.
func Do(ctx context.Context, hc *http.Client, name, method, base, path string, in, out any, prepare func(*http.Request) error) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, body)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if prepare != nil {
		if err := prepare(req); err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: %s %s: %w", name, method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("%s: %s %s: %s: %.300s", name, method, path, resp.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s: %s %s: undecodable answer: %w", name, method, path, err)
		}
	}
	return resp.StatusCode, nil
}
