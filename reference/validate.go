package reference

import (
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/icscert/icscert/spec"
)

// Field error codes (spec.FieldErrorCodes).
const (
	feRequired    = "REQUIRED"
	feType        = "INVALID_TYPE"
	feFormat      = "INVALID_FORMAT"
	feDate        = "INVALID_DATE"
	feTooLong     = "TOO_LONG"
	feRange       = "OUT_OF_RANGE"
	feDateOrder   = "DATE_ORDER"
	feUnknownProp = "UNKNOWN_PROPERTY"
	feUnknownCode = "UNKNOWN_CODE"
	feReadOnly    = "READ_ONLY_FIELD"
	feNHS         = "INVALID_NHS_NUMBER"
	feUPN         = "INVALID_UPN"
	feBasis       = "DISCLOSURE_BASIS_REQUIRED"
)

// fieldErrors collects every field error of one request body (ERR-002).
type fieldErrors struct {
	list       []spec.FieldError
	successors []string // of a terminated council named in the body
	// today is the request's calendar date YYYY-MM-DD, for dates that may not be in the
	// future (dateNode.notFuture). call.decode sets it.
	today string
}

// add records one error at an RFC 6901 pointer into the body.
func (e *fieldErrors) add(ptr, code, detail string) {
	e.list = append(e.list, spec.FieldError{Pointer: ptr, Code: code, Detail: detail})
}

// unknownCode records a value that is not in a code list, naming the list and its version.
func (e *fieldErrors) unknownCode(ptr string, cl spec.CodeList) {
	e.list = append(e.list, spec.FieldError{
		Pointer: ptr, Code: feUnknownCode, Detail: "not a code of " + cl.Name,
		CodeSystem: cl.Name, CodeSystemVersion: cl.Version,
	})
}

// ok reports whether no error has been recorded at or below ptr.
func (e *fieldErrors) ok(ptr string) bool {
	for _, fe := range e.list {
		if fe.Pointer == ptr || strings.HasPrefix(fe.Pointer, ptr+"/") {
			return false
		}
	}
	return true
}

// empty reports whether no error has been recorded.
func (e *fieldErrors) empty() bool { return len(e.list) == 0 }

