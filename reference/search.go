package reference

import (
	"slices"
	"strings"
	"time"

	"github.com/icscert/icscert/internal/ident"
	"github.com/icscert/icscert/reference/store"
	"github.com/icscert/icscert/spec"
)

// maxSearchResults is the largest and default maxResults (SEARCH-004).
const maxSearchResults = 20

// maxSearchRangeDays is the widest date-of-birth range of a demographic search (SEARCH-002).
const maxSearchRangeDays = 366

// mergeChainLimit bounds how many mergedInto links a search follows to a survivor.
const mergeChainLimit = 16

// search answers POST /v1/children/search (SEARCH-001..SEARCH-006).
func (c *call) search() (*result, error) {
	var req spec.SearchRequest
	if res, err := c.decode(&req); res != nil || err != nil {
		return res, err
	}
	req.NhsNumber = ident.NormaliseNHS(req.NhsNumber)
	req.Upn = ident.NormaliseUPN(req.Upn)
	byIdentifier := req.NhsNumber != "" || req.Upn != ""
	lo, hi, narrow := birthRange(req)
	if !byIdentifier && (!narrow || foldName(req.FamilyName) == "" || (req.GivenName == "" && req.Gender == "" && req.Postcode == "")) {
		return problem(codeInsufficient, "A demographic search needs a family name, a date of birth (or a range of at most 366 days) and a given name, gender or postcode."), nil
	}
	var candidates []store.Child
	var err error
	if byIdentifier {
		candidates, err = c.childrenByIdentifiers(req)
	} else {
		candidates, err = c.tx.ChildrenBornBetween(lo, hi)
	}
	if err != nil {
		return nil, err
	}
	var hits []store.Child
	for _, child := range candidates {
		if c.searchable(child) && c.matches(child, req, lo, hi) {
			hits = append(hits, child)
		}
	}
	limit := req.MaxResults
	if limit == 0 {
		limit = maxSearchResults
	}
	if len(hits) > limit {
		return problem(codeTooManyMatches, "The search matched more records than maxResults; narrow it."), nil
	}
	slices.SortFunc(hits, func(a, b store.Child) int {
		return strings.Compare(foldName(a.Name.Family)+"\x00"+a.DateOfBirth+"\x00"+a.ID, foldName(b.Name.Family)+"\x00"+b.DateOfBirth+"\x00"+b.ID)
	})
	out := spec.SearchResult{Results: []spec.ChildRecord{}, Count: len(hits)}
	for _, child := range hits {
		inds, err := c.tx.Indicators(child.ID)
		if err != nil {
			return nil, err
		}
		c.touch(child.ID)
		c.noteRead(child)
		c.raiseShieldReview(child)
		out.Results = append(out.Results, c.projectChild(child, c.lifecycleOf(child), inds))
	}
	return ok(out), nil
}

// birthRange returns the date-of-birth range a search names ("" when it names none), and
// whether it is narrow enough for a demographic search: an exact date, or both ends of a
// range at most 366 days wide (SEARCH-002). With both, the range narrows the exact date.
func birthRange(req spec.SearchRequest) (lo, hi string, narrow bool) {
	if req.DateOfBirth != "" {
		lo, hi = req.DateOfBirth, req.DateOfBirth
		if req.DateOfBirthFrom != "" && req.DateOfBirthFrom > lo {
			lo = req.DateOfBirthFrom
		}
		if req.DateOfBirthTo != "" && req.DateOfBirthTo < hi {
			hi = req.DateOfBirthTo
		}
		return lo, hi, true
	}
	from, okFrom := parseDate(req.DateOfBirthFrom)
	to, okTo := parseDate(req.DateOfBirthTo)
	switch {
	case okFrom && okTo:
		return req.DateOfBirthFrom, req.DateOfBirthTo, to.Sub(from) <= maxSearchRangeDays*24*time.Hour
	case okFrom:
		return req.DateOfBirthFrom, "9999-12-31", false
	case okTo:
		return "0000-01-01", req.DateOfBirthTo, false
	}
	return "", "", false
}

