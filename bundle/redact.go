package bundle

import (
	"bytes"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Redacted replaces every secret removed from a target file.
const Redacted = "[REDACTED]"

// secretKey matches the keys of a target file whose values are secrets: tokens, keys,
// passwords, credentials, client secrets, cookies and authorisation headers, in any case and
// with any separator (apiKey, api_key, x-api-key, clientSecret, bearer...).
var secretKey = regexp.MustCompile(`(?i)(token|secret|passw|passphrase|pwd|apikey|api[-_]key|private[-_]?key|credential|authori[sz]ation|cookie|bearer|session|signing[-_]?key|client[-_]?key|^key$|[-_]key$)`)

// secretValue matches values that are secrets whatever their key: PEM blocks, bearer and basic
// credentials and JSON Web Tokens.
var secretValue = regexp.MustCompile(`(?i)(-----BEGIN [A-Z ]*PRIVATE KEY-----|^\s*(bearer|basic)\s+\S+|^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.)`)

// RedactTarget returns the target file data with every secret removed: the value of any key
// that names a secret (see secretKey) becomes "[REDACTED]" (a mapping or list under such a key
// is replaced whole), a value that looks like a secret (a private key, a bearer or basic
// credential, a JWT) is replaced wherever it is, and the user information and secret-looking
// query parameters of URLs are removed. Comments are dropped, since they may hold anything.
// Data that is not YAML is an error, never returned unredacted.
func RedactTarget(data []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("redact target: %w", err)
	}
	redactNode(&doc)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("redact target: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("redact target: %w", err)
	}
	return b.Bytes(), nil
}

func redactNode(n *yaml.Node) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			k.HeadComment, k.LineComment, k.FootComment = "", "", ""
			if secretKey.MatchString(k.Value) {
				n.Content[i+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: Redacted}
				continue
			}
			redactNode(v)
		}
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			redactNode(c)
		}
	case yaml.AliasNode:
		// Aliases point at nodes redacted where they are defined.
	case yaml.ScalarNode:
		n.Value = redactScalar(n.Value)
	}
}

// redactScalar removes secrets from one scalar value.
func redactScalar(s string) string {
	if secretValue.MatchString(s) {
		return Redacted
	}
	if !strings.Contains(s, "://") {
		return s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s
	}
	changed := false
	if u.User != nil {
		u.User = nil
		changed = true
	}
	q := u.Query()
	for k := range q {
		if secretKey.MatchString(k) {
			q.Set(k, Redacted)
			changed = true
		}
	}
	if !changed {
		return s
	}
	u.RawQuery = q.Encode()
	return u.String()
}
