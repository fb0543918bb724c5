package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTargetWebhooksKey(t *testing.T) {
	cases := []struct {
		yaml    string
		wantErr string
		reason  string
	}{
		{"name: x\nbaseUrl: http://127.0.0.1:1\n", "", "the key is optional"},
		{"name: x\nbaseUrl: http://127.0.0.1:1\nwebhooks:\n  listen: 0.0.0.0:8099\n  advertise: http://host.docker.internal:8099\n", "", "a container target names how it reaches the harness"},
		{"name: x\nbaseUrl: http://127.0.0.1:1\nwebhooks:\n  advertize: http://x\n", `unknown key "advertize"`, "unknown keys are still rejected"},
		{"name: x\nbaseUrl: http://127.0.0.1:1\nwebhooks:\n  advertise: ftp://x\n", "webhooks.advertise", "an http or https URL only"},
		{"name: x\nbaseUrl: http://127.0.0.1:1\nwebhooks:\n  advertise: http://user:pw@x\n", "webhooks.advertise", "no credentials"},
		{"name: x\nbaseUrl: http://127.0.0.1:1\nwebhooks:\n  listen: nowhere\n", "webhooks.listen", "host:port"},
	}
	for _, tc := range cases {
		t.Run(tc.reason, func(t *testing.T) {
			tg, err := ParseTarget([]byte(tc.yaml))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, tg)
		})
	}
}
