package simulators

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/icscert/icscert/spec"
)

// Bound is a profile's quirks bound to one simulated system: Handler wraps the system's API
// (its inbound traffic) and Client its outgoing deliveries (transfer packages, outcomes and
// webhooks). The two share what the quirks learn on the way, such as the webhook secrets a
// quirk that rewrites a webhook needs to sign it again, so use both for the same system and
// bind each system once. A Bound is safe for concurrent use.
type Bound struct {
	profile Profile
	cfg     Config
}

// Bind binds the profile's quirks, configured by cfg, to a new system. It fails if the
// profile names an unknown quirk.
func (p Profile) Bind(cfg Config) (*Bound, error) {
	for _, id := range p.Quirks {
		if _, ok := LookupQuirk(id); !ok {
			return nil, fmt.Errorf("profile %s: unknown quirk %q", p, id)
		}
	}
	if slices.ContainsFunc(p.Quirks, func(id string) bool { q, _ := LookupQuirk(id); return q.secrets }) {
		cfg.secrets = &secretBook{}
	}
	return &Bound{profile: p.clone(), cfg: cfg}, nil
}

// Handler returns next (normally a reference.Server's handler) behind the profile's quirks,
// with GET /v1/meta naming the simulated product. It is safe for concurrent use if next is.
func (b *Bound) Handler(next http.Handler) http.Handler {
	if b.cfg.secrets != nil {
		next = b.cfg.secrets.record(next)
	}
	h, err := Wrap(b.profile.identify(next), b.cfg, b.profile.Quirks...)
	if err != nil {
		panic("simulators: Bind checked the quirks: " + err.Error())
	}
	return h
}

// Client returns the client the system sends its deliveries with: base with the profile's
// quirks of outgoing traffic on its transport, in the order of Quirks (outermost first). base
// itself is returned, unchanged, when the profile has no such quirk; nil base stands for a
// client with a 10-second timeout over http.DefaultTransport, and is returned as nil when
// there is nothing to wrap, so that the reference picks its own default.
func (b *Bound) Client(base *http.Client) *http.Client {
	var wrappers []func(http.RoundTripper) http.RoundTripper
	for _, q := range registry {
		if q.transport != nil && slices.Contains(b.profile.Quirks, q.ID) {
			wrappers = append(wrappers, q.Transport(b.cfg))
		}
	}
	if len(wrappers) == 0 {
		return base
	}
	c := &http.Client{Timeout: defaultDeliveryTimeout}
	if base != nil {
		cp := *base
		c = &cp
	}
	rt := c.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	for i := len(wrappers) - 1; i >= 0; i-- {
		rt = wrappers[i](rt)
	}
	c.Transport = rt
	return c
}

// defaultDeliveryTimeout is the timeout of the client Client makes when given none: the
// reference's own default.
const defaultDeliveryTimeout = 10 * time.Second

// maxSecrets bounds the webhook secrets a system remembers; the oldest is forgotten first.
const maxSecrets = 1024

// secretBook remembers the secrets of the webhook subscriptions made through a system's
// handler, as the product itself keeps them, so that a quirk that rewrites a webhook can sign
// what it sends. Subscriptions made before the system started (a persistent store) are not in
// the book; their webhooks are sent as the reference made them.
type secretBook struct {
	mu      sync.Mutex
	secrets []string
}

// record is a middleware that notes the secret of every subscription the system creates.
func (b *secretBook) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/subscriptions" || !isJSONBody(r.Header) {
			next.ServeHTTP(w, r)
			return
		}
		body, whole := readBody(r)
		if !whole {
			next.ServeHTTP(w, r)
			return
		}
		c := serveCaptured(next, withBody(r, body))
		if c.status == http.StatusCreated {
			if v, ok := decodeJSON(body); ok {
				if m, ok := v.(map[string]any); ok {
					if s, ok := m["secret"].(string); ok && s != "" {
						b.add(s)
					}
				}
			}
		}
		c.send(w)
	})
}

func (b *secretBook) add(secret string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if slices.Contains(b.secrets, secret) {
		return
	}
	if len(b.secrets) >= maxSecrets {
		b.secrets = b.secrets[1:]
	}
	b.secrets = append(b.secrets, secret)
}

// secretOf returns the secret whose signature of timestamp and body is signature.
func (b *secretBook) secretOf(timestamp string, body []byte, signature string) (string, bool) {
	if b == nil {
		return "", false
	}
	b.mu.Lock()
	secrets := slices.Clone(b.secrets)
	b.mu.Unlock()
	for _, s := range secrets {
		if spec.VerifyWebhook(s, timestamp, body, signature) {
			return s, true
		}
	}
	return "", false
}
