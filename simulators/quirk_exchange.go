package simulators

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/icscert/icscert/spec"
)

// This file holds the quirks of the exchange between systems (issue 7): the sender's defects
// wrap the transport of the product's outgoing deliveries, the receiver's are middleware on its
// inbound delivery route. Each touches only the deliveries it is about and passes everything
// else on byte for byte.

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// inboundTransfersPath is the path of the system-to-system delivery of a transfer package.
const inboundTransfersPath = "/v1/inbound/transfers"

// isPackageDelivery reports whether an outgoing request delivers a transfer package: an
// unsigned POST (not a webhook) to the receiver's inbound route, under whatever base path the
// directory names.
func isPackageDelivery(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, inboundTransfersPath) &&
		r.Header.Get(spec.HeaderWebhookSignature) == ""
}

// isWebhook reports whether an outgoing request is a webhook delivery: the reference signs
// every one, and sends nothing else with a webhook signature.
func isWebhook(r *http.Request) bool {
	return r.Method == http.MethodPost && r.Header.Get(spec.HeaderWebhookSignature) != ""
}

// outgoingBody reads an outgoing request's body, up to the rewrite limit. It returns the bytes
// and a request that still carries them all (a clone when the body was read), or ok false when
// the body is too large to rewrite (the returned request then yields every byte again).
func outgoingBody(r *http.Request) ([]byte, *http.Request, bool, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, r, true, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRewriteBody+1))
	if err != nil {
		_ = r.Body.Close()
		return nil, nil, false, fmt.Errorf("read delivery body: %w", err)
	}
	if len(b) > maxRewriteBody {
		r2 := r.Clone(r.Context())
		r2.Body = readCloser{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
		return nil, r2, false, nil
	}
	_ = r.Body.Close()
	return b, withBody(r, b), true, nil
}

// rewriteOutgoing is a transport wrapper that applies fn to the JSON body of the requests
// match selects, and hands the changed request to send (the original when fn changed
// nothing). send gets the body before and after.
func rewriteOutgoing(next http.RoundTripper, match func(*http.Request) bool, fn func(v any) bool, send sender) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if !match(r) {
			return next.RoundTrip(r)
		}
		before, r2, whole, err := outgoingBody(r)
		if err != nil {
			return nil, err
		}
		if !whole {
			return next.RoundTrip(r2)
		}
		v, ok := decodeJSON(before)
		if !ok || !fn(v) {
			return next.RoundTrip(r2)
		}
		return send(next, r2, before, encodeJSON(v))
	})
}

// sender sends a rewritten delivery: r carries the body as it came (before); after is what
// the quirk made of it.
type sender func(next http.RoundTripper, r *http.Request, before, after []byte) (*http.Response, error)

// sendAsIs sends the rewritten body as it is.
func sendAsIs(next http.RoundTripper, r *http.Request, _, after []byte) (*http.Response, error) {
	return next.RoundTrip(withBody(r, after))
}

// dropShielding makes a transfer package say the record is not shielded: the package's
// shielding and the record's own. It changes nothing for a package of an unshielded record.
func dropShielding(v any) bool {
	pkg, ok := v.(map[string]any)
	if !ok {
		return false
	}
	changed := unshield(pkg)
	if rec, ok := pkg["record"].(map[string]any); ok && unshield(rec) {
		changed = true
	}
	return changed
}

// unshield replaces obj's shielding by {"shielded": false} if it says shielded.
func unshield(obj map[string]any) bool {
	sh, ok := obj["shielding"].(map[string]any)
	if !ok || sh["shielded"] != true {
		return false
	}
	obj["shielding"] = map[string]any{"shielded": false}
	return true
}

// emptyList returns fn that empties the array under key of a package, if it has any item.
func emptyList(key string) func(v any) bool {
	return func(v any) bool {
		pkg, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if items, ok := pkg[key].([]any); !ok || len(items) == 0 {
			return false
		}
		pkg[key] = []any{}
		return true
	}
}

