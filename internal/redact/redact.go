// Package redact hides secrets in URLs and in the text that carries them
// (errors, log lines, printed configs), so that burst never prints a
// credential: a URL's password, and the value of every query parameter or
// key=value pair whose name looks secret (secret, key, token, sas, sig,
// password, credential — in any case, also inside longer names such as
// secret_access_key or sas_token).
//
//	fmt.Println(redact.URL("s3://bkt?secret_access_key=abc&region=eu"))
//	// s3://bkt?secret_access_key=xxxxx&region=eu
//
// Names ending in _env or _file are exempt: their values name an
// environment variable or a file that holds the secret, not the secret, and
// hiding them would hide where the secret comes from.
package redact

import (
	"context"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// Mask replaces every hidden value.
const Mask = "xxxxx"

// Words that mark a secret anywhere in a name, and words that do so only
// as a whole word of it (so that signal, monkey or author stay visible).
var (
	secretParts = []string{"secret", "token", "password", "passwd", "credential", "signature",
		"apikey", "api_key", "accesskey", "access_key", "accountkey", "account_key", "privatekey", "private_key"}
	secretWords = []string{"key", "sas", "sig", "auth", "pwd", "pass"}
)

// IsSecretName reports whether a parameter of this name holds a secret.
func IsSecretName(name string) bool { return secretName(name, true) }

// secretName matches name against the secret words; loose also accepts the
// whole words, which are too common in prose to match after a colon.
func secretName(name string, loose bool) bool {
	n := strings.ToLower(name)
	if strings.HasSuffix(n, "_env") || strings.HasSuffix(n, "_file") {
		return false
	}
	for _, w := range secretParts {
		if strings.Contains(n, w) {
			return true
		}
	}
	for _, w := range words(name) {
		switch {
		case slices.Contains(secretWords, w) && (loose || w == "sas" || w == "sig"):
			return true
		}
	}
	return false
}

// words splits a name at _ - . and lower-to-upper case changes, in lower
// case: secret_access_key, SharedAccessKey and X-Amz-Signature each give
// their words.
func words(name string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(name); i++ {
		cut := i == len(name) || strings.ContainsRune("_-. ", rune(name[i]))
		camel := i > 0 && i < len(name) && unicode.IsUpper(rune(name[i])) && unicode.IsLower(rune(name[i-1]))
		if cut || camel {
			if i > start {
				out = append(out, strings.ToLower(name[start:i]))
			}
			start = i
			if cut {
				start = i + 1
			}
		}
	}
	return out
}

// URL returns s with its password and the values of its secret-looking
// query parameters masked; a query value that is itself a URL is redacted
// in turn. Text that does not parse as a URL is redacted as String does, so
// a malformed URL in an error message still hides its secrets.
func URL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		return text(s)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), Mask)
	}
	if u.RawQuery != "" {
		u.RawQuery = query(u.RawQuery)
	}
	if u.RawFragment != "" || u.Fragment != "" {
		u.Fragment, u.RawFragment = text(u.Fragment), ""
	}
	out := u.String()
	// scheme://?query comes back as scheme:?query; keep the user's spelling.
	if p := u.Scheme + "://"; strings.HasPrefix(s, p) && !strings.HasPrefix(out, p) {
		out = p + strings.TrimPrefix(out, u.Scheme+":")
	}
	return out
}

// query masks secret values in a raw query, keeping order and encoding.
func query(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if IsSecretName(name) {
			parts[i] = k + "=" + Mask
			continue
		}
		if dv, err := url.QueryUnescape(v); err == nil && strings.Contains(dv, "://") {
			if r := URL(dv); r != dv {
				parts[i] = k + "=" + url.QueryEscape(r)
			}
		}
	}
	return strings.Join(parts, "&")
}

var (
	// A URL inside text ends at white space or a quote.
	urlRE = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]*://[^\s"'<>` + "`" + `]*`)
	// user:password@ of a URL that did not parse.
	userinfoRE = regexp.MustCompile(`(://[^/\s:@]*):[^@\s/]*@`)
	// name=value outside URLs (an SDK's message, a flag, an environment
	// dump): the value runs to white space, &, ; , or a quote.
	pairRE = regexp.MustCompile(`([A-Za-z0-9_.\-]+)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s&;,"']+)`)
)

