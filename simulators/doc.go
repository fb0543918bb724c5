// Package simulators runs simulated vendor products: the reference implementation behind a
// profile of quirks (DOMAIN.md §7), so that the suite can be shown to catch every known defect
// (sensitivity) and to pass a conforming product (specificity).
//
// A quirk is an http.Handler middleware in front of reference.Server.Handler(), never a fork of
// the reference: it rewrites requests on their way in, responses on their way out, or both.
// Quirks compose in any combination; Wrap applies them in one fixed order (the order of
// Quirks) whatever order they are named in, so a profile behaves the same however it lists
// them.
//
// A Profile is one version of one fictional supplier's product and names the quirks it has.
// Start runs a profile in-process on a loopback listener; `icscert simulate` runs one in a
// process of its own, which is what the container image (package simulators/container) does.
//
// Every supplier and product name here is invented.
package simulators
