package spec

import "regexp"

// requirementTagRe matches a Gherkin tag that names a catalogue id, e.g. @READ-004.
var requirementTagRe = regexp.MustCompile(`^@([A-Z]+-[0-9]{3})$`)

// RequirementTag returns the catalogue id a scenario tag like "@READ-004" names, or "" for any
// other tag ("@positive", "@cap-test-clock", "READ-004" without "@"). Whether the id is in the
// catalogue is the caller's question (Contract.Requirement). It is the one parser of
// requirement tags: the suite loader and the steps' World both read tags through it.
func RequirementTag(tag string) string {
	m := requirementTagRe.FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return m[1]
}
