package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The parse-back tests decode into their own minimal types, not the renderers', so that a
// mistake in a renderer's struct tags cannot hide itself.

type parsedSuites struct {
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Errors   int           `xml:"errors,attr"`
	Skipped  int           `xml:"skipped,attr"`
	Suites   []parsedSuite `xml:"testsuite"`
}

type parsedSuite struct {
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Cases    []parsedCase `xml:"testcase"`
}

type parsedCase struct {
	Classname string `xml:"classname,attr"`
	Name      string `xml:"name,attr"`
	Failure   *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	} `xml:"failure"`
	Error *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
	} `xml:"error"`
	Skipped *struct {
		Message string `xml:"message,attr"`
	} `xml:"skipped"`
	SystemOut string `xml:"system-out"`
}

func TestJUnitParsesBack(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.build(t)
			var b bytes.Buffer
			require.NoError(t, WriteJUnit(&b, r))

			var got parsedSuites
			dec := xml.NewDecoder(&b)
			dec.Strict = true
			require.NoError(t, dec.Decode(&got), "junit.xml must be well-formed XML: %s", fx.reason)

			var tests, failures, errs, skipped int
			for _, s := range got.Suites {
				var f, e, sk int
				for _, c := range s.Cases {
					assert.Equal(t, s.Name, c.Classname, "classname is the feature")
					f += boolCount(c.Failure != nil)
					e += boolCount(c.Error != nil)
					sk += boolCount(c.Skipped != nil)
				}
				assert.Equal(t, len(s.Cases), s.Tests, "suite %s: tests", s.Name)
				assert.Equal(t, f, s.Failures, "suite %s: failures", s.Name)
				assert.Equal(t, e, s.Errors, "suite %s: errors", s.Name)
				assert.Equal(t, sk, s.Skipped, "suite %s: skipped", s.Name)
				tests, failures, errs, skipped = tests+s.Tests, failures+f, errs+e, skipped+sk
			}
			assert.Equal(t, tests, got.Tests, "testsuites: tests")
			assert.Equal(t, failures, got.Failures, "testsuites: failures")
			assert.Equal(t, errs, got.Errors, "testsuites: errors")
			assert.Zero(t, got.Skipped, "testsuites carries no skipped attribute: junit-10.xsd refuses it")

			n := r.Summary.Scenarios
			runError := boolCount(r.Message != "" && (r.Verdict == Config || r.Verdict == Error))
			untested := boolCount(strings.Contains(r.Headline, "not tested"))
			var onlyBlocked, stopped int // failed requirements no FAIL scenario shows; BLOCKED scenarios that stopped
			for _, req := range r.Requirements {
				onlyBlocked += boolCount(req.Verdict == Fail && !shownFailing(r, req.ID))
			}
			for _, s := range r.Scenarios {
				stopped += boolCount(s.Verdict == Blocked && !s.Failure.ChecksHeld)
			}
			assert.Equal(t, len(r.Scenarios)+runError+untested+onlyBlocked, got.Tests,
				"one testcase per scenario, plus one for a run that never started, one for untested requirements "+
					"and one for each failed requirement that only blocked scenarios show")
			assert.Equal(t, n[Fail]+untested+onlyBlocked, got.Failures,
				"failures are the FAIL scenarios, the untested requirements and the failed requirements only blocked scenarios show")
			assert.Equal(t, n[Error]+n[Config]+runError, got.Errors, "errors are the ERROR and CONFIG scenarios and the run")
			assert.Equal(t, n[Skipped]+n[NotApplicable]+stopped, skipped,
				"skipped are the SKIPPED and NOT_APPLICABLE scenarios and the BLOCKED ones that stopped")
			require.NotEmpty(t, got.Suites)
			assert.Equal(t, "icscert", got.Suites[0].Name, "the first suite speaks for the run")
			if runError == 1 {
				require.NotEmpty(t, got.Suites[0].Cases)
				assert.Equal(t, string(r.Verdict), got.Suites[0].Cases[0].Error.Type, "a run that never started must not look green")
			}
			if untested == 1 {
				last := got.Suites[0].Cases[len(got.Suites[0].Cases)-1]
				require.NotNil(t, last.Failure, "an incomplete run must not look green")
				assert.Equal(t, string(NotTested), last.Failure.Type)
				assert.Equal(t, r.Headline, last.Failure.Message, "the failure's message is the headline")
			}
		})
	}
}

