package ident

import (
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const csvHeader = "new_la_code,la_name,date_of_operation,date_of_termination,parent_geography_code,entity_code,entity_description,status,old_la_code\n"

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func TestCouncilsLive(t *testing.T) {
	t.Parallel()
	live := Councils().Live()
	assert.Len(t, live, 153, "DOMAIN §2: there are 153 live councils today")

	byType := map[string]int{}
	for _, c := range live {
		assert.Equal(t, StatusLive, c.Status, c.DfeCode)
		assert.Empty(t, c.TerminatedOn, c.DfeCode)
		assert.Empty(t, c.Successors, "a live council has no successors: %s", c.DfeCode)
		byType[c.GssCode[:3]]++
	}
	assert.Equal(t, map[string]int{"E06": 63, "E08": 36, "E09": 33, "E10": 21}, byType,
		"data/README.md: 153 live single authorities by GSS type")
	assert.True(t, slices.IsSortedFunc(live, func(a, b Council) int { return strings.Compare(a.DfeCode, b.DfeCode) }))
}

func TestCouncilsLookup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dfe        string
		found      bool
		gss        string
		name       string
		region     string
		status     string
		from       string
		terminated string
		successors []string
		former     []string
		reason     string
	}{
		{"201", true, "E09000001", "City of London", "E12000007", StatusLive, "2009-01-01", "", nil, nil, "DOMAIN §2 example"},
		{"202", true, "E09000007", "Camden", "E12000007", StatusLive, "2009-01-01", "", nil, nil, "DOMAIN §2 example"},
		{"213", true, "E09000033", "Westminster", "E12000007", StatusLive, "2009-01-01", "", nil, nil, "data README spot check"},
		{"801", true, "E06000023", "Bristol, City of", "E12000009", StatusLive, "2009-01-01", "", nil, nil, "a quoted name with a comma"},
		{"909", true, "E10000006", "Cumbria", "E12000002", StatusTerminated, "2009-01-01", "2023-03-31", []string{"942", "943"}, nil, "DOMAIN §2: Cumbria became Cumberland and Westmorland and Furness"},
		{"820", true, "E10000001", "Bedfordshire", "E12000006", StatusTerminated, "2009-01-01", "2009-03-31", []string{"822", "823"}, nil, "Bedfordshire → Bedford, Central Bedfordshire"},
		{"875", true, "E10000004", "Cheshire", "E12000002", StatusTerminated, "2009-01-01", "2009-03-31", []string{"895", "896"}, nil, "Cheshire → Cheshire East, Cheshire West and Chester"},
		{"835", true, "E10000009", "Dorset", "E12000009", StatusTerminated, "2009-01-01", "2019-03-31", []string{"838", "839"}, nil, "Dorset county → Dorset, and BCP for Christchurch"},
		{"836", true, "E06000029", "Poole", "E12000009", StatusTerminated, "2009-01-01", "2019-03-31", []string{"839"}, nil, "Poole → BCP"},
		{"837", true, "E06000028", "Bournemouth", "E12000009", StatusTerminated, "2009-01-01", "2019-03-31", []string{"839"}, nil, "Bournemouth → BCP"},
		{"928", true, "E10000021", "Northamptonshire", "E12000004", StatusTerminated, "2009-01-01", "2021-03-31", []string{"940", "941"}, nil, "Northamptonshire → North, West Northamptonshire"},
		{"929", true, "E06000057", "Northumberland", "E12000001", StatusLive, "2009-04-01", "", nil, []string{"E06000048"}, "GSS change: live with the live row's code, operating since the first row"},
		{"390", true, "E08000037", "Gateshead", "E12000001", StatusLive, "2009-01-01", "", nil, []string{"E08000020"}, "GSS change in 2013"},
		{"370", true, "E08000038", "Barnsley", "E12000003", StatusLive, "2009-01-01", "", nil, []string{"E08000016"}, "GSS change in 2025"},
		{"373", true, "E08000039", "Sheffield", "E12000003", StatusLive, "2009-01-01", "", nil, []string{"E08000019"}, "GSS change in 2025"},
		{"825", true, "E06000060", "Buckinghamshire", "E12000008", StatusLive, "2009-01-01", "", nil, []string{"E10000002"}, "the county became a unitary and kept DfE code 825"},
		{"815", true, "E06000065", "North Yorkshire", "E12000003", StatusLive, "2009-01-01", "", nil, []string{"E10000023"}, "the county became a unitary and kept DfE code 815"},
		{"933", true, "E06000066", "Somerset", "E12000009", StatusLive, "2009-01-01", "", nil, []string{"E10000027"}, "the county became a unitary and kept DfE code 933"},
		{"940", true, "E06000061", "North Northamptonshire", "E12000004", StatusLive, "2021-04-01", "", nil, nil, "a half of a combined row is loaded from its own row"},
		{"702", false, "", "", "", "", "", "", nil, nil, "the BFPO row is dropped"},
		{"x", false, "", "", "", "", "", "", nil, nil, "rows without a DfE code are dropped"},
		{"940 / 941", false, "", "", "", "", "", "", nil, nil, "combined rows are dropped"},
		{"314 / 318", false, "", "", "", "", "", "", nil, nil, "combined rows are dropped"},
		{"999", false, "", "", "", "", "", "", nil, nil, "no such council"},
	}
	reg := Councils()
	for _, tc := range tests {
		c, ok := reg.Lookup(tc.dfe)
		require.Equal(t, tc.found, ok, tc.reason)
		if !ok {
			continue
		}
		assert.Equal(t, Council{
			DfeCode: tc.dfe, GssCode: tc.gss, Name: tc.name, Region: tc.region, Status: tc.status,
			OperatingFrom: tc.from, TerminatedOn: tc.terminated,
			Successors: tc.successors, FormerGssCodes: tc.former,
		}, c, tc.reason)
	}
}

