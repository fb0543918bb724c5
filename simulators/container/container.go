// Package container runs simulated vendor products (package simulators) in Docker containers
// through testcontainers-go, on a private network per session (or with host networking when
// they exchange with the harness, see below), without pulling any image.
//
// BuildImage builds the image icscert-sim:dev once per process from a freshly built static
// binary and the embedded FROM scratch Dockerfile. A Session owns one Docker network and the
// containers started on it; everything it creates carries the label icscert.session=<id>, so
// that Cleanup can remove it even after a crash.
//
// Two network modes. Without exchange (Options.Exchange names no directory) each container runs
// on the session's private bridge network, published on a mapped port. With exchange, the
// simulated product must itself call the harness's national directory, token endpoint, peer
// system and webhook receiver, which listen on the loopback address of this process; so each
// container runs with host networking and serves on its own free loopback port, 127.0.0.1:PORT
// (passed as a later --addr, which overrides the image's ENTRYPOINT --addr :8080). That needs
// the Docker daemon to run in this process's network namespace (true where the harness runs
// beside its own daemon, as in CI); nothing then listens on 0.0.0.0. Session.Close, Cleanup on a signal, and the
// failure paths of Start remove what they created.
//
// The Ryuk reaper is never used (its image cannot be pulled here): NewSession and BuildImage
// set TESTCONTAINERS_RYUK_DISABLED=true before their first testcontainers call. A program that
// calls testcontainers itself first must set it too.
package container

import (
	"bytes"
	"context"
	_ "embed" // the Dockerfile
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"github.com/google/uuid"
	dockercontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/icscert/icscert/internal/directory"
	"github.com/icscert/icscert/simulators"
)

//go:embed Dockerfile
var dockerfile []byte

// Image is the local image every simulator container runs; `make sims` builds the same one.
const Image = "icscert-sim:dev"

// Labels on everything a Session creates.
const (
	// LabelSession carries the session id on every container and network of a session.
	LabelSession = "icscert.session"
	// LabelProfile carries a container's profile, NAME@VERSION.
	LabelProfile = "icscert.profile"
)

// labelStart marks the containers of one Start call, so that a failed call can find the
// containers it gave up on.
const labelStart = "icscert.start"

// Port is the container port the simulator listens on.
const Port = "8080/tcp"

const (
	// startTimeout bounds the wait for one container to become healthy.
	startTimeout = 60 * time.Second
	// teardownTimeout bounds a teardown that runs after the caller's context is gone.
	teardownTimeout = 60 * time.Second
)

// disableReaper turns off the Ryuk reaper, whose image cannot be pulled. testcontainers reads
// its configuration once, at its first call, so this runs before any.
func disableReaper() { _ = os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true") }

// Available reports, within 20 s, whether a Docker engine answers: nil if it does. Tests use
// it to skip when there is no engine, or to fail when ICSCERT_REQUIRE_DOCKER=1.
func Available() error {
	disableReaper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return fmt.Errorf("docker: %w", err)
	}
	defer func() { _ = p.Close() }()
	if err := p.Health(ctx); err != nil {
		return fmt.Errorf("docker: %w", err)
	}
	return nil
}

// BuildInfo describes the image BuildImage made.
type BuildInfo struct {
	// Image is the image reference, Image.
	Image string
	// Took is how long the build (go build and docker build) took.
	Took time.Duration
}

var (
	buildMu sync.Mutex
	built   *BuildInfo
)

