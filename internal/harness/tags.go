package harness

import (
	"fmt"
	"regexp"
	"strings"
)

// TagExpr is a parsed tag filter in godog's (old) syntax: clauses separated by "," are OR-ed;
// the terms of a clause, separated by "&&", are AND-ed; a term is "@tag" or "~@tag" (not).
// There are no parentheses and no "not"/"and"/"or" words. The zero TagExpr matches every
// scenario. A TagExpr is immutable and safe for concurrent use.
type TagExpr struct {
	clauses [][]tagTerm
}

type tagTerm struct {
	tag string // without "@"
	not bool
}

var tagTermRe = regexp.MustCompile(`^(~?)@([^\s@~,&]+)$`)

// ParseTags parses expr. It rejects anything godog would misread, such as "not @wip" (which
// godog silently treats as a tag that matches nothing) or an empty term (which godog panics on).
func ParseTags(expr string) (TagExpr, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return TagExpr{}, nil
	}
	var e TagExpr
	for _, clause := range strings.Split(expr, ",") {
		var terms []tagTerm
		for _, raw := range strings.Split(clause, "&&") {
			raw = strings.TrimSpace(raw)
			m := tagTermRe.FindStringSubmatch(raw)
			if m == nil {
				return TagExpr{}, fmt.Errorf("parse tags %q: term %q is not @tag or ~@tag "+
					`(the syntax is "@a && ~@b" for and-not, "@a,@b" for or)`, expr, raw)
			}
			terms = append(terms, tagTerm{tag: m[2], not: m[1] == "~"})
		}
		e.clauses = append(e.clauses, terms)
	}
	return e, nil
}

// Match reports whether a scenario with tags (with or without "@") is selected, with exactly
// godog's semantics.
func (e TagExpr) Match(tags []string) bool {
	if len(e.clauses) == 0 {
		return true
	}
	has := make(map[string]bool, len(tags))
	for _, t := range tags {
		has[strings.TrimPrefix(t, "@")] = true
	}
	for _, clause := range e.clauses {
		ok := true
		for _, t := range clause {
			if has[t.tag] == t.not {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// Without returns e restricted to scenarios that carry none of tags: each clause gets an extra
// "~@tag" term. Empty e becomes the conjunction of the exclusions.
func (e TagExpr) Without(tags ...string) TagExpr {
	if len(tags) == 0 {
		return e
	}
	var extra []tagTerm
	for _, t := range tags {
		extra = append(extra, tagTerm{tag: strings.TrimPrefix(t, "@"), not: true})
	}
	clauses := e.clauses
	if len(clauses) == 0 {
		clauses = [][]tagTerm{nil}
	}
	out := TagExpr{clauses: make([][]tagTerm, len(clauses))}
	for i, c := range clauses {
		out.clauses[i] = append(append([]tagTerm(nil), c...), extra...)
	}
	return out
}

// With returns e restricted to scenarios that carry tag: each clause gets an extra "@tag"
// term. Empty e becomes "@tag".
func (e TagExpr) With(tag string) TagExpr {
	clauses := e.clauses
	if len(clauses) == 0 {
		clauses = [][]tagTerm{nil}
	}
	out := TagExpr{clauses: make([][]tagTerm, len(clauses))}
	for i, c := range clauses {
		out.clauses[i] = append(append([]tagTerm(nil), c...), tagTerm{tag: strings.TrimPrefix(tag, "@")})
	}
	return out
}

// String renders e in godog's syntax; ParseTags(e.String()) is equivalent to e.
func (e TagExpr) String() string {
	clauses := make([]string, len(e.clauses))
	for i, c := range e.clauses {
		terms := make([]string, len(c))
		for j, t := range c {
			terms[j] = "@" + t.tag
			if t.not {
				terms[j] = "~" + terms[j]
			}
		}
		clauses[i] = strings.Join(terms, " && ")
	}
	return strings.Join(clauses, ",")
}