func TestCouncilsAll(t *testing.T) {
	t.Parallel()
	all := Councils().All()
	assert.Len(t, all, 160, "153 live and 7 abolished councils")
	assert.True(t, slices.IsSortedFunc(all, func(a, b Council) int { return strings.Compare(a.DfeCode, b.DfeCode) }))
	for _, c := range all {
		assert.Len(t, c.DfeCode, 3, "every code is 3 digits: %q", c.DfeCode)
		assert.NotContains(t, c.Name, " / ", "combined rows are dropped")
		assert.NotEqual(t, "702", c.DfeCode, "the BFPO row is dropped")
	}
}

// TestSuccessorTable checks the hand-written table against the embedded list: every successor
// is a LIVE council, every key is a TERMINATED council, and every TERMINATED council has one.
func TestSuccessorTable(t *testing.T) {
	t.Parallel()
	reg := Councils()
	for dfe, succ := range successorTable {
		c, ok := reg.Lookup(dfe)
		require.True(t, ok, "table key %s is in the list", dfe)
		assert.Equal(t, StatusTerminated, c.Status, "table key %s %s is terminated", dfe, c.Name)
		assert.Equal(t, succ, c.Successors, "%s keeps every successor of the table", dfe)
		for _, s := range succ {
			sc, ok := reg.Lookup(s)
			if assert.True(t, ok, "successor %s of %s exists", s, dfe) {
				assert.Equal(t, StatusLive, sc.Status, "successor %s %s of %s is live", s, sc.Name, dfe)
			}
		}
	}
	for _, c := range reg.All() {
		if c.Status == StatusTerminated {
			assert.NotEmpty(t, c.Successors, "terminated council %s %s has successors", c.DfeCode, c.Name)
		}
	}
}

