package steps

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/icscert/icscert/fixtures"
)

// registerSearch adds the steps of the search requirements (SEARCH-001..SEARCH-006):
//
//	Given 3 children "Tri" known to council 202 share a family name, a date of birth and a gender
//	Given a child "Old" known to council 202 whose 18th birthday was 2 months ago
//	When "Priya" searches by the NHS number of the child "Ada"
//	When they search for the child "Zoe" by "oconnor hughes" as family name, date of birth and "zoe" as given name
//	When they search for the child "Tri 1" by family name, date of birth and gender with at most 2 results
//	Then the search finds only the child "Ada"
//	Then the search does not find the child "Old"
//	Then the search finds all 3 children "Tri"
//	Then the response carries no child records
//	Then the result for "Ada" shows nothing beyond identity
func registerSearch(sc glossary) {
	define(sc, `^(\d+) children "([^"]+)" known to council (\d{3}) share a family name, a date of birth and a gender$`,
		func(ctx context.Context, n int, prefix, council string) error {
			w := WorldFrom(ctx)
			dob := w.Gen.Child(fixtures.WithAge(9)).DateOfBirth
			for i := 1; i <= n; i++ {
				if _, err := w.CreateChild(fmt.Sprintf("%s %d", prefix, i), council, nil,
					Override{Pointer: "/name/family", Value: w.uniqueFamily(prefix)},
					Override{Pointer: "/dateOfBirth", Value: dob},
					Override{Pointer: "/gender", Value: "FEMALE"}); err != nil {
					return err
				}
			}
			return nil
		})
	define(sc, `^a child "([^"]+)" (?:known to|recorded by) council (\d{3}) whose (\d+)(?:st|nd|rd|th) birthday was (\d+) (days?|months?|years?) ago$`,
		func(ctx context.Context, alias, council string, age, n int, unit string) error {
			w := WorldFrom(ctx)
			birthday := w.harnessToday()
			switch strings.TrimSuffix(unit, "s") {
			case "day":
				birthday = birthday.AddDate(0, 0, -n)
			case "month":
				birthday = birthday.AddDate(0, -n, 0)
			default:
				birthday = birthday.AddDate(-n, 0, 0)
			}
			dob := birthday.AddDate(-age, 0, 0).Format(time.DateOnly)
			_, err := w.CreateChild(alias, council, []fixtures.ChildOption{fixtures.WithDateOfBirth(dob)})
			return err
		})
	define(sc, `^`+Subject+` search(?:es)? by the (NHS number|UPN|new NHS number) of the child "([^"]+)"$`,
		func(ctx context.Context, who, what, alias string) error {
			w := WorldFrom(ctx)
			actor, c, err := w.subjectAndChild(who, alias)
			if err != nil {
				return err
			}
			query := map[string]any{}
			switch what {
			case "NHS number":
				query["nhsNumber"] = identifierValue(c.Sent, "NHS_NUMBER")
			case "UPN":
				query["upn"] = identifierValue(c.Sent, "UPN")
			default:
				v, err := w.Recall("new NHS number", alias)
				if err != nil {
					return err
				}
				query["nhsNumber"] = v
			}
			_, err = w.searchChildren(actor, query)
			return err
		})
	define(sc, `^`+Subject+` search(?:es)? for the child "([^"]+)" by (.+?)(?: with at most (\d+) results?)?$`,
		func(ctx context.Context, who, alias, criteria, most string) error {
			w := WorldFrom(ctx)
			actor, c, err := w.subjectAndChild(who, alias)
			if err != nil {
				return err
			}
			query, err := demographicQuery(c, criteria)
			if err != nil {
				return err
			}
			if most != "" {
				n, _ := strconv.Atoi(most)
				query["maxResults"] = n
			}
			_, err = w.searchChildren(actor, query)
			return err
		})
	define(sc, `^the search finds only the child "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		list, c, err := w.searchedFor(alias)
		if err != nil {
			return err
		}
		if ids := resultIDs(list); len(ids) != 1 || ids[0] != c.ID {
			return Failf("/results", fmt.Sprintf("exactly one record, %q", c.ID), fmt.Sprintf("%d records %v", len(ids), ids),
				"the search does not find exactly the one child")
		}
		return nil
	})
	define(sc, `^the search finds the child "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		list, c, err := w.searchedFor(alias)
		if err != nil {
			return err
		}
		if !slices.Contains(resultIDs(list), c.ID) {
			return Failf("/results", fmt.Sprintf("a record with id %q", c.ID), fmt.Sprintf("%d records %v", len(list), resultIDs(list)),
				"the search does not find the child")
		}
		return nil
	})
	define(sc, `^the search does not find the child "([^"]+)"$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		list, c, err := w.searchedFor(alias)
		if err != nil {
			return err
		}
		if i := slices.Index(resultIDs(list), c.ID); i >= 0 {
			return Failf(fmt.Sprintf("/results/%d", i), "no record of the child", strconv.Quote(c.ID), "the search finds a record it must not show")
		}
		if r, _ := w.Response(); r != nil {
			return expectNotInBody(r, c.ID, "the child's id")
		}
		return nil
	})
	define(sc, `^the search finds all (\d+) children "([^"]+)"$`, func(ctx context.Context, n int, prefix string) error {
		w := WorldFrom(ctx)
		r, err := w.Response()
		if err != nil {
			return err
		}
		list, err := searchResults(r)
		if err != nil {
			return err
		}
		want := make([]string, 0, n)
		for i := 1; i <= n; i++ {
			c, err := w.Child(fmt.Sprintf("%s %d", prefix, i))
			if err != nil {
				return err
			}
			want = append(want, c.ID)
		}
		got := resultIDs(list)
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return Failf("/results", fmt.Sprintf("the %d records %v", n, want), fmt.Sprintf("%d records %v", len(got), got), "the search does not find exactly the children")
		}
		return nil
	})
	define(sc, `^the response carries no child records$`, step(func(w *World) error {
		r, err := w.Response()
		if err != nil {
			return err
		}
		if v, ok := r.At("/results"); ok {
			if list, _ := v.([]any); len(list) > 0 {
				return Failf("/results", "no records", fmt.Sprintf("%d records", len(list)), "the refused search still returns records")
			}
		}
		for _, c := range w.children {
			if err := expectNotInBody(r, c.ID, fmt.Sprintf("the id of the child %q", c.Alias)); err != nil {
				return err
			}
		}
		return nil
	}))
	define(sc, `^the result for "([^"]+)" shows nothing beyond identity$`, func(ctx context.Context, alias string) error {
		return WorldFrom(ctx).expectIdentityOnly(alias)
	})
	define(sc, `^the result for "([^"]+)" shows its identity and that it is shielded$`, func(ctx context.Context, alias string) error {
		w := WorldFrom(ctx)
		c, r, err := w.childAndResponse(alias)
		if err != nil {
			return err
		}
		rec, base, err := recordIn(r, c.ID)
		if err != nil {
			return err
		}
		for _, f := range []string{"name", "gender", "dateOfBirth"} {
			if _, ok := rec[f]; !ok {
				return Failf(base+"/"+f, "present", absent, "the shielded record's result lacks its %s, an identity field", f)
			}
		}
		if got, ok, _ := Lookup(rec, "/shielding/shielded"); got != true {
			return Failf(base+"/shielding/shielded", "true", renderOr(got, ok), "the result does not say that the record is shielded")
		}
		return nil
	})
}

