package harness

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseTarget(t *testing.T) {
	good := `name: Camden sandbox
baseUrl: http://127.0.0.1:8080
vendor: Example Ltd
product: CaseBook
version: 4.2.0
councils: ["202", "201"]
capabilities:
  supported: [test-clock]
  unsupported: [webhooks]
auth:
  audience: child-record-exchange
exchange:
  advertise: http://host.docker.internal:4000
  clientId: camden
  clientSecret: sandbox-secret
`
	tgt, err := ParseTarget([]byte(good))
	require.NoError(t, err)
	assert.Equal(t, Exchange{Advertise: "http://host.docker.internal:4000", ClientID: "camden", ClientSecret: "sandbox-secret"}, tgt.Exchange)
	assert.Equal(t, "Camden sandbox", tgt.Name)
	assert.Equal(t, []string{"202", "201"}, tgt.Councils)
	assert.True(t, tgt.Supports("test-clock"))
	assert.False(t, tgt.Supports("webhooks"))

	cases := []struct {
		reason string
		yaml   string
		want   []string // every fragment must appear in the error
	}{
		{
			"an unknown key names the key and its line", "name: x\nbaseUrl: http://h\nbaseURL: http://h\n",
			[]string{"line 3", `unknown key "baseURL"`},
		},
		{
			"an unknown nested key names the key and its line", "name: x\nbaseUrl: http://h\ncapabilities:\n  supportd: [a]\n",
			[]string{"line 4", `unknown key "supportd"`},
		},
		{"name and baseUrl are required", "vendor: v\n", []string{"name: is required", "baseUrl: is required"}},
		{
			"an unknown key of the exchange block names the key and its line", "name: x\nbaseUrl: http://h\nexchange:\n  advertize: http://h\n",
			[]string{"line 4", `unknown key "advertize"`},
		},
		{"exchange.advertise must be http(s)", "name: x\nbaseUrl: http://h\nexchange: {advertise: \"h:4000\"}\n", []string{"exchange.advertise:", "http or https"}},
		{"baseUrl, profile and image are alternatives", "name: x\nbaseUrl: http://h\nprofile: wrenfold\n", []string{"alternatives"}},
		{"an image and a profile are alternatives too", "name: x\nimage: a/b:1\nprofile: wrenfold\n", []string{"alternatives"}},
		{"baseUrl must be http(s)", "name: x\nbaseUrl: ftp://h\n", []string{"baseUrl:", "http or https"}},
		{"baseUrl has no query", "name: x\nbaseUrl: http://h/?a=1\n", []string{"baseUrl:", "query"}},
		{"a council is 3 digits", "name: x\nbaseUrl: http://h\ncouncils: [\"2020\"]\n", []string{"councils[0]", "3-digit"}},
		{"an unknown council", "name: x\nbaseUrl: http://h\ncouncils: [\"999\"]\n", []string{"councils[0]", "INVALID_LA_CODE"}},
		{"a terminated council cannot be served", "name: x\nbaseUrl: http://h\ncouncils: [\"202\", \"909\"]\n", []string{"councils[1]", "LA_TERMINATED"}},
		{"a council listed twice", "name: x\nbaseUrl: http://h\ncouncils: [\"202\", \"202\"]\n", []string{"councils[1]", "twice"}},
		{
			"a capability in both lists", "name: x\nbaseUrl: http://h\ncapabilities: {supported: [a], unsupported: [a]}\n",
			[]string{"capabilities.unsupported[0]", "already declared"},
		},
		{
			"a capability name is kebab-case", "name: x\nbaseUrl: http://h\ncapabilities: {supported: [Test_Clock]}\n",
			[]string{"capabilities.supported[0]"},
		},
		{"an empty file", "", []string{"empty"}},
		{"a wrong type names its line", "name: x\nbaseUrl: http://h\ncouncils: 202\n", []string{"line 3"}},
	}
	for _, c := range cases {
		t.Run(c.reason, func(t *testing.T) {
			_, err := ParseTarget([]byte(c.yaml))
			require.Error(t, err, c.reason)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w, c.reason)
			}
		})
	}
}

func TestLoadTargetNamesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "target.yaml")
	require.NoError(t, os.WriteFile(path, []byte("name: x\nbaseUrl: http://h\ncolour: blue\n"), 0o644))
	_, err := LoadTarget(path)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), `line 3: unknown key "colour"`)

	_, err = LoadTarget(filepath.Join(t.TempDir(), "missing.yaml"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestTargetStart(t *testing.T) {
	unresolved, err := ParseTarget([]byte("name: x\nprofile: wrenfold\n"))
	require.NoError(t, err, "a profile stands in for baseUrl")
	_, _, err = unresolved.Start(context.Background(), Trust{})
	require.Error(t, err, "a profile nobody resolved cannot start")
	assert.Contains(t, err.Error(), "nothing was set up to start it")

	byURL := &Target{Name: "x", BaseURL: "http://h"}
	url, stop, err := byURL.Start(context.Background(), Trust{})
	require.NoError(t, err)
	assert.Equal(t, "http://h", url)
	stop()

	stopped := 0
	var trusted Trust
	started := &Target{Name: "sim", Starter: StartFunc(func(_ context.Context, tr Trust) (string, func(), error) {
		trusted = tr
		return "http://127.0.0.1:9/", func() { stopped++ }, nil
	})}
	require.NoError(t, started.Validate(), "a started target needs no baseUrl")
	url, stop, err = started.Start(context.Background(), Trust{JWKS: []byte(`{"keys":[]}`)})
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9", url)
	assert.JSONEq(t, `{"keys":[]}`, string(trusted.JWKS), "the starter is handed the keys")
	stop()
	assert.Equal(t, 1, stopped)

	bad := &Target{Name: "sim", Starter: StartFunc(func(context.Context, Trust) (string, func(), error) {
		return "not a url", func() { stopped++ }, nil
	})}
	_, _, err = bad.Start(context.Background(), Trust{})
	require.Error(t, err)
	assert.Equal(t, 2, stopped, "a starter whose URL is unusable is stopped")
}