// BuildImage builds Image once per process and returns what it built; later calls return the
// first successful build at once. It compiles ./cmd/icscert of the module the working
// directory is in (found with `go env GOMOD`) with CGO_ENABLED=0 for linux on this machine's
// architecture into a temporary build context with the embedded Dockerfile, and has Docker
// build it (FROM scratch: nothing is pulled). It is safe for concurrent use; a failed build is
// tried again by the next call.
func BuildImage(ctx context.Context) (BuildInfo, error) {
	disableReaper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if built != nil {
		return *built, nil
	}
	start := time.Now()
	dir, err := os.MkdirTemp("", "icscert-sim-build-")
	if err != nil {
		return BuildInfo{}, fmt.Errorf("build simulator image: %w", err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if err := buildBinary(ctx, filepath.Join(dir, "icscert")); err != nil {
		return BuildInfo{}, fmt.Errorf("build simulator image: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), dockerfile, 0o644); err != nil {
		return BuildInfo{}, fmt.Errorf("build simulator image: %w", err)
	}
	provider, err := testcontainers.NewDockerProvider()
	if err != nil {
		return BuildInfo{}, fmt.Errorf("build simulator image: %w", err)
	}
	defer func() { _ = provider.Close() }()
	previous := imageID(ctx, provider.Client())
	repo, tag, _ := strings.Cut(Image, ":")
	var logs bytes.Buffer
	_, err = provider.BuildImage(ctx, &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context: dir, Dockerfile: "Dockerfile", Repo: repo, Tag: tag, KeepImage: true, BuildLogWriter: &logs,
	}})
	if err != nil {
		return BuildInfo{}, fmt.Errorf("build simulator image: %w\n%s", err, logs.String())
	}
	if previous != "" && previous != imageID(ctx, provider.Client()) {
		// The tag moved to a new build: drop the one it left untagged, unless a container
		// still uses it.
		_, _ = provider.Client().ImageRemove(ctx, previous, client.ImageRemoveOptions{PruneChildren: true})
	}
	built = &BuildInfo{Image: Image, Took: time.Since(start)}
	return *built, nil
}

// imageID returns the id of Image, or "" if there is none.
func imageID(ctx context.Context, cli client.APIClient) string {
	img, err := cli.ImageInspect(ctx, Image)
	if err != nil {
		return ""
	}
	return img.ID
}

// buildBinary compiles the static icscert binary to out.
func buildBinary(ctx context.Context, out string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("find the go tool: %w", err)
	}
	gomod, err := exec.CommandContext(ctx, goTool, "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("find the module: %w", err)
	}
	mod := strings.TrimSpace(string(gomod))
	if mod == "" || mod == os.DevNull {
		return errors.New("find the module: the working directory is not inside the icscert module")
	}
	cmd := exec.CommandContext(ctx, goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./cmd/icscert")
	cmd.Dir = filepath.Dir(mod)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %w: %s", err, b)
	}
	return nil
}

// Options configures a Session.
type Options struct {
	// JWKS is the key set the simulators trust, handed to each container with --jwks-inline
	// so that no container needs to reach the host. Required.
	JWKS []byte
	// Audience is the token audience; the simulator's default if empty.
	Audience string
	// Latency is what the slow quirk adds; the simulator's default if zero.
	Latency time.Duration
	// Logger receives testcontainers' progress lines about the containers; testcontainers'
	// default logger if nil.
	Logger tclog.Logger
	// Exchange, when it names a directory, is handed to each container with --directory,
	// --token-url, --client-id, --client-secret, --councils and --self-url, as `icscert
	// simulate` takes them, and the session runs its containers with host networking (see the
	// package comment) so that the loopback URLs of the harness are reachable from inside them.
	Exchange directory.Settings
}

// Simulator is one running simulator container.
type Simulator struct {
	// Profile is the product it simulates.
	Profile simulators.Profile
	// URL is its base URL from the host: http://host:mapped-port on the bridge network,
	// http://127.0.0.1:PORT with host networking.
	URL string
	// Alias is its name on the session's network (with host networking, only a name for logs).
	Alias string
	// NetworkURL is its base URL for the other containers of the session: http://alias:8080 on
	// the bridge network; with host networking the other containers share the host's loopback,
	// so it is URL.
	NetworkURL string

	container *testcontainers.DockerContainer
}

// Exec runs cmd (exec form: no shell exists in the image) inside the container and returns
// its exit code.
func (s *Simulator) Exec(ctx context.Context, cmd ...string) (int, error) {
	code, _, err := s.container.Exec(ctx, cmd)
	if err != nil {
		return code, fmt.Errorf("exec in %s: %w", s.Alias, err)
	}
	return code, nil
}

// Session is a private Docker network and the simulator containers started on it. Its methods
// are safe for concurrent use. Whoever called NewSession calls Close, also when a run fails;
// if the process is interrupted by SIGINT or SIGTERM first, the session removes everything it
// labelled before the signal takes its course.
type Session struct {
	// ID is the value of LabelSession on everything the session creates.
	ID string

	opts    Options
	network *testcontainers.DockerNetwork

	mu       sync.Mutex
	closed   bool
	running  []*Simulator
	starts   sync.WaitGroup
	stopWait chan struct{}
}

