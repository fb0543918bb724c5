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
// answers 200 within timeout with a Meta document (at most maxMetaBody bytes) whose apiVersion
// has the contract's major version. It returns the published metadata, or a *PreflightError:
// CONFIG for a 404 (baseUrl is not the API root) or another major version; ERROR for anything
// else that makes the target untestable (no answer, garbage, a redirect, another status, an
// oversize or malformed body), naming the cause.
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
		return nil, errorf(reports.Error, "GET %s: %s", url, transportProblem(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxMetaBody+1))
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, errorf(reports.Error, "GET %s: the answer did not end within %s: the target is not answering", url, timeout)
	case err != nil:
		return nil, errorf(reports.Error, "GET %s: the answer broke off: %s", url, steps.ClipError(err.Error()))
	case len(body) > maxMetaBody:
		return nil, errorf(reports.Error, "GET %s: the answer is larger than %d KiB (the harness's bound for the metadata)", url, maxMetaBody>>10)
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		return nil, errorf(reports.Error, "GET %s answered %d, a redirect to %q: the harness follows no redirects; give the final URL as baseUrl",
			url, resp.StatusCode, steps.Clip(resp.Header.Get("Location"), 200))
	case resp.StatusCode == http.StatusNotFound:
		return nil, errorf(reports.Config, "GET %s answered 404, not 200: is baseUrl the root of the Child Record Exchange API?", url)
	case resp.StatusCode >= 500:
		return nil, errorf(reports.Error, "GET %s answered %d: the target is not ready", url, resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, errorf(reports.Error, "GET %s answered %d, not 200: the target cannot be tested", url, resp.StatusCode)
	}
	var meta spec.Meta
	if err := json.Unmarshal(body, &meta); err != nil {
		return nil, errorf(reports.Error, "GET %s answered 200 with a body that is not a Meta document (%s): %s",
			url, steps.Clip(resp.Header.Get("Content-Type"), 100), steps.ClipError(err.Error()))
	}
	if meta.APIVersion == "" {
		return nil, errorf(reports.Error, "GET %s answered 200 with a Meta document without an apiVersion", url)
	}
	if want := steps.Major(c.Version); steps.Major(meta.APIVersion) != want {
		return nil, errorf(reports.Config, "the target implements API version %s; this suite certifies version %s.x (contract %s)",
			steps.Clip(meta.APIVersion, 40), want, c.Version)
	}
	return &meta, nil
}

// maxMetaBody bounds the metadata document preflight reads.
const maxMetaBody = 256 << 10

// transportProblem explains a failed request in the user's terms: garbage instead of HTTP,
// oversize headers, a reset connection, or an unreachable target.
func transportProblem(err error) string {
	msg := steps.ClipError(err.Error())
	switch {
	case strings.Contains(msg, "malformed HTTP"), strings.Contains(msg, "malformed MIME"):
		return "the target answered something that is not HTTP (" + msg + ")"
	case strings.Contains(msg, "response headers exceeded"):
		return fmt.Sprintf("the target's response headers are larger than %d KiB, the harness's bound (%s)", steps.MaxResponseHeaderBytes>>10, msg)
	case strings.Contains(msg, "connection reset"), strings.Contains(msg, "EOF"),
		strings.Contains(msg, "server closed idle connection"):
		// The last is how net/http reports a close it saw on a connection it had pooled: the
		// same hang-up, only noticed before the request was written.
		return "the target closed the connection without an answer (" + msg + ")"
	}
	return "the target is unreachable: " + msg
}