// childrenByIdentifiers finds the records holding (or having held) the NHS number and UPN of
// req, each replaced by its merge survivor (SEARCH-001, ID-007). With both identifiers, a
// record must hold both.
func (c *call) childrenByIdentifiers(req spec.SearchRequest) ([]store.Child, error) {
	var sets [][]store.Child
	if req.NhsNumber != "" {
		found, err := c.tx.ChildrenByIdentifier(idNHS, req.NhsNumber)
		if err != nil {
			return nil, err
		}
		sets = append(sets, found)
	}
	if req.Upn != "" {
		var found []store.Child
		for _, system := range []string{idUPN, idFormer} {
			more, err := c.tx.ChildrenByIdentifier(system, req.Upn)
			if err != nil {
				return nil, err
			}
			found = append(found, more...)
		}
		sets = append(sets, found)
	}
	var out []store.Child
	for i, set := range sets {
		survivors := map[string]store.Child{}
		for _, child := range set {
			s, err := c.survivor(child)
			if err != nil {
				return nil, err
			}
			survivors[s.ID] = s
		}
		if i == 0 {
			for _, s := range survivors {
				out = append(out, s)
			}
			continue
		}
		out = slices.DeleteFunc(out, func(s store.Child) bool { _, both := survivors[s.ID]; return !both })
	}
	return out, nil
}

// survivor follows mergedInto from child to the record it was merged into.
func (c *call) survivor(child store.Child) (store.Child, error) {
	for range mergeChainLimit {
		if child.Status != statusMerged || child.MergedInto == "" {
			return child, nil
		}
		next, err := c.tx.Child(child.MergedInto)
		if err != nil {
			return store.Child{}, err
		}
		child = next
	}
	return child, nil
}

// searchable reports whether child may appear in the caller's results at all: never a
// merged or purged record, an archived one only for its management within the windows of
// AUTH-003, a superseded identity only for its management (SEARCH-006).
func (c *call) searchable(child store.Child) bool {
	lc := c.lifecycleOf(child)
	own := c.own(child)
	switch {
	case child.Status == statusMerged, lc.purged:
		return false
	case lc.status == statusArchived:
		return own && (!lc.restricted || c.purpose == purposeS47 || c.purpose == purposeSeriousCase)
	case child.Status == statusSuperseded:
		return own
	}
	return true
}

// matches applies the search criteria to child, on the fields the caller may see: a shielded
// record's former names and postcode never match for anyone but its management
// (SEARCH-003, SEARCH-005).
func (c *call) matches(child store.Child, req spec.SearchRequest, lo, hi string) bool {
	v := c.sightOf(child)
	names := []spec.Name{child.Name}
	if !v.restricted {
		names = append(names, child.FormerNames...)
	}
	if lo != "" && (child.DateOfBirth < lo || child.DateOfBirth > hi) {
		return false
	}
	if req.Gender != "" && child.Gender != req.Gender {
		return false
	}
	if req.Postcode != "" && (v.restricted || child.Address == nil || foldPostcode(child.Address.Postcode) != foldPostcode(req.Postcode)) {
		return false
	}
	if req.FamilyName == "" && req.GivenName == "" {
		return true
	}
	family, given := foldName(req.FamilyName), foldName(req.GivenName)
	for _, n := range names {
		if family != "" && foldName(n.Family) != family {
			continue
		}
		if given == "" || givenMatches(given, n) || givenMatches(given, child.Name) {
			return true
		}
	}
	return false
}

// givenMatches reports whether a folded given name equals one of n's given names, or all of
// them together.
func givenMatches(given string, n spec.Name) bool {
	all := ""
	for _, g := range n.Given {
		f := foldName(g)
		if f == given {
			return true
		}
		all += f
	}
	return all != "" && all == given
}