// transferShieldDropped is the transfer-shield-dropped quirk (§7 item 6): the packages the
// product sends never say the record is shielded.
func transferShieldDropped(Config) func(http.RoundTripper) http.RoundTripper {
	return func(next http.RoundTripper) http.RoundTripper {
		return rewriteOutgoing(next, isPackageDelivery, dropShielding, sendAsIs)
	}
}

// transferCaseRefsDropped is the transfer-case-refs-dropped quirk: the packages the product
// sends carry no case-summary references.
func transferCaseRefsDropped(Config) func(http.RoundTripper) http.RoundTripper {
	return func(next http.RoundTripper) http.RoundTripper {
		return rewriteOutgoing(next, isPackageDelivery, emptyList("caseSummaryRefs"), sendAsIs)
	}
}

// resigned returns r with body after, signed as the reference signed before (the same secret
// and timestamp). ok is false when the secret is not in the book (a subscription made before
// the system started); the caller then sends what the reference made.
func resigned(cfg Config, r *http.Request, before, after []byte) (*http.Request, bool) {
	ts := r.Header.Get(spec.HeaderWebhookTimestamp)
	secret, ok := cfg.secrets.secretOf(ts, before, r.Header.Get(spec.HeaderWebhookSignature))
	if !ok {
		return nil, false
	}
	r2 := withBody(r, after)
	r2.Header.Set(spec.HeaderWebhookSignature, spec.SignWebhook(secret, ts, after))
	return r2, true
}

// webhookNoSeq is the webhook-no-seq quirk (§7 item 10): webhooks carry no seq. The product
// signs what it sends.
func webhookNoSeq(cfg Config) func(http.RoundTripper) http.RoundTripper {
	drop := func(v any) bool {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if _, has := m["seq"]; !has {
			return false
		}
		delete(m, "seq")
		return true
	}
	return func(next http.RoundTripper) http.RoundTripper {
		return rewriteOutgoing(next, isWebhook, drop, func(next http.RoundTripper, r *http.Request, before, after []byte) (*http.Response, error) {
			if r2, ok := resigned(cfg, r, before, after); ok {
				return next.RoundTrip(r2)
			}
			return next.RoundTrip(withBody(r, before))
		})
	}
}

// webhookDuplicated is the webhook-duplicated quirk (§7 item 10): every webhook delivery is
// followed by a second copy of the same event under a new eventId (in the body and in
// X-Webhook-Id), signed, so a receiver cannot tell it is a duplicate by its eventId. The
// answer to the first copy is the delivery's answer; the second copy's is ignored.
func webhookDuplicated(cfg Config) func(http.RoundTripper) http.RoundTripper {
	var mu sync.Mutex
	copies := map[string]string{} // eventId → the eventId of its copies, stable across retries
	copyID := func(id string) string {
		mu.Lock()
		defer mu.Unlock()
		if c, ok := copies[id]; ok {
			return c
		}
		if len(copies) >= maxRemembered {
			clear(copies)
		}
		copies[id] = randomID()
		return copies[id]
	}
	return func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if !isWebhook(r) {
				return next.RoundTrip(r)
			}
			before, r2, whole, err := outgoingBody(r)
			if err != nil || !whole {
				if err != nil {
					return nil, err
				}
				return next.RoundTrip(r2)
			}
			resp, err := next.RoundTrip(r2)
			v, ok := decodeJSON(before)
			m, isObj := v.(map[string]any)
			id, hasID := m["eventId"].(string)
			if !ok || !isObj || !hasID {
				return resp, err
			}
			m["eventId"] = copyID(id)
			dup, ok := resigned(cfg, r2, before, encodeJSON(m))
			if !ok {
				return resp, err
			}
			dup.Header.Set(spec.HeaderWebhookID, m["eventId"].(string))
			if dresp, derr := next.RoundTrip(dup); derr == nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(dresp.Body, maxRewriteBody))
				_ = dresp.Body.Close()
			}
			return resp, err
		})
	}
}

// maxRemembered bounds the maps the exchange quirks keep; when full they start again.
const maxRemembered = 10000

