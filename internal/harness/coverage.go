package harness

import (
	"github.com/icscert/icscert/spec"
)

// ScenarioRef names one scenario of the suite.
type ScenarioRef struct {
	ID           string   // features/meta.feature:7
	Name         string   // the scenario's title
	Capabilities []string // optional capabilities it needs
}

// RequirementCoverage is which scenarios of the embedded suite check one requirement: the
// positive ones show the allowed behaviour works, the negative ones that the forbidden
// behaviour is refused or hidden. Every requirement needs at least one of each.
type RequirementCoverage struct {
	Requirement spec.Requirement
	Positive    []ScenarioRef
	Negative    []ScenarioRef
}

// Complete reports whether the requirement has both a positive and a negative scenario.
func (c RequirementCoverage) Complete() bool { return len(c.Positive) > 0 && len(c.Negative) > 0 }

// Coverage returns, for each requirement of contract c in catalogue order, the scenarios of
// the embedded suite that check it. An error means the suite breaks its conventions (a tag
// naming an id outside the catalogue, a scenario without a requirement or without exactly one
// of @positive and @negative).
func Coverage(c *spec.Contract) ([]RequirementCoverage, error) {
	s, err := embeddedSuite(c)
	if err != nil {
		return nil, err
	}
	return coverage(c, s), nil
}

func coverage(c *spec.Contract, s *suite) []RequirementCoverage {
	out := make([]RequirementCoverage, len(c.Requirements))
	at := make(map[string]int, len(c.Requirements))
	for i, r := range c.Requirements {
		out[i].Requirement = r
		at[r.ID] = i
	}
	for _, sc := range s.scenarios {
		ref := ScenarioRef{ID: sc.ID, Name: sc.Name, Capabilities: sc.Capabilities}
		for _, id := range sc.Requirements {
			rc := &out[at[id]]
			if sc.Negative {
				rc.Negative = append(rc.Negative, ref)
			} else {
				rc.Positive = append(rc.Positive, ref)
			}
		}
	}
	return out
}
