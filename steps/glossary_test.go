package steps

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is a glossary that notes each step pattern and the registerX that defines it.
type recorder struct {
	lines []string
	seen  map[string]string
	dups  []string
}

func (r *recorder) Step(expr, _ any) {
	var pattern string
	switch e := expr.(type) {
	case string:
		pattern = e
	case *regexp.Regexp:
		pattern = e.String()
	default:
		pattern = fmt.Sprint(e)
	}
	owner := "?"
	// The caller of define is the registerX that owns the step (define, then Step).
	for skip := 1; skip < 5; skip++ {
		pc, _, _, ok := runtime.Caller(skip)
		if !ok {
			break
		}
		name := runtime.FuncForPC(pc).Name()
		name = name[strings.LastIndexByte(name, '.')+1:]
		if strings.HasPrefix(name, "register") {
			owner = name
			break
		}
	}
	if prev, ok := r.seen[pattern]; ok {
		r.dups = append(r.dups, pattern+" ("+prev+", "+owner+")")
	}
	r.seen[pattern] = owner
	r.lines = append(r.lines, pattern+"\t"+owner)
}

// TestStepGlossary lists every step pattern of the suite, sorted so that near-duplicate
// phrasings stand next to each other in review, with the registerX that defines it. Refresh
// testdata/glossary.golden with -update and read its diff.
func TestStepGlossary(t *testing.T) {
	r := &recorder{seen: map[string]string{}}
	register(r)
	require.NotEmpty(t, r.lines)
	assert.Empty(t, r.dups, "a pattern is registered twice")
	sort.Strings(r.lines)
	got := "# Every step pattern of the suite and the function that registers it (go test ./steps -run TestStepGlossary -update).\n" +
		strings.Join(r.lines, "\n") + "\n"
	path := filepath.Join("testdata", "glossary.golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create it")
	assert.Equal(t, string(want), got, "the step glossary changed: run with -update and review the diff")
}
