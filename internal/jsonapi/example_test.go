package jsonapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/burst-dev/burst/internal/jsonapi"
)

func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/apps/hello" {
			http.Error(w, `{"message":"no such app"}`, http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(map[string]string{"status": "ready", "auth": r.Header.Get("Authorization")})
	}))
	defer srv.Close()
	ctx := context.Background()
	bearer := func(r *http.Request) error { r.Header.Set("Authorization", "Bearer t"); return nil }

	var app struct{ Status, Auth string }
	code, err := jsonapi.Do(ctx, srv.Client(), "example", http.MethodGet, srv.URL, "/apps/hello", nil, &app, bearer)
	fmt.Println(code, err, app.Status, app.Auth)

	code, err = jsonapi.Do(ctx, srv.Client(), "example", http.MethodGet, srv.URL, "/apps/other", nil, &app, bearer)
	fmt.Println(code, err)
	// Output:
	// 200 <nil> ready Bearer t
	// 404 example: GET /apps/other: 404 Not Found: {"message":"no such app"}
}
