package ibm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// NewIAMTokenSource returns a token source that exchanges an IBM Cloud API
// key for IAM access tokens at endpoint (DefaultIAMEndpoint when empty),
// caching each token until a minute before it expires. hc nil means
// http.DefaultClient.
func NewIAMTokenSource(apiKey, endpoint string, hc *http.Client) oauth2.TokenSource {
	if endpoint == "" {
		endpoint = DefaultIAMEndpoint
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return oauth2.ReuseTokenSourceWithExpiry(nil, &iamSource{key: apiKey, endpoint: endpoint, hc: hc}, time.Minute)
}

type iamSource struct {
	key, endpoint string
	hc            *http.Client
}

// Token performs the API-key grant of IBM Cloud IAM.
func (s *iamSource) Token() (*oauth2.Token, error) {
	form := url.Values{"grant_type": {"urn:ibm:params:oauth:grant-type:apikey"}, "apikey": {s.key}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("ibm: IAM token: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	res, err := s.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ibm: IAM token from %s: %w", s.endpoint, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("ibm: IAM token from %s: %s: %.300s (is the API key valid?)", s.endpoint, res.Status, body)
	}
	var r struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int64  `json:"expires_in"`
		Expiration  int64  `json:"expiration"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.AccessToken == "" {
		return nil, fmt.Errorf("ibm: IAM token from %s: no access_token in the answer: %.300s", s.endpoint, body)
	}
	tok := &oauth2.Token{AccessToken: r.AccessToken, TokenType: "Bearer"}
	switch {
	case r.Expiration > 0:
		tok.Expiry = time.Unix(r.Expiration, 0)
	case r.ExpiresIn > 0:
		tok.Expiry = time.Now().Add(time.Duration(r.ExpiresIn) * time.Second)
	}
	return tok, nil
}
