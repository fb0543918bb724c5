package simulators

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/icscert/icscert/internal/ident"
)

// shadowNHS is the state of one nhs-no-checksum quirk: which valid "shadow" number stands in
// the reference for each invalid number a client sent. It is safe for concurrent use.
//
// The reference rejects invalid numbers, so the quirk swaps each one, on the way in, for a
// shadow derived from it (deterministic: a hash into the 999 range, with a valid check digit),
// and swaps the shadow back in every response. Seen from outside, the product simply never
// checked the checksum.
type shadowNHS struct {
	mu     sync.Mutex
	shadow map[string]string // invalid number → its shadow
	orig   map[string]string // shadow → the invalid number
	real   map[string]bool   // valid numbers clients sent, never used as shadows
}

func newShadowNHS() *shadowNHS {
	return &shadowNHS{shadow: map[string]string{}, orig: map[string]string{}, real: map[string]bool{}}
}

// inbound returns the number to send to the reference for s, a number as a client sent it.
// Numbers that are not ten digits are left for the reference to reject.
func (m *shadowNHS) inbound(s string) (string, bool) {
	n := ident.NormaliseNHS(s)
	if !isTenDigits(n) {
		return s, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if ident.CheckNHS(n) == nil {
		m.real[n] = true
		return s, false
	}
	if sh, found := m.shadow[n]; found {
		return sh, true
	}
	sh := deriveShadow(n, func(c string) bool { return m.real[c] || m.orig[c] != "" })
	if sh == "" {
		return s, false
	}
	m.shadow[n], m.orig[sh] = sh, n
	return sh, true
}

// outbound returns the number a client sees for s, a number the reference returned: the
// invalid number a shadow stands for (spaced 3-3-4 if s was spaced), else s.
func (m *shadowNHS) outbound(s string) (string, bool) {
	n := ident.NormaliseNHS(s)
	m.mu.Lock()
	o, found := m.orig[n]
	m.mu.Unlock()
	if !found {
		return s, false
	}
	if strings.Contains(s, " ") {
		return spacedNHS(o), true
	}
	return o, true
}

// deriveShadow returns a valid NHS number in the range 999 000 0000 – 999 999 9999 for the
// invalid number n: the SHA-256 of n picks a starting point, and the first number from there
// with a valid check digit that taken does not refuse is the shadow. It returns "" only if
// taken refuses every valid number of the range.
func deriveShadow(n string, taken func(string) bool) string {
	sum := sha256.Sum256([]byte("icscert nhs-no-checksum shadow\x00" + n))
	start := binary.BigEndian.Uint64(sum[:8]) % 1_000_000
	for i := uint64(0); i < 1_000_000; i++ {
		first9 := fmt.Sprintf("999%06d", (start+i)%1_000_000)
		d, ok := ident.NHSCheckDigit(first9)
		if !ok {
			continue
		}
		if c := first9 + strconv.Itoa(d); !taken(c) {
			return c
		}
	}
	return ""
}

// nhsNoChecksum is the nhs-no-checksum quirk. It swaps NHS numbers in identifiers and in the
// search criterion nhsNumber of every request body, and in the identifiers of every response.
func nhsNoChecksum(Config) func(http.Handler) http.Handler {
	m := newShadowNHS()
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r = rewriteRequest(r, func(v any) bool {
				changed := nhsIdentifiers(v, m.inbound)
				if obj, ok := v.(map[string]any); ok {
					if s, ok := obj["nhsNumber"].(string); ok {
						if to, swapped := m.inbound(s); swapped {
							obj["nhsNumber"] = to
							changed = true
						}
					}
				}
				return changed
			})
			rewriteResponse(w, r, next, func(v any) bool { return nhsIdentifiers(v, m.outbound) })
		})
	}
}
