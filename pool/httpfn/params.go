package httpfn

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
)

// Backend URLs share these parameter readers, so every scheme words its
// errors the same way.

// BoolParam reads a true/false parameter, def when absent.
func BoolParam(scheme string, q url.Values, key string, def bool) (bool, error) {
	v := q.Get(key)
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s: parameter %s=%q: want true or false", scheme, key, v)
	}
	return b, nil
}

// EnvParam reads the environment variable named by parameter key (def when
// the parameter is absent). Secrets are passed by variable name, never in the
// URL, so URLs can be logged. required makes an empty variable an error.
func EnvParam(scheme string, q url.Values, key, def string, required bool) (string, error) {
	name := q.Get(key)
	if name == "" {
		name = def
	}
	if name == "" {
		return "", nil
	}
	v := os.Getenv(name)
	if v == "" && required {
		return "", fmt.Errorf("%s: $%s is empty (parameter %s names the variable holding it)", scheme, name, key)
	}
	return v, nil
}

// SecretParam reads the shared secret from the variable named by the
// secret_env parameter, BURST_SECRET by default.
func SecretParam(q url.Values) []byte {
	name := q.Get("secret_env")
	if name == "" {
		name = EnvSecret
	}
	return []byte(os.Getenv(name))
}

// BaseURL is https://host/path, or http:// when the URL's tls parameter is
// false (a service reached inside a cluster, or a test on loopback).
func BaseURL(scheme string, q url.Values, host, path string) (string, error) {
	tls, err := BoolParam(scheme, q, "tls", true)
	if err != nil {
		return "", err
	}
	s := "https"
	if !tls {
		s = "http"
	}
	return (&url.URL{Scheme: s, Host: host, Path: path}).String(), nil
}