// NewSession builds the image if this process has not yet, creates the session's network and
// starts watching for SIGINT and SIGTERM. On error nothing is left behind.
func NewSession(ctx context.Context, opts Options) (*Session, error) {
	disableReaper()
	if len(opts.JWKS) == 0 {
		return nil, errors.New("new simulator session: no JWKS")
	}
	if _, err := BuildImage(ctx); err != nil {
		return nil, fmt.Errorf("new simulator session: %w", err)
	}
	s := &Session{ID: uuid.NewString(), opts: opts, stopWait: make(chan struct{})}
	nw, err := network.New(ctx, network.WithLabels(map[string]string{LabelSession: s.ID}))
	if err != nil {
		cctx, cancel := teardownContext(ctx)
		defer cancel()
		return nil, errors.Join(fmt.Errorf("new simulator session: %w", err), Cleanup(cctx, s.ID))
	}
	s.network = nw
	go s.watchSignals()
	return s, nil
}

// watchSignals removes the session's containers and network on SIGINT or SIGTERM, then
// delivers the signal again so that the process goes on as it would have (a program that
// handles the signal itself still gets it; one that does not exits).
func (s *Session) watchSignals() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	select {
	case sig := <-sigs:
		ctx, cancel := context.WithTimeout(context.Background(), teardownTimeout)
		defer cancel()
		_ = Cleanup(ctx, s.ID)
		signal.Stop(sigs)
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Signal(sig)
		}
	case <-s.stopWait:
	}
}

// Start starts one container per profile, concurrently, on the session's network, and returns
// them, in the order of profiles, once every one is healthy (its image HEALTHCHECK, which runs
// `icscert healthcheck`, passes; with host networking, once /healthz answers on its loopback
// port from here). If any fails to start, or ctx ends first, Start removes the
// containers of this call before it returns the error; earlier calls' containers stay.
func (s *Session) Start(ctx context.Context, profiles ...simulators.Profile) ([]*Simulator, error) {
	if err := s.begin(); err != nil {
		return nil, fmt.Errorf("start simulators: %w", err)
	}
	defer s.starts.Done()

	call := uuid.NewString()
	sims := make([]*Simulator, len(profiles))
	errs := make([]error, len(profiles))
	var wg sync.WaitGroup
	for i, p := range profiles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sims[i], errs[i] = s.startOne(ctx, p, call)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		cctx, cancel := teardownContext(ctx)
		defer cancel()
		var rm []error
		for _, sim := range sims {
			if sim != nil {
				rm = append(rm, removeContainer(cctx, sim.container))
			}
		}
		rm = append(rm, sweepStart(cctx, call))
		return nil, errors.Join(fmt.Errorf("start simulators: %w", err), errors.Join(rm...))
	}
	s.mu.Lock()
	s.running = append(s.running, sims...)
	s.mu.Unlock()
	return sims, nil
}

// startOne starts one simulator of profile p, labelled with the Start call's id. On error the
// returned Simulator, if not nil, holds the container that was created, for the caller to remove.
func (s *Session) startOne(ctx context.Context, p simulators.Profile, call string) (*Simulator, error) {
	alias := strings.ReplaceAll(p.Name+"-"+p.Version, ".", "-")
	waitFor := wait.ForHealthCheck().WithStartupTimeout(startTimeout).WithPollInterval(100 * time.Millisecond)
	return s.startContainer(ctx, Image, alias, p, []string{"--profile", p.String()}, waitFor, call)
}

// begin registers a start in progress, which Close waits for; the caller calls s.starts.Done
// when it returns. It fails once the session is closed.
func (s *Session) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("the session is closed")
	}
	s.starts.Add(1)
	return nil
}

