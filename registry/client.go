package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/icscert/icscert/registry/store"
)

// ErrUnreachable wraps every error of a Client that means the registry could not be reached
// or did not answer in the API's terms.
var ErrUnreachable = errors.New("registry unreachable")

// Client calls a registry. Its zero HTTP client means http.DefaultClient. It is safe for
// concurrent use.
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
}

// Submit sends a bundle for product at version. It returns the stored submission, or a
// *Problem for a refusal (with the rejected submission when the bundle failed a check).
func (c *Client) Submit(ctx context.Context, product, version string, bundleJSON []byte) (*store.Submission, error) {
	body, err := json.Marshal(map[string]any{"product": product, "version": version, "bundle": json.RawMessage(bundleJSON)})
	if err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	var sub store.Submission
	if err := c.do(ctx, http.MethodPost, "/v1/certificates", body, &sub); err != nil {
		return nil, fmt.Errorf("submit: %w", err)
	}
	return &sub, nil
}

// CanIDeploy asks whether product at version may be deployed (at council, if not "").
func (c *Client) CanIDeploy(ctx context.Context, product, version, council string) (*Answer, error) {
	q := url.Values{"product": {product}, "version": {version}}
	if council != "" {
		q.Set("council", council)
	}
	var ans Answer
	if err := c.do(ctx, http.MethodGet, "/v1/can-i-deploy?"+q.Encode(), nil, &ans); err != nil {
		return nil, fmt.Errorf("can-i-deploy: %w", err)
	}
	return &ans, nil
}

// Readiness fetches the national readiness as of asOf (the zero time: now).
func (c *Client) Readiness(ctx context.Context, asOf time.Time) (*Readiness, error) {
	path := "/v1/readiness"
	if !asOf.IsZero() {
		path += "?" + url.Values{"asOf": {asOf.UTC().Format(time.RFC3339)}}.Encode()
	}
	var r Readiness
	if err := c.do(ctx, http.MethodGet, path, nil, &r); err != nil {
		return nil, fmt.Errorf("readiness: %w", err)
	}
	return &r, nil
}

// Post sends body as JSON to path and decodes the answer into out; for tests and tools.
func (c *Client) Post(ctx context.Context, path string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPost, path, data, out)
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.BaseURL, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	if resp.StatusCode >= 400 {
		var p Problem
		if json.Unmarshal(data, &p) == nil && p.Code != "" {
			return &p
		}
		return fmt.Errorf("%w: %s %s answered %d", ErrUnreachable, method, path, resp.StatusCode)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: %s %s: %w", ErrUnreachable, method, path, err)
	}
	return nil
}
