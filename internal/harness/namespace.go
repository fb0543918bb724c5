package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/icscert/icscert/fixtures"
	"github.com/icscert/icscert/spec"
)

// claimTries is how many random identifier blocks a run tries to claim before it gives up
// (see fixtures.BlockSize for the arithmetic).
const claimTries = 32

// namespace is a run's own part of the synthetic data: the identifier block it claimed on the
// target and the seed of everything else it generates.
type namespace struct {
	Seed    uint64
	Block   uint32
	Claimed bool   // false when no block could be claimed: identifiers may repeat earlier runs'
	Note    string // why no block was claimed
}

// claimNamespace gives the run its namespace on the target at baseURL. It draws a random seed
// and claims an identifier block by creating, as the management team of council 202, a child
// whose only identifier is the block's marker NHS number, verified: a conforming target
// answers 201 to the first run that asks and 409 DUPLICATE_CANDIDATE to every later or
// concurrent one, so the block is the run's alone. It tries claimTries random blocks. Any
// other answer (the target refuses the create, or does not answer) ends the claim early with
// an unclaimed random block and a note: the suite then shows what is wrong with creates, and
// the run is no worse off than one without a namespace.
func claimNamespace(ctx context.Context, client *http.Client, baseURL string, issuer *fixtures.Issuer,
	audience string, timeout time.Duration,
) namespace {
	ns := namespace{Seed: rand.Uint64()}
	for ns.Seed == 0 {
		ns.Seed = rand.Uint64()
	}
	pick := rand.New(rand.NewPCG(ns.Seed, 0x6e616d65))
	gen := fixtures.NewGenerator(int64(ns.Seed >> 1))
	token, err := issuer.Token(fixtures.Claims{
		Sub: fmt.Sprintf("icscert-namespace-%016x", ns.Seed), Role: "LA_MANAGEMENT", Org: "LA-202", La: "202", Sector: "LA",
		Audience: audience,
	})
	ns.Block = pick.Uint32N(fixtures.NHSBlocks)
	if err != nil {
		ns.Note = fmt.Sprintf("claim an identifier block: %v", err)
		return ns
	}
	for try := range claimTries {
		if try > 0 {
			ns.Block = pick.Uint32N(fixtures.NHSBlocks)
		}
		child := gen.Child()
		child.Identifiers = []spec.Identifier{{System: "NHS_NUMBER", Value: fixtures.BlockMarker(ns.Block), Status: "CURRENT", Verified: true}}
		status, err := postChild(ctx, client, baseURL, token, child, timeout)
		switch {
		case err != nil:
			ns.Note = fmt.Sprintf("claim an identifier block: %v", err)
			return ns
		case status == http.StatusCreated:
			ns.Claimed = true
			return ns
		case status != http.StatusConflict:
			ns.Note = fmt.Sprintf("claim an identifier block: the target answered %d to a create", status)
			return ns
		}
	}
	ns.Note = fmt.Sprintf("claim an identifier block: the %d blocks tried are all taken (the target holds the records of many earlier runs)", claimTries)
	return ns
}

// postChild creates child on the target and returns the response status.
func postChild(ctx context.Context, client *http.Client, baseURL, token string, child spec.NewChild, timeout time.Duration) (int, error) {
	body, err := json.Marshal(child)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+"/v1/children", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, application/problem+json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}