// StartImage starts one container of a supplier's own image on the session's network and
// returns it once GET /healthz answers on Port. The image must serve the API on Port and accept
// the flags --jwks-inline (the JWKS to trust) and --audience, as `icscert simulate` does; with
// exchange (host networking) also the exchange flags and --addr 127.0.0.1:PORT, the address to
// serve on instead of Port. The
// returned Simulator's Profile names the image. On error nothing of this call is left behind.
func (s *Session) StartImage(ctx context.Context, image string) (*Simulator, error) {
	if err := s.begin(); err != nil {
		return nil, fmt.Errorf("start image: %w", err)
	}
	defer s.starts.Done()

	call := uuid.NewString()
	p := simulators.Profile{Name: image, Product: image}
	alias := "sut-" + call[:8]
	// No wait strategy: the image may have no HEALTHCHECK, and the port is probed from here
	// until /healthz answers (see startContainer).
	sim, err := s.startContainer(ctx, image, alias, p, nil, nil, call)
	if err != nil {
		cctx, cancel := teardownContext(ctx)
		defer cancel()
		return nil, errors.Join(err, sweepStart(cctx, call))
	}
	s.mu.Lock()
	s.running = append(s.running, sim)
	s.mu.Unlock()
	return sim, nil
}

// startContainer starts image with args plus the session's trust flags, labelled with the
// Start call's id, waits with waitFor (nil: no strategy) and then until /healthz answers from
// here. With exchange it runs the container with host networking on a free loopback port
// instead (waitFor is then not used: the probe from here is the wait). On error the returned Simulator, if not nil, holds the container that was created, for
// the caller to remove.
func (s *Session) startContainer(ctx context.Context, image, alias string, p simulators.Profile, args []string, waitFor wait.Strategy, call string) (*Simulator, error) {
	args = append(args, "--jwks-inline", string(s.opts.JWKS))
	if s.opts.Audience != "" {
		args = append(args, "--audience", s.opts.Audience)
	}
	if s.opts.Latency > 0 {
		args = append(args, "--latency", s.opts.Latency.String())
	}
	if ex := s.opts.Exchange; ex.Enabled() {
		args = append(args, "--directory", ex.DirectoryURL, "--token-url", ex.TokenURL,
			"--client-id", ex.ClientID, "--client-secret", ex.ClientSecret)
		if len(ex.Councils) > 0 {
			args = append(args, "--councils", strings.Join(ex.Councils, ","))
		}
		if ex.SelfURL != "" {
			args = append(args, "--self-url", ex.SelfURL)
		}
	}
	labels := map[string]string{LabelSession: s.ID, LabelProfile: p.String(), labelStart: call}
	opts := []testcontainers.ContainerCustomizer{testcontainers.WithLabels(labels)}
	hostPort := ""
	if s.opts.Exchange.Enabled() {
		var err error
		if hostPort, err = freeLoopbackPort(); err != nil {
			return nil, fmt.Errorf("start %s: %w", p, err)
		}
		args = append(args, "--addr", net.JoinHostPort(loopback, hostPort))
		opts = append(opts, hostNetwork(hostPort, waitFor != nil)...)
		waitFor = nil // the port is probed from here below
	} else {
		opts = append(opts, testcontainers.WithExposedPorts(Port), network.WithNetwork([]string{alias}, s.network))
	}
	opts = append(opts, testcontainers.WithCmd(args...))
	if waitFor != nil {
		opts = append(opts, testcontainers.WithWaitStrategy(waitFor))
	}
	if s.opts.Logger != nil {
		opts = append([]testcontainers.ContainerCustomizer{testcontainers.WithLogger(s.opts.Logger)}, opts...)
	}
	c, err := testcontainers.Run(ctx, image, opts...)
	var sim *Simulator
	if c != nil {
		sim = &Simulator{Profile: p, Alias: alias, NetworkURL: "http://" + alias + ":8080", container: c}
	}
	if err != nil {
		return sim, fmt.Errorf("start %s: %w", p, err)
	}
	if hostPort != "" {
		if sim.URL, err = awaitReachable(ctx, hostPort, loopback); err != nil {
			return sim, fmt.Errorf("start %s: %w", p, err)
		}
		// Whatever answered must be this container: one that could not bind the port (another
		// process took it) has exited by now.
		state, err := c.State(ctx)
		if err != nil {
			return sim, fmt.Errorf("start %s: %w", p, err)
		}
		if !state.Running {
			return sim, fmt.Errorf("start %s: the container exited (code %d): %s was not its own", p, state.ExitCode, sim.URL)
		}
		sim.NetworkURL = sim.URL
		return sim, nil
	}
	host, err := c.Host(ctx)
	if err != nil {
		return sim, fmt.Errorf("start %s: %w", p, err)
	}
	port, err := c.MappedPort(ctx, Port)
	if err != nil {
		return sim, fmt.Errorf("start %s: %w", p, err)
	}
	if sim.URL, err = awaitReachable(ctx, port.Port(), host, "127.0.0.1"); err != nil {
		return sim, fmt.Errorf("start %s: %w", p, err)
	}
	return sim, nil
}

