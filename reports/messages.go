package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	messages "github.com/cucumber/messages/go/v34"
)

// MessagesProtocolVersion is the Cucumber Messages protocol version cucumber.ndjson follows: the
// version of github.com/cucumber/messages/go pinned in go.mod.
const MessagesProtocolVersion = "34.2.0"

// WriteMessages writes r to w as cucumber.ndjson: Cucumber Messages, one JSON envelope a line,
// built from the model only. In order: meta (implementation icscert at the suite version; os
// and cpu "unrecorded", as the model keeps no machine details); per feature a source, its gherkinDocument and one
// pickle per scenario; testRunStarted; per scenario a testCase, testCaseStarted, then per step
// testStepStarted and testStepFinished (status from the step's status in upper case, its
// duration and error), an attachment with the Failure (media type application/json) on the
// step cucumber.json embeds it on, and testCaseFinished; last testRunFinished, whose success is
// Report.Conformant and whose message is the headline.
//
// The source is the feature as the model records it (regenerated Gherkin: feature, tags,
// scenarios and step texts), not the feature file; the locations of the gherkinDocument and
// pickles are the feature file's lines recorded in the model. Ids are "<kind>-<n>", unique in
// the file. Timestamps: testRunStarted and every testCaseStarted carry StartedAt, step times
// add the recorded step durations to it, and testRunFinished carries FinishedAt, because the
// model keeps durations, not clock times, per scenario. Every string comes from the finalised
// (already redacted) model. It returns an error if r has not been finalised.
func WriteMessages(w io.Writer, r *Report) error {
	if err := checkFinalised(r); err != nil {
		return fmt.Errorf("write messages: %w", err)
	}
	envs, err := buildMessages(r)
	if err != nil {
		return fmt.Errorf("write messages: %w", err)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, e := range envs {
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("write messages: %w", err)
		}
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write messages: %w", err)
	}
	return nil
}

// unrecorded names the machine details meta must carry but the model does not record, so that
// the file depends on the report alone.
const unrecorded = "unrecorded"

// msgIDs hands out the ids of one cucumber.ndjson file.
type msgIDs map[string]int

func (ids msgIDs) next(kind string) string {
	ids[kind]++
	return kind + "-" + strconv.Itoa(ids[kind])
}

// msgCase is what the test-case half of the file needs of one scenario's pickle.
type msgCase struct {
	s      *Scenario
	pickle *messages.Pickle
}

func buildMessages(r *Report) ([]*messages.Envelope, error) {
	ids := msgIDs{}
	envs := []*messages.Envelope{{Meta: &messages.Meta{
		ProtocolVersion: MessagesProtocolVersion,
		Implementation:  &messages.Product{Name: "icscert", Version: r.Suite.SuiteVersion},
		Runtime:         &messages.Product{Name: "go"},
		Os:              &messages.Product{Name: unrecorded},
		Cpu:             &messages.Product{Name: unrecorded},
	}}}
	var cases []msgCase
	for _, g := range byFeature(r) {
		src, doc, pickles := msgFeature(ids, g)
		envs = append(envs, &messages.Envelope{Source: src}, &messages.Envelope{GherkinDocument: doc})
		for i, p := range pickles {
			envs = append(envs, &messages.Envelope{Pickle: p})
			cases = append(cases, msgCase{s: g.Scenarios[i], pickle: p})
		}
	}
	runID := ids.next("run")
	start := messages.GoTimeToTimestamp(r.StartedAt)
	envs = append(envs, &messages.Envelope{TestRunStarted: &messages.TestRunStarted{Id: runID, Timestamp: &start}})
	for _, c := range cases {
		more, err := msgTestCase(ids, runID, r.StartedAt, c)
		if err != nil {
			return nil, err
		}
		envs = append(envs, more...)
	}
	finish := messages.GoTimeToTimestamp(r.FinishedAt)
	envs = append(envs, &messages.Envelope{TestRunFinished: &messages.TestRunFinished{
		Success: r.Conformant, Message: r.Headline, Timestamp: &finish, TestRunStartedId: runID,
	}})
	return envs, nil
}

