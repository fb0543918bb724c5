package ident

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzCheckNHS(f *testing.F) {
	for _, s := range []string{"9434765919", "943 476 5919", "987 654 4321", "9990000018", "9991234560", "", " ", "99900000A8", "９９９"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckNHS(s)
		if err == nil {
			n := NormaliseNHS(s)
			if len(n) != 10 || strings.Trim(n, "0123456789") != "" {
				t.Fatalf("CheckNHS(%q) accepted a value that is not 10 digits", s)
			}
			if CheckNHS(n) != nil {
				t.Fatalf("CheckNHS(%q) accepted s but not its normal form", s)
			}
			return
		}
		if CodeOf(err) != CodeInvalidNHS {
			t.Fatalf("CheckNHS(%q) = %v, want code %s", s, err, CodeInvalidNHS)
		}
	})
}

func FuzzCheckUPN(f *testing.F) {
	for _, s := range []string{"B801200005001", "P207000016049", "R20299992500A", "Q207000016049", "b801200005001", "", "X20299992500I", "ſ80120000500ı"} {
		f.Add(s)
	}
	reg := Councils()
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckUPN(s, reg)
		if err == nil {
			u := NormaliseUPN(s)
			if len(u) != 13 || !utf8.ValidString(u) {
				t.Fatalf("CheckUPN(%q) accepted a value that is not 13 ASCII characters", s)
			}
			if CheckUPN(u, reg) != nil {
				t.Fatalf("CheckUPN(%q) accepted s but not its normal form", s)
			}
			if _, ok := reg.Lookup(u[1:4]); !ok {
				t.Fatalf("CheckUPN(%q) accepted an unknown council", s)
			}
			return
		}
		if CodeOf(err) != CodeInvalidUPN {
			t.Fatalf("CheckUPN(%q) = %v, want code %s", s, err, CodeInvalidUPN)
		}
	})
}

func FuzzGeneratedNHS(f *testing.F) {
	f.Add(uint64(0), uint64(0))
	f.Add(uint64(42), uint64(1))
	f.Fuzz(func(t *testing.T, seed1, seed2 uint64) {
		r := rand.New(rand.NewPCG(seed1, seed2))
		for range 20 {
			n := GenerateNHS(r)
			if err := CheckNHS(n); err != nil {
				t.Fatalf("GenerateNHS gave %q: %v", n, err)
			}
			if !strings.HasPrefix(n, "999") {
				t.Fatalf("GenerateNHS gave %q outside the 999 test range", n)
			}
		}
	})
}

func FuzzGeneratedUPN(f *testing.F) {
	f.Add(uint64(0), uint64(0), false)
	f.Add(uint64(42), uint64(1), true)
	reg := Councils()
	f.Fuzz(func(t *testing.T, seed1, seed2 uint64, temporary bool) {
		r := rand.New(rand.NewPCG(seed1, seed2))
		for range 20 {
			u := GenerateUPN(r, reg, temporary)
			if err := CheckUPN(u, reg); err != nil {
				t.Fatalf("GenerateUPN gave %q: %v", u, err)
			}
			if u[4] != '9' {
				t.Fatalf("GenerateUPN gave %q with an establishment outside 9000–9999", u)
			}
		}
	})
}
