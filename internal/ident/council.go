package ident

import (
	"bytes"
	_ "embed" // the council reference list
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed data/england_local_authorities_dfe_las.csv
var councilsCSV []byte

// Council statuses.
const (
	StatusLive       = "LIVE"
	StatusTerminated = "TERMINATED"
)

// Council is one English council (local authority with children's services) in the reference
// list.
//
// DfeCode is the 3-digit DfE code, the key; GssCode is the current ONS GSS code (E06 unitary,
// E08 metropolitan district, E09 London borough, E10 county); Name is as published (for example
// "Bristol, City of"); Status is LIVE or TERMINATED; OperatingFrom is the earliest operation
// date of any of its rows and TerminatedOn the termination date of a TERMINATED council, both
// YYYY-MM-DD or "". Successors lists the DfE codes of the live councils that took over from a
// TERMINATED council (empty for LIVE ones). FormerGssCodes lists earlier GSS codes of the same
// DfE code (for example Gateshead's E08000020), sorted. Region is the ONS code of the English
// region the council lies in (E12000001 to E12000009, the list's parent_geography_code; "" when
// the list gives none); RegionName gives its name.
type Council struct {
	DfeCode        string
	GssCode        string
	Name           string
	Region         string
	Status         string
	OperatingFrom  string
	TerminatedOn   string
	Successors     []string
	FormerGssCodes []string
}

// regionNames names the nine English regions by their ONS codes.
var regionNames = map[string]string{
	"E12000001": "North East",
	"E12000002": "North West",
	"E12000003": "Yorkshire and The Humber",
	"E12000004": "East Midlands",
	"E12000005": "West Midlands",
	"E12000006": "East of England",
	"E12000007": "London",
	"E12000008": "South East",
	"E12000009": "South West",
}

// RegionName returns the English name of the region with ONS code code ("E12000007" is
// "London"), or "" for a code that is not one of the nine English regions.
func RegionName(code string) string { return regionNames[code] }

// IsLive reports whether the council is LIVE, so that it may take new responsibility.
func (c Council) IsLive() bool { return c.Status == StatusLive }

func (c Council) clone() Council {
	c.Successors = slices.Clone(c.Successors)
	c.FormerGssCodes = slices.Clone(c.FormerGssCodes)
	return c
}

// successorTable lists, for every council in the embedded list that was abolished without a
// live council keeping its DfE code, the DfE codes of the councils that took over its area.
// Councils whose DfE code carried over to the new authority (825 Buckinghamshire, 815 North
// Yorkshire, 933 Somerset, and the GSS-only changes of 929, 390, 370 and 373) are LIVE and
// need no entry. A test checks that every code here is a LIVE council of the embedded list and
// that every TERMINATED council there has an entry.
var successorTable = map[string][]string{
	"820": {"822", "823"}, // Bedfordshire → Bedford, Central Bedfordshire (1 April 2009)
	"875": {"895", "896"}, // Cheshire → Cheshire East, Cheshire West and Chester (1 April 2009)
	"835": {"838", "839"}, // Dorset county → Dorset; its Christchurch borough → BCP (1 April 2019)
	"836": {"839"},        // Poole → Bournemouth, Christchurch and Poole (1 April 2019)
	"837": {"839"},        // Bournemouth → Bournemouth, Christchurch and Poole (1 April 2019)
	"928": {"940", "941"}, // Northamptonshire → North, West Northamptonshire (1 April 2021)
	"909": {"942", "943"}, // Cumbria → Cumberland, Westmorland and Furness (1 April 2023)
}

// Registry is a loaded council reference list keyed by DfE code. It is immutable and safe for
// concurrent use; every method returns copies. A nil *Registry behaves as Councils().
type Registry struct {
	byCode map[string]Council
	all    []Council // sorted by DfE code
	live   []Council // sorted by DfE code
}

var councils = sync.OnceValue(func() *Registry {
	reg, err := LoadRegistry(bytes.NewReader(councilsCSV))
	if err != nil {
		panic(fmt.Sprintf("ident: the embedded council list is corrupt: %v", err))
	}
	return reg
})

// Councils returns the registry loaded from the embedded copy of the DfE council list
// (data/england_local_authorities_dfe_las.csv): 153 LIVE councils and the TERMINATED ones they
// replaced. It is loaded once and shared; it panics only if the embedded file is corrupt.
func Councils() *Registry { return councils() }

// CSV columns LoadRegistry reads; others are ignored.
const (
	colGSS    = "new_la_code"
	colName   = "la_name"
	colFrom   = "date_of_operation"
	colTo     = "date_of_termination"
	colStatus = "status"
	colDfE    = "old_la_code"
	// colRegion is optional: a list without it loads with every Region "".
	colRegion = "parent_geography_code"
)

type councilRow struct {
	gss, name, region, status, from, to string
	line                                int
}

// LoadRegistry reads a council list in the format of the DfE's las.csv (a header row naming at
// least new_la_code, la_name, date_of_operation, date_of_termination, status and old_la_code;
// dates dd/mm/yyyy) and returns it as a Registry. An optional parent_geography_code column gives
// each council's Region; a value there that is not one of the nine English region codes is an
// error.
//
// It drops combined "A / B" rows, the BFPO row (GSS code "z" or DfE code 702) and rows whose
// DfE code is "x". When a DfE code has a live row and terminated rows (a change of GSS code),
// the council is LIVE with the live row's GSS code and name, and the other GSS codes become
// FormerGssCodes. TERMINATED councils get their Successors from a documented table, keeping
// only codes that are LIVE in the same list. Errors wrap a *csv.ParseError naming the line and
// column.
func LoadRegistry(r io.Reader) (*Registry, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("load councils: read header: %w", err)
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	for _, name := range []string{colGSS, colName, colFrom, colTo, colStatus, colDfE} {
		if _, ok := col[name]; !ok {
			return nil, fmt.Errorf("load councils: %w", &csv.ParseError{
				StartLine: 1, Line: 1, Column: 1, Err: fmt.Errorf("no column %q in the header", name),
			})
		}
	}

	rows := make(map[string][]councilRow)
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("load councils: %w", err)
		}
		row, dfe, skip, err := parseRow(cr, col, rec)
		if err != nil {
			return nil, err
		}
		if skip {
			continue
		}
		bad := func(name, format string, args ...any) error { return badField(cr, col, name, format, args...) }
		for _, prev := range rows[dfe] {
			if prev.status == StatusLive && row.status == StatusLive {
				return nil, bad(colStatus, "DfE code %s already has a live row on line %d", dfe, prev.line)
			}
		}
		rows[dfe] = append(rows[dfe], row)
	}
	if len(rows) == 0 {
		return nil, errors.New("load councils: the list has no councils")
	}

	reg := &Registry{byCode: make(map[string]Council, len(rows))}
	for dfe, rs := range rows {
		reg.byCode[dfe] = mergeRows(dfe, rs)
	}
	for dfe, c := range reg.byCode {
		if c.Status != StatusTerminated {
			continue
		}
		for _, s := range successorTable[dfe] {
			if reg.byCode[s].Status == StatusLive {
				c.Successors = append(c.Successors, s)
			}
		}
		reg.byCode[dfe] = c
	}
	for _, c := range reg.byCode {
		reg.all = append(reg.all, c)
	}
	slices.SortFunc(reg.all, func(a, b Council) int { return strings.Compare(a.DfeCode, b.DfeCode) })
	for _, c := range reg.all {
		if c.IsLive() {
			reg.live = append(reg.live, c)
		}
	}
	return reg, nil
}

