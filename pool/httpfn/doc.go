// Package httpfn is what the HTTP-invoked pool backends share (gcp, azure,
// ibm, openwhisk, knative): the driver-side Client that POSTs a signed call
// envelope and maps the platform's status codes onto the pool's retryable
// errors, and the worker-side Handler that verifies the signature before it
// runs anything.
//
// A function URL may be public, so every call is signed: an HMAC-SHA256, keyed
// with the job's shared secret (BURST_SECRET on the worker), over the exact
// envelope bytes, a timestamp and a random nonce. A worker refuses a call that
// is unsigned, signed with another secret, older than the window, or whose
// nonce it has already seen.
//
// Status codes map as the pool's retry policy needs: 429 → driver.ErrThrottled,
// 502/503/504 → driver.ErrTransient, 500 → driver.ErrWorkerLost, each waiting at
// least the Retry-After the platform sent (driver.RetryAfter).
package httpfn
