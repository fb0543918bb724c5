package reference

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/icscert/icscert/spec"
)

// tokenSkew is the clock skew allowed on exp, nbf and iat (CONTRACT.md, Tokens).
const tokenSkew = 60 * time.Second

// maxTokenBytes bounds the size of a bearer token.
const maxTokenBytes = 16 << 10

// tokenClaims are the claims a bearer token must carry.
type tokenClaims struct {
	jwt.RegisteredClaims
	Role   string `json:"role"`
	Org    string `json:"org"`
	La     string `json:"la"`
	Sector string `json:"sector"`
}

// authenticate verifies the request's bearer token (AUTH-001) and returns its actor. The
// error is for logs only; every failure is answered with the same 401.
func (s *Server) authenticate(r *http.Request) (spec.Actor, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return spec.Actor{}, errors.New("no bearer token")
	}
	token = strings.TrimSpace(token)
	if token == "" || len(token) > maxTokenBytes {
		return spec.Actor{}, errors.New("empty or oversized bearer token")
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"ES256", "RS256"}),
		jwt.WithAudience(s.audience),
		jwt.WithLeeway(tokenSkew),
		jwt.WithTimeFunc(s.clock),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
	)
	var claims tokenClaims
	_, err := parser.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		return s.keys.Key(r.Context(), kid)
	})
	if err != nil {
		return spec.Actor{}, fmt.Errorf("verify token: %w", err)
	}
	switch {
	case claims.Issuer == "", claims.Subject == "", claims.IssuedAt == nil:
		return spec.Actor{}, errors.New("token lacks iss, sub or iat")
	case !spec.Roles.Has(claims.Role):
		return spec.Actor{}, errors.New("token has an unknown role")
	case !spec.Sectors.Has(claims.Sector):
		return spec.Actor{}, errors.New("token has an unknown sector")
	case claims.Org == "" || len(claims.Org) > 128 || len(claims.Subject) > 256:
		return spec.Actor{}, errors.New("token has a missing or oversized org or sub")
	}
	if err := s.councils.CheckKnown(claims.La); err != nil {
		return spec.Actor{}, fmt.Errorf("token names an unknown council: %w", err)
	}
	return spec.Actor{Sub: claims.Subject, Role: claims.Role, Org: claims.Org, La: claims.La, Sector: claims.Sector}, nil
}