// mergeRows makes one council of the rows that share a DfE code: the live row if there is one,
// else the row terminated last.
func mergeRows(dfe string, rs []councilRow) Council {
	primary := rs[0]
	for _, r := range rs[1:] {
		if r.status == StatusLive || (primary.status != StatusLive && r.to > primary.to) {
			primary = r
		}
	}
	c := Council{DfeCode: dfe, GssCode: primary.gss, Name: primary.name, Region: primary.region, Status: primary.status}
	if primary.status == StatusTerminated {
		c.TerminatedOn = primary.to
	}
	for _, r := range rs {
		if r.from != "" && (c.OperatingFrom == "" || r.from < c.OperatingFrom) {
			c.OperatingFrom = r.from
		}
		if r.gss != primary.gss && !slices.Contains(c.FormerGssCodes, r.gss) {
			c.FormerGssCodes = append(c.FormerGssCodes, r.gss)
		}
	}
	slices.Sort(c.FormerGssCodes)
	return c
}

// isoDate converts dd/mm/yyyy to YYYY-MM-DD; "" stays "".
func isoDate(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	t, err := time.Parse("02/01/2006", s)
	if err != nil {
		return "", fmt.Errorf("date %q is not a dd/mm/yyyy date", s)
	}
	return t.Format(time.DateOnly), nil
}

func isDfeCode(s string) bool {
	return len(s) == 3 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2])
}

