package steps

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Equal(t, string(want), got)
}

func TestRedactorBodies(t *testing.T) {
	cases := []struct {
		name        string
		reason      string
		contentType string
		body        string
	}{
		{
			name:        "child record",
			reason:      "every personal field of a ChildRecord is replaced by key; ids, codes and the council's name stay",
			contentType: "application/json",
			body: `{"id":"c0ffee00-1111","version":3,"status":"ACTIVE","name":{"given":["Zoë","Amara"],"family":"O'Neill-Ibáñez"},` +
				`"formerNames":[{"given":["Zoe"],"family":"Smith"}],"gender":"FEMALE","dateOfBirth":"2015-12-31",` +
				`"identifiers":[{"system":"NHS_NUMBER","value":"9990000018","status":"CURRENT","verified":true},` +
				`{"system":"UPN","value":"B801200005001","verified":true}],` +
				`"address":{"lines":["1 Synthetic Street","Flat 2"],"town":"Testbury","postcode":"ZU1 1AA"},` +
				`"responsibleLa":{"dfeCode":"202","gssCode":"E09000007","name":"Camden"},` +
				`"parentsCarers":[{"name":{"given":["Ada"],"family":"O'Neill"},"relationship":"MOTHER",` +
				`"contact":{"phone":"07700 900123","email":"ada@example.org"}}]}`,
		},
		{
			name:        "quirky dates",
			reason:      "a date of birth in the wrong format keeps its shape so that READ-004 evidence stays readable",
			contentType: "application/json; charset=utf-8",
			body:        `{"id":"x1","dateOfBirth":"31/12/2015","expectedDateOfBirth":20160101,"dateOfDeath":null}`,
		},
		{
			name:        "involvement",
			reason:      "a practitioner's name and contact are personal; the organisation's name is not",
			contentType: "application/json",
			body: `{"id":"i1","serviceType":"GP","organisation":{"name":"Synthetic Surgery (TEST)","contact":{"phone":"01632 960001"}},` +
				`"practitioner":{"name":"Dr Priya Raman","role":"GP","contact":{"email":"p.raman@example.org"}}}`,
		},
		{
			name:        "search request",
			reason:      "search criteria are personal data",
			contentType: "application/json",
			body:        `{"familyName":"Nguyễn","givenName":"Anh","dateOfBirthFrom":"2015-01-01","dateOfBirthTo":"2015-12-31","postcode":"ZW9 9ZZ","nhsNumber":"999 000 0018","upn":"R20299992500A"}`,
		},
		{
			name:        "meta",
			reason:      "code-system names are not people's names",
			contentType: "application/json",
			body:        `{"apiVersion":"1.0.0","codeSystems":[{"name":"gender","version":"2024.1"}],"capabilities":[]}`,
		},
		{
			name:        "problem with free text",
			reason:      "identifiers and postcodes in free text are found by pattern; HTML-like text is not escaped",
			contentType: "application/problem+json",
			body:        `{"type":"https://icscert.example/problems/invalid-nhs-number","title":"The NHS number is not valid","status":422,"code":"INVALID_NHS_NUMBER","detail":"9991234561 <or> 999 123 4561 at ZX1 2AB, UPN b801200005001","correlationId":"icscert.abc.1"}`,
		},
		{
			name:        "stack trace",
			reason:      "a text/plain error body is redacted by pattern, and a leaked token is always removed",
			contentType: "text/plain",
			body:        "panic: child 9990000026 at SW1A 1AA\nAuthorization: Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl\n\tat main.go:12",
		},
		{
			name:        "malformed json",
			reason:      "a body that claims JSON but is not is redacted as text",
			contentType: "application/json",
			body:        `{"dateOfBirth": "2015-12-31", "nhs": 9990000018`,
		},
	}
	var b strings.Builder
	for _, personal := range []bool{true, false} {
		r := Redactor{Personal: personal}
		for _, c := range cases {
			fmt.Fprintf(&b, "== %s (personal=%v): %s\n%s\n\n", c.name, personal, c.reason, r.Body(c.contentType, []byte(c.body)))
		}
	}
	golden(t, "redact.golden", b.String())
}

func TestRedactorHeadersAndValues(t *testing.T) {
	h := http.Header{
		"Authorization":        {"Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"},
		"X-Break-Glass-Reason": {"child 9990000034 seen at ZU1 1AA"},
		"X-Correlation-Id":     {"icscert.abc.1"},
		"Set-Cookie":           {"session=secret"},
	}
	cases := []struct {
		reason   string
		personal bool
		header   string
		want     string
	}{
		{"a bearer token is removed even without personal redaction", false, "Authorization", "Bearer [redacted:token]"},
		{"a bearer token is removed with personal redaction", true, "Authorization", "Bearer [redacted:token]"},
		{"free-text headers are redacted by pattern", true, "X-Break-Glass-Reason", "child [redacted:nhs-number 9999999999] seen at [redacted:postcode AA9 9AA]"},
		{"free-text headers are kept without personal redaction", false, "X-Break-Glass-Reason", "child 9990000034 seen at ZU1 1AA"},
		{"correlation ids survive", true, "X-Correlation-Id", "icscert.abc.1"},
		{"cookies are always removed", false, "Set-Cookie", "[redacted:cookie]"},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			got := Redactor{Personal: c.personal}.Headers(h)
			assert.Equal(t, c.want, got[c.header], c.reason)
		})
	}

	values := []struct {
		reason string
		ptr    string
		value  string
		want   string
	}{
		{"a date of birth keeps its shape", "/dateOfBirth", `"31/12/2015"`, "[redacted:date 99/99/9999]"},
		{"a parent's family name goes", "/parentsCarers/0/name/family", `"O'Neill"`, "[redacted:name]"},
		{"an identifier value keeps its shape", "/identifiers/1/value", `"B801200005001"`, "[redacted:identifier A999999999999]"},
		{"a code is not personal", "/gender", `"M"`, `"M"`},
		{"absent stays absent", "/dateOfBirth", absent, absent},
		{"a council name is not personal", "/responsibleLa/name", `"Camden"`, `"Camden"`},
	}
	for _, c := range values {
		t.Run(c.reason, func(t *testing.T) {
			assert.Equal(t, c.want, Redactor{Personal: true}.Value(c.ptr, c.value), c.reason)
		})
	}
}
