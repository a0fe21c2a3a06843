package main

import (
	"bytes"
	"cmp"
	"context"
	"flag"
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/burst-dev/burst/internal/redact"
	"github.com/burst-dev/burst/providers"
)

func configVerb(_ context.Context, c *cmd, fs *flag.FlagSet, args []string) error {
	if err := parse(fs, args, 0, 0); err != nil {
		return err
	}
	cfg, err := providers.Load(c.config)
	if err != nil {
		return err
	}
	out, err := renderConfig(cfg)
	if err != nil {
		return err
	}
	fmt.Fprint(c.stdout, out)
	return nil
}

// renderConfig prints the resolved config as YAML (keys left at their zero
// value omitted), then what it selects, every secret hidden.
func renderConfig(cfg *providers.Config) (string, error) {
	purl, err := cfg.PoolURL()
	if err != nil {
		return "", err
	}
	var body bytes.Buffer
	if doc, ok := node(reflect.ValueOf(cfg.Resolved()).Elem()); ok {
		enc := yaml.NewEncoder(&body)
		enc.SetIndent(2)
		if err := enc.Encode(doc); err != nil {
			return "", fmt.Errorf("render config: %w", err)
		}
	}
	src := cfg.Path
	if src == "" {
		src = "(none: everything runs in this process)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# config: %s (defaults and environment overrides applied; secrets hidden)\n", src)
	b.Write(body.Bytes())
	p := cfg.Estimator().Estimate()
	fmt.Fprintf(&b, "# selects\n#   compute: %s\n#   storage: %s\n#   shared:  %s\n#   pricing: %s, %d MB: $%g per GB-s, $%g per vCPU-s, $%g per million requests (%s)\n",
		purl, cmp.Or(cfg.Storage, "mem://"), cmp.Or(cfg.Shared, "mem://"),
		p.Provider, p.MemoryMB, p.Pricing.PerGBSecond, p.Pricing.PerVCPUSecond, p.Pricing.PerMillionRequests, p.Pricing.Date)
	// Every line goes through the redactor: URLs anywhere in it, and any
	// key whose name looks secret.
	return redact.String(b.String()), nil
}

// node renders v as YAML, keeping only what is set: a zero field is left
// out (it means "the default"), while a set pointer (retries: 0) is kept.
func node(v reflect.Value) (*yaml.Node, bool) {
	if m, ok := v.Interface().(yaml.Marshaler); ok && !v.IsZero() {
		x, err := m.MarshalYAML()
		if err != nil {
			return nil, false
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(x)}, true
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil, false
		}
		n, _ := node(v.Elem())
		if n == nil {
			n = &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(v.Elem().Interface())}
		}
		return n, true
	case reflect.Struct:
		m := &yaml.Node{Kind: yaml.MappingNode}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if opts == "inline" {
				// A backend's own keys, beside the pricing of its section.
				if c, ok := node(v.Field(i)); ok {
					m.Content = append(m.Content, c.Content...)
				}
				continue
			}
			if !f.IsExported() || name == "" || name == "-" {
				continue
			}
			if c, ok := node(v.Field(i)); ok {
				m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, c)
			}
		}
		return m, len(m.Content) > 0
	}
	if v.IsZero() {
		return nil, false
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(v.Interface())}, true
}
