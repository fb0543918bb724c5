package fleet

import (
	"context"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/icscert/icscert/internal/harness"
	"github.com/icscert/icscert/reference/store/sqlite"
	"github.com/icscert/icscert/simulators"
	"github.com/icscert/icscert/steps"
)

// scannedSystems is the representative subset the personal-data scan certifies by default: the
// reference, and the products whose defects put the most personal data into evidence (a record
// shown beyond its tier, dates in another format on every response, names mangled, NHS numbers
// with spaces, a shield lost in a transfer). ICSCERT_LONG=1 scans every system.
var scannedSystems = []string{"thistlegate@2.0", "kinledger@3.3", "quillmere@4.0", "tarnline@1.0", "tarnline@1.2"}

// TestReportsHoldNoGeneratedPersonalData certifies systems with the reports written as `make
// demo` and the calibration write them, and scans every file of every run for every value the
// run's fixtures generated or its steps sent (names, dates of birth, addresses, contacts,
// identifiers, schools and GPs), as whole words, in each file's text and with HTML and XML
// character references decoded. The suite's own text (step texts and examples, quoted by every
// format) is not sought. One value found anywhere fails the test, naming the file and line but
// not the value.
func TestReportsHoldNoGeneratedPersonalData(t *testing.T) {
	type scan struct {
		system System
		redact bool // false for the control run, whose evidence must be found
		dir    string
		ledger *steps.Ledger
		days   []string // the days the run spanned, UTC
	}
	var scans []*scan
	add := func(s System, redact bool) {
		dir := s.Name
		if !redact {
			dir += ".unredacted"
		}
		scans = append(scans, &scan{system: s, redact: redact, dir: dir, ledger: &steps.Ledger{}})
	}
	add(Reference(sqlite.Memory), true)
	for _, p := range simulators.Profiles() {
		if os.Getenv("ICSCERT_LONG") == "1" || slices.Contains(scannedSystems, p.String()) {
			add(Simulated(p), true)
		}
		if p.String() == scannedSystems[0] {
			add(Simulated(p), false) // the control: the scan must find what redaction would remove
		}
	}
	out := t.TempDir()
	var wg sync.WaitGroup
	sem := make(chan struct{}, testParallel)
	for _, sc := range scans {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			rep, err := harness.Run(context.Background(), harness.Config{
				Target: sc.system.Target, OutDir: filepath.Join(out, sc.dir), Redact: sc.redact, Ledger: sc.ledger,
			})
			if assert.NoError(t, err, sc.dir) {
				sc.days = []string{rep.StartedAt.UTC().Format(time.DateOnly), rep.FinishedAt.UTC().Format(time.DateOnly)}
			}
		})
	}
	wg.Wait()

	suite := suiteText(t)
	for _, sc := range scans {
		t.Run(sc.dir, func(t *testing.T) {
			require.Positive(t, sc.ledger.Len(), "the run generated personal data to look for")
			l := withoutSuiteText(sc.ledger, append(suite, sc.days...))
			dir := filepath.Join(out, sc.dir)
			files, found := 0, 0
			err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				files++
				b, err := os.ReadFile(path)
				if err != nil {
					return fmt.Errorf("read %s: %w", path, err)
				}
				rel, _ := filepath.Rel(dir, path)
				for n, line := range strings.Split(string(b), "\n") {
					if l.Redact(line) == line && l.Redact(html.UnescapeString(line)) == html.UnescapeString(line) {
						continue
					}
					found++
					if sc.redact {
						t.Errorf("%s line %d holds a value the run generated (%d values sought)", rel, n+1, l.Len())
					}
				}
				return nil
			})
			require.NoError(t, err)
			assert.GreaterOrEqual(t, files, 6, "every report format was written and scanned")
			if !sc.redact {
				assert.Positive(t, found, "the scan finds the personal data of a run that does not redact its evidence")
			}
			t.Logf("%s: %d files scanned for %d generated values; %d lines hold one", sc.dir, files, l.Len(), found)
		})
	}
}

// suiteText returns the text of the suite's feature files, as written and in upper case: the
// suite's own words, which the reports quote (step texts, examples) and which are never personal
// data, though an actor's alias ("Priya") or a name an example tests ("O'Connor-Hughes") may also
// be a value the run sent.
func suiteText(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "features", "*.feature"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "the feature files")
	var b strings.Builder
	for _, f := range files {
		text, err := os.ReadFile(f)
		require.NoError(t, err)
		b.Write(text)
	}
	return []string{b.String(), strings.ToUpper(b.String())}
}

// withoutSuiteText returns a ledger of the values of l that none of the texts holds: the suite's
// own text, and the days the run spanned (a date sent as "today" is also the date every report
// is stamped with, which is the run's, not a child's).
func withoutSuiteText(l *steps.Ledger, texts []string) *steps.Ledger {
	var keep []string
	for _, v := range l.Values() {
		if !slices.ContainsFunc(texts, func(text string) bool { return strings.Contains(text, v) }) {
			keep = append(keep, v)
		}
	}
	out := &steps.Ledger{}
	out.Add(keep)
	return out
}
