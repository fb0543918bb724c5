package steps

import (
	"context"
	"strconv"

	"github.com/cucumber/godog"
)

// registerHTTP adds the generic steps that send any request and check any response.
func registerHTTP(sc glossary) {
	const method = `(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)`
	define(sc, `^`+Subject+` sends? an? `+method+` request to "([^"]*)"$`,
		func(ctx context.Context, who, m, path string) error {
			return sendStep(ctx, who, m, path, nil, false)
		})
	define(sc, `^`+Subject+` sends? an? `+method+` request to "([^"]*)" with body:$`,
		func(ctx context.Context, who, m, path string, body *godog.DocString) error {
			return sendStep(ctx, who, m, path, body, false)
		})
	define(sc, `^`+Subject+` sends? a deliberately invalid `+method+` request to "([^"]*)" with body:$`,
		func(ctx context.Context, who, m, path string, body *godog.DocString) error {
			return sendStep(ctx, who, m, path, body, true)
		})

	define(sc, `^the response status is (\d{3})$`, func(ctx context.Context, status string) error {
		n, _ := strconv.Atoi(status)
		return WorldFrom(ctx).ExpectStatus(n)
	})
	define(sc, `^the response is a problem with code "([A-Z0-9_]+)"$`, func(ctx context.Context, code string) error {
		return WorldFrom(ctx).ExpectProblem(code)
	})
	define(sc, `^the response header "([^"]+)" matches the record version$`, func(ctx context.Context, name string) error {
		return WorldFrom(ctx).ExpectETagMatchesVersion(name)
	})
	define(sc, `^the response header "([^"]+)" is "([^"]*)"$`, func(ctx context.Context, name, want string) error {
		return WorldFrom(ctx).ExpectHeader(name, want)
	})
	define(sc, `^the response header "([^"]+)" is present$`, func(ctx context.Context, name string) error {
		return WorldFrom(ctx).ExpectHeaderPresent(name)
	})
	define(sc, `^the response body has no field "([^"]+)"$`, func(ctx context.Context, field string) error {
		return WorldFrom(ctx).ExpectNoField(fieldPointer(field))
	})
	define(sc, `^the response body has a field "([^"]+)"$`, func(ctx context.Context, field string) error {
		return WorldFrom(ctx).ExpectFieldPresent(fieldPointer(field))
	})
	define(sc, `^the response field "([^"]+)" is (.+)$`, func(ctx context.Context, field, literal string) error {
		return WorldFrom(ctx).ExpectField(fieldPointer(field), ParseLiteral(literal))
	})
	define(sc, `^no field named "([^"]+)" appears anywhere in the response body$`, func(ctx context.Context, name string) error {
		return WorldFrom(ctx).ExpectNoMemberAnywhere(name)
	})
}

// fieldPointer accepts a JSON Pointer ("/address/postcode") or a top-level member name
// ("address").
func fieldPointer(field string) string {
	if field == "" || field[0] == '/' {
		return field
	}
	return "/" + field
}

// sendStep sends a request as the step's subject. A doc string body may use {kind:name}
// references.
func sendStep(ctx context.Context, who, method, path string, body *godog.DocString, invalid bool) error {
	w := WorldFrom(ctx)
	actor, err := w.Subject(who)
	if err != nil {
		return err
	}
	req := Request{Method: method, Path: path, As: actor, Invalid: invalid}
	if actor != nil {
		req.Purpose = defaultPurposes[actor.Role]
	}
	if body != nil {
		text, err := w.Expand(body.Content)
		if err != nil {
			return err
		}
		req.Body = text
		if body.MediaType != "" {
			req.ContentType = body.MediaType
		}
	}
	_, err = w.Send(req)
	return err
}