// sorted returns the errors ordered by pointer, then code.
func (e *fieldErrors) sorted() []spec.FieldError {
	out := slices.Clone(e.list)
	slices.SortStableFunc(out, func(a, b spec.FieldError) int {
		if c := strings.Compare(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	return out
}

// pointer appends one reference token to an RFC 6901 pointer.
func pointer(base, token string) string { return spec.AppendPointer(base, token) }

// node validates one JSON value.
type node interface {
	check(e *fieldErrors, ptr string, v any)
}

// strNode is a non-empty string of at most max runes (200 if zero) with no control
// characters, optionally matching a pattern and passing an extra check.
type strNode struct {
	max     int
	pattern *regexp.Regexp
	extra   func(e *fieldErrors, ptr, s string)
}

func (n strNode) check(e *fieldErrors, ptr string, v any) {
	s, ok := v.(string)
	if !ok {
		e.add(ptr, feType, "must be a string")
		return
	}
	limit := n.max
	if limit == 0 {
		limit = 200
	}
	switch {
	case strings.TrimSpace(s) == "":
		e.add(ptr, feRequired, "must not be empty")
	case utf8.RuneCountInString(s) > limit:
		e.add(ptr, feTooLong, "must be at most "+strconv.Itoa(limit)+" characters")
	case strings.ContainsFunc(s, unicode.IsControl):
		e.add(ptr, feFormat, "must not contain control characters")
	case n.pattern != nil && !n.pattern.MatchString(s):
		e.add(ptr, feFormat, "is not in the expected format")
	case n.extra != nil:
		n.extra(e, ptr, s)
	}
}

// dateRE is the shape of a calendar date.
var dateRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)

// dateNode is a real calendar date YYYY-MM-DD; with notFuture, one no later than the
// request's date (a date of birth or of death is a fact, never a plan).
type dateNode struct{ notFuture bool }

func (n dateNode) check(e *fieldErrors, ptr string, v any) {
	s, ok := v.(string)
	if !ok {
		e.add(ptr, feType, "must be a date string YYYY-MM-DD")
		return
	}
	if _, ok := parseDate(s); !ok {
		e.add(ptr, feDate, "must be a real calendar date YYYY-MM-DD")
		return
	}
	if n.notFuture {
		if e.today == "" {
			panic("reference: a date bound checked without the request's date")
		}
		if s > e.today {
			e.add(ptr, feRange, "must not be after today ("+e.today+")")
		}
	}
}

// parseDate parses a calendar date YYYY-MM-DD from year 1000 on.
func parseDate(s string) (time.Time, bool) {
	if !dateRE.MatchString(s) || s < "1000" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.DateOnly, s)
	return t, err == nil
}

// codeNode is a value of a code list.
type codeNode struct{ list spec.CodeList }

func (n codeNode) check(e *fieldErrors, ptr string, v any) {
	s, ok := v.(string)
	if !ok {
		e.add(ptr, feType, "must be a string code")
		return
	}
	if !n.list.Has(s) {
		e.unknownCode(ptr, n.list)
	}
}

// boolNode is a boolean.
type boolNode struct{}

func (boolNode) check(e *fieldErrors, ptr string, v any) {
	if _, ok := v.(bool); !ok {
		e.add(ptr, feType, "must be a boolean")
	}
}

// intNode is an integer in min..max.
type intNode struct{ min, max int64 }

func (n intNode) check(e *fieldErrors, ptr string, v any) {
	num, ok := v.(json.Number)
	if !ok {
		e.add(ptr, feType, "must be an integer")
		return
	}
	i, err := strconv.ParseInt(string(num), 10, 64)
	if err != nil {
		e.add(ptr, feType, "must be an integer")
		return
	}
	if i < n.min || i > n.max {
		e.add(ptr, feRange, "must be from "+strconv.FormatInt(n.min, 10)+" to "+strconv.FormatInt(n.max, 10))
	}
}

// arrNode is an array of at most max items (max 0 means 50), each valid against item.
type arrNode struct {
	item node
	max  int
}

func (n arrNode) check(e *fieldErrors, ptr string, v any) {
	arr, ok := v.([]any)
	if !ok {
		e.add(ptr, feType, "must be an array")
		return
	}
	limit := n.max
	if limit == 0 {
		limit = 50
	}
	if len(arr) > limit {
		e.add(ptr, feTooLong, "must have at most "+strconv.Itoa(limit)+" items")
		return
	}
	for i, item := range arr {
		if item == nil {
			e.add(pointer(ptr, strconv.Itoa(i)), feType, "must not be null")
			continue
		}
		n.item.check(e, pointer(ptr, strconv.Itoa(i)), item)
	}
}

// prop is one property of an object.
type prop struct {
	n        node
	required bool
}

// objNode is an object with known properties only (additionalProperties: false). Properties
// named in readOnly are reported as READ_ONLY_FIELD rather than UNKNOWN_PROPERTY. after runs
// once the properties are checked, for rules across properties.
type objNode struct {
	props    map[string]prop
	readOnly []string
	after    func(e *fieldErrors, ptr string, m map[string]any)
}

func (n objNode) check(e *fieldErrors, ptr string, v any) {
	m, ok := v.(map[string]any)
	if !ok {
		e.add(ptr, feType, "must be an object")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		p, known := n.props[k]
		switch {
		case !known && slices.Contains(n.readOnly, k):
			e.add(pointer(ptr, k), feReadOnly, "cannot be set here")
		case !known:
			e.add(pointer(ptr, k), feUnknownProp, "is not a property of this object")
		case m[k] == nil:
			e.add(pointer(ptr, k), feType, "must not be null")
		default:
			p.n.check(e, pointer(ptr, k), m[k])
		}
	}
	names := make([]string, 0, len(n.props))
	for k := range n.props {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		if _, present := m[k]; !present && n.props[k].required {
			e.add(pointer(ptr, k), feRequired, "is required")
		}
	}
	if n.after != nil {
		n.after(e, ptr, m)
	}
}

// str returns m[k] when it is a string that passed validation at ptr/k.
func str(e *fieldErrors, ptr string, m map[string]any, k string) (string, bool) {
	s, ok := m[k].(string)
	return s, ok && e.ok(pointer(ptr, k))
}

// dateOrder records DATE_ORDER at ptr/later when both dates are valid and later < earlier.
func dateOrder(e *fieldErrors, ptr string, m map[string]any, earlier, later string) {
	a, okA := str(e, ptr, m, earlier)
	b, okB := str(e, ptr, m, later)
	if okA && okB && b < a {
		e.add(pointer(ptr, later), feDateOrder, "must not be before "+earlier)
	}
}