// TestJUnitOneDefectOneFailure: a defect that crosses many scenarios makes one failing testcase
// per requirement it breaks, not one per scenario it crossed.
func TestJUnitOneDefectOneFailure(t *testing.T) {
	r := blockedReport(t)
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, r))
	var got parsedSuites
	require.NoError(t, xml.Unmarshal(b.Bytes(), &got))

	type row struct {
		failure, skipped, out string
	}
	cases := map[string]row{}
	for _, s := range got.Suites {
		for _, c := range s.Cases {
			var rw row
			if c.Failure != nil {
				rw.failure = c.Failure.Type
			}
			if c.Skipped != nil {
				rw.skipped = c.Skipped.Message
			}
			rw.out = c.SystemOut
			cases[c.Name] = rw
		}
	}
	assert.Equal(t, 3, got.Failures, "ID-002 and SENS-006 are broken: two failing testcases, whatever the scenarios they crossed, "+
		"and one for the requirement left untested")
	for _, tc := range []struct {
		name, failure, skipped, out, reason string
	}{
		{"A bad UPN check letter is rejected", "ID-002", "", "", "the scenario of the broken requirement fails"},
		{"SENS-006 Shield review due", "SENS-006", "", "", "a requirement only blocked scenarios show fails once, in the run's suite"},
		{
			"A valid NHS number is accepted", "", "", "BLOCKED: its own checks held, but on the way the system broke ID-002: createChild: the response breaks the contract: /upn",
			"a blocked scenario whose checks held passes, and says what it saw",
		},
		{
			"A search without a date of birth is refused", "", `BLOCKED by ID-002: could not create the child "Amara" to set up the scenario: refused a valid UPN`, "",
			"a blocked scenario that stopped is skipped, naming the requirement that blocked it",
		},
		{"Spaces in an NHS number are ignored", "", "", "", "a passing scenario stays passing"},
	} {
		got, ok := cases[tc.name]
		require.True(t, ok, "testcase %q: %s", tc.name, tc.reason)
		assert.Equal(t, tc.failure, got.failure, "%s: failure type: %s", tc.name, tc.reason)
		assert.Equal(t, tc.skipped, got.skipped, "%s: skipped: %s", tc.name, tc.reason)
		assert.Equal(t, tc.out, got.out, "%s: system-out: %s", tc.name, tc.reason)
	}
}

func TestJUnitCarriesEvidence(t *testing.T) {
	r := failuresReport(t)
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, r))
	var got parsedSuites
	require.NoError(t, xml.Unmarshal(b.Bytes(), &got))

	byName := map[string]parsedCase{}
	for _, s := range got.Suites {
		for _, c := range s.Cases {
			byName[c.Name] = c
		}
	}
	nhs := byName["An NHS number with a bad check digit is rejected"]
	require.NotNil(t, nhs.Failure, "the failing scenario has a <failure>")
	assert.Equal(t, "ID-001", nhs.Failure.Type, "the failure's type is the requirement it breaks")
	assert.Equal(t, "expected status 400 INVALID_NHS_NUMBER, got 201 Created", nhs.Failure.Message)
	for _, want := range []string{
		"Pointer: /nhsNumber",
		`Expected: {"status":400,"code":"INVALID_NHS_NUMBER"}`,
		"Exchange 1 of 2: POST https://cre.acme.example/v1/children -> 201 Created",
		"</pre><script>window.__icscertPwned = true</script>]]><![CDATA[x]]>", // hostile text survives as text
		`\x00\x1b[31m\x07`, // control characters are shown, not sent
	} {
		assert.Contains(t, nhs.Failure.Text, want, "the failure text carries the evidence")
	}

	timeout := byName["Too many matches return no records"]
	require.NotNil(t, timeout.Error, "an ERROR scenario has an <error>")
	assert.Equal(t, "ERROR", timeout.Error.Type)

	na := byName["Break-glass read is flagged"]
	require.NotNil(t, na.Skipped, "a NOT_APPLICABLE scenario is skipped")
	assert.True(t, strings.HasPrefix(na.Skipped.Message, "NOT_APPLICABLE: "), "the skip says it was not applicable, not skipped: %q", na.Skipped.Message)
}