// msgFeature builds the source, gherkinDocument and pickles (one per scenario, in order) of
// one feature.
func msgFeature(ids msgIDs, g featureGroup) (*messages.Source, *messages.GherkinDocument, []*messages.Pickle) {
	featureLine := 1
	for _, s := range g.Scenarios {
		if s.FeatureLine > 0 {
			featureLine = s.FeatureLine
			break
		}
	}
	var text strings.Builder
	fmt.Fprintf(&text, "Feature: %s\n", g.Name)
	feature := &messages.Feature{
		Location: &messages.Location{Line: int64(featureLine), Column: 1},
		Tags:     []*messages.Tag{}, Language: "en", Keyword: "Feature", Name: g.Name,
		Children: []*messages.FeatureChild{},
	}
	pickles := make([]*messages.Pickle, 0, len(g.Scenarios))
	for _, s := range g.Scenarios {
		_, line := splitScenarioID(s.ID)
		sc := &messages.Scenario{
			Location: &messages.Location{Line: int64(line), Column: 3},
			Tags:     []*messages.Tag{}, Keyword: "Scenario", Name: s.Name,
			Steps: []*messages.Step{}, Examples: []*messages.Examples{}, Id: ids.next("ast"),
		}
		p := &messages.Pickle{
			Id: ids.next("pickle"), Uri: g.URI, Location: sc.Location, Name: s.Name, Language: "en",
			Steps: []*messages.PickleStep{}, Tags: []*messages.PickleTag{}, AstNodeIds: []string{sc.Id},
		}
		text.WriteString("\n")
		if len(s.Tags) > 0 {
			names := make([]string, len(s.Tags))
			for i, tag := range s.Tags {
				names[i] = "@" + strings.TrimPrefix(tag, "@")
				t := &messages.Tag{Location: &messages.Location{Line: int64(max(line-1, 1)), Column: 3}, Name: names[i], Id: ids.next("ast")}
				sc.Tags = append(sc.Tags, t)
				p.Tags = append(p.Tags, &messages.PickleTag{Name: t.Name, AstNodeId: t.Id})
			}
			fmt.Fprintf(&text, "  %s\n", strings.Join(names, " "))
		}
		fmt.Fprintf(&text, "  Scenario: %s\n", s.Name)
		for _, st := range s.Steps {
			kw := strings.TrimSpace(st.Keyword) + " "
			step := &messages.Step{Location: &messages.Location{Line: int64(st.Line), Column: 5}, Keyword: kw, Text: st.Text, Id: ids.next("ast")}
			sc.Steps = append(sc.Steps, step)
			p.Steps = append(p.Steps, &messages.PickleStep{AstNodeIds: []string{step.Id}, Id: ids.next("pickle-step"), Text: st.Text})
			fmt.Fprintf(&text, "    %s%s\n", kw, st.Text)
		}
		feature.Children = append(feature.Children, &messages.FeatureChild{Scenario: sc})
		pickles = append(pickles, p)
	}
	src := &messages.Source{Uri: g.URI, Data: text.String(), MediaType: messages.SourceMediaType_TEXT_X_CUCUMBER_GHERKIN_PLAIN}
	doc := &messages.GherkinDocument{Uri: g.URI, Feature: feature, Comments: []*messages.Comment{}}
	return src, doc, pickles
}

// msgTestCase builds the testCase of one scenario and the events of its execution.
func msgTestCase(ids msgIDs, runID string, start time.Time, c msgCase) ([]*messages.Envelope, error) {
	tc := &messages.TestCase{Id: ids.next("test-case"), PickleId: c.pickle.Id, TestRunStartedId: runID}
	for _, ps := range c.pickle.Steps {
		tc.TestSteps = append(tc.TestSteps, &messages.TestStep{Id: ids.next("test-step"), PickleStepId: ps.Id})
	}
	startedID := ids.next("test-case-started")
	at := messages.GoTimeToTimestamp(start)
	envs := []*messages.Envelope{
		{TestCase: tc},
		{TestCaseStarted: &messages.TestCaseStarted{Id: startedID, TestCaseId: tc.Id, Timestamp: &at}},
	}
	evidenceAt := -1
	if c.s.Failure != nil && len(c.s.Steps) > 0 && hasEvidence(c.s.Verdict) {
		if evidenceAt = failedStepIndex(c.s); evidenceAt < 0 {
			evidenceAt = len(c.s.Steps) - 1
		}
	}
	now := start
	for i, st := range c.s.Steps {
		stepID := tc.TestSteps[i].Id
		began := messages.GoTimeToTimestamp(now)
		now = now.Add(st.Duration)
		ended := messages.GoTimeToTimestamp(now)
		d := messages.GoDurationToDuration(st.Duration)
		envs = append(envs, &messages.Envelope{TestStepStarted: &messages.TestStepStarted{TestCaseStartedId: startedID, TestStepId: stepID, Timestamp: &began}})
		if i == evidenceAt {
			body, err := json.Marshal(c.s.Failure)
			if err != nil {
				return nil, fmt.Errorf("encode evidence of %s: %w", c.s.ID, err)
			}
			envs = append(envs, &messages.Envelope{Attachment: &messages.Attachment{
				Body: string(body), ContentEncoding: messages.AttachmentContentEncoding_IDENTITY,
				MediaType: "application/json", TestCaseStartedId: startedID, TestStepId: stepID, Timestamp: &ended,
			}})
		}
		msg := st.Error
		if i == evidenceAt && msg == "" && st.Status != "passed" {
			msg = c.s.Failure.Message
		}
		envs = append(envs, &messages.Envelope{TestStepFinished: &messages.TestStepFinished{
			TestCaseStartedId: startedID, TestStepId: stepID, Timestamp: &ended,
			TestStepResult: &messages.TestStepResult{Duration: &d, Status: msgStatus(st.Status), Message: msg},
		}})
	}
	done := messages.GoTimeToTimestamp(now)
	envs = append(envs, &messages.Envelope{TestCaseFinished: &messages.TestCaseFinished{TestCaseStartedId: startedID, Timestamp: &done}})
	return envs, nil
}

// msgStatus maps a step status of the model to its Cucumber Messages status; UNKNOWN for one
// the protocol does not name.
func msgStatus(status string) messages.TestStepResultStatus {
	switch s := messages.TestStepResultStatus(strings.ToUpper(status)); s {
	case messages.TestStepResultStatus_PASSED, messages.TestStepResultStatus_FAILED,
		messages.TestStepResultStatus_SKIPPED, messages.TestStepResultStatus_PENDING,
		messages.TestStepResultStatus_UNDEFINED, messages.TestStepResultStatus_AMBIGUOUS:
		return s
	default:
		return messages.TestStepResultStatus_UNKNOWN
	}
}