// hostNetwork returns the options that run a container with host networking, serving on
// 127.0.0.1:port. The image's HEALTHCHECK would probe port 8080, where nothing listens: when
// ownImage (the simulator image, whose binary is its health check), the health check probes the
// chosen port instead; a supplier's image keeps its own.
func hostNetwork(port string, ownImage bool) []testcontainers.ContainerCustomizer {
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithHostConfigModifier(func(hc *dockercontainer.HostConfig) { hc.NetworkMode = "host" }),
	}
	if ownImage {
		url := "http://" + net.JoinHostPort(loopback, port) + "/healthz"
		opts = append(opts, testcontainers.WithConfigModifier(func(cfg *dockercontainer.Config) {
			cfg.Healthcheck = &dockercontainer.HealthConfig{
				Test:     []string{"CMD", "/icscert", "healthcheck", "--url", url},
				Interval: time.Second, Timeout: 2 * time.Second, StartPeriod: 10 * time.Second, Retries: 3,
			}
		}))
	}
	return opts
}

// loopback is the address a host-networked container serves on and is reached at.
const loopback = "127.0.0.1"

// handedOut holds the loopback ports freeLoopbackPort has returned in this process, never
// returned twice, so that concurrent sessions never give two containers the same port.
var handedOut struct {
	sync.Mutex
	ports map[string]bool
}

// freeLoopbackPort returns a TCP port free on the loopback address now and not returned before
// in this process, for a host-networked container to serve on. Another process could take it
// before the container binds it; the container then exits, and startContainer, which checks
// that the container still runs once the port answers, reports the failed start.
func freeLoopbackPort() (string, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = map[string]bool{}
	}
	for range 20 {
		ln, err := net.Listen("tcp", net.JoinHostPort(loopback, "0"))
		if err != nil {
			return "", fmt.Errorf("find a free loopback port: %w", err)
		}
		_, port, err := net.SplitHostPort(ln.Addr().String())
		if cerr := ln.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			return "", fmt.Errorf("find a free loopback port: %w", err)
		}
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port, nil
		}
	}
	return "", errors.New("find a free loopback port: the kernel kept offering ports already handed out")
}

// reachableURL returns http://host:port for the first of hosts at which /healthz answers 200.
// testcontainers infers the host the Docker daemon publishes ports on; when this process runs
// in a container that also runs the daemon, it guesses the container's gateway, which does not
// answer, and the loopback address is the right one.
func reachableURL(ctx context.Context, port string, hosts ...string) (string, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	var errs []error
	for _, h := range hosts {
		base := "http://" + net.JoinHostPort(h, port)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
		if err != nil {
			return "", fmt.Errorf("reach the published port: %w", err)
		}
		resp, err := client.Do(req)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return base, nil
		}
		errs = append(errs, fmt.Errorf("%s/healthz answered %s", base, resp.Status))
	}
	return "", fmt.Errorf("reach the published port: %w", errors.Join(errs...))
}

