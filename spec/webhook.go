package spec

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Headers of a webhook delivery (NOTIF-003), as the OpenAPI document's createSubscription
// describes them.
const (
	// HeaderWebhookID carries the notification's eventId.
	HeaderWebhookID = "X-Webhook-Id"
	// HeaderWebhookTimestamp carries the Unix time in seconds at which the delivery was signed.
	HeaderWebhookTimestamp = "X-Webhook-Timestamp"
	// HeaderWebhookSignature carries SignWebhook's result.
	HeaderWebhookSignature = "X-Webhook-Signature"
)

// webhookSignaturePrefix versions the signature scheme.
const webhookSignaturePrefix = "v1="

// SignWebhook returns the X-Webhook-Signature value for a delivery: "v1=" and the lowercase hex
// HMAC-SHA256, keyed with secret, of timestamp, a full stop and body (the exact body bytes).
func SignWebhook(secret, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return webhookSignaturePrefix + hex.EncodeToString(mac.Sum(nil))
}

// VerifyWebhook reports whether signature is SignWebhook(secret, timestamp, body), comparing in
// constant time. It does not judge the timestamp's age; the receiver does.
func VerifyWebhook(secret, timestamp string, body []byte, signature string) bool {
	if !strings.HasPrefix(signature, webhookSignaturePrefix) {
		return false
	}
	want := SignWebhook(secret, timestamp, body)
	return hmac.Equal([]byte(want), []byte(signature))
}
