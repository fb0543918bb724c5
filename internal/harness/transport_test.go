package harness

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestTransportProblem checks that each way a target can fail at the transport is explained
// in the user's terms, whichever words net/http chose for it.
func TestTransportProblem(t *testing.T) {
	cases := []struct {
		err  string
		want string
	}{
		{`Get "http://x/v1/meta": net/http: HTTP/1.x transport connection broken: malformed HTTP response "garbage"`, "not HTTP"},
		{`Get "http://x/v1/meta": net/http: HTTP/1.x transport connection broken: malformed MIME header line: x`, "not HTTP"},
		{`Get "http://x/v1/meta": net/http: server response headers exceeded 65536 bytes; aborted`, "larger than 64 KiB"},
		{`Get "http://x/v1/meta": read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer`, "closed the connection"},
		{`Get "http://x/v1/meta": EOF`, "closed the connection"},
		{`Get "http://x/v1/meta": http: server closed idle connection`, "closed the connection"},
		{`Get "http://x/v1/meta": dial tcp 127.0.0.1:1: connect: connection refused`, "unreachable"},
	}
	for _, c := range cases {
		assert.Contains(t, transportProblem(errors.New(c.err)), c.want, c.err)
	}
}