func TestJUnitDisambiguatesRepeatedNames(t *testing.T) {
	r := finalised(t, &Report{
		Requirements: []Requirement{{ID: "R-1", Level: LevelMust}},
		Scenarios: []Scenario{
			scenario("f.feature:10", Pass, "R-1"),
			scenario("f.feature:20", Pass, "R-1"),
		},
	})
	r.Scenarios[0].Name, r.Scenarios[1].Name = "Outline row", "Outline row"
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, r))
	var got parsedSuites
	require.NoError(t, xml.Unmarshal(b.Bytes(), &got))
	require.Len(t, got.Suites, 2, "the run's suite and the feature's")
	require.Len(t, got.Suites[1].Cases, 2)
	assert.Equal(t, "Outline row (f.feature:10)", got.Suites[1].Cases[0].Name, "CI servers merge testcases with equal names")
	assert.Equal(t, "Outline row (f.feature:20)", got.Suites[1].Cases[1].Name, "CI servers merge testcases with equal names")
}

type parsedFeature struct {
	URI      string `json:"uri"`
	Name     string `json:"name"`
	Elements []struct {
		Name  string                  `json:"name"`
		Line  int                     `json:"line"`
		Type  string                  `json:"type"`
		Tags  []struct{ Name string } `json:"tags"`
		Steps []struct {
			Keyword string `json:"keyword"`
			Name    string `json:"name"`
			Result  struct {
				Status       string `json:"status"`
				Duration     int64  `json:"duration"`
				ErrorMessage string `json:"error_message"`
			} `json:"result"`
			Embeddings []struct {
				MimeType string `json:"mime_type"`
				Data     string `json:"data"`
			} `json:"embeddings"`
		} `json:"steps"`
	} `json:"elements"`
}

func TestCucumberParsesBack(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.build(t)
			var b bytes.Buffer
			require.NoError(t, WriteCucumber(&b, r))
			var features []parsedFeature
			require.NoError(t, json.Unmarshal(b.Bytes(), &features), fx.reason)
			require.NotNil(t, features, "the document is an array, even when empty")

			i := 0
			for _, f := range features {
				for _, e := range f.Elements {
					require.Less(t, i, len(r.Scenarios), "no more elements than scenarios")
					s := r.Scenarios[i]
					i++
					file, line := splitScenarioID(s.ID)
					assert.Equal(t, file, f.URI, "the feature's uri is the scenario's file")
					assert.Equal(t, line, e.Line, "the element's line comes from the scenario id")
					assert.Equal(t, "scenario", e.Type)
					assert.Equal(t, s.Name, e.Name)
					require.Len(t, e.Tags, len(s.Tags))
					for _, tag := range e.Tags {
						assert.True(t, strings.HasPrefix(tag.Name, "@"), "tag names start with @: %q", tag.Name)
					}
					require.Len(t, e.Steps, len(s.Steps))
					for j, st := range e.Steps {
						assert.Equal(t, s.Steps[j].Status, st.Result.Status, "%s step %d: status", s.ID, j)
						assert.Equal(t, s.Steps[j].Duration.Nanoseconds(), st.Result.Duration, "%s step %d: duration in ns", s.ID, j)
						assert.True(t, strings.HasSuffix(st.Keyword, " "), "keywords end with a space, as Cucumber writes them")
						if len(st.Embeddings) == 0 {
							continue
						}
						require.NotNil(t, s.Failure, "only a scenario with a failure embeds evidence")
						assert.Equal(t, "application/json", st.Embeddings[0].MimeType)
						data, err := base64.StdEncoding.DecodeString(st.Embeddings[0].Data)
						require.NoError(t, err, "embedding data is base64")
						var evidence Failure
						require.NoError(t, json.Unmarshal(data, &evidence), "embedding data is JSON")
						assert.Equal(t, *s.Failure, evidence, "the embedding is the scenario's whole failure")
						assert.Equal(t, "failed", st.Result.Status, "evidence goes on the failed step")
						assert.NotEmpty(t, st.Result.ErrorMessage, "the failed step says why")
					}
				}
			}
			assert.Equal(t, len(r.Scenarios), i, "one element per scenario")
		})
	}
}

func TestCucumberEmbedsEvidenceOnFailedSteps(t *testing.T) {
	r := failuresReport(t)
	var b bytes.Buffer
	require.NoError(t, WriteCucumber(&b, r))
	var features []parsedFeature
	require.NoError(t, json.Unmarshal(b.Bytes(), &features))
	embedded := 0
	for _, f := range features {
		for _, e := range f.Elements {
			for _, st := range e.Steps {
				embedded += len(st.Embeddings)
			}
		}
	}
	assert.Equal(t, r.Summary.Scenarios[Fail]+r.Summary.Scenarios[Error], embedded, "every FAIL and ERROR scenario embeds its evidence once")
}

