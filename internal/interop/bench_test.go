package interop

import (
	"context"
	"testing"
)

// BenchmarkPair is the wall time of one cell: two conforming systems, in process, every pair
// scenario (faults included).
func BenchmarkPair(b *testing.B) {
	sys := systems(b, false)[:1] // the reference with itself
	for b.Loop() {
		if _, err := Run(context.Background(), sys, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMatrix is the wall time of the matrix of the pair set (7 systems, 49 cells), in
// process, DefaultParallel cells at once.
func BenchmarkMatrix(b *testing.B) {
	sys := systems(b, false)
	for b.Loop() {
		if _, err := Run(context.Background(), sys, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