// searchChildren sends POST /v1/children/search with body as actor and the role's default purpose.
func (w *World) searchChildren(actor *Actor, body map[string]any) (*Response, error) {
	purpose := ""
	if actor != nil {
		purpose = defaultPurposes[actor.Role]
	}
	return w.Send(Request{Method: "POST", Path: "/v1/children/search", Body: body, As: actor, Purpose: purpose})
}

// searchResults returns the records of a successful search response: a failure when the
// search did not answer 200 with a results array.
func searchResults(r *Response) ([]any, error) {
	if r.Status != 200 {
		return nil, &AssertionError{
			Message: "the search did not answer", Pointer: "status",
			Expected: "200 with the matching records", Actual: strconv.Itoa(r.Status) + problemHint(r),
			Evidence: []*Response{r},
		}
	}
	v, ok := r.At("/results")
	list, isList := v.([]any)
	if !ok || !isList {
		return nil, &AssertionError{
			Message: "the search answer has no list of results", Pointer: "/results",
			Expected: "an array of records", Actual: renderOr(v, ok), Evidence: []*Response{r},
		}
	}
	return list, nil
}

// resultIDs returns the ids of a search's records.
func resultIDs(list []any) []string {
	ids := make([]string, 0, len(list))
	for _, item := range list {
		id, _, _ := Lookup(item, "/id")
		s, _ := id.(string)
		ids = append(ids, s)
	}
	return ids
}