func TestJSONRoundTrips(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.build(t)
			var b bytes.Buffer
			require.NoError(t, WriteJSON(&b, r))
			written := b.String()

			got, err := ReadJSON(&b)
			require.NoError(t, err)
			assert.Equal(t, r, got, "report.json must round-trip to an equal report: %s", fx.reason)

			require.NoError(t, got.Finalise(), "a report read back can be finalised again")
			assert.Equal(t, r, got, "finalising a finalised report changes nothing")

			var again bytes.Buffer
			require.NoError(t, WriteJSON(&again, got))
			assert.Equal(t, written, again.String(), "the canonical form is stable across a round trip")
		})
	}
}

func TestJSONShape(t *testing.T) {
	r := failuresReport(t)
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, r))
	var doc map[string]any
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))

	assert.Equal(t, SchemaVersion, doc["schemaVersion"])
	assert.Equal(t, "FAIL", doc["verdict"])
	assert.Equal(t, "Acme Children", doc["target"].(map[string]any)["product"])
	s := doc["suite"].(map[string]any)
	assert.Equal(t, "1.0.0", s["specVersion"])
	assert.Equal(t, "0.3.0", s["suiteVersion"])
	req := doc["requirements"].([]any)[0].(map[string]any)
	for _, key := range []string{"id", "level", "verdict", "scenarios"} {
		assert.Contains(t, req, key, "each requirement has %s", key)
	}
	assert.True(t, strings.HasPrefix(b.String(), "{\n  \"schemaVersion\": \""+SchemaVersion+"\",\n  \"verdict\": \"FAIL\","),
		"keys follow the model's field order")
}

func TestReadJSONRejects(t *testing.T) {
	tests := []struct {
		name    string
		reason  string
		doc     string
		wantErr error
		want    string
	}{
		{"next major", "a 2.x report may mean something else", `{"schemaVersion":"2.0","verdict":"PASS"}`, ErrSchemaVersion, `schemaVersion "2.0"; this build reads 1.x`},
		{"no version", "a report without a version cannot be trusted", `{"verdict":"PASS"}`, ErrSchemaVersion, "no schemaVersion"},
		{"major only differs by prefix", "10.0 is not 1.x", `{"schemaVersion":"10.0"}`, ErrSchemaVersion, `schemaVersion "10.0"`},
		{"not json", "garbage is an error", `<xml/>`, nil, "read report: "},
		{"trailing data", "two documents are not one report", `{"schemaVersion":"1.0"} {}`, nil, "after top-level value"},
		{"wrong type", "a malformed field is an error", `{"schemaVersion":"1.0","conformant":"yes"}`, nil, "read report: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadJSON(strings.NewReader(tt.doc))
			require.Error(t, err, tt.reason)
			assert.Nil(t, got)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr, tt.reason)
			}
			assert.ErrorContains(t, err, tt.want, tt.reason)
		})
	}
}

func TestReadJSONAcceptsLaterMinor(t *testing.T) {
	doc := `{"schemaVersion":"1.7","verdict":"PASS","conformant":true,"addedIn17":{"x":1}}`
	got, err := ReadJSON(strings.NewReader(doc))
	require.NoError(t, err, "a later minor version only adds fields")
	assert.Equal(t, "1.7", got.SchemaVersion)
	assert.Equal(t, Pass, got.Verdict)
}

func TestWriteAll(t *testing.T) {
	r := failuresReport(t)
	dir := filepath.Join(t.TempDir(), "out", "acme")
	require.NoError(t, WriteAll(dir, r), "WriteAll creates the directory")
	require.NoError(t, WriteAll(dir, r), "WriteAll replaces existing files")

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{JSONFile, JUnitFile, CucumberFile, MessagesFile, MarkdownFile, HTMLFile}, names, "exactly the six files, no temporary files left")

	for _, wr := range writers {
		var want bytes.Buffer
		require.NoError(t, wr.write(&want, r))
		got, err := os.ReadFile(filepath.Join(dir, wr.name))
		require.NoError(t, err)
		assert.Equal(t, want.String(), string(got), "%s holds what its writer renders", wr.name)
		info, err := os.Stat(filepath.Join(dir, wr.name))
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o644), info.Mode().Perm(), "%s is readable by the report site", wr.name)
	}
}

