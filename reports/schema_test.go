package reports

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// thirdPartySchema returns the path of a consumer's schema in ../shared/schemas beside the
// repository (third party, not ours to copy). Without the folder the test is skipped, unless
// ICSCERT_REQUIRE_SCHEMAS=1 (CI), which makes a missing schema a failure.
func thirdPartySchema(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join("..", "..", "shared", "schemas", name)
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("ICSCERT_REQUIRE_SCHEMAS") == "1" {
			t.Fatalf("ICSCERT_REQUIRE_SCHEMAS=1 but %v", err)
		}
		t.Skipf("%v; ICSCERT_REQUIRE_SCHEMAS=1 makes this a failure", err)
	}
	return path
}

func render(t *testing.T, write func(*bytes.Buffer, *Report) error, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, write(&b, r))
	return b.Bytes()
}

func TestReportJSONMatchesItsSchema(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			data := render(t, func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) }, fx.build(t))
			assert.NoError(t, ValidateJSON(data), fx.reason)
		})
	}
	bad := []struct{ reason, doc string }{
		{"an unknown run verdict", `{"schemaVersion":"1.1","verdict":"GREEN"}`},
		{"no headline", `{"schemaVersion":"1.1","verdict":"PASS"}`},
	}
	for _, c := range bad {
		assert.Error(t, ValidateJSON([]byte(c.doc)), c.reason)
	}
}

func TestCucumberJSONMatchesCucumberJVMSchema(t *testing.T) {
	path := thirdPartySchema(t, "cucumber-json-cucumber-jvm.schema.json")
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("cucumber-jvm.json", doc))
	sch, err := c.Compile("cucumber-jvm.json")
	require.NoError(t, err)
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			data := render(t, func(b *bytes.Buffer, r *Report) error { return WriteCucumber(b, r) }, fx.build(t))
			v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			require.NoError(t, err)
			assert.NoError(t, sch.Validate(v), fx.reason)
		})
	}
}

// TestJUnitMatchesJenkinsSchema validates junit.xml against junit-10.xsd, the schema of the
// Jenkins xUnit plugin, with xmllint (Debian's libxml2-utils, installed by .ci/run).
func TestJUnitMatchesJenkinsSchema(t *testing.T) {
	xsd := thirdPartySchema(t, "junit-10.xsd")
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("ICSCERT_REQUIRE_SCHEMAS") == "1" {
			t.Fatal("ICSCERT_REQUIRE_SCHEMAS=1 but xmllint is missing (apt-get install libxml2-utils)")
		}
		t.Skip("no xmllint (apt-get install libxml2-utils); ICSCERT_REQUIRE_SCHEMAS=1 makes this a failure")
	}
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), JUnitFile)
			require.NoError(t, os.WriteFile(file, render(t, func(b *bytes.Buffer, r *Report) error { return WriteJUnit(b, r) }, fx.build(t)), 0o644))
			out, err := exec.Command(xmllint, "--noout", "--schema", xsd, file).CombinedOutput()
			assert.NoError(t, err, "%s\n%s", fx.reason, out)
		})
	}
}