// searchedFor returns the records of the latest response, a search, and the child alias.
func (w *World) searchedFor(alias string) ([]any, *Child, error) {
	c, r, err := w.childAndResponse(alias)
	if err != nil {
		return nil, nil, err
	}
	list, err := searchResults(r)
	return list, c, err
}

// criterion matches one criterion of a demographic search phrase, at its start.
var criterion = regexp.MustCompile(`^(?:"([^"]*)" as (family|given) name|(family name|given name|gender|postcode|date of birth|its former family name)|a date-of-birth range of (\d+) (days|years?))`)

// demographicQuery builds a SearchRequest from a phrase such as `family name, date of birth
// and given name`, taking each value from what child c was created with:
//
//   - family name, given name (the first), gender, postcode, date of birth;
//   - its former family name (of the first former name);
//   - "<text>" as family name, "<text>" as given name: the text as written;
//   - a date-of-birth range of N days (or N years): from 100 days before the date of birth (or
//     N/2 days for a short range) to N days (years) later.
func demographicQuery(c *Child, phrase string) (map[string]any, error) {
	q := map[string]any{}
	rest := phrase
	for rest != "" {
		m := criterion.FindStringSubmatch(rest)
		if m == nil {
			return nil, Configf("unknown search criterion at %q (in %q)", rest, phrase)
		}
		switch {
		case m[2] != "":
			q[m[2]+"Name"] = m[1]
		case m[3] == "family name":
			q["familyName"] = sentValue(c, "/name/family")
		case m[3] == "given name":
			q["givenName"] = sentValue(c, "/name/given/0")
		case m[3] == "gender":
			q["gender"] = sentValue(c, "/gender")
		case m[3] == "postcode":
			q["postcode"] = sentValue(c, "/address/postcode")
		case m[3] == "date of birth":
			q["dateOfBirth"] = sentValue(c, "/dateOfBirth")
		case m[3] == "its former family name":
			q["familyName"] = sentValue(c, "/formerNames/0/family")
		default:
			dob, err := time.Parse(time.DateOnly, sentValue(c, "/dateOfBirth"))
			if err != nil {
				return nil, Configf("the child %q has no date of birth to search a range around", c.Alias)
			}
			n, _ := strconv.Atoi(m[4])
			from := dob.AddDate(0, 0, -min(100, n/2))
			to := from.AddDate(0, 0, n)
			if m[5] != "days" {
				to = from.AddDate(n, 0, 0)
			}
			q["dateOfBirthFrom"], q["dateOfBirthTo"] = from.Format(time.DateOnly), to.Format(time.DateOnly)
		}
		rest = strings.TrimPrefix(strings.TrimPrefix(rest[len(m[0]):], ","), " and")
		rest = strings.TrimSpace(rest)
		rest = strings.TrimPrefix(rest, "and ")
	}
	for k, v := range q {
		if v == "" {
			return nil, Configf("the child %q has no value for the search criterion %s", c.Alias, k)
		}
	}
	return q, nil
}

// identityOnly lists the members a shielded record may show to anyone but its council's
// management (CONTRACT.md, SENS-004).
var identityOnly = map[string]bool{
	"id": true, "version": true, "status": true, "name": true, "gender": true, "dateOfBirth": true,
	"parentsCarers": true, "shielding": true,
}