func TestWriteAllWritesNothingOnError(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	err := WriteAll(dir, &Report{})
	require.ErrorIs(t, err, errNotFinalised)
	require.ErrorContains(t, err, "write reports: write json: ")
	assert.NoDirExists(t, dir, "a report that cannot be rendered leaves nothing behind")
}

func TestMarkdownFitsAPullRequestComment(t *testing.T) {
	tests := []struct {
		name     string
		reason   string
		failures int
		maxLines int
	}{
		{"ten failures", "60 requirements with 10 failures fit in 60 lines", 10, 60},
		{"forty failures", "a very bad run is capped, not listed in full", 40, 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Report{Target: target(), Suite: suite(), StartedAt: started, FinishedAt: finished}
			for i := range 60 {
				id := fmt.Sprintf("REQ-%03d", i)
				v := Pass
				switch {
				case i < tt.failures:
					v = Fail
				case i >= 45 && i < 50:
					v = Error
				case i >= 50:
					v = NotApplicable
				}
				s := scenario(fmt.Sprintf("features/x.feature:%d", i+1), v, id)
				if v != Pass {
					s.Failure = &Failure{Message: strings.Repeat("a long reason | with a pipe ", 20)}
				}
				r.Requirements = append(r.Requirements, Requirement{ID: id, Level: LevelMust, Group: "X"})
				r.Scenarios = append(r.Scenarios, s)
			}
			require.NoError(t, r.Finalise())
			var b bytes.Buffer
			require.NoError(t, WriteMarkdown(&b, r))
			out := b.String()
			lines := strings.Count(out, "\n")
			assert.LessOrEqual(t, lines, tt.maxLines, tt.reason)
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "| REQ-") {
					assert.Equal(t, 5, strings.Count(strings.ReplaceAll(line, `\|`, ""), "|"),
						"pipes in text are escaped, so a row has exactly four cells: %s", line)
				}
			}
			if tt.failures > mdFailureRows {
				assert.Contains(t, out, fmt.Sprintf("And %d more: see report.html.", tt.failures-mdFailureRows))
			}
		})
	}
}

func TestMarkdownEscapes(t *testing.T) {
	r := failuresReport(t)
	s := scenarioIndex(r)["features/id.feature:12"]
	require.NotNil(t, s)
	s.Failure.Message = hostile
	var b bytes.Buffer
	require.NoError(t, WriteMarkdown(&b, r))
	out := b.String()
	assert.NotContains(t, out, "<script>", "HTML in evidence is shown as text")
	assert.NotContains(t, out, "\x00", "control characters are escaped")
	assert.Contains(t, out, `&lt;script&gt;window.\_\_icscertPwned = true&lt;/script&gt;`)
	assert.Contains(t, out, `\| \*bold\* &amp; &lt;b&gt;`, "pipes, emphasis and entities are escaped")
}

func TestPrintable(t *testing.T) {
	tests := []struct {
		in, want, reason string
	}{
		{"plain text, tabs\tand\nnewlines", "plain text, tabs\tand\nnewlines", "ordinary text is unchanged"},
		{"nul\x00 esc\x1b bell\x07 del\x7f", `nul\x00 esc\x1b bell\x07 del\x7f`, "C0 controls and DEL are shown as escapes"},
		{"c1\u0085", `c1\u0085`, "C1 controls are shown as escapes"},
		{"bad\xff\xfe utf8", `bad\xff\xfe utf8`, "invalid UTF-8 bytes are shown as escapes"},
		{"rtl\u202eevil", `rtl\u202Eevil`, "bidirectional overrides cannot reorder the evidence"},
		{"non-char\uFFFE\uFFFF", `non-char\uFFFE\uFFFF`, "characters XML forbids are shown as escapes"},
		{"Zoë O'Brien-Smith 測試", "Zoë O'Brien-Smith 測試", "names with diacritics and other scripts are unchanged"},
	}
	for _, tt := range tests {
		t.Run(tt.reason, func(t *testing.T) {
			assert.Equal(t, tt.want, printable(tt.in), tt.reason)
		})
	}
}

func TestOneLine(t *testing.T) {
	assert.Equal(t, "a b c", oneLine("  a\n\tb   c \n", 10), "white space collapses")
	assert.Equal(t, "abcd…", oneLine("abcdefgh", 5), "long text is cut with an ellipsis")
	assert.Equal(t, "ééééé", oneLine("ééééé", 5), "the limit counts runes, not bytes")
}

func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}
