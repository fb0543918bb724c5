package steps

import (
	"fmt"
	"unicode/utf8"

	"github.com/icscert/icscert/reports"
)

// Bounds on what is taken from a target before it is parsed, kept or rendered. A target may be
// broken or hostile; none of these can be exceeded by anything it sends.
const (
	// MaxJSONDepth is the deepest nesting of arrays and objects decoded or walked. A body
	// nested deeper is not JSON to the harness: the contract check fails it, and its evidence is
	// kept as clipped text.
	MaxJSONDepth = 128
	// MaxResponseHeaderBytes bounds the response headers the client reads (all of them);
	// larger headers end the exchange with a transport error naming the bound.
	MaxResponseHeaderBytes = 64 << 10
	// maxHeaderValue bounds each header value kept as evidence, maxHeaders how many headers.
	maxHeaderValue = 1 << 10
	maxHeaders     = 64
	// maxErrorText bounds every error string kept in a report (transport errors, messages).
	maxErrorText = 2 << 10
	// MaxScenarioEvidence bounds the evidence (bodies, headers, errors) kept per scenario;
	// exchanges over it keep their method, URL, status and timing only.
	MaxScenarioEvidence = 512 << 10
)

// Clip bounds s to n bytes, cut at a rune boundary, and says how much was dropped.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("…[%d bytes not kept]", len(s)-cut)
}

// ClipError bounds an error string for a report.
func ClipError(s string) string { return Clip(s, maxErrorText) }

// jsonDepth returns the deepest nesting of arrays and objects in data, scanning at most until
// it exceeds limit (then it returns limit+1). Brackets inside strings do not count. It never
// fails: malformed JSON is the decoder's business.
func jsonDepth(data []byte, limit int) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, b := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '[' || b == '{':
			depth++
			if depth > deepest {
				deepest = depth
				if deepest > limit {
					return deepest
				}
			}
		case b == ']' || b == '}':
			depth--
		}
	}
	return deepest
}

// errTooDeep is the error of a JSON document nested deeper than MaxJSONDepth.
var errTooDeep = fmt.Errorf("JSON nested deeper than %d levels (the harness's bound)", MaxJSONDepth)

// EvidenceSize is the number of bytes of evidence x keeps.
func EvidenceSize(x reports.Exchange) int {
	n := len(x.URL) + len(x.RequestBody) + len(x.ResponseBody) + len(x.Error)
	for k, v := range x.RequestHeaders {
		n += len(k) + len(v)
	}
	for k, v := range x.ResponseHeaders {
		n += len(k) + len(v)
	}
	for _, v := range x.Violations {
		n += len(v)
	}
	return n
}

// budget keeps x within what is left of the scenario's evidence budget: over it, the exchange
// keeps its method, URL, status, timing and operation, and says why the rest was not kept.
func (w *World) budget(x reports.Exchange) reports.Exchange {
	size := EvidenceSize(x)
	if w.evidenceBytes+size <= MaxScenarioEvidence {
		w.evidenceBytes += size
		return x
	}
	x.RequestHeaders, x.ResponseHeaders = nil, nil
	x.RequestBody = ""
	x.ResponseBody = fmt.Sprintf("[not kept: the scenario's evidence is over its bound of %d KiB]", MaxScenarioEvidence>>10)
	if len(x.Violations) > 3 {
		x.Violations = append(x.Violations[:3:3], fmt.Sprintf("… %d more not kept", len(x.Violations)-3))
	}
	w.evidenceBytes += EvidenceSize(x)
	return x
}