func isGssCode(s string) bool {
	if len(s) != 9 || s[0] != 'E' {
		return false
	}
	for i := 1; i < 9; i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func (r *Registry) get() *Registry {
	if r == nil {
		return Councils()
	}
	return r
}

// Lookup returns the council with DfE code dfe, of any status.
func (r *Registry) Lookup(dfe string) (Council, bool) {
	c, ok := r.get().byCode[dfe]
	if !ok {
		return Council{}, false
	}
	return c.clone(), true
}

// All returns every council, LIVE and TERMINATED, sorted by DfE code. The slice is the
// caller's.
func (r *Registry) All() []Council { return cloneCouncils(r.get().all) }

// Live returns the LIVE councils sorted by DfE code. The slice is the caller's.
func (r *Registry) Live() []Council { return cloneCouncils(r.get().live) }

func cloneCouncils(cs []Council) []Council {
	out := make([]Council, len(cs))
	for i, c := range cs {
		out[i] = c.clone()
	}
	return out
}

// CheckKnown reports whether dfe is the DfE code of a council of any status, as when a code is
// read from history (ID-003: a terminated council stays valid in history). It returns nil or an
// *Error with Code INVALID_LA_CODE.
func (r *Registry) CheckKnown(dfe string) error {
	if _, ok := r.get().byCode[dfe]; !ok {
		return unknownCouncil(dfe)
	}
	return nil
}

// CheckNewResponsibility reports whether the council with DfE code dfe may take new
// responsibility for a child (ID-003, XFER-005). It returns nil for a LIVE council, an *Error
// with Code INVALID_LA_CODE for an unknown code, and an *Error with Code LA_TERMINATED whose
// Successors name the live successor councils for a TERMINATED one.
func (r *Registry) CheckNewResponsibility(dfe string) error {
	c, ok := r.get().byCode[dfe]
	if !ok {
		return unknownCouncil(dfe)
	}
	if c.IsLive() {
		return nil
	}
	reason := fmt.Sprintf("council %s %s was terminated on %s", c.DfeCode, c.Name, c.TerminatedOn)
	if len(c.Successors) > 0 {
		reason += "; its successors are " + strings.Join(c.Successors, ", ")
	}
	return &Error{Code: CodeLATerminated, Reason: reason, Successors: slices.Clone(c.Successors)}
}

func unknownCouncil(dfe string) error {
	if !isDfeCode(dfe) {
		return &Error{Code: CodeInvalidLA, Reason: "a council code is 3 digits"}
	}
	return &Error{Code: CodeInvalidLA, Reason: fmt.Sprintf("no council has the DfE code %s", dfe)}
}

// badField is an error naming the field name of the record cr read last.
func badField(cr *csv.Reader, col map[string]int, name, format string, args ...any) error {
	line, column := cr.FieldPos(col[name])
	return fmt.Errorf("load councils: %w", &csv.ParseError{
		StartLine: line, Line: line, Column: column,
		Err: fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)),
	})
}

// parseRow reads one record of the list: its council row and DfE code, or skip for a row
// LoadRegistry drops.
func parseRow(cr *csv.Reader, col map[string]int, rec []string) (row councilRow, dfe string, skip bool, err error) {
	get := func(name string) string { return strings.TrimSpace(rec[col[name]]) }
	bad := func(name, format string, args ...any) error { return badField(cr, col, name, format, args...) }
	gss, dfe := get(colGSS), get(colDfE)
	switch {
	case strings.Contains(gss, "/") || strings.Contains(dfe, "/"): // combined "A / B" row
		return row, dfe, true, nil
	case gss == "z" || dfe == "702": // British Forces Post Office overseas
		return row, dfe, true, nil
	case dfe == "x": // no DfE code (a pre-2009 county code)
		return row, dfe, true, nil
	}
	if !isDfeCode(dfe) {
		return row, dfe, false, bad(colDfE, "DfE code %q is not 3 digits", dfe)
	}
	if !isGssCode(gss) {
		return row, dfe, false, bad(colGSS, "GSS code %q is not E and 8 digits", gss)
	}
	row = councilRow{gss: gss, name: get(colName)}
	if _, ok := col[colRegion]; ok {
		row.region = get(colRegion)
		if row.region != "" && RegionName(row.region) == "" {
			return row, dfe, false, bad(colRegion, "region %q is not an English region code (E12000001 to E12000009)", row.region)
		}
	}
	row.line, _ = cr.FieldPos(0)
	if row.name == "" {
		return row, dfe, false, bad(colName, "the name is empty")
	}
	switch strings.ToLower(get(colStatus)) {
	case "live":
		row.status = StatusLive
	case "terminated":
		row.status = StatusTerminated
	default:
		return row, dfe, false, bad(colStatus, "status %q is neither live nor terminated", get(colStatus))
	}
	if row.from, err = isoDate(get(colFrom)); err != nil {
		return row, dfe, false, bad(colFrom, "%v", err)
	}
	if row.to, err = isoDate(get(colTo)); err != nil {
		return row, dfe, false, bad(colTo, "%v", err)
	}
	if row.status == StatusTerminated && row.to == "" {
		return row, dfe, false, bad(colTo, "a terminated council has no termination date")
	}
	return row, dfe, false, nil
}
