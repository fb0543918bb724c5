package reference

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/icscert/icscert/spec"
)

// maxBodyBytes is the largest request body accepted (413 PAYLOAD_TOO_LARGE above it).
const maxBodyBytes = 1 << 20

// maxReasonRunes bounds X-Break-Glass-Reason.
const maxReasonRunes = 500

var (
	correlationRE = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	idemKeyRE     = regexp.MustCompile(`^[ -~]{1,128}$`)
)

// correlationID returns the request's X-Correlation-ID, or a new one when it is absent or
// malformed; bad reports a malformed one (400 INVALID_HEADER).
func correlationID(h string) (id string, bad bool) {
	if h == "" {
		return newID(), false
	}
	if !correlationRE.MatchString(h) {
		return newID(), true
	}
	return h, false
}

// newID returns a random UUID v4: ids encode nothing (ID-004).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// checkCommonHeaders checks what every request may carry: X-Correlation-ID and Accept.
func (c *call) checkCommonHeaders() *result {
	if c.badCorr {
		return problem(codeInvalidHeader, "X-Correlation-ID must be 1 to 128 characters of A-Z, a-z, 0-9 and ._:-")
	}
	if !acceptsJSON(c.r.Header.Values("Accept")) {
		return problem(codeNotAcceptable, "This API answers application/json and application/problem+json only.")
	}
	return nil
}

// acceptsJSON reports whether the Accept headers allow a JSON answer.
func acceptsJSON(values []string) bool {
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil {
				continue
			}
			if q, err := strconv.ParseFloat(params["q"], 64); err == nil && q <= 0 {
				continue
			}
			switch mt {
			case "*/*", "application/*", "application/json", "application/problem+json":
				return true
			}
		}
	}
	return false
}

// observe notes, for the audit event, the child and the purpose a request names, before
// anything about it is checked: a refused request is audited with what it asked for.
func (c *call) observe() {
	if c.op.pathID {
		c.id = c.r.PathValue("id")
		if c.op.childPath && idRE.MatchString(c.id) {
			c.touch(c.id)
		}
	}
	if purpose := strings.TrimSpace(c.r.Header.Get("X-Purpose-Of-Use")); spec.Purposes.Has(purpose) {
		c.purpose = purpose
	}
}

// precheck checks, in order, the headers, the role, the path parameter and the body of an
// authenticated request before its operation runs.
func (c *call) precheck() *result {
	if res := c.checkCommonHeaders(); res != nil {
		return res
	}
	if len(c.op.roles) > 0 && !slices.Contains(c.op.roles, c.actor.Role) {
		return forbidden()
	}
	if c.op.pathID && !idRE.MatchString(c.id) {
		return problem(codeInvalidParameter, "The path id must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -.")
	}
	if res := c.checkPurpose(); res != nil {
		return res
	}
	if c.op.idem {
		if keys := c.r.Header.Values("Idempotency-Key"); len(keys) > 0 {
			if len(keys) > 1 || !idemKeyRE.MatchString(keys[0]) {
				return problem(codeInvalidHeader, "Idempotency-Key must be 1 to 128 printable ASCII characters.")
			}
			c.idemKey = keys[0]
		}
	}
	if c.op.ifMatch && len(c.r.Header.Values("If-Match")) == 0 {
		return problem(codePreconditionReq, "This update needs an If-Match header with the current ETag.")
	}
	if c.op.body != nil {
		return c.readBody()
	}
	return nil
}

// checkPurpose reads X-Purpose-Of-Use and X-Break-Glass-Reason (AUDIT-002, AUTH-004). The
// purpose is required on reads and searches and checked wherever it is sent.
func (c *call) checkPurpose() *result {
	purpose := strings.TrimSpace(c.r.Header.Get("X-Purpose-Of-Use"))
	c.purpose = ""
	if purpose == "" {
		if c.op.purpose {
			return problem(codePurposeRequired, "Reads and searches need an X-Purpose-Of-Use header.")
		}
		return nil
	}
	if !spec.Purposes.Has(purpose) {
		res := problem(codeUnknownCode, "X-Purpose-Of-Use is not a code of purpose-of-use.")
		res.problem.Errors = []spec.FieldError{{
			Pointer: "", Code: feUnknownCode, Detail: "the X-Purpose-Of-Use header",
			CodeSystem: spec.Purposes.Name, CodeSystemVersion: spec.Purposes.Version,
		}}
		return res
	}
	c.purpose = purpose
	reason := strings.TrimSpace(c.r.Header.Get("X-Break-Glass-Reason"))
	if len([]rune(reason)) > maxReasonRunes || strings.ContainsFunc(reason, unicode.IsControl) {
		return problem(codeInvalidHeader, "X-Break-Glass-Reason must be at most 500 characters of text.")
	}
	if purpose == purposeBreakGlass {
		if reason == "" {
			return problem(codeBreakGlassReason, "Break-glass access needs an X-Break-Glass-Reason.")
		}
		c.reason = reason
	}
	return nil
}

// readBody checks the media type and size of the body and parses it as JSON.
func (c *call) readBody() *result {
	mt, params, err := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	okType := err == nil && (mt == "application/json" || (c.op.patch && mt == "application/merge-patch+json"))
	if cs, has := params["charset"]; has && !strings.EqualFold(cs, "utf-8") {
		okType = false
	}
	if !okType {
		return problem(codeUnsupportedMedia, "The body must be application/json in UTF-8.")
	}
	if c.r.ContentLength > maxBodyBytes {
		return problem(codeTooLarge, "The body exceeds 1 MiB.")
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, maxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return problem(codeTooLarge, "The body exceeds 1 MiB.")
	case err != nil:
		return problem(codeMalformedJSON, "The body could not be read.")
	}
	v, err := parseJSON(raw)
	var badText *textError
	switch {
	case errors.As(err, &badText):
		return invalid(badText.fields)
	case err != nil:
		return problem(codeMalformedJSON, "The body is not a single valid JSON document.")
	}
	c.rawBody, c.body = raw, v
	return nil
}

// ifMatches reports whether the request's If-Match names version (strong comparison; "*"
// is not accepted).
func (c *call) ifMatches(version int64) bool {
	want := `"` + strconv.FormatInt(version, 10) + `"`
	for _, h := range c.r.Header.Values("If-Match") {
		for _, tag := range strings.Split(h, ",") {
			if strings.TrimSpace(tag) == want {
				return true
			}
		}
	}
	return false
}

// preconditionFailed is the 412 answer to a stale If-Match, with the current ETag.
func preconditionFailed(version int64) *result {
	res := problem(codePreconditionFail, "If-Match does not name the current version; see ETag.")
	res.etag = version
	return res
}

// unavailable is the 503 answer when the server cannot take the request now (ERR-004).
func unavailable() *result {
	res := problem(codeUnavailable, "The server is busy; retry after the time in Retry-After.")
	res.header = http.Header{"Retry-After": {"1"}}
	return res
}

// keysUnavailable is the 503 answer when the token's key cannot be had because the JWKS
// could not be fetched: the token may be good, so it is not refused with 401. Retry-After is
// the time until the key source tries again, at least a second.
func keysUnavailable(wait time.Duration) *result {
	res := problem(codeUnavailable, "The keys that verify tokens are unavailable; retry after the time in Retry-After.")
	secs := max(1, int64(math.Ceil(wait.Seconds())))
	res.header = http.Header{"Retry-After": {strconv.FormatInt(secs, 10)}}
	return res
}
