// Package redacttest holds a table of URLs with a secret in every position a
// URL can carry one, for the tests of every package that prints URLs
// (internal/redact, cloudfs, shared, providers, the burst command). Hosts are
// on loopback, so opening any of them reaches nothing else.
package redacttest

// Case is one URL, the secrets in it, and text that redaction must keep.
type Case struct {
	Name    string
	URL     string
	Secrets []string
	Keep    []string
}

// Cases is a table of URLs with a secret in every position a URL can carry
// one. Each secret is a distinct word so a leak names its case.
var Cases = []Case{
	{"redis password", "redis://:Sredispw1@127.0.0.1:9/0", []string{"Sredispw1"}, []string{"127.0.0.1:9"}},
	{"user and password", "redis://default:Suserpw2@127.0.0.1:9", []string{"Suserpw2"}, []string{"default"}},
	{"escaped password", "https://u:S%40esc3@127.0.0.1/x", []string{"S%40esc3", "S@esc3"}, []string{"127.0.0.1"}},
	{"s3 secret_access_key", "s3://bkt?region=eu-west-1&secret_access_key=Ss3sak4&access_key_id=AKIAS5", []string{"Ss3sak4", "AKIAS5"}, []string{"region=eu-west-1", "bkt"}},
	{"azure sas_token", "azblob://ctr?sas_token=Ssas6&domain=blob.core.windows.net", []string{"Ssas6"}, []string{"domain=blob.core.windows.net"}},
	{"SAS signature", "https://127.0.0.1:9/ctr?sv=2022-11-02&sp=r&sig=Ssig7%2Bx%3D", []string{"Ssig7"}, []string{"sv=2022-11-02"}},
	{"upper case names", "s3://bkt?SECRET=Supper8&Token=Supper9&PASSWORD=Supper10", []string{"Supper8", "Supper9", "Supper10"}, nil},
	{"camel case key", "azblob://ctr?AccountKey=Scamel11&AccountName=acct", []string{"Scamel11"}, []string{"AccountName=acct"}},
	{"amz signature", "https://127.0.0.1:9/k?X-Amz-Credential=Samz12&X-Amz-Signature=Samz13&X-Amz-Date=20260101", []string{"Samz12", "Samz13"}, []string{"X-Amz-Date=20260101"}},
	{"api key and credential", "ibm://127.0.0.1:9?apikey=Sapi14&credential=Scred15&auth=Sauth16", []string{"Sapi14", "Scred15", "Sauth16"}, nil},
	{"key inside a name", "gs://bkt?private_key=Spk17&key=Sk18&monkey=visible", []string{"Spk17", "Sk18"}, []string{"monkey=visible"}},
	{"nested URL in a parameter", "gcp://?url=https%3A%2F%2Fu%3ASnest19%40127.0.0.1%3A9%2Fx%3Ftoken%3DSnest20", []string{"Snest19", "Snest20"}, []string{"127.0.0.1"}},
	{"fragment", "https://127.0.0.1/cb#access_token=Sfrag21&state=ok", []string{"Sfrag21"}, []string{"state=ok"}},
	{"unparsable URL", "redis://:Sbad22@127.0.0.1:notaport?token=Sbad23", []string{"Sbad22", "Sbad23"}, []string{"127.0.0.1"}},
	{"all positions", "https://u:Sall24@127.0.0.1:8443/p?sig=Sall25&ok=1#token=Sall26", []string{"Sall24", "Sall25", "Sall26"}, []string{"ok=1", "127.0.0.1:8443"}},
	{"variable names are not secrets", "knative://127.0.0.1:9?token_env=MY_TOKEN&secret_env=MY_SECRET&credentials_file=/k.json", nil, []string{"MY_TOKEN", "MY_SECRET", "/k.json"}},
}
