package main

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reference"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/simulators"
)

// anyKeys trusts the keys served at several JWKS URLs: the persistent system must trust every
// run's token issuer, and two runs at once have two. A key id it does not know makes it fetch
// every URL again, with no rate limit, so that a new run's keys are found at once.
type anyKeys struct {
	urls []string
	mu   sync.Mutex
	keys map[string]crypto.PublicKey
}

func (k *anyKeys) Key(ctx context.Context, kid string) (crypto.PublicKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	for _, u := range k.urls {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			continue // that run is not listening (yet, or any more)
		}
		var set jose.JSONWebKeySet
		err = json.NewDecoder(resp.Body).Decode(&set)
		_ = resp.Body.Close()
		if err != nil {
			continue
		}
		for _, jwk := range set.Keys {
			k.keys[jwk.KeyID] = jwk.Key
		}
	}
	if key, ok := k.keys[kid]; ok {
		return key, nil
	}
	return nil, fmt.Errorf("no key %q at %v", kid, k.urls)
}

// outcome is what one run of `icscert run` gave.
type outcome struct {
	verdict reports.Verdict
	failed  []string
	code    int
}

func (o outcome) String() string {
	return fmt.Sprintf("%s exit %d %s", o.verdict, o.code, strings.Join(o.failed, " "))
}

// TestRerunsAgainstOnePersistentSystem runs the suite repeatedly against one system that keeps
// its records in one SQLite file, as a supplier's staging server does: five runs one after
// another, then two at once. Every run must give the verdict and the failed requirements of
// the first, because each run claims its own identifier block and draws its own names, dates
// and Idempotency-Keys. By default it proves this on the reference; ICSCERT_RERUN_ALL=1 adds
// every simulated version (about a minute of wall time per system on two cores).
func TestRerunsAgainstOnePersistentSystem(t *testing.T) {
	if testing.Short() {
		t.Skip("seven full runs per system; skipped with -short")
	}
	systems := []string{"reference"}
	if os.Getenv("ICSCERT_RERUN_ALL") == "1" {
		for _, p := range simulators.Profiles() {
			systems = append(systems, p.String())
		}
	}
	var table strings.Builder
	fmt.Fprintf(&table, "%-16s | %-40s | %-40s | %-40s | %s\n", "system", "run 1", "run 5", "two at once", "wall")
	for _, name := range systems {
		start := time.Now()
		runs := rerun(t, name)
		fmt.Fprintf(&table, "%-16s | %-40s | %-40s | %-40s | %s\n", name, runs[0], runs[4],
			runs[5].String()+" / "+runs[6].String(), time.Since(start).Round(time.Second))
		for i, o := range runs[1:] {
			assert.Equal(t, runs[0].verdict, o.verdict, "%s: run %d gave another verdict than run 1", name, i+2)
			assert.Equal(t, runs[0].failed, o.failed, "%s: run %d failed other requirements than run 1", name, i+2)
			assert.Equal(t, runs[0].code, o.code, "%s: run %d exited otherwise than run 1", name, i+2)
		}
		want := []string(nil)
		if p, ok := simulators.Lookup(name, ""); ok {
			want = p.Breaks()
		}
		assert.Equal(t, want, runs[0].failed, "%s: run 1 fails exactly the known defects", name)
	}
	t.Logf("verdicts against one database per system:\n%s", table.String())
}

// rerun starts the system called name on a fresh database file and returns the outcomes of
// five runs in sequence and then two at once.
func rerun(t *testing.T, name string) []outcome {
	t.Helper()
	dir := t.TempDir()
	listen := []string{freeAddr(t), freeAddr(t)}
	keys := &anyKeys{keys: map[string]crypto.PublicKey{}}
	for _, addr := range listen {
		keys.urls = append(keys.urls, "http://"+addr+"/.well-known/jwks.json")
	}
	db := filepath.Join(dir, "system.db")
	var baseURL string
	if p, ok := simulators.Lookup(name, ""); ok {
		in, err := simulators.Start(context.Background(), p, simulators.StartOptions{Keys: keys, DBPath: db})
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, in.Close()) })
		baseURL = in.URL
	} else {
		st, err := sqlite.Open(db)
		require.NoError(t, err)
		srv, err := reference.New(reference.Options{Store: st, Keys: keys})
		require.NoError(t, err)
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(func() { ts.Close(); assert.NoError(t, srv.Close()) })
		baseURL = ts.URL
	}
	target := filepath.Join(dir, "target.yaml")
	require.NoError(t, os.WriteFile(target, []byte(fmt.Sprintf(
		"name: %s\nbaseUrl: %s\nvendor: test\nproduct: %s\nversion: persistent\ncouncils: [\"202\"]\n", name, baseURL, name)), 0o644))

	one := func(i int, addr string) outcome {
		out := filepath.Join(dir, fmt.Sprintf("run%d", i))
		cmd := exec.Command(os.Args[0], "run", "--target", target, "--out", out, "--listen", addr)
		cmd.Env = append(os.Environ(), "ICSCERT_TEST_AS_MAIN=1")
		logs, err := cmd.CombinedOutput()
		o := outcome{code: cmd.ProcessState.ExitCode()}
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Errorf("%s run %d: %v", name, i, err)
			return o
		}
		f, err := os.Open(filepath.Join(out, reports.JSONFile))
		if err != nil {
			t.Errorf("%s run %d wrote no report: %v\n%s", name, i, err, logs)
			return o
		}
		defer f.Close()
		rep, err := reports.ReadJSON(f)
		require.NoError(t, err)
		o.verdict = rep.Verdict
		for _, req := range rep.Requirements {
			if req.Verdict == reports.Fail || req.Verdict == reports.Error || req.Verdict == reports.Config {
				o.failed = append(o.failed, req.ID)
			}
		}
		slices.Sort(o.failed)
		return o
	}
	var runs []outcome
	for i := 1; i <= 5; i++ {
		runs = append(runs, one(i, listen[0]))
	}
	pair := make([]outcome, 2)
	var wg sync.WaitGroup
	for i := range pair {
		wg.Go(func() { pair[i] = one(6+i, listen[i]) })
	}
	wg.Wait()
	return append(runs, pair...)
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}
