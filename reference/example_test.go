package reference_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/reference/store/sqlite"
)

// ExampleNew runs the reference over an in-memory store, trusting a test issuer's keys,
// seeds it with synthetic children and reads its metadata. For a durable server, open the
// store with a file path instead of sqlite.Memory.
func ExampleNew() {
	st, err := sqlite.Open(sqlite.Memory)
	if err != nil {
		panic(err)
	}
	issuer, err := fixtures.NewIssuer("https://issuer.example.test")
	if err != nil {
		panic(err)
	}
	srv, err := reference.New(reference.Options{
		Store: st, // the server owns the store from here on
		Keys:  reference.JWKSFromBytes(issuer.JWKS()),
	})
	if err != nil {
		panic(err)
	}
	defer func() { _ = srv.Close() }()

	ids, err := srv.Seed(context.Background(), "202", fixtures.NewGenerator(1).Children(3))
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/healthz")
	if err != nil {
		panic(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(len(ids), resp.StatusCode, string(body))
	// Output: 3 200 {"status":"ok"}
}
