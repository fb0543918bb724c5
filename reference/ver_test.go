package reference

import (
	"net/http"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/spec"
)

func TestIfMatch(t *testing.T) {
	h := newHarness(t)
	rec := h.mgmt().createChild(t, h.gen.Child())
	inv := h.gp().addInvolvement(t, rec.ID, h.gen.Involvement("GP", "2026-01-01"))
	ind := h.socialWorker().addIndicator(t, rec.ID, spec.NewIndicator{Type: indCPP, StartDate: "2026-01-01", Category: "NEG"})
	targets := []struct {
		name, path string
		caller     *contractClient
		body       any
	}{
		{"child", "/v1/children/" + rec.ID, h.mgmt(), map[string]any{"whereabouts": "NO_KNOWN_ADDRESS"}},
		{"involvement", "/v1/involvements/" + inv.ID, h.gp(), spec.InvolvementPatch{EndDate: "2026-05-01"}},
		{"indicator", "/v1/indicators/" + ind.ID, h.socialWorker(), spec.IndicatorPatch{EndDate: "2026-05-01"}},
	}
	for _, tg := range targets {
		t.Run(covers("VER-001/"+tg.name+" without If-Match"), func(t *testing.T) {
			tg.caller.do(t, request{method: http.MethodPatch, path: tg.path, body: tg.body}).expectProblem(t, "PRECONDITION_REQUIRED")
		})
		for _, stale := range []string{`"7"`, `*`, `W/"1"`, `1`} {
			t.Run(covers("VER-001/"+tg.name+" with If-Match "+stale), func(t *testing.T) {
				resp := tg.caller.do(t, request{method: http.MethodPatch, path: tg.path, body: tg.body, ifMatch: stale})
				resp.expectProblem(t, "PRECONDITION_FAILED")
				assert.Equal(t, `"1"`, resp.header.Get("ETag"), "the current ETag comes with a 412")
			})
		}
		t.Run(covers("VER-001/"+tg.name+" with the current ETag"), func(t *testing.T) {
			resp := tg.caller.do(t, request{method: http.MethodPatch, path: tg.path, body: tg.body, ifMatch: `"1"`, contentType: "application/merge-patch+json"})
			require.Equal(t, http.StatusOK, resp.status, resp.body)
			assert.Equal(t, `"2"`, resp.header.Get("ETag"))
		})
	}
	t.Run(covers("VER-001/a failed update leaves no partial change"), func(t *testing.T) {
		before := h.mgmt().get(t, "/v1/children/"+rec.ID)
		resp := h.mgmt().do(t, request{
			method: http.MethodPatch, path: "/v1/children/" + rec.ID, ifMatch: `"2"`, breaksContract: true,
			body: map[string]any{"name": map[string]any{"family": "Changed"}, "whereabouts": "KNOWN_ADDRESS", "gender": "UNKNOWN"},
		})
		resp.expectProblem(t, "UNKNOWN_CODE")
		stale := h.mgmt().patch(t, "/v1/children/"+rec.ID, 1, map[string]any{"name": map[string]any{"family": "Changed"}})
		stale.expectProblem(t, "PRECONDITION_FAILED")
		dup := h.mgmt().createChild(t, h.gen.Child())
		conflict := h.mgmt().patch(t, "/v1/children/"+rec.ID, 2, map[string]any{
			"name":        map[string]any{"family": "Changed"},
			"identifiers": []spec.Identifier{{System: idNHS, Value: identifierValue(h.mgmt().readChild(t, dup.ID), idNHS, idCurrent), Verified: true}},
		})
		conflict.expectProblem(t, "DUPLICATE_CANDIDATE")
		after := h.mgmt().get(t, "/v1/children/"+rec.ID)
		assert.Equal(t, string(before.body), string(after.body), "the record is exactly as before")
	})
}

func TestConcurrentUpdates(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "reference.db"))
	require.NoError(t, err)
	h := newHarnessOn(t, st)
	rec := h.mgmt().createChild(t, h.gen.Child())
	t.Run(covers("VER-002/concurrent updates with one If-Match: one wins"), func(t *testing.T) {
		const writers = 8
		statuses := make([]int, writers)
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp := h.mgmt().patch(t, "/v1/children/"+rec.ID, rec.Version, map[string]any{"parentsCarers": []spec.RelatedPerson{
					{Name: spec.Name{Given: []string{"Writer"}, Family: string(rune('A' + i))}, Relationship: "OTHER"},
				}})
				statuses[i] = resp.status
			}()
		}
		wg.Wait()
		won := 0
		for _, s := range statuses {
			switch s {
			case http.StatusOK:
				won++
			case http.StatusPreconditionFailed:
			default:
				t.Errorf("unexpected status %d", s)
			}
		}
		assert.Equal(t, 1, won, "exactly one update wins; the others see the new version")
		got := h.mgmt().readChild(t, rec.ID)
		assert.Equal(t, rec.Version+1, got.Version)
		assert.Len(t, got.ParentsCarers, 1)
	})
}

func TestMeta(t *testing.T) {
	h := newHarness(t)
	t.Run(covers("VER-003/API and code-system versions"), func(t *testing.T) {
		resp := h.mgmt().withToken("").get(t, "/v1/meta")
		require.Equal(t, http.StatusOK, resp.status)
		var m spec.Meta
		resp.decode(t, &m)
		assert.Equal(t, spec.APIVersion, m.APIVersion)
		require.Len(t, m.CodeSystems, len(spec.CodeLists))
		for i, cl := range spec.CodeLists {
			assert.Equal(t, spec.CodeSystem{Name: cl.Name, Version: cl.Version}, m.CodeSystems[i])
		}
		assert.NotNil(t, m.Capabilities)
	})
}

func TestDurability(t *testing.T) {
	path := filepath.Join(t.TempDir(), "reference.db")
	var id string
	var before []byte
	t.Run(covers("VER-001/a committed write survives a restart"), func(t *testing.T) {
		t.Run("write", func(t *testing.T) {
			st, err := sqlite.Open(path)
			require.NoError(t, err)
			h := newHarnessOn(t, st)
			rec := h.mgmt().createChild(t, h.gen.Child())
			id = rec.ID
			require.Equal(t, http.StatusOK, h.mgmt().patch(t, "/v1/children/"+id, rec.Version, map[string]any{"whereabouts": "NO_KNOWN_ADDRESS"}).status)
			before = h.mgmt().get(t, "/v1/children/"+id).body
		})
		t.Run("read after reopening", func(t *testing.T) {
			st, err := sqlite.Open(path)
			require.NoError(t, err)
			h := newHarnessOn(t, st)
			h.requests = len(h.auditLog()) // the earlier run's events
			resp := h.mgmt().get(t, "/v1/children/"+id)
			require.Equal(t, http.StatusOK, resp.status)
			assert.JSONEq(t, string(before), string(resp.body), "the record reads back exactly")
		})
	})
}