// randomID returns a new random id in the reference's UUID form.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// webhookUnsigned is the webhook-unsigned quirk: webhooks are sent without X-Webhook-Signature.
func webhookUnsigned(Config) func(http.RoundTripper) http.RoundTripper {
	return func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if !isWebhook(r) {
				return next.RoundTrip(r)
			}
			r2 := r.Clone(r.Context())
			r2.Header.Del(spec.HeaderWebhookSignature)
			return next.RoundTrip(r2)
		})
	}
}

// webhookSignedBodyOnly is the webhook-signed-body-only quirk: the signature is the HMAC-SHA256
// of the body alone, leaving the timestamp unsigned (so a replay with a fresh timestamp
// verifies). It has the right form, "v1=" and 64 hex digits.
func webhookSignedBodyOnly(cfg Config) func(http.RoundTripper) http.RoundTripper {
	return func(next http.RoundTripper) http.RoundTripper {
		return roundTripFunc(func(r *http.Request) (*http.Response, error) {
			if !isWebhook(r) {
				return next.RoundTrip(r)
			}
			body, r2, whole, err := outgoingBody(r)
			if err != nil || !whole {
				if err != nil {
					return nil, err
				}
				return next.RoundTrip(r2)
			}
			secret, ok := cfg.secrets.secretOf(r2.Header.Get(spec.HeaderWebhookTimestamp), body, r2.Header.Get(spec.HeaderWebhookSignature))
			if ok {
				mac := hmac.New(sha256.New, []byte(secret))
				mac.Write(body)
				r2.Header.Set(spec.HeaderWebhookSignature, "v1="+hex.EncodeToString(mac.Sum(nil)))
			}
			return next.RoundTrip(r2)
		})
	}
}

// inboundPackage reports whether an inbound request delivers a transfer package.
func inboundPackage(r *http.Request) bool {
	return r.Method == http.MethodPost && r.URL.Path == inboundTransfersPath
}

// onInboundPackages returns a middleware that rewrites the JSON body of every delivered
// transfer package with fn before the reference takes it in.
func onInboundPackages(fn func(v any) bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if inboundPackage(r) {
				r = rewriteRequest(r, fn)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// inboundShieldIgnored is the inbound-shield-ignored quirk (§7 item 6, the receiver's side):
// the product takes in a delivered package as if the record were not shielded.
func inboundShieldIgnored(Config) func(http.Handler) http.Handler {
	return onInboundPackages(dropShielding)
}

// inboundConsentsDropped is the inbound-consents-dropped quirk: the product takes in a
// delivered package without its consents.
func inboundConsentsDropped(Config) func(http.Handler) http.Handler {
	return onInboundPackages(emptyList("consents"))
}

// inboundRedeliveryDuplicates is the inbound-redelivery-duplicates quirk: the product ignores
// Idempotency-Key on inbound deliveries and files each delivery of a package it has already
// taken in (a sender's retry) as a new transfer, under an id of its own.
func inboundRedeliveryDuplicates(Config) func(http.Handler) http.Handler {
	var mu sync.Mutex
	seen := map[string]bool{} // transferIds taken in
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !inboundPackage(r) || !isJSONBody(r.Header) {
				next.ServeHTTP(w, r)
				return
			}
			body, whole := readBody(r)
			if !whole {
				next.ServeHTTP(w, r)
				return
			}
			v, _ := decodeJSON(body)
			pkg, _ := v.(map[string]any)
			id, _ := pkg["transferId"].(string)
			mu.Lock()
			again := id != "" && seen[id]
			mu.Unlock()
			r = withBody(r, body)
			if again {
				pkg["transferId"] = randomID()
				r = withBody(r, encodeJSON(pkg))
				r.Header.Del("Idempotency-Key")
			}
			c := serveCaptured(next, r)
			if c.status == http.StatusCreated && id != "" && !again {
				mu.Lock()
				if len(seen) >= maxRemembered {
					clear(seen)
				}
				seen[id] = true
				mu.Unlock()
			}
			c.send(w)
		})
	}
}
