package reports

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

type cukeFeature struct {
	URI         string        `json:"uri"`
	ID          string        `json:"id"`
	Line        int           `json:"line"`
	Keyword     string        `json:"keyword"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Elements    []cukeElement `json:"elements"`
}

type cukeElement struct {
	ID          string     `json:"id"`
	Keyword     string     `json:"keyword"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Line        int        `json:"line"`
	Type        string     `json:"type"`
	Tags        []cukeTag  `json:"tags"`
	Steps       []cukeStep `json:"steps"`
}

type cukeTag struct {
	Name string `json:"name"`
}

type cukeStep struct {
	Keyword    string          `json:"keyword"`
	Line       int             `json:"line"`
	Name       string          `json:"name"`
	Result     cukeResult      `json:"result"`
	Embeddings []cukeEmbedding `json:"embeddings,omitempty"`
}

type cukeResult struct {
	Status       string `json:"status"`
	Duration     int64  `json:"duration,omitempty"`
	ErrorMessage string `json:"error_message,omitempty"`
}

type cukeEmbedding struct {
	MimeType string `json:"mime_type"`
	Data     string `json:"data"`
}

// WriteCucumber writes r to w as cucumber.json in the Cucumber JSON format, built from the
// model: an array of features (in scenario order), each with its scenarios as elements of type
// "scenario" (line taken from the scenario id), their tags (with a leading "@") and their steps
// with result.status, result.duration in nanoseconds and result.error_message. The Failure of a
// FAIL, ERROR or CONFIG scenario is embedded, as base64 JSON with mime_type
// application/json, on its first failed step, or on its last step when none failed; that step
// takes the failure's message as error_message if it has none and did not pass. Line numbers of features
// and steps come from the model (the feature's is 1 when no scenario of it recorded one). The
// file validates against the cucumber-jvm variant of the Cucumber JSON schema. A run with no
// scenarios gives an empty array. It returns an error if r has not been finalised.
func WriteCucumber(w io.Writer, r *Report) error {
	if err := checkFinalised(r); err != nil {
		return fmt.Errorf("write cucumber: %w", err)
	}
	features, err := buildCucumber(r)
	if err != nil {
		return fmt.Errorf("write cucumber: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(features); err != nil {
		return fmt.Errorf("write cucumber: %w", err)
	}
	return nil
}

func buildCucumber(r *Report) ([]cukeFeature, error) {
	features := []cukeFeature{}
	for _, g := range byFeature(r) {
		f := cukeFeature{URI: g.URI, ID: cukeID(g.Name), Line: 1, Keyword: "Feature", Name: g.Name, Elements: []cukeElement{}}
		for _, s := range g.Scenarios {
			if s.FeatureLine > 0 {
				f.Line = s.FeatureLine
				break
			}
		}
		for _, s := range g.Scenarios {
			e, err := cukeScenario(f.ID, s)
			if err != nil {
				return nil, err
			}
			f.Elements = append(f.Elements, e)
		}
		features = append(features, f)
	}
	return features, nil
}

func cukeScenario(featureID string, s *Scenario) (cukeElement, error) {
	_, line := splitScenarioID(s.ID)
	e := cukeElement{
		ID:      featureID + ";" + cukeID(s.Name),
		Keyword: "Scenario",
		Name:    s.Name,
		Line:    line,
		Type:    "scenario",
		Tags:    make([]cukeTag, len(s.Tags)),
		Steps:   make([]cukeStep, len(s.Steps)),
	}
	for i, tag := range s.Tags {
		e.Tags[i] = cukeTag{Name: "@" + strings.TrimPrefix(tag, "@")}
	}
	for i, st := range s.Steps {
		e.Steps[i] = cukeStep{
			Keyword: strings.TrimSpace(st.Keyword) + " ",
			Line:    st.Line,
			Name:    st.Text,
			Result:  cukeResult{Status: st.Status, Duration: st.Duration.Nanoseconds(), ErrorMessage: st.Error},
		}
	}
	if s.Failure == nil || len(e.Steps) == 0 || !hasEvidence(s.Verdict) {
		return e, nil
	}
	at := failedStepIndex(s)
	if at < 0 {
		at = len(e.Steps) - 1
	}
	var evidence bytes.Buffer
	enc := json.NewEncoder(&evidence)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s.Failure); err != nil {
		return e, fmt.Errorf("encode evidence of %s: %w", s.ID, err)
	}
	step := &e.Steps[at]
	if step.Result.ErrorMessage == "" && step.Result.Status != "passed" {
		step.Result.ErrorMessage = s.Failure.Message
	}
	step.Embeddings = []cukeEmbedding{{
		MimeType: "application/json",
		Data:     base64.StdEncoding.EncodeToString(bytes.TrimSuffix(evidence.Bytes(), []byte("\n"))),
	}}
	return e, nil
}

// cukeID makes the id Cucumber gives a feature or scenario: its name in lower case with each
// run of spaces replaced by "-".
func cukeID(name string) string {
	return strings.Join(strings.Fields(strings.ToLower(name)), "-")
}
