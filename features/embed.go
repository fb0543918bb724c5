// Package features embeds the Gherkin scenarios of the conformance suite so that the icscert
// binary carries them. Each .feature file in this folder covers one requirement group; every
// scenario is tagged with the catalogue ids it checks (@VER-003), exactly one of @positive or
// @negative, and the optional capabilities it needs (@cap-test-clock).
package features

import "embed"

// FS holds every top-level .feature file of the suite, at paths like "meta.feature". It is
// read-only and safe for concurrent use.
//
//go:embed *.feature
var FS embed.FS

// Root is the folder the embedded files are reported under: scenario ids read
// "features/meta.feature:7".
const Root = "features"
