package interop

import (
	"context"
	"os"
	"testing"
)

// The benchmarks are the matrix's wall-time figures (issue 7); run them one iteration each:
//
//	go test -run '^$' -bench . -benchtime 1x ./internal/interop/
//
// Each reports cells/s besides ns/op. BenchmarkMatrixAll (26 systems, 676 cells) runs only
// with ICSCERT_LONG=1; BenchmarkMatrixInContainers needs Docker and is skipped without it.

// BenchmarkPair is the wall time of one cell: two conforming systems, in process, every pair
// scenario (faults included).
func BenchmarkPair(b *testing.B) {
	benchMatrix(b, systems(b, false)[:1]) // the reference with itself
}

// BenchmarkMatrix is the wall time of the matrix of the pair set (7 systems, 49 cells), in
// process, DefaultParallel cells at once.
func BenchmarkMatrix(b *testing.B) {
	benchMatrix(b, systems(b, false))
}

// BenchmarkMatrixAll is the wall time of the whole matrix in process: the reference and every
// simulated version (26 systems, 676 cells), DefaultParallel cells at once. ICSCERT_LONG=1.
func BenchmarkMatrixAll(b *testing.B) {
	if os.Getenv("ICSCERT_LONG") != "1" {
		b.Skip("676 cells: run with ICSCERT_LONG=1")
	}
	benchMatrix(b, systems(b, true))
}

// BenchmarkMatrixInContainers is the wall time of the pair set's matrix (7 systems, 49 cells)
// with every simulated product in its own container and the reference in process
// (interop --containers), DefaultParallel cells at once. The image is built before the clock
// starts.
func BenchmarkMatrixInContainers(b *testing.B) {
	benchMatrix(b, containerSystems(b, pairSet))
}

func benchMatrix(b *testing.B, sys []System) {
	b.Helper()
	cells := 0
	for b.Loop() {
		if _, err := Run(context.Background(), sys, Options{}); err != nil {
			b.Fatal(err)
		}
		cells += len(sys) * len(sys)
	}
	b.ReportMetric(float64(cells)/b.Elapsed().Seconds(), "cells/s")
}
