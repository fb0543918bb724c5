package sink

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/icscert/icscert/spec"
)

// Delivery is one request a target made to a hook, as the sink kept it.
type Delivery struct {
	// N is the delivery's place in the hook's order of arrival, from 1.
	N int
	// At is when the sink received it (the sink's clock, not the target's).
	At time.Time
	// Header holds at most MaxHeaders fields (canonical names, several values joined with
	// ", "), each value clipped to MaxHeaderValue bytes.
	Header map[string]string
	// Body is the body's first Options.MaxBody bytes; Truncated says there was more.
	Body      []byte
	Truncated bool
	// ReadError says the body could not be read in full; "" when it was.
	ReadError string
	// Status is what the sink answered.
	Status int

	// EventID, Timestamp and Signature are the X-Webhook-Id, X-Webhook-Timestamp and
	// X-Webhook-Signature headers, as sent (clipped).
	EventID, Timestamp, Signature string
	// SignatureValid reports whether Signature is spec.SignWebhook of the hook's secret,
	// Timestamp and the whole body. It is false for a truncated body.
	SignatureValid bool

	// Members are the names of the body's top-level members, in document order; nil unless
	// the body is a JSON object.
	Members []string
	// Value is the body decoded strictly (no duplicate members, at most MaxDepth deep), nil if
	// it is not JSON.
	Value any
	// Notification holds the body's members that have the contract's types; ParseError says
	// why the body is not a JSON object ("" when it is).
	Notification Notification
	ParseError   string
}

// Notification is what a delivery's body says, member by member. A member that is missing or
// of another type than the contract's is left zero and its Has flag false.
type Notification struct {
	EventID, Type, OccurredAt, ChildID, La string
	Seq                                    int64
	HasSeq                                 bool
}

// newDelivery builds the record of one delivery and checks its signature with secret.
func newDelivery(at time.Time, h http.Header, body []byte, truncated bool, secret string) Delivery {
	d := Delivery{At: at, Header: clipHeader(h), Body: body, Truncated: truncated}
	d.EventID = clip(h.Get(spec.HeaderWebhookID))
	d.Timestamp = clip(h.Get(spec.HeaderWebhookTimestamp))
	d.Signature = clip(h.Get(spec.HeaderWebhookSignature))
	if !truncated {
		d.SignatureValid = spec.VerifyWebhook(secret, h.Get(spec.HeaderWebhookTimestamp), body, h.Get(spec.HeaderWebhookSignature))
	}
	d.parse()
	return d
}

// parse decodes the body strictly and picks out the notification's members.
func (d *Delivery) parse() {
	if d.Truncated {
		d.ParseError = "the body is larger than the sink keeps"
		return
	}
	var last []string // the members of the object decoded last: the outermost one
	v, err := spec.DecodeStrictJSON(d.Body, MaxDepth, func(ms []spec.Member) any {
		last = last[:0]
		for _, m := range ms {
			last = append(last, m.Name)
		}
		return spec.MembersAsMap(ms)
	})
	if err != nil {
		d.ParseError = "the body is not strict JSON: " + clip(err.Error())
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		d.ParseError = "the body is not a JSON object"
		return
	}
	d.Value = v
	d.Members = append([]string{}, last...)
	n := &d.Notification
	n.EventID, _ = obj["eventId"].(string)
	n.Type, _ = obj["type"].(string)
	n.OccurredAt, _ = obj["occurredAt"].(string)
	n.ChildID, _ = obj["childId"].(string)
	n.La, _ = obj["la"].(string)
	if num, ok := obj["seq"].(json.Number); ok {
		if i, err := num.Int64(); err == nil {
			n.Seq, n.HasSeq = i, true
		}
	}
}

// clipHeader keeps at most MaxHeaders fields of h, in name order, each clipped.
func clipHeader(h http.Header) map[string]string {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) > MaxHeaders {
		names = names[:MaxHeaders]
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		out[clip(name)] = clip(strings.Join(h[name], ", "))
	}
	return out
}

// clip cuts s to MaxHeaderValue bytes.
func clip(s string) string {
	if len(s) > MaxHeaderValue {
		return s[:MaxHeaderValue]
	}
	return s
}
