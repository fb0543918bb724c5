package ident

import (
	"fmt"
	"math/rand/v2"
)

// GenerateNHS returns a valid NHS number, ten digits without spaces, in the range
// 999 000 0000 – 999 999 9999 that is reserved for testing and never issued (DOMAIN.md §8). The
// same sequence from r gives the same numbers. r is used, not shared: the caller owns it.
func GenerateNHS(r *rand.Rand) string {
	for {
		first9 := fmt.Sprintf("999%06d", r.IntN(1_000_000))
		if d, ok := NHSCheckDigit(first9); ok {
			return first9 + string(rune('0'+d))
		}
	}
}

// GenerateUPN returns a valid UPN issued by a LIVE council of reg (nil means Councils()) chosen
// by r, with an establishment number in 9000–9999 (DOMAIN.md §8), a random two-digit year and a
// serial of three digits, or of two digits and a letter when temporary is true. It panics if reg
// has no LIVE council.
func GenerateUPN(r *rand.Rand, reg *Registry, temporary bool) string {
	live := reg.get().live
	if len(live) == 0 {
		panic("ident: GenerateUPN: the registry has no live council")
	}
	return GenerateUPNFor(r, live[r.IntN(len(live))].DfeCode, r.IntN(100), temporary)
}

// GenerateUPNFor returns a UPN with a correct check letter for the council with DfE code dfe
// (which it does not look up), an establishment number in 9000–9999 chosen by r, the last two
// digits of year, and a random serial as for GenerateUPN. It panics if dfe is not 3 digits or
// year is negative.
func GenerateUPNFor(r *rand.Rand, dfe string, year int, temporary bool) string {
	establishment := 9000 + r.IntN(1000)
	var serial string
	if temporary {
		serial = fmt.Sprintf("%02d%c", r.IntN(100), UPNLetters[r.IntN(len(UPNLetters))])
	} else {
		serial = fmt.Sprintf("%03d", r.IntN(1000))
	}
	upn, err := ComposeUPN(dfe, establishment, year, serial)
	if err != nil {
		panic(fmt.Sprintf("ident: GenerateUPNFor: %v", err))
	}
	return upn
}
