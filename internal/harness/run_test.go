package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	messages "github.com/cucumber/messages/go/v34"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
)

// fakeTarget answers just enough of the API for the meta feature: GET /v1/meta and an
// UNKNOWN_CODE refusal of every POST /v1/children. Its fields switch on defects.
type fakeTarget struct {
	apiVersion    string        // "" means spec.APIVersion
	genderVersion string        // version published for the gender code system; "" means the contract's
	noCorrelation bool          // omit X-Correlation-ID from responses
	hangChildren  bool          // never answer POST /v1/children
	delay         time.Duration // before every answer
}

func (f fakeTarget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Reading the body lets the server notice a client that gives up, which cancels
	// r.Context() and lets the test server close.
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-time.After(f.delay):
	case <-r.Context().Done():
		return
	}
	cid := r.Header.Get("X-Correlation-ID")
	if cid == "" {
		cid = "fake-1"
	}
	if !f.noCorrelation {
		w.Header().Set("X-Correlation-ID", cid)
	}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/meta":
		meta := spec.Meta{APIVersion: spec.APIVersion, CodeSystems: []spec.CodeSystem{}, Capabilities: []string{}}
		if f.apiVersion != "" {
			meta.APIVersion = f.apiVersion
		}
		for _, c := range spec.CodeLists {
			v := c.Version
			if c.Name == spec.Genders.Name && f.genderVersion != "" {
				v = f.genderVersion
			}
			meta.CodeSystems = append(meta.CodeSystems, spec.CodeSystem{Name: c.Name, Version: v})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(meta)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/children":
		if f.hangChildren {
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(spec.Problem{
			Type: "https://icscert.example/problems/unknown-code", Title: "The request uses a code the code system does not define",
			Status: 422, Code: "UNKNOWN_CODE", CorrelationID: cid,
			Errors: []spec.FieldError{{Pointer: "/gender", Code: "UNKNOWN_CODE", CodeSystem: spec.Genders.Name, CodeSystemVersion: spec.Genders.Version}},
		})
	default:
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"type":"https://icscert.example/problems/not-found","title":"No such resource","status":404,"code":"NOT_FOUND","correlationId":%q}`, cid)
	}
}

// serve starts h and returns a target for it; the server stops when the test ends.
func serve(t *testing.T, h http.Handler) *Target {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return &Target{Name: "fake", BaseURL: srv.URL, Vendor: "Test", Product: "Fake", Version: "1"}
}

// suiteFS is a suite of feature files for runs that must not depend on the embedded suite.
func suiteFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return fsys
}

const metaScenario = `
  @VER-003 @positive %s
  Scenario: Metadata %d
    When an anonymous caller reads the API metadata
    Then the response status is 200
    And the metadata publishes every code system of the contract at its version
`

// metaTags selects the embedded suite's metadata scenarios, the only ones fakeTarget answers.
const metaTags = "@VER-003"

func TestRunEmbeddedSuiteAgainstConformingFake(t *testing.T) {
	out := t.TempDir()
	rep, err := Run(context.Background(), Config{Target: serve(t, fakeTarget{}), OutDir: out, Redact: true, Tags: metaTags})
	require.NoError(t, err)
	assert.Equal(t, reports.Incomplete, rep.Verdict, "a run narrowed to VER-003 leaves every other MUST requirement untested: %s", rep.Message)
	assert.False(t, rep.Conformant, "a partial run never calls the system conformant")
	assert.True(t, rep.Partial, "a run narrowed by tags is a partial run")
	assert.True(t, strings.HasPrefix(rep.Headline, `partial run (--tags "@VER-003"): incomplete: `), rep.Headline)
	var ran []reports.Scenario
	for _, s := range rep.Scenarios {
		if s.Verdict != reports.Skipped {
			ran = append(ran, s)
		}
	}
	require.Len(t, ran, 2)
	for _, s := range ran {
		assert.Equal(t, reports.Pass, s.Verdict, "%s: %+v", s.ID, s.Failure)
		for _, st := range s.Steps {
			assert.Equal(t, "passed", st.Status, "%s: %s", s.ID, st.Text)
		}
	}
	for _, f := range []string{reports.JSONFile, reports.JUnitFile, reports.CucumberFile, reports.MessagesFile, reports.MarkdownFile, reports.HTMLFile} {
		assert.FileExists(t, filepath.Join(out, f))
	}
	assert.Equal(t, reports.Pass, requirement(t, rep, "VER-003").Verdict)
	written, err := os.ReadFile(filepath.Join(out, reports.JSONFile))
	require.NoError(t, err)
	assert.NoError(t, reports.ValidateJSON(written), "report.json of a real run against its published schema")

	// cucumber.ndjson of a real run: strict Cucumber Messages, one test case per scenario,
	// as many passed steps as report.json, and success only for a conformant run.
	data, err := os.ReadFile(filepath.Join(out, reports.MessagesFile))
	require.NoError(t, err)
	var cases, passed, wantPassed int
	var finished *messages.TestRunFinished
	for i, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		var e messages.Envelope
		require.NoError(t, dec.Decode(&e), "cucumber.ndjson line %d", i+1)
		switch {
		case e.TestCaseStarted != nil:
			cases++
		case e.TestStepFinished != nil && e.TestStepFinished.TestStepResult.Status == messages.TestStepResultStatus_PASSED:
			passed++
		case e.TestRunFinished != nil:
			finished = e.TestRunFinished
		}
	}
	for _, s := range rep.Scenarios {
		for _, st := range s.Steps {
			if st.Status == "passed" {
				wantPassed++
			}
		}
	}
	assert.Len(t, rep.Scenarios, cases, "one test case per scenario")
	assert.Equal(t, wantPassed, passed, "passed steps agree with report.json")
	require.NotNil(t, finished, "the run finishes")
	assert.Equal(t, rep.Conformant, finished.Success)
	assert.Equal(t, rep.Headline, finished.Message)
}

func TestRunVerdicts(t *testing.T) {
	var scenarios strings.Builder
	scenarios.WriteString("Feature: meta\n")
	for i := range 6 {
		fmt.Fprintf(&scenarios, metaScenario, "", i)
	}
	fmt.Fprintf(&scenarios, metaScenario, "@cap-test-clock", 100)
	fmt.Fprintf(&scenarios, metaScenario, "@skipme", 101)
	scenarios.WriteString(`
  @VER-003 @negative
  Scenario: Undefined
    When the moon is blue
`)
	fsys := suiteFS(map[string]string{"meta.feature": scenarios.String()})

	cases := []struct {
		reason       string
		target       fakeTarget
		scenarios    map[reports.Verdict]int
		requirements map[string]reports.Verdict
	}{
		{
			reason:       "a conforming target passes; a capability it lacks is not applicable, a tag excludes, an undefined step is a suite defect",
			target:       fakeTarget{},
			scenarios:    map[reports.Verdict]int{reports.Pass: 6, reports.NotApplicable: 1, reports.Skipped: 1, reports.Config: 1},
			requirements: map[string]reports.Verdict{"VER-003": reports.Config, "ERR-001": reports.NotTested},
		},
		{
			reason:       "a wrong code-system version fails VER-003",
			target:       fakeTarget{genderVersion: "1999.9"},
			scenarios:    map[reports.Verdict]int{reports.Fail: 6, reports.NotApplicable: 1, reports.Skipped: 1, reports.Config: 1},
			requirements: map[string]reports.Verdict{"VER-003": reports.Fail, "ERR-001": reports.NotTested},
		},
		{
			reason:       "a missing X-Correlation-ID fails ERR-001, not the requirement the scenarios check, which it blocks",
			target:       fakeTarget{noCorrelation: true},
			scenarios:    map[reports.Verdict]int{reports.Blocked: 6, reports.NotApplicable: 1, reports.Skipped: 1, reports.Config: 1},
			requirements: map[string]reports.Verdict{"VER-003": reports.Config, "ERR-001": reports.Fail},
		},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			rep, err := Run(context.Background(), Config{
				Target: serve(t, c.target), Features: fsys, Tags: "~@skipme", Concurrency: 4, Redact: true,
			})
			require.NoError(t, err)
			for v, n := range c.scenarios {
				assert.Equal(t, n, rep.Summary.Scenarios[v], "scenarios %s", v)
			}
			for id, v := range c.requirements {
				assert.Equal(t, v, requirement(t, rep, id).Verdict, id)
			}
		})
	}
}

func TestRunCannotTest(t *testing.T) {
	closed := func(t *testing.T) *Target {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		return &Target{Name: "gone", BaseURL: "http://" + addr}
	}
	badFile := filepath.Join(t.TempDir(), "target.yaml")
	require.NoError(t, os.WriteFile(badFile, []byte("name: x\nbaseUrl: http://127.0.0.1:1\nbaseurl: http://h\n"), 0o644))

	cases := []struct {
		reason  string
		cfg     func(t *testing.T) Config // builds the run's config; servers stop when t ends
		verdict reports.Verdict
		message string
		within  time.Duration
	}{
		{"a target that is not listening cannot be tested", func(t *testing.T) Config {
			t.Helper()
			return Config{Target: closed(t)}
		}, reports.Error, "unreachable", 5 * time.Second},
		{"a target that hangs cannot be tested, and the run ends at the request timeout", func(t *testing.T) Config {
			t.Helper()
			return Config{Target: serve(t, fakeTarget{delay: time.Hour}), RequestTimeout: 300 * time.Millisecond}
		}, reports.Error, "no response within 300ms", 5 * time.Second},
		{"a scenario that runs out of time is an error", func(t *testing.T) Config {
			t.Helper()
			return Config{Target: serve(t, fakeTarget{hangChildren: true}), ScenarioTimeout: 300 * time.Millisecond, Tags: metaTags}
		}, reports.Error, "", 10 * time.Second},
		{"a target implementing API 2.0.0 is a configuration error", func(t *testing.T) Config {
			t.Helper()
			return Config{Target: serve(t, fakeTarget{apiVersion: "2.0.0"})}
		}, reports.Config, "implements API version 2.0.0", 5 * time.Second},
		{"a URL that is not the API is a configuration error", func(t *testing.T) Config {
			t.Helper()
			return Config{Target: serve(t, http.NotFoundHandler())}
		}, reports.Config, "answered 404", 5 * time.Second},
		{"an unknown key in the target file is a configuration error naming key and line", func(*testing.T) Config {
			return Config{TargetFile: badFile}
		}, reports.Config, `line 3: unknown key "baseurl"`, 5 * time.Second},
		{"a tag expression godog would misread is a configuration error", func(t *testing.T) Config {
			t.Helper()
			return Config{Target: serve(t, fakeTarget{}), Tags: "not @wip"}
		}, reports.Config, "not @wip", 5 * time.Second},
		{"a tag naming a requirement outside the catalogue is a suite error", func(t *testing.T) Config {
			t.Helper()
			return Config{Target: serve(t, fakeTarget{}), Features: suiteFS(map[string]string{
				"x.feature": "Feature: x\n  @NOPE-001 @positive\n  Scenario: s\n    When an anonymous caller reads the API metadata\n",
			})}
		}, reports.Config, "NOPE-001 is not in the requirement catalogue", 5 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			start := time.Now()
			rep, err := Run(context.Background(), c.cfg(t))
			require.NoError(t, err)
			assert.Less(t, time.Since(start), c.within)
			assert.Equal(t, c.verdict, rep.Verdict, "%s", rep.Message)
			assert.False(t, rep.Conformant)
			if c.message != "" {
				assert.Contains(t, rep.Message, c.message)
			}
		})
	}
}

func TestRunScenarioTimeoutNamesTheCause(t *testing.T) {
	rep, err := Run(context.Background(), Config{Target: serve(t, fakeTarget{hangChildren: true}), ScenarioTimeout: 300 * time.Millisecond, Tags: metaTags})
	require.NoError(t, err)
	neg := scenario(t, rep, "features/meta.feature:14")
	assert.Equal(t, reports.Error, neg.Verdict)
	require.NotNil(t, neg.Failure)
	assert.Contains(t, neg.Failure.Message, "ran out of its 300ms")
	assert.Equal(t, reports.Error, rep.Verdict)
}

func TestRunProgress(t *testing.T) {
	var quiet strings.Builder
	_, err := Run(context.Background(), Config{Target: serve(t, fakeTarget{genderVersion: "0"}), Progress: &quiet, Tags: metaTags})
	require.NoError(t, err)
	assert.Contains(t, quiet.String(), "keys at http://127.0.0.1:")
	assert.Contains(t, quiet.String(), "FAIL   features/meta.feature:7  VER-003: the metadata publishes another version of the code system gender")

	var live strings.Builder
	_, err = Run(context.Background(), Config{Target: serve(t, fakeTarget{}), Progress: &live, LiveProgress: true, Tags: metaTags})
	require.NoError(t, err)
	assert.Contains(t, live.String(), "\r2/2 scenarios: 2 passed, 0 not passed\n")
}

func requirement(t *testing.T, rep *reports.Report, id string) reports.Requirement {
	t.Helper()
	for _, r := range rep.Requirements {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no requirement %s in the report", id)
	return reports.Requirement{}
}

func scenario(t *testing.T, rep *reports.Report, id string) reports.Scenario {
	t.Helper()
	for _, s := range rep.Scenarios {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("no scenario %s in the report", id)
	return reports.Scenario{}
}

func TestRunStepStatuses(t *testing.T) {
	fsys := suiteFS(map[string]string{"s.feature": `Feature: s
  @VER-003 @negative
  Scenario: A failed check skips the rest
    Given a council manager of council 202
    When they read the API metadata
    Then the response status is 201
    And the metadata publishes every code system of the contract at its version
`})
	rep, err := Run(context.Background(), Config{Target: serve(t, fakeTarget{}), Features: fsys})
	require.NoError(t, err)
	s := scenario(t, rep, "features/s.feature:3")
	assert.Equal(t, reports.Fail, s.Verdict)
	var statuses, keywords []string
	for _, st := range s.Steps {
		statuses = append(statuses, st.Status)
		keywords = append(keywords, st.Keyword)
	}
	assert.Equal(t, []string{"passed", "passed", "failed", "skipped"}, statuses)
	assert.Equal(t, []string{"Given", "When", "Then", "And"}, keywords)
	require.NotNil(t, s.Failure)
	assert.Equal(t, "status", s.Failure.Pointer)
	assert.Equal(t, "201", s.Failure.Expected)
	assert.Equal(t, "200", s.Failure.Actual)
	require.Len(t, s.Failure.Exchanges, 1, "the failure carries the response it checked")
	assert.Equal(t, "getMeta", s.Failure.Exchanges[0].Operation)
	assert.Equal(t, "Bearer [redacted:token]", s.Failure.Exchanges[0].RequestHeaders["Authorization"])
	assert.Positive(t, s.Duration)
}
