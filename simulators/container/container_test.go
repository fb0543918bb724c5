package container

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/internal/directory"
	"github.com/icscert/icscert/simulators"
	"github.com/icscert/icscert/spec"
)

// signalChildEnv makes TestSignalTeardown play the interrupted process.
const signalChildEnv = "ICSCERT_SIGNAL_CHILD"

func TestMain(m *testing.M) {
	// Before the first testcontainers call: the reaper's image cannot be pulled.
	if err := os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// requireDocker skips the test at once when no Docker engine answers, or fails it when
// ICSCERT_REQUIRE_DOCKER=1 (CI).
func requireDocker(t *testing.T) {
	t.Helper()
	if os.Getenv("ICSCERT_REQUIRE_DOCKER") == "1" {
		require.NoError(t, Available(), "ICSCERT_REQUIRE_DOCKER=1 but no Docker engine answers")
		return
	}
	testcontainers.SkipIfProviderIsNotHealthy(t)
}

// newIssuer returns the token issuer the simulators are told to trust.
func newIssuer(tb testing.TB) *fixtures.Issuer {
	tb.Helper()
	issuer, err := fixtures.NewIssuer("https://issuer.icscert.test")
	require.NoError(tb, err)
	return issuer
}

// mustProfile looks up a catalogue profile.
func mustProfile(tb testing.TB, name string) simulators.Profile {
	tb.Helper()
	p, ok := simulators.Lookup(name, "")
	require.True(tb, ok, name)
	return p
}

// assertNothingLeft proves that no container (in any state) and no network labelled with the
// session exists: through the Docker API testcontainers uses, and also with the docker CLI when
// it is installed and talks to a daemon (its output is logged as evidence).
func assertNothingLeft(t *testing.T, ctx context.Context, session string) {
	t.Helper()
	filter := "label=" + LabelSession + "=" + session
	containers, networks, err := Leftovers(ctx, session)
	require.NoError(t, err)
	assert.Empty(t, containers, "no container labelled %s is left", filter)
	assert.Empty(t, networks, "no network labelled %s is left", filter)

	docker, err := exec.LookPath("docker")
	if err != nil {
		return
	}
	for _, args := range [][]string{{"ps", "-a", "--filter", filter}, {"network", "ls", "--filter", filter}} {
		out, err := exec.CommandContext(ctx, docker, args...).CombinedOutput()
		if err != nil {
			t.Logf("$ docker %s: %v (no CLI evidence)\n%s", strings.Join(args, " "), err, out)
			return
		}
		t.Logf("$ docker %s\n%s", strings.Join(args, " "), out)
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		assert.Len(t, lines, 1, "only the header line: nothing labelled %s is left", filter)
	}
}

// get sends GET url with an optional bearer token and returns status, media type and body.
func get(t *testing.T, ctx context.Context, url, token string) (int, string, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	require.NoError(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Purpose-Of-Use", "SAFEGUARDING_CONCERN")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, strings.Split(resp.Header.Get("Content-Type"), ";")[0], b
}

// TestSimulatorsInContainers builds the image, starts three products on one private network,
// checks each through its host URL, checks that they reach each other by name, and proves that
// Close leaves nothing behind.
func TestSimulatorsInContainers(t *testing.T) {
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	issuer := newIssuer(t)

	info, err := BuildImage(ctx)
	require.NoError(t, err)
	t.Logf("image %s built in %.1f s", info.Image, info.Took.Seconds())

	sess, err := NewSession(ctx, Options{JWKS: issuer.JWKS(), Logger: tclog.TestLogger(t)})
	require.NoError(t, err)
	closed := false
	t.Cleanup(func() {
		if !closed {
			assert.NoError(t, sess.Close(context.Background()))
		}
	})

	cases := []struct {
		profile   string
		errorType string
		reason    string
	}{
		{"wrenfold@2.0", "application/problem+json", "the conformant product answers problems"},
		{"wrenfold@1.4", "text/plain", "errors-text-plain is visible through the container's port"},
		{"tarnline@1.0", "application/problem+json", "the NHS quirks leave errors alone"},
	}
	var profiles []simulators.Profile
	for _, c := range cases {
		profiles = append(profiles, mustProfile(t, c.profile))
	}
	started := time.Now()
	sims, err := sess.Start(ctx, profiles...)
	require.NoError(t, err)
	t.Logf("%d containers started and healthy in %.1f s", len(sims), time.Since(started).Seconds())

	token, err := issuer.Token(fixtures.Claims{Sub: "mgmt-1", Role: "LA_MANAGEMENT", Org: "LA-202", La: "202", Sector: "LA"})
	require.NoError(t, err)
	for i, c := range cases {
		sim := sims[i]
		t.Run(c.profile, func(t *testing.T) {
			t.Logf("%s", sim)
			status, _, _ := get(t, ctx, sim.URL+"/healthz", "")
			assert.Equal(t, http.StatusOK, status, "healthy through the mapped port")

			status, _, body := get(t, ctx, sim.URL+"/v1/meta", "")
			require.Equal(t, http.StatusOK, status)
			var meta spec.Meta
			require.NoError(t, json.Unmarshal(body, &meta))
			assert.Equal(t, spec.APIVersion, meta.APIVersion)
			assert.Contains(t, meta.Product, sim.Profile.Product+" "+sim.Profile.Version, "each container runs its own profile")

			status, mt, body := get(t, ctx, sim.URL+"/v1/children/00000000-0000-4000-8000-000000000000", token)
			assert.Equal(t, http.StatusNotFound, status, "the token verified with the inline JWKS: %s", body)
			assert.Equal(t, c.errorType, mt, c.reason)
		})
	}

	code, err := sims[0].Exec(ctx, "/icscert", "healthcheck", "--url", sims[1].NetworkURL+"/healthz")
	require.NoError(t, err)
	assert.Equal(t, 0, code, "%s reaches %s by its alias on the private network", sims[0].Alias, sims[1].Alias)

	require.NoError(t, sess.Close(ctx))
	closed = true
	assertNothingLeft(t, ctx, sess.ID)
}

// TestExchangeSessionReachesTheHostLoopback starts a product in a session with exchange on:
// the container runs with host networking on its own loopback port, the harness reaches it at
// 127.0.0.1:PORT, and the container reaches a listener on this process's loopback address (as
// the directory, token endpoint, peer and webhook receiver of a run listen). Two products get
// different ports. Close leaves nothing behind.
func TestExchangeSessionReachesTheHostLoopback(t *testing.T) {
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	issuer := newIssuer(t)

	harness := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			w.WriteHeader(http.StatusOK)
			return
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(harness.Close)
	require.True(t, strings.HasPrefix(harness.URL, "http://127.0.0.1:"), "the stand-in harness listens on loopback only")

	sess, err := NewSession(ctx, Options{JWKS: issuer.JWKS(), Logger: tclog.TestLogger(t), Exchange: directory.Settings{
		DirectoryURL: harness.URL + "/directory/v1", TokenURL: harness.URL + "/token",
		ClientID: "target", ClientSecret: "s3cret", Councils: []string{"202"},
	}})
	require.NoError(t, err)
	closed := false
	t.Cleanup(func() {
		if !closed {
			assert.NoError(t, sess.Close(context.Background()))
		}
	})

	sims, err := sess.Start(ctx, mustProfile(t, "wrenfold@2.0"), mustProfile(t, "tarnline@1.0"))
	require.NoError(t, err)
	require.Len(t, sims, 2)
	assert.NotEqual(t, sims[0].URL, sims[1].URL, "each container serves on its own port")
	for _, sim := range sims {
		t.Logf("%s", sim)
		assert.True(t, strings.HasPrefix(sim.URL, "http://127.0.0.1:"), "reached on the loopback address: %s", sim.URL)
		assert.Equal(t, sim.URL, sim.NetworkURL, "host-networked containers reach each other at the host URL")
		status, _, body := get(t, ctx, sim.URL+"/v1/meta", "")
		require.Equal(t, http.StatusOK, status)
		var meta spec.Meta
		require.NoError(t, json.Unmarshal(body, &meta))
		assert.Contains(t, meta.Product, sim.Profile.Product+" "+sim.Profile.Version, "each port serves its own profile")

		code, err := sim.Exec(ctx, "/icscert", "healthcheck", "--url", harness.URL+"/healthz")
		require.NoError(t, err)
		assert.Equal(t, 0, code, "%s reaches the harness's loopback listener %s", sim.Alias, harness.URL)
	}
	code, err := sims[0].Exec(ctx, "/icscert", "healthcheck", "--url", sims[1].NetworkURL+"/healthz")
	require.NoError(t, err)
	assert.Equal(t, 0, code, "%s reaches %s at its NetworkURL", sims[0].Alias, sims[1].Alias)

	require.NoError(t, sess.Close(ctx))
	closed = true
	assertNothingLeft(t, ctx, sess.ID)
}

// TestCancelledStartLeavesNothing cancels the context while three containers are starting:
// Start removes what it created, and Close, even with the cancelled context, removes the rest.
func TestCancelledStartLeavesNothing(t *testing.T) {
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sess, err := NewSession(ctx, Options{JWKS: newIssuer(t).JWKS(), Logger: tclog.TestLogger(t)})
	require.NoError(t, err)

	profiles := []simulators.Profile{mustProfile(t, "kinledger@3.2"), mustProfile(t, "quillmere@4.0"), mustProfile(t, "lanternwise@0.9")}
	startCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := sess.Start(startCtx, profiles...)
		done <- err
	}()
	require.Eventually(t, func() bool {
		containers, _, err := Leftovers(ctx, sess.ID)
		return err == nil && len(containers) > 0
	}, time.Minute, 20*time.Millisecond, "a container is created")
	stop()
	err = <-done
	require.Error(t, err, "Start reports the cancellation")
	t.Logf("Start after cancel: %v", err)

	containers, _, err := Leftovers(ctx, sess.ID)
	require.NoError(t, err)
	assert.Empty(t, containers, "Start removed the containers it had created")

	require.NoError(t, sess.Close(startCtx), "Close works with the cancelled context")
	assertNothingLeft(t, ctx, sess.ID)
}

// TestCleanupByLabel removes a session that was never closed, as after a crash.
func TestCleanupByLabel(t *testing.T) {
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sess, err := NewSession(ctx, Options{JWKS: newIssuer(t).JWKS(), Logger: tclog.TestLogger(t)})
	require.NoError(t, err)
	_, err = sess.Start(ctx, mustProfile(t, "thistlegate"))
	require.NoError(t, err)

	require.NoError(t, Cleanup(ctx, sess.ID))
	assertNothingLeft(t, ctx, sess.ID)
	assert.NoError(t, sess.Close(ctx), "closing a session that was cleaned up finds nothing to do")
}

// TestSignalTeardown interrupts a process that holds a running simulator: the session removes
// its container and network before the process dies of the signal.
func TestSignalTeardown(t *testing.T) {
	if os.Getenv(signalChildEnv) == "1" {
		holdUntilSignalled(t)
		return
	}
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSignalTeardown$", "-test.count=1")
	cmd.Env = append(os.Environ(), signalChildEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	session := ""
	scan := bufio.NewScanner(stdout)
	for scan.Scan() {
		line := scan.Text()
		if id, ok := strings.CutPrefix(line, "SESSION "); ok {
			session = id
		}
		if line == "READY" {
			break
		}
	}
	require.NotEmpty(t, session, "the child started a session: %s", stderr.String())
	containers, networks, err := Leftovers(ctx, session)
	require.NoError(t, err)
	require.Len(t, containers, 1, "the child's simulator runs")
	require.Len(t, networks, 1)

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	_, _ = io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the child dies of the signal")
	t.Logf("child: %v", err)
	assertNothingLeft(t, ctx, session)
}

// holdUntilSignalled is the child of TestSignalTeardown: it starts one simulator, says so, and
// waits to be interrupted.
func holdUntilSignalled(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sess, err := NewSession(ctx, Options{JWKS: newIssuer(t).JWKS(), Logger: tclog.TestLogger(t)})
	require.NoError(t, err)
	_, err = sess.Start(ctx, mustProfile(t, "wrenfold"))
	require.NoError(t, err)
	fmt.Printf("SESSION %s\nREADY\n", sess.ID)
	<-ctx.Done()
	t.Fatal("the child was not interrupted")
}

// BenchmarkStartThree measures a session with three simulators: network, three healthy
// containers and teardown. The image build is reported once.
func BenchmarkStartThree(b *testing.B) {
	if err := Available(); err != nil {
		if os.Getenv("ICSCERT_REQUIRE_DOCKER") == "1" {
			b.Fatalf("ICSCERT_REQUIRE_DOCKER=1 but no Docker engine answers: %v", err)
		}
		b.Skipf("no Docker engine: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	info, err := BuildImage(ctx)
	require.NoError(b, err)
	jwks := newIssuer(b).JWKS()
	profiles := []simulators.Profile{mustProfile(b, "wrenfold"), mustProfile(b, "kinledger"), mustProfile(b, "tarnline")}
	var starting, closing time.Duration
	n := 0
	for b.Loop() {
		sess, err := NewSession(ctx, Options{JWKS: jwks, Logger: tclog.TestLogger(b)})
		require.NoError(b, err)
		t0 := time.Now()
		_, err = sess.Start(ctx, profiles...)
		starting += time.Since(t0)
		t1 := time.Now()
		require.NoError(b, errors.Join(err, sess.Close(ctx)))
		closing += time.Since(t1)
		n++
	}
	b.ReportMetric(info.Took.Seconds(), "s-image-build")
	b.ReportMetric(starting.Seconds()/float64(n), "s-start-3")
	b.ReportMetric(closing.Seconds()/float64(n), "s-teardown")
}
