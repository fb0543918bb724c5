package steps

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/icscert/icscert/spec"
)

// registerMeta adds the steps about GET /v1/meta (VER-003):
//
//	When an anonymous caller reads the API metadata
//	Then the published API version has the contract's major version
//	And the metadata publishes every code system of the contract at its version
//	And the problem names the code system "gender" at the version the metadata publishes
func registerMeta(sc glossary) {
	define(sc, `^`+Subject+` reads? the API metadata$`, func(ctx context.Context, who string) error {
		w := WorldFrom(ctx)
		actor, err := w.Subject(who)
		if err != nil {
			return err
		}
		_, err = w.Send(Request{Method: "GET", Path: "/v1/meta", As: actor})
		return err
	})
	define(sc, `^the published API version has the contract's major version$`, step(func(w *World) error {
		meta, err := w.decodeMeta(w.Last)
		if err != nil {
			return err
		}
		want := Major(w.Contract().Version)
		if Major(meta.APIVersion) != want {
			return Failf("/apiVersion", want+".x.y", strconv.Quote(meta.APIVersion), "the metadata publishes another major version of the API")
		}
		return nil
	}))
	define(sc, `^the metadata publishes every code system of the contract at its version$`, step(func(w *World) error {
		meta, err := w.decodeMeta(w.Last)
		if err != nil {
			return err
		}
		at := map[string]int{}
		for j, c := range meta.CodeSystems {
			at[c.Name] = j
		}
		for _, c := range spec.CodeLists {
			j, ok := at[c.Name]
			switch {
			case !ok:
				return Failf("/codeSystems", fmt.Sprintf("an entry {name: %q, version: %q}", c.Name, c.Version), absent,
					"the metadata does not publish the code system %s", c.Name)
			case meta.CodeSystems[j].Version != c.Version:
				return Failf(fmt.Sprintf("/codeSystems/%d/version", j), strconv.Quote(c.Version), strconv.Quote(meta.CodeSystems[j].Version),
					"the metadata publishes another version of the code system %s", c.Name)
			}
		}
		return nil
	}))
	define(sc, `^the problem names the code system "([^"]+)" at the version the metadata publishes$`,
		func(ctx context.Context, system string) error {
			w := WorldFrom(ctx)
			problem, err := w.Response()
			if err != nil {
				return err
			}
			var p spec.Problem
			if err := json.Unmarshal(problem.Body, &p); err != nil {
				return Failf("", "a problem document", "a body that is not JSON", "the error cannot be read")
			}
			at := -1
			for i, fe := range p.Errors {
				if fe.Code == "UNKNOWN_CODE" && fe.CodeSystem == system {
					at = i
					break
				}
			}
			if at < 0 {
				return Failf("/errors", fmt.Sprintf("a field error UNKNOWN_CODE naming codeSystem %q", system), absent,
					"the problem does not name the code system")
			}
			named := p.Errors[at].CodeSystemVersion
			metaResp, err := w.Send(Request{Method: "GET", Path: "/v1/meta"})
			if err != nil {
				return err
			}
			meta, err := w.decodeMeta(metaResp)
			if err != nil {
				return err
			}
			for _, c := range meta.CodeSystems {
				if c.Name == system {
					if named != c.Version {
						return &AssertionError{
							Message:  fmt.Sprintf("the problem names another version of %s than the metadata", system),
							Pointer:  fmt.Sprintf("/errors/%d/codeSystemVersion", at),
							Expected: strconv.Quote(c.Version) + " (as /v1/meta publishes)",
							Actual:   strconv.Quote(named),
							Evidence: []*Response{problem, metaResp},
						}
					}
					return nil
				}
			}
			return Failf("/codeSystems", fmt.Sprintf("an entry for %q", system), absent, "the metadata does not publish the code system the problem names")
		})
}

// decodeMeta reads a /v1/meta response.
func (w *World) decodeMeta(r *Response) (*spec.Meta, error) {
	if r == nil {
		return nil, Configf("no metadata response to check")
	}
	if r.Status != 200 {
		return nil, Failf("status", "200", strconv.Itoa(r.Status)+problemHint(r), "GET /v1/meta did not answer")
	}
	var m spec.Meta
	if err := json.Unmarshal(r.Body, &m); err != nil {
		return nil, Failf("", "a Meta document", "a body that is not a Meta document", "the metadata cannot be read: %v", err)
	}
	return &m, nil
}

// Major returns the major version of a semantic version ("1.2.3" → "1"); "" if there is none.
func Major(version string) string {
	major, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(version), "v"), ".")
	if major == "" || strings.Trim(major, "0123456789") != "" {
		return ""
	}
	return major
}
