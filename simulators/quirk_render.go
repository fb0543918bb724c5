package simulators

import (
	"net/http"
	"regexp"

	"github.com/icscert/icscert/internal/ident"
)

// dateKeys are the property names whose values are calendar dates (OpenAPI format: date) in
// the API's bodies. A test checks the list against the OpenAPI document.
var dateKeys = map[string]bool{
	"archivedOn": true, "date": true, "dateOfBirth": true, "dateOfBirthFrom": true,
	"dateOfBirthTo": true, "dateOfDeath": true, "endDate": true, "expectedDateOfBirth": true,
	"givenOn": true, "operatingFrom": true, "reviewDue": true, "since": true, "startDate": true,
	"terminatedOn": true, "withdrawnOn": true,
}

var (
	isoDate = regexp.MustCompile(`^(\d{4})-(\d{2})-(\d{2})$`)
	ukDate  = regexp.MustCompile(`^(\d{2})/(\d{2})/(\d{4})$`)
)

// rewriteDates rewrites the date-valued properties of v, from the form from matches to the
// form to builds from its year, month and day.
func rewriteDates(v any, from *regexp.Regexp, year, month, day int, to func(y, m, d string) string) bool {
	return walkObjects(v, func(obj map[string]any) bool {
		changed := false
		for k, val := range obj {
			s, ok := val.(string)
			if !ok || !dateKeys[k] {
				continue
			}
			if m := from.FindStringSubmatch(s); m != nil {
				obj[k] = to(m[year], m[month], m[day])
				changed = true
			}
		}
		return changed
	})
}

// datesDDMMYYYY is the dates-ddmmyyyy quirk: dd/mm/yyyy out, either form in.
func datesDDMMYYYY(Config) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r = rewriteRequest(r, func(v any) bool {
				return rewriteDates(v, ukDate, 3, 2, 1, func(y, m, d string) string { return y + "-" + m + "-" + d })
			})
			rewriteResponse(w, r, next, func(v any) bool {
				return rewriteDates(v, isoDate, 1, 2, 3, func(y, m, d string) string { return d + "/" + m + "/" + y })
			})
		})
	}
}

// genderOut maps the census codes to the letters the gender-mfu quirk renders.
var genderOut = map[string]string{"MALE": "M", "FEMALE": "F", "NOT_KNOWN": "U", "NOT_SPECIFIED": "U"}

// genderMFU is the gender-mfu quirk: M, F or U out; requests pass untouched, so only the
// standard codes are accepted.
func genderMFU(Config) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rewriteResponse(w, r, next, func(v any) bool {
				return walkObjects(v, func(obj map[string]any) bool {
					s, ok := obj["gender"].(string)
					if !ok || genderOut[s] == "" {
						return false
					}
					obj["gender"] = genderOut[s]
					return true
				})
			})
		})
	}
}

// nhsIdentifiers calls fn on the value of every NHS_NUMBER identifier in v; fn returns the new
// value and whether it changed.
func nhsIdentifiers(v any, fn func(value string) (string, bool)) bool {
	return walkObjects(v, func(obj map[string]any) bool {
		if obj["system"] != "NHS_NUMBER" {
			return false
		}
		s, ok := obj["value"].(string)
		if !ok {
			return false
		}
		if to, changed := fn(s); changed {
			obj["value"] = to
			return true
		}
		return false
	})
}

// isTenDigits reports whether s is exactly ten ASCII digits.
func isTenDigits(s string) bool {
	if len(s) != 10 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// spacedNHS formats ten digits as 3-3-4 with spaces: 999 000 0018.
func spacedNHS(n string) string { return n[:3] + " " + n[3:6] + " " + n[6:] }

// nhsWithSpaces is the nhs-with-spaces quirk: responses carry NHS numbers spaced 3-3-4.
func nhsWithSpaces(Config) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rewriteResponse(w, r, next, func(v any) bool {
				return nhsIdentifiers(v, func(s string) (string, bool) {
					n := ident.NormaliseNHS(s)
					if !isTenDigits(n) || s == spacedNHS(n) {
						return s, false
					}
					return spacedNHS(n), true
				})
			})
		})
	}
}
