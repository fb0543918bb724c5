package reference

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/spec"
)

func TestSeed(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	t.Run(covers("ID-004/seeded fixtures are valid records"), func(t *testing.T) {
		children := h.gen.Children(150)
		children = append(children,
			h.gen.Child(fixtures.WithTemporaryUPN()),
			h.gen.Child(fixtures.WithWhereabouts("LEFT_ENGLAND_INTENDS_RETURN")),
			h.gen.Child(fixtures.WithCouncil(otherLa)),
			h.gen.Child(fixtures.WithoutIdentifiers()),
		)
		ids, err := h.srv.Seed(ctx, ownLa, children)
		require.NoError(t, err)
		h.requests++ // one audit event names the seeded children
		require.Len(t, ids, len(children))
		assert.Equal(t, len(children), h.countChildren())
		ev := h.lastEvent(t)
		assert.Equal(t, "SEED", ev.Action)
		assert.ElementsMatch(t, ids, ev.ChildIDs)
		got := h.mgmt().readChild(t, ids[0])
		assert.Equal(t, children[0].Name, got.Name)
		assert.Equal(t, ownLa, got.ResponsibleLa.DfeCode, "the default council")
		assert.Equal(t, otherLa, h.otherMgmt().readChild(t, ids[152]).ResponsibleLa.DfeCode)
	})
	t.Run(covers("ID-005/seeding is all or nothing"), func(t *testing.T) {
		before := h.countChildren()
		dup := h.gen.Child()
		_, err := h.srv.Seed(ctx, ownLa, []spec.NewChild{h.gen.Child(), dup, dup})
		require.ErrorContains(t, err, "DUPLICATE_CANDIDATE")
		_, err = h.srv.Seed(ctx, ownLa, []spec.NewChild{h.gen.Child(fixtures.WithDateOfBirth("2015-02-30"))})
		require.ErrorContains(t, err, `INVALID_DATE at "/dateOfBirth"`)
		_, err = h.srv.Seed(ctx, terminatedLa, []spec.NewChild{h.gen.Child()})
		require.Error(t, err)
		assert.Equal(t, before, h.countChildren())
	})
	t.Run(covers("SEARCH-001/identifier search within a date range"), func(t *testing.T) {
		nc := h.gen.Child(fixtures.WithDateOfBirth("2014-04-04"))
		rec := h.mgmt().createChild(t, nc)
		number := nc.Identifiers[0].Value
		in := h.gp().search(t, spec.SearchRequest{NhsNumber: number, DateOfBirthFrom: "2010-01-01", DateOfBirthTo: "2019-12-31"})
		assert.Equal(t, []string{rec.ID}, ids(in))
		out := h.gp().post(t, "/v1/children/search", spec.SearchRequest{NhsNumber: number, DateOfBirthFrom: "2016-01-01", DateOfBirthTo: "2019-12-31"})
		require.Equal(t, http.StatusOK, out.status)
		var res spec.SearchResult
		out.decode(t, &res)
		assert.Empty(t, res.Results, "other criteria narrow an identifier search")
	})
}
