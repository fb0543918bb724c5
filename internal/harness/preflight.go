package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/icscert/icscert/reports"
	"github.com/icscert/icscert/spec"
	"github.com/icscert/icscert/steps"
)

// PreflightError says why a target cannot be tested at all. Verdict is reports.Error when the
// target did not answer usefully (unreachable, timed out, a 5xx) and reports.Config when the
// set-up is wrong (the URL does not serve the API, or the system implements another major
// version). A preflight failure is never a FAIL.
type PreflightError struct {
	Verdict reports.Verdict
	Err     error
}

func (e *PreflightError) Error() string { return "preflight: " + e.Err.Error() }

// Unwrap returns the cause.
func (e *PreflightError) Unwrap() error { return e.Err }

// Preflight checks that the target at baseURL can be tested against contract c: GET /v1/meta
// answers 200 within timeout with a Meta document whose apiVersion has the contract's major
// version. It returns the published metadata, or a *PreflightError.
func Preflight(ctx context.Context, client *http.Client, baseURL string, c *spec.Contract, timeout time.Duration) (*spec.Meta, error) {
	errorf := func(v reports.Verdict, format string, args ...any) error {
		return &PreflightError{Verdict: v, Err: fmt.Errorf(format, args...)}
	}
	url := strings.TrimRight(baseURL, "/") + "/v1/meta"
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, errorf(reports.Config, "GET %s: %w", url, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, errorf(reports.Error, "GET %s: no response within %s: the target is not answering", url, timeout)
		}
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, errorf(reports.Error, "GET %s: the target is unreachable: %w", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, errorf(reports.Error, "GET %s: read the answer: %w", url, err)
	}
	switch {
	case resp.StatusCode >= 500:
		return nil, errorf(reports.Error, "GET %s answered %d: the target is not ready", url, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, errorf(reports.Config, "GET %s answered %d, not 200: is baseUrl the root of the Child Record Exchange API?", url, resp.StatusCode)
	}
	var meta spec.Meta
	if err := json.Unmarshal(body, &meta); err != nil || meta.APIVersion == "" {
		return nil, errorf(reports.Config, "GET %s did not return a Meta document with an apiVersion: is baseUrl the root of the API?", url)
	}
	if want := steps.Major(c.Version); steps.Major(meta.APIVersion) != want {
		return nil, errorf(reports.Config, "the target implements API version %s; this suite certifies version %s.x (contract %s)",
			meta.APIVersion, want, c.Version)
	}
	return &meta, nil
}
