package harness

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	gherkin "github.com/cucumber/gherkin/go/v42"
	"github.com/cucumber/godog"
	messages "github.com/cucumber/messages/go/v34"

	"github.com/icscert/icscert/features"
	"github.com/icscert/icscert/spec"
	"github.com/icscert/icscert/steps"
)

// Tag conventions of the suite.
const (
	tagPositive      = "@positive"
	tagNegative      = "@negative"
	capabilityPrefix = "@cap-"
	// tagExclusive marks a scenario that must run alone, such as a load check.
	tagExclusive = "@exclusive"
)

// suiteScenario is one scenario (one pickle: an outline gives one per example row) of the
// embedded suite, as parsed before any run.
type suiteScenario struct {
	ID           string // features/meta.feature:7
	Feature      string
	Name         string
	Tags         []string // with "@"
	Requirements []string // catalogue ids, in tag order
	Negative     bool     // @negative (else @positive)
	Capabilities []string // names from @cap-<name>
}

// suite is the parsed embedded suite: the feature files to hand to godog and their scenarios
// in file and line order.
type suite struct {
	files     []godog.Feature
	scenarios []suiteScenario
}

// loadSuite parses every .feature file of fsys (paths reported under root) and checks the
// suite's conventions against the catalogue of c. Every problem is reported at once; any is a
// suite error (CONFIG).
func loadSuite(fsys fs.FS, root string, c *spec.Contract) (*suite, error) {
	var s suite
	var errs []error
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(p, ".feature") {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		uri := path.Join(root, p)
		s.files = append(s.files, godog.Feature{Name: uri, Contents: data})
		doc, err := gherkin.ParseGherkinDocument(bytes.NewReader(data), (&messages.Incrementing{}).NewId)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", uri, err))
			return nil
		}
		if doc.Feature == nil {
			return nil
		}
		for _, p := range gherkin.Pickles(*doc, uri, (&messages.Incrementing{}).NewId) {
			sc, err := newSuiteScenario(doc.Feature.Name, p, c)
			if err != nil {
				errs = append(errs, err)
			}
			s.scenarios = append(s.scenarios, sc)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load suite: %w", err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("load suite: %w", err)
	}
	if len(s.scenarios) == 0 {
		return nil, errors.New("load suite: no scenarios")
	}
	sort.SliceStable(s.scenarios, func(i, j int) bool { return scenarioLess(s.scenarios[i].ID, s.scenarios[j].ID) })
	return &s, nil
}

func newSuiteScenario(feature string, p *messages.Pickle, c *spec.Contract) (suiteScenario, error) {
	sc := suiteScenario{ID: steps.ScenarioID(p), Feature: feature, Name: p.Name}
	var errs []error
	var positive, negative bool
	for _, t := range p.Tags {
		sc.Tags = append(sc.Tags, t.Name)
		switch {
		case t.Name == tagPositive:
			positive = true
		case t.Name == tagNegative:
			negative = true
		case strings.HasPrefix(t.Name, capabilityPrefix):
			name := strings.TrimPrefix(t.Name, capabilityPrefix)
			if !capabilityRe.MatchString(name) {
				errs = append(errs, fmt.Errorf("tag %s: not a capability name", t.Name))
				continue
			}
			sc.Capabilities = appendUnique(sc.Capabilities, name)
		default:
			id := spec.RequirementTag(t.Name)
			if id == "" {
				continue
			}
			if _, ok := c.Requirement(id); !ok {
				errs = append(errs, fmt.Errorf("tag %s: %s is not in the requirement catalogue", t.Name, id))
				continue
			}
			sc.Requirements = appendUnique(sc.Requirements, id)
		}
	}
	sc.Negative = negative
	if len(sc.Requirements) == 0 {
		errs = append(errs, errors.New("no requirement tag (e.g. @READ-001)"))
	}
	if positive == negative {
		errs = append(errs, errors.New("needs exactly one of @positive and @negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return sc, fmt.Errorf("scenario %s %q: %w", sc.ID, sc.Name, err)
	}
	return sc, nil
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// scenarioLess orders scenario ids by file, then numerically by line.
func scenarioLess(a, b string) bool {
	fa, la := splitScenarioID(a)
	fb, lb := splitScenarioID(b)
	if fa != fb {
		return fa < fb
	}
	return la < lb
}

func splitScenarioID(id string) (file string, line int) {
	i := strings.LastIndexByte(id, ':')
	if i < 0 {
		return id, 0
	}
	for _, r := range id[i+1:] {
		line = line*10 + int(r-'0')
	}
	return id[:i], line
}

// capabilities returns every capability some scenario of the suite needs, sorted.
func (s *suite) capabilities() []string {
	var caps []string
	for _, sc := range s.scenarios {
		for _, c := range sc.Capabilities {
			caps = appendUnique(caps, c)
		}
	}
	sort.Strings(caps)
	return caps
}

// embeddedSuite loads the suite compiled into the binary.
func embeddedSuite(c *spec.Contract) (*suite, error) {
	return loadSuite(features.FS, features.Root, c)
}

// any reports whether e selects at least one scenario of the suite.
func (s *suite) any(e TagExpr) bool {
	for _, sc := range s.scenarios {
		if e.Match(sc.Tags) {
			return true
		}
	}
	return false
}
