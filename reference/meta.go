package reference

import (
	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// productName is the product named by GET /v1/meta.
const productName = "icscert reference implementation"

// meta answers GET /v1/meta: the API version and every code system's version (VER-003).
// It lists the test-clock capability when the server offers it.
func (c *call) meta() (*result, error) {
	m := spec.Meta{APIVersion: spec.APIVersion, Product: productName, Capabilities: []string{}}
	if c.s.offset != nil {
		m.Capabilities = append(m.Capabilities, capabilityTestClock)
	}
	for _, cl := range spec.CodeLists {
		m.CodeSystems = append(m.CodeSystems, spec.CodeSystem{Name: cl.Name, Version: cl.Version})
	}
	return ok(m), nil
}

// localAuthorities answers GET /v1/reference/local-authorities: every council, live and
// terminated, with the successors of terminated ones (ID-003).
func (c *call) localAuthorities() (*result, error) {
	list := spec.LocalAuthorityList{LocalAuthorities: []spec.LocalAuthority{}}
	for _, la := range c.s.councils.All() {
		list.LocalAuthorities = append(list.LocalAuthorities, spec.LocalAuthority{
			DfeCode: la.DfeCode, GssCode: la.GssCode, Name: la.Name, Status: la.Status,
			OperatingFrom: la.OperatingFrom, TerminatedOn: la.TerminatedOn, Successors: la.Successors,
		})
	}
	return ok(list), nil
}

// health answers GET /healthz: 200 while the store answers, else 503.
func (c *call) health() (*result, error) {
	err := c.s.store.View(c.ctx, func(store.Tx) error { return nil })
	if err != nil {
		c.s.log.Error("health check", "error", err)
		return unavailable(), nil
	}
	return ok(spec.Health{Status: "ok"}), nil
}
