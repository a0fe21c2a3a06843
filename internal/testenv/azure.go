package testenv

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The account Azurite serves by default, with its published key.
const (
	AzuriteAccount = "devstoreaccount1"
	AzuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Azurite is the Azure Blob emulator started for a test.
type Azurite struct {
	*Process
	// Endpoint is the account's blob service URL,
	// http://127.0.0.1:port/devstoreaccount1.
	Endpoint string
}

// StartAzurite starts Azurite's blob service, in memory, on a free port of
// 127.0.0.1, skipping the test when it is not installed (failing under CI).
// For the rest of the test it sets AZURE_STORAGE_ACCOUNT and
// AZURE_STORAGE_KEY to Azurite's well-known account, so azblob:// URLs use
// a shared key and never look for Azure identities (it uses t.Setenv, so
// the test must not be parallel). The server is killed
// when the test ends; its data does not survive Kill.
func StartAzurite(tb testing.TB) *Azurite {
	tb.Helper()
	bin := NeedTool(tb, "azurite-blob")
	port := FreePort(tb)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	tb.Setenv("AZURE_STORAGE_ACCOUNT", AzuriteAccount)
	tb.Setenv("AZURE_STORAGE_KEY", AzuriteKey)
	tb.Setenv("AZURE_STORAGE_CONNECTION_STRING", "")
	tb.Setenv("AZURE_STORAGE_SAS_TOKEN", "")
	p := Start(tb, "azurite", addr, nil, bin,
		"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port),
		"--skipApiVersionCheck", "--disableTelemetry", "--inMemoryPersistence", "--silent")
	return &Azurite{Process: p, Endpoint: fmt.Sprintf("http://%s/%s", addr, AzuriteAccount)}
}

// ConnectionString is the Azure connection string for the emulator.
func (a *Azurite) ConnectionString() string {
	return fmt.Sprintf("DefaultEndpointsProtocol=http;AccountName=%s;AccountKey=%s;BlobEndpoint=%s;",
		AzuriteAccount, AzuriteKey, a.Endpoint)
}

// BucketURL creates container on the emulator and returns its azblob://
// URL, addressing the loopback endpoint.
func (a *Azurite) BucketURL(tb testing.TB, container string) string {
	tb.Helper()
	if err := a.createContainer(container); err != nil {
		tb.Fatalf("testenv: create container %q on %s: %v", container, a.Endpoint, err)
	}
	q := url.Values{
		"domain":          {a.Addr},
		"protocol":        {"http"},
		"localemu":        {"true"},
		"storage_account": {AzuriteAccount},
	}
	return "azblob://" + container + "?" + q.Encode()
}

// createContainer sends one Create Container request signed with the
// account's shared key. It is signed by hand so that every test binary
// importing testenv need not link the Azure SDK.
func (a *Azurite) createContainer(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), patience)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, a.Endpoint+"/"+name+"?restype=container", nil)
	if err != nil {
		return err
	}
	date := time.Now().UTC().Format(http.TimeFormat)
	const version = "2021-08-06"
	req.Header.Set("x-ms-date", date)
	req.Header.Set("x-ms-version", version)
	// The Shared Key string to sign: verb, eleven empty standard headers
	// (Content-Length is empty when 0), the x-ms- headers, and the resource,
	// which for the emulator's path-style URLs names the account twice.
	toSign := "PUT\n" + strings.Repeat("\n", 11) +
		"x-ms-date:" + date + "\nx-ms-version:" + version + "\n" +
		"/" + AzuriteAccount + "/" + AzuriteAccount + "/" + name + "\nrestype:container"
	key, err := base64.StdEncoding.DecodeString(AzuriteKey)
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(toSign))
	req.Header.Set("Authorization", "SharedKey "+AzuriteAccount+":"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 && resp.StatusCode != http.StatusConflict {
		return fmt.Errorf("%s: %s", resp.Status, body)
	}
	return nil
}