// expectIdentityOnly checks the record of alias in the latest response shows nothing beyond
// identity: no member of ChildRecord outside identityOnly, parents and carers by name and
// relationship only, shielding as the flag alone, and none of the child's locating values or
// identifiers anywhere in the record, whatever a member is called.
func (w *World) expectIdentityOnly(alias string) error {
	c, r, err := w.childAndResponse(alias)
	if err != nil {
		return err
	}
	rec, base, err := recordIn(r, c.ID)
	if err != nil {
		return err
	}
	// Leaks are found by value first, under any key: the contract lets a response carry
	// members a client does not know, which are warnings unless they hold a locating value.
	text := Render(rec)
	named := locatingValues(c)
	for _, what := range slices.Sorted(maps.Keys(named)) {
		if v := named[what]; v != "" && strings.Contains(text, v) {
			return Failf(base, "no "+what, "the record contains "+strconv.Quote(v), "the shielded record discloses the child's %s", what)
		}
	}
	stored, err := w.locatingStrings(alias)
	if err != nil {
		return err
	}
	for _, v := range stored {
		if strings.Contains(text, v) {
			return Failf(base, "none of the child's locating values", "the record contains "+strconv.Quote(v),
				"the shielded record discloses a locating value the harness stored for the child")
		}
	}
	var extensions []string
	for _, k := range memberNames(rec) {
		switch {
		case identityOnly[k]:
		case knownRecordMembers[k]:
			return Failf(base+"/"+k, absent, Render(rec[k]), "the shielded record shows %s, which is not an identity field", k)
		default:
			extensions = append(extensions, k)
		}
	}
	if sh, ok := rec["shielding"].(map[string]any); ok {
		for _, k := range memberNames(sh) {
			switch {
			case k == "shielded":
			case knownShieldingMembers[k]:
				return Failf(base+"/shielding/"+k, absent, Render(sh[k]), "the shielded record shows the shield's %s", k)
			default:
				extensions = append(extensions, "shielding/"+k)
			}
		}
	}
	if pcs, ok := rec["parentsCarers"].([]any); ok {
		for i, p := range pcs {
			m, _ := p.(map[string]any)
			for _, k := range memberNames(m) {
				switch {
				case k == "name" || k == "relationship":
				case knownParentMembers[k]:
					return Failf(fmt.Sprintf("%s/parentsCarers/%d/%s", base, i, k), absent, Render(m[k]), "the shielded record shows a parent's or carer's %s", k)
				default:
					extensions = append(extensions, fmt.Sprintf("parentsCarers/%d/%s", i, k))
				}
			}
		}
	}
	for _, k := range extensions {
		w.Remark(RemarkWarning, extensionWarning(base, k))
	}
	return nil
}

// knownRecordMembers are the members of ChildRecord in the contract; others are extensions
// a client ignores.
var knownRecordMembers = map[string]bool{
	"id": true, "version": true, "status": true, "mergedInto": true, "name": true, "formerNames": true,
	"gender": true, "dateOfBirth": true, "expectedDateOfBirth": true, "dateOfDeath": true, "identifiers": true,
	"address": true, "whereabouts": true, "responsibleLa": true, "shielding": true, "archive": true,
	"parentsCarers": true, "indicators": true,
}

// locatingValues are the values of what child c was created with that a shielded record must
// not show: identifiers, address and parents' contact details.
func locatingValues(c *Child) map[string]string {
	out := map[string]string{
		"NHS number": identifierValue(c.Sent, "NHS_NUMBER"),
		"UPN":        identifierValue(c.Sent, "UPN"),
		"postcode":   sentValue(c, "/address/postcode"),
		"address":    sentValue(c, "/address/lines/0"),
	}
	pcs, _, _ := Lookup(c.Sent, "/parentsCarers")
	list, _ := pcs.([]any)
	for i := range list {
		out[fmt.Sprintf("parent or carer's telephone number (%d)", i)] = sentValue(c, fmt.Sprintf("/parentsCarers/%d/contact/phone", i))
		out[fmt.Sprintf("parent or carer's e-mail address (%d)", i)] = sentValue(c, fmt.Sprintf("/parentsCarers/%d/contact/email", i))
	}
	return out
}

func memberNames(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
