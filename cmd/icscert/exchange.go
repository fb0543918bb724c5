package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/icscert/icscert/internal/directory"
	"github.com/icscert/icscert/internal/ident"
)

// exchangeFlags are the flags with which `icscert serve` and `icscert simulate` exchange
// transfers with other councils' systems through a national directory (the one a harness run
// prints, or a real one with the same API).
type exchangeFlags struct {
	directory, tokenURL, clientID, clientSecret, councils, selfURL string
}

// add registers the flags on fs.
func (e *exchangeFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&e.directory, "directory", "", "base URL of the national directory (GET <URL>/councils/{dfe}); empty serves every council here")
	fs.StringVar(&e.tokenURL, "token-url", "", "token endpoint that issues this system's SYSTEM tokens (client credentials); needed with --directory")
	fs.StringVar(&e.clientID, "client-id", "", "this system's client id at the token endpoint")
	fs.StringVar(&e.clientSecret, "client-secret", "", "this system's client secret at the token endpoint")
	fs.StringVar(&e.councils, "councils", "", "comma-separated DfE codes of the councils this system serves (never looked up in the directory)")
	fs.StringVar(&e.selfURL, "self-url", "", "this system's base URL as the directory names it")
}

// settings checks the flags and returns the exchange settings; the zero Settings without
// --directory.
func (e *exchangeFlags) settings(verb string) (directory.Settings, error) {
	if e.directory == "" {
		if e.tokenURL != "" || e.clientID != "" || e.clientSecret != "" || e.councils != "" || e.selfURL != "" {
			return directory.Settings{}, usageError("%s: --token-url, --client-id, --client-secret, --councils and --self-url need --directory", verb)
		}
		return directory.Settings{}, nil
	}
	if e.tokenURL == "" || e.clientID == "" || e.clientSecret == "" {
		return directory.Settings{}, usageError("%s: --directory needs --token-url, --client-id and --client-secret", verb)
	}
	for _, u := range []struct{ flag, value string }{{"--directory", e.directory}, {"--token-url", e.tokenURL}, {"--self-url", e.selfURL}} {
		if u.value != "" && !strings.HasPrefix(u.value, "http://") && !strings.HasPrefix(u.value, "https://") {
			return directory.Settings{}, usageError("%s: %s must be an http or https URL", verb, u.flag)
		}
	}
	var councils []string
	for c := range strings.SplitSeq(e.councils, ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		if err := ident.Councils().CheckKnown(c); err != nil {
			return directory.Settings{}, usageError("%s: --councils: %v", verb, err)
		}
		councils = append(councils, c)
	}
	return directory.Settings{
		DirectoryURL: e.directory, TokenURL: e.tokenURL, ClientID: e.clientID, ClientSecret: e.clientSecret,
		Councils: councils, SelfURL: e.selfURL,
	}, nil
}

// describe says how the system exchanges transfers, for the start-up lines.
func describeExchange(s directory.Settings) string {
	if !s.Enabled() {
		return "transfers: every council is served here (no --directory)"
	}
	return fmt.Sprintf("transfers: directory %s, client id %s, own councils %s", s.DirectoryURL, s.ClientID, strings.Join(s.Councils, ","))
}
