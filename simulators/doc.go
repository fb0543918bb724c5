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
// Quirks of the exchange between systems (issue 7) sit where a real product would go wrong: a
// sender's defects (a transfer package without the shielding or the case-summary references,
// webhooks without seq, duplicated, unsigned or wrongly signed) wrap the transport of the
// product's outgoing deliveries, a receiver's (a retried delivery filed as a second transfer,
// a package taken in without its shielding or consents) are middleware on its inbound
// delivery route. Each quirk names the Side it shows on, so that a pairwise run can charge a
// failure to the sender or the receiver (Profile.BreaksAsSender, Profile.BreaksAsReceiver,
// Profile.BreaksOn). Profile.Bind binds a profile to one system, its Handler and its Client
// sharing state; Start does that for a reference server.
//
// A Profile is one version of one fictional supplier's product and names the quirks it has.
// Start runs a profile in-process on a loopback listener; `icscert simulate` runs one in a
// process of its own, which is what the container image (package simulators/container) does.
// The newest version of each product (except wrenfold) carries only defects of the exchange
// between systems (transfers, webhooks); the older ones only single-system defects.
//
// Every supplier and product name here is invented.
package simulators