func TestCheckNewResponsibility(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dfe        string
		code       string // "" for nil
		successors []string
		reason     string
	}{
		{"202", "", nil, "a live council"},
		{"929", "", nil, "a live council that changed GSS code"},
		{"825", "", nil, "a county that became a unitary with the same DfE code"},
		{"909", CodeLATerminated, []string{"942", "943"}, "XFER-005: name the successors"},
		{"837", CodeLATerminated, []string{"839"}, "XFER-005: Bournemouth → BCP"},
		{"999", CodeInvalidLA, nil, "unknown code"},
		{"702", CodeInvalidLA, nil, "BFPO is not a council"},
		{"", CodeInvalidLA, nil, "empty"},
		{"E09000007", CodeInvalidLA, nil, "a GSS code is not a DfE code"},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			t.Parallel()
			err := Councils().CheckNewResponsibility(tc.dfe)
			if tc.code == "" {
				require.NoError(t, err)
				return
			}
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, tc.code, e.Code)
			assert.Equal(t, tc.successors, e.Successors)
			assert.NotEmpty(t, e.Reason)
			assert.Equal(t, tc.code, CodeOf(err))
		})
	}
	err := Councils().CheckNewResponsibility("909")
	require.ErrorIs(t, err, ErrLATerminated)
	require.NotErrorIs(t, err, ErrInvalidLA)
	assert.Contains(t, err.Error(), "Cumbria")
}

func TestCheckKnown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dfe    string
		known  bool
		reason string
	}{
		{"202", true, "live"},
		{"909", true, "ID-003: a terminated council stays valid in history"},
		{"820", true, "terminated in 2009"},
		{"999", false, "unknown"},
		{"x", false, "dropped rows are unknown"},
	}
	for _, tc := range tests {
		err := Councils().CheckKnown(tc.dfe)
		if tc.known {
			assert.NoError(t, err, tc.reason)
		} else {
			assert.ErrorIs(t, err, ErrInvalidLA, tc.reason)
		}
	}
}

func TestRegistryReturnsCopies(t *testing.T) {
	t.Parallel()
	c, ok := Councils().Lookup("909")
	require.True(t, ok)
	c.Successors[0] = "000"
	all := Councils().All()
	all[0].Name = "changed"
	again, _ := Councils().Lookup("909")
	assert.Equal(t, []string{"942", "943"}, again.Successors)
	assert.NotEqual(t, "changed", Councils().All()[0].Name)
}

func TestNilRegistryIsCouncils(t *testing.T) {
	t.Parallel()
	var reg *Registry
	assert.Len(t, reg.Live(), 153)
	assert.NoError(t, reg.CheckKnown("909"))
}