// String returns text with every URL in it redacted (see URL) and every
// name=value or name: value pair whose name looks secret masked.
func String(s string) string {
	if s == "" {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range urlRE.FindAllStringIndex(s, -1) {
		b.WriteString(pairs(s[last:m[0]]))
		b.WriteString(URL(strings.TrimRight(s[m[0]:m[1]], ".,;:)]}")))
		b.WriteString(s[m[0]:m[1]][len(strings.TrimRight(s[m[0]:m[1]], ".,;:)]}")):])
		last = m[1]
	}
	b.WriteString(pairs(s[last:]))
	return b.String()
}

// text redacts a string that should have been a URL but did not parse.
func text(s string) string {
	s = userinfoRE.ReplaceAllString(s, "$1:"+Mask+"@")
	base, rest, ok := strings.Cut(s, "?")
	if !ok {
		return pairs(s)
	}
	q, frag, hasFrag := strings.Cut(rest, "#")
	s = pairs(base) + "?" + query(q)
	if hasFrag {
		s += "#" + text(frag)
	}
	return s
}

func pairs(s string) string {
	return pairRE.ReplaceAllStringFunc(s, func(m string) string {
		sm := pairRE.FindStringSubmatch(m)
		if !IsSecretName(sm[1]) || sm[3] == Mask {
			// A value that is a URL, perhaps query-escaped, is redacted
			// as one: url=https%3A%2F%2Fu%3Apw%40host.
			if dv, err := url.QueryUnescape(sm[3]); err == nil && dv != sm[3] && strings.Contains(dv, "://") {
				if r := String(dv); r != dv {
					return sm[1] + sm[2] + url.QueryEscape(r)
				}
			}
			return m
		}
		// "key: value" in prose ("bad key: x") is only hidden when it is
		// written as an assignment; a colon pair is hidden when the name is
		// unambiguously secret (not merely containing "key").
		if strings.Contains(sm[2], ":") && !secretName(sm[1], false) {
			return m
		}
		return sm[1] + sm[2] + Mask
	})
}

// Error returns err with its message redacted (see String); errors.Is and
// errors.As still see err. Nil stays nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	msg := String(err.Error())
	if msg == err.Error() {
		return err
	}
	return &redacted{msg: msg, err: err}
}

type redacted struct {
	msg string
	err error
}

func (e *redacted) Error() string { return e.msg }
func (e *redacted) Unwrap() error { return e.err }

// ReplaceAttr is a slog.HandlerOptions.ReplaceAttr that redacts the message
// and every string, error or other value of a record (see String).
func ReplaceAttr(_ []string, a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindString:
		if r := String(a.Value.String()); r != a.Value.String() {
			a.Value = slog.StringValue(r)
		}
	case slog.KindAny:
		v := a.Value.Any()
		var s string
		switch v := v.(type) {
		case error:
			s = v.Error()
		case interface{ String() string }:
			s = v.String()
		default:
			return a
		}
		if r := String(s); r != s {
			a.Value = slog.StringValue(r)
		}
	}
	return a
}

// Handler wraps a slog.Handler so that records reach it redacted: the
// message, and every attribute (see ReplaceAttr), groups included.
func Handler(h slog.Handler) slog.Handler { return &handler{h} }

type handler struct{ h slog.Handler }

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.h.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	nr := slog.NewRecord(r.Time, r.Level, String(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		nr.AddAttrs(redactAttr(a))
		return true
	})
	return h.h.Handle(ctx, nr)
}

func (h *handler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make([]slog.Attr, len(as))
	for i, a := range as {
		out[i] = redactAttr(a)
	}
	return &handler{h.h.WithAttrs(out)}
}

func (h *handler) WithGroup(name string) slog.Handler { return &handler{h.h.WithGroup(name)} }

func redactAttr(a slog.Attr) slog.Attr {
	a.Value = a.Value.Resolve()
	if a.Value.Kind() == slog.KindGroup {
		g := a.Value.Group()
		out := make([]slog.Attr, len(g))
		for i, x := range g {
			out[i] = redactAttr(x)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}
	}
	if secretName(a.Key, false) && a.Value.Kind() == slog.KindString {
		return slog.String(a.Key, Mask)
	}
	return ReplaceAttr(nil, a)
}
