// Package ident checks and generates the identifiers of the Child Record Exchange API: NHS
// numbers (ID-001), Unique Pupil Numbers (ID-002) and council (local authority) codes (ID-003),
// following DOMAIN.md §2 exactly.
//
// Every check returns nil or an *Error whose Code is the API's problem code, so that a server
// can turn it straight into a field error. Reasons never repeat the value that was checked, so
// they are safe to put in a problem's detail (ERR-001: no personal data).
//
// The council reference list is embedded (data/england_local_authorities_dfe_las.csv) and loaded
// once by Councils. Every function in this package is safe for concurrent use; a *Registry is
// immutable once loaded.
package ident