func TestLoadRegistry(t *testing.T) {
	t.Parallel()
	good := "E09000007,Camden,01/01/2009,,E12000007,E09,London Boroughs,live,202\n"
	tests := []struct {
		csv    string
		line   int
		column int
		want   string
		reason string
	}{
		{csvHeader + good + "E09000001,City of London,01/01/2009,,E12000007,E09,London Boroughs,live,20a\n", 3, 73, "DfE code", "a DfE code that is not 3 digits"},
		{csvHeader + good + "X09000001,City of London,01/01/2009,,E12000007,E09,London Boroughs,live,201\n", 3, 1, "GSS code", "a malformed GSS code"},
		{csvHeader + good + "E09000001,City of London,2009-01-01,,E12000007,E09,London Boroughs,live,201\n", 3, 26, "dd/mm/yyyy", "an ISO date where dd/mm/yyyy is expected"},
		{csvHeader + good + "E09000001,City of London,01/01/2009,31/02/2010,E12000007,E09,London Boroughs,terminated,201\n", 3, 37, "dd/mm/yyyy", "an impossible date"},
		{csvHeader + good + "E09000001,City of London,01/01/2009,,E12000007,E09,London Boroughs,closed,201\n", 3, 68, "status", "an unknown status"},
		{csvHeader + good + "E09000001,City of London,01/01/2009,,E12000007,E09,London Boroughs,terminated,201\n", 3, 37, "termination date", "terminated without a date"},
		{csvHeader + good + "E09000099,Camden,01/01/2009,,E12000007,E09,London Boroughs,live,202\n", 3, 60, "already has a live row on line 2", "two live rows for one DfE code"},
		{csvHeader + good + "E09000001,City of London,01/01/2009,,E12000099,E09,London Boroughs,live,201\n", 3, 38, "not an English region code", "a region code that is not one of the nine"},
		{csvHeader + good + "E09000001,City of London,01/01/2009\n", 3, 1, "wrong number of fields", "a short record"},
		{csvHeader + good + "E09000001,\"City of London,01/01/2009,,E12000007,E09,London Boroughs,live,201\n", 3, 0, "quote", "an unterminated quote"},
		{"new_la_code,la_name\n" + good, 1, 1, "no column \"date_of_operation\"", "a header without the needed columns"},
		{csvHeader, 0, 0, "no councils", "a header and no rows"},
		{csvHeader + "z,British Forces Post Office overseas establishments,,,,,,live,702\n", 0, 0, "no councils", "only dropped rows"},
		{"", 0, 0, "read header", "an empty file"},
	}
	for _, tc := range tests {
		_, err := LoadRegistry(strings.NewReader(tc.csv))
		require.Error(t, err, tc.reason)
		assert.Contains(t, err.Error(), tc.want, tc.reason)
		assert.True(t, strings.HasPrefix(err.Error(), "load councils: "), tc.reason)
		if tc.line == 0 {
			continue
		}
		var pe *csv.ParseError
		if assert.ErrorAs(t, err, &pe, tc.reason) {
			assert.Equal(t, tc.line, pe.Line, tc.reason)
			if tc.column != 0 {
				assert.Equal(t, tc.column, pe.Column, tc.reason)
			}
		}
	}
}

func TestLoadRegistrySmall(t *testing.T) {
	t.Parallel()
	// A BOM, a terminated council whose successors are partly missing, and CRLF line ends.
	in := "\ufeff" + strings.ReplaceAll(csvHeader+
		"E10000006,Cumbria,01/01/2009,31/03/2023,E12000002,E10,Counties,terminated,909\r\n"+
		"E06000063,Cumberland,01/04/2023,,E12000002,E06,Unitary Authorities,live,942\r\n", "\n", "\r\n")
	reg, err := LoadRegistry(strings.NewReader(in))
	require.NoError(t, err)
	c, ok := reg.Lookup("909")
	require.True(t, ok)
	assert.Equal(t, []string{"942"}, c.Successors, "943 is not in this list, so it is not named")
	assert.Len(t, reg.Live(), 1)
	var e *Error
	require.ErrorAs(t, reg.CheckNewResponsibility("909"), &e)
	assert.Equal(t, CodeLATerminated, e.Code)
	assert.Equal(t, []string{"942"}, e.Successors)
}

// TestCouncilRegions checks that every LIVE council lies in one of the nine English regions, as
// the readiness dashboard groups them, with the counts of the embedded list.
func TestCouncilRegions(t *testing.T) {
	t.Parallel()
	counts := map[string]int{}
	for _, c := range Councils().Live() {
		require.NotEmpty(t, RegionName(c.Region), "council %s %s has region %q", c.DfeCode, c.Name, c.Region)
		counts[RegionName(c.Region)]++
	}
	assert.Equal(t, map[string]int{
		"North East": 12, "North West": 24, "Yorkshire and The Humber": 15, "East Midlands": 10,
		"West Midlands": 14, "East of England": 11, "London": 33, "South East": 19, "South West": 15,
	}, counts)
	assert.Equal(t, "London", RegionName("E12000007"))
	assert.Empty(t, RegionName("E12000010"), "not a region")
	reg, err := LoadRegistry(strings.NewReader("new_la_code,la_name,date_of_operation,date_of_termination,status,old_la_code\nE09000007,Camden,01/01/2009,,live,202\n"))
	require.NoError(t, err, "the region column is optional")
	c, _ := reg.Lookup("202")
	assert.Empty(t, c.Region)
}
