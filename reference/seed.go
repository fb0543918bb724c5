package reference

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// seedActor is the actor named in the audit event of a seeding.
var seedActor = spec.Actor{Sub: "icscert-seed", Role: roleLAManagement, Org: "icscert-seed", Sector: "LA"}

// Seed stores synthetic children directly, as if council la's management had created them
// with POST /v1/children: each is validated and duplicate-checked the same way, a child
// without responsibleLa gets la, and one audit event (action SEED) names them all. It is
// all or nothing: on an error nothing is stored. It returns the new ids in order. Seed is
// for `icscert serve --seed N` and tests; it is safe to call while the server serves.
func (s *Server) Seed(ctx context.Context, la string, children []spec.NewChild) ([]string, error) {
	if err := s.councils.CheckNewResponsibility(la); err != nil {
		return nil, fmt.Errorf("seed children: %w", err)
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, "/v1/children", http.NoBody)
	if err != nil {
		return nil, fmt.Errorf("seed children: %w", err)
	}
	now := s.clock()
	y, m, d := now.Date()
	actor := seedActor
	actor.La = la
	c := &call{
		s: s, op: &op{action: "SEED", body: s.schemas.newChild}, r: r, ctx: ctx, now: now,
		today: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), corrID: newID(), actor: actor,
		tiers: map[string]bool{},
	}
	var ids []string
	err = s.store.Update(ctx, func(tx store.Tx) error {
		c.tx = tx
		for i, nc := range children {
			b, err := encodeJSON(nc)
			if err != nil {
				return err
			}
			if c.body, err = parseJSON(b); err != nil {
				return fmt.Errorf("child %d: %w", i, err)
			}
			var valid spec.NewChild
			res, err := c.decode(&valid)
			if err == nil && res == nil {
				var child store.Child
				child, res, err = c.insertChild(valid)
				ids = append(ids, child.ID)
			}
			if err != nil {
				return err
			}
			if res != nil {
				return fmt.Errorf("child %d: %s", i, describe(res.problem))
			}
		}
		return c.appendAudit(&result{status: http.StatusCreated})
	})
	if err != nil {
		return nil, fmt.Errorf("seed children: %w", err)
	}
	return ids, nil
}

// describe summarises a problem for an error message: its code and field errors.
func describe(p *spec.Problem) string {
	out := p.Code
	for _, fe := range p.Errors {
		out += fmt.Sprintf("; %s at %q", fe.Code, fe.Pointer)
	}
	return out
}