// awaitReachable calls reachableURL every 200 ms until it succeeds, for at most startTimeout
// or until ctx ends, and returns its last error then.
func awaitReachable(ctx context.Context, port string, hosts ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	for {
		url, err := reachableURL(ctx, port, hosts...)
		if err == nil {
			return url, nil
		}
		select {
		case <-ctx.Done():
			return "", err
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// sweepStart removes the containers of one Start call that it gave up on. A create request
// the call cancelled can still complete in the daemon a moment later, so it looks until two
// looks in a row, 200 ms apart, find nothing (at most ten looks).
func sweepStart(ctx context.Context, call string) error {
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("sweep containers: %w", err)
	}
	defer func() { _ = cli.Close() }()
	f := make(client.Filters).Add("label", labelStart+"="+call)
	quiet := 0
	for look := 0; look < 10 && quiet < 2; look++ {
		list, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
		if err != nil {
			return fmt.Errorf("sweep containers: %w", err)
		}
		if len(list.Items) == 0 {
			quiet++
		} else {
			quiet = 0
		}
		for _, c := range list.Items {
			_, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			if err := ignoreGone(err); err != nil {
				return fmt.Errorf("sweep containers: %w", err)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("sweep containers: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	if quiet < 2 {
		return errors.New("sweep containers: containers kept appearing")
	}
	return nil
}

// Close waits for Starts in progress to return, removes every container and the network of
// the session and checks that nothing labelled with its id is left. It ignores ctx's
// cancellation (a teardown must also run after an interrupt) and bounds itself to a minute.
// Later calls only repeat the check.
func (s *Session) Close(ctx context.Context) error {
	s.mu.Lock()
	first := !s.closed
	s.closed = true
	running := s.running
	s.running = nil
	s.mu.Unlock()
	if first {
		close(s.stopWait)
	}
	s.starts.Wait()
	cctx, cancel := teardownContext(ctx)
	defer cancel()
	var errs []error
	for _, sim := range running {
		errs = append(errs, removeContainer(cctx, sim.container))
	}
	if s.network != nil && first {
		errs = append(errs, ignoreGone(s.network.Remove(cctx)))
	}
	errs = append(errs, Cleanup(cctx, s.ID))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close simulator session %s: %w", s.ID, err)
	}
	return nil
}

// removeContainer stops and removes c with its volumes.
func removeContainer(ctx context.Context, c *testcontainers.DockerContainer) error {
	return ignoreGone(c.Terminate(ctx, testcontainers.StopTimeout(2*time.Second)))
}

// teardownContext returns a context that keeps ctx's values but not its cancellation, bounded
// to teardownTimeout.
func teardownContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), teardownTimeout)
}

// ignoreGone drops errors that say the thing is already gone or going.
func ignoreGone(err error) error {
	if err == nil || errdefs.IsNotFound(err) || errdefs.IsConflict(err) {
		return nil
	}
	return err
}

// Leftovers returns the ids of the containers (any state) and networks labelled with session,
// or with any session when session is "".
func Leftovers(ctx context.Context, session string) (containers, networks []string, err error) {
	disableReaper()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list leftovers: %w", err)
	}
	defer func() { _ = cli.Close() }()
	f := make(client.Filters).Add("label", labelFilter(session))
	cl, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, nil, fmt.Errorf("list leftovers: %w", err)
	}
	for _, c := range cl.Items {
		containers = append(containers, c.ID)
	}
	nl, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return nil, nil, fmt.Errorf("list leftovers: %w", err)
	}
	for _, n := range nl.Items {
		networks = append(networks, n.ID)
	}
	return containers, networks, nil
}

func labelFilter(session string) string {
	if session == "" {
		return LabelSession
	}
	return LabelSession + "=" + session
}

// Cleanup removes every container (forcibly, with its volumes) and then every network labelled
// with session, or with any session when session is "" (to clear up after a process that was
// killed). It repeats until nothing is left, up to three rounds, and fails if something stays.
// It uses ctx as given: pass one with a deadline.
func Cleanup(ctx context.Context, session string) error {
	disableReaper()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("clean up simulators: %w", err)
	}
	defer func() { _ = cli.Close() }()
	for round := 1; ; round++ {
		containers, networks, err := Leftovers(ctx, session)
		if err != nil {
			return fmt.Errorf("clean up simulators: %w", err)
		}
		if len(containers)+len(networks) == 0 {
			return nil
		}
		if round > 3 {
			return fmt.Errorf("clean up simulators: %d containers and %d networks labelled %s remain",
				len(containers), len(networks), labelFilter(session))
		}
		var errs []error
		for _, id := range containers {
			_, err := cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			errs = append(errs, ignoreGone(err))
		}
		for _, id := range networks {
			_, err := cli.NetworkRemove(ctx, id, client.NetworkRemoveOptions{})
			errs = append(errs, ignoreGone(err))
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("clean up simulators: %w", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("clean up simulators: %w", ctx.Err())
		case <-time.After(time.Duration(round) * 200 * time.Millisecond):
		}
	}
}

// String describes the simulator for logs: NAME@VERSION at URL.
func (s *Simulator) String() string {
	return s.Profile.String() + " at " + s.URL + " (" + s.Alias + ", container " + shortID(s.container.GetContainerID()) + ")"
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
