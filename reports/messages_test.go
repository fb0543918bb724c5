package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	messages "github.com/cucumber/messages/go/v34"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readEnvelopes decodes cucumber.ndjson strictly: one envelope a line, no field the library's
// types do not know, exactly one message per envelope.
func readEnvelopes(t *testing.T, data []byte) []*messages.Envelope {
	t.Helper()
	var envs []*messages.Envelope
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<24)
	for n := 1; sc.Scan(); n++ {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var e messages.Envelope
		require.NoError(t, dec.Decode(&e), "line %d is a messages.Envelope", n)
		set := 0
		v := reflect.ValueOf(e)
		for i := range v.NumField() {
			if !v.Field(i).IsNil() {
				set++
			}
		}
		require.Equal(t, 1, set, "line %d holds exactly one message", n)
		envs = append(envs, &e)
	}
	require.NoError(t, sc.Err())
	return envs
}

func TestMessagesAreConsistentEnvelopes(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			r := fx.build(t)
			data := render(t, func(b *bytes.Buffer, r *Report) error { return WriteMessages(b, r) }, r)
			back, err := ReadJSON(bytes.NewReader(render(t, func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) }, r)))
			require.NoError(t, err)
			envs := readEnvelopes(t, data)
			require.NotEmpty(t, envs)
			require.NotNil(t, envs[0].Meta, "meta comes first")
			require.NotNil(t, envs[len(envs)-1].TestRunFinished, "testRunFinished comes last")

			seen := map[string]bool{}
			unique := func(id string) {
				require.NotEmpty(t, id)
				require.False(t, seen[id], "id %s is used once", id)
				seen[id] = true
			}
			sources, astIDs := map[string]bool{}, map[string]bool{}
			pickles := map[string]*messages.Pickle{}
			pickleSteps := map[string]string{} // pickle step id → pickle id
			cases := map[string]*messages.TestCase{}
			caseOfStep := map[string]string{} // test step id → test case id
			started := map[string]string{}    // test case started id → test case id
			stepStatus := map[string]string{} // test step id → status
			finished := map[string]bool{}
			attachments := map[string]string{} // test step id → body
			runID := ""
			for _, e := range envs {
				switch {
				case e.Source != nil:
					sources[e.Source.Uri] = true
				case e.GherkinDocument != nil:
					require.True(t, sources[e.GherkinDocument.Uri], "the source of %s comes before its document", e.GherkinDocument.Uri)
					for _, ch := range e.GherkinDocument.Feature.Children {
						unique(ch.Scenario.Id)
						astIDs[ch.Scenario.Id] = true
						for _, tag := range ch.Scenario.Tags {
							unique(tag.Id)
							astIDs[tag.Id] = true
						}
						for _, st := range ch.Scenario.Steps {
							unique(st.Id)
							astIDs[st.Id] = true
						}
					}
				case e.Pickle != nil:
					unique(e.Pickle.Id)
					pickles[e.Pickle.Id] = e.Pickle
					for _, id := range e.Pickle.AstNodeIds {
						assert.True(t, astIDs[id], "pickle %s names ast node %s", e.Pickle.Id, id)
					}
					for _, tag := range e.Pickle.Tags {
						assert.True(t, astIDs[tag.AstNodeId], "tag %s of pickle %s has its ast node", tag.Name, e.Pickle.Id)
					}
					for _, ps := range e.Pickle.Steps {
						unique(ps.Id)
						pickleSteps[ps.Id] = e.Pickle.Id
						for _, id := range ps.AstNodeIds {
							assert.True(t, astIDs[id], "pickle step %s names ast node %s", ps.Id, id)
						}
					}
				case e.TestRunStarted != nil:
					unique(e.TestRunStarted.Id)
					runID = e.TestRunStarted.Id
				case e.TestCase != nil:
					tc := e.TestCase
					unique(tc.Id)
					require.Contains(t, pickles, tc.PickleId, "test case %s refers to a pickle", tc.Id)
					assert.Equal(t, runID, tc.TestRunStartedId)
					for _, ts := range tc.TestSteps {
						unique(ts.Id)
						assert.Equal(t, tc.PickleId, pickleSteps[ts.PickleStepId], "test step %s is a step of its case's pickle", ts.Id)
						caseOfStep[ts.Id] = tc.Id
					}
					cases[tc.Id] = tc
				case e.TestCaseStarted != nil:
					unique(e.TestCaseStarted.Id)
					require.Contains(t, cases, e.TestCaseStarted.TestCaseId)
					started[e.TestCaseStarted.Id] = e.TestCaseStarted.TestCaseId
				case e.TestStepStarted != nil:
					require.Contains(t, started, e.TestStepStarted.TestCaseStartedId)
					assert.Equal(t, started[e.TestStepStarted.TestCaseStartedId], caseOfStep[e.TestStepStarted.TestStepId])
				case e.Attachment != nil:
					require.Contains(t, started, e.Attachment.TestCaseStartedId)
					assert.Equal(t, started[e.Attachment.TestCaseStartedId], caseOfStep[e.Attachment.TestStepId])
					attachments[e.Attachment.TestStepId] = e.Attachment.Body
				case e.TestStepFinished != nil:
					f := e.TestStepFinished
					require.Contains(t, started, f.TestCaseStartedId)
					assert.Equal(t, started[f.TestCaseStartedId], caseOfStep[f.TestStepId])
					assert.NotContains(t, stepStatus, f.TestStepId, "a step finishes once")
					stepStatus[f.TestStepId] = string(f.TestStepResult.Status)
				case e.TestCaseFinished != nil:
					require.Contains(t, started, e.TestCaseFinished.TestCaseStartedId)
					finished[e.TestCaseFinished.TestCaseStartedId] = true
				case e.TestRunFinished != nil:
					assert.Equal(t, runID, e.TestRunFinished.TestRunStartedId)
					assert.Equal(t, back.Conformant, e.TestRunFinished.Success, "success is the report's conformance")
					assert.Equal(t, back.Headline, e.TestRunFinished.Message)
				}
			}
			assert.Len(t, started, len(cases), "every test case starts once")
			assert.Len(t, finished, len(started), "every started test case finishes")

			// Statuses and evidence agree with report.json, scenario by scenario.
			byPickle := map[string]*messages.TestCase{}
			for _, tc := range cases {
				byPickle[tc.PickleId] = tc
			}
			require.Len(t, pickles, len(back.Scenarios), "one pickle per scenario")
			for _, p := range pickles {
				id := fmt.Sprintf("%s:%d", p.Uri, p.Location.Line)
				var s *Scenario
				for i := range back.Scenarios {
					if back.Scenarios[i].ID == id {
						s = &back.Scenarios[i]
					}
				}
				require.NotNil(t, s, "pickle %s is scenario %s of report.json", p.Id, id)
				assert.Equal(t, s.Name, p.Name)
				tc := byPickle[p.Id]
				require.NotNil(t, tc, "pickle %s has a test case", p.Id)
				require.Len(t, tc.TestSteps, len(s.Steps))
				var evidence []string
				for i, ts := range tc.TestSteps {
					assert.Equal(t, strings.ToUpper(s.Steps[i].Status), stepStatus[ts.Id], "%s step %d", id, i+1)
					if body, ok := attachments[ts.Id]; ok {
						evidence = append(evidence, body)
					}
				}
				if s.Failure == nil || !hasEvidence(s.Verdict) {
					assert.Empty(t, evidence, "%s (%s) has no evidence attached", id, s.Verdict)
					continue
				}
				require.Len(t, evidence, 1, "%s (%s) has its failure attached once", id, s.Verdict)
				var got Failure
				require.NoError(t, json.Unmarshal([]byte(evidence[0]), &got))
				assert.Equal(t, *s.Failure, got, "%s: the attachment is report.json's (already redacted) failure, nothing more", id)
			}
		})
	}
}

func TestMessagesProtocolVersionIsThePinnedLibrary(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	require.NoError(t, err)
	assert.Contains(t, string(mod), "github.com/cucumber/messages/go/v34 v"+MessagesProtocolVersion+"\n",
		"meta.protocolVersion must name the messages version go.mod pins")
}
