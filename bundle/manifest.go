package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"slices"
	"sync"

	"github.com/icscert/icscert/features"
	"github.com/icscert/icscert/spec"
)

// FileDigest is the SHA-256 (lowercase hex) of one file, named by its path.
type FileDigest struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// Manifest identifies the suite a certificate was earned against: the digest of every embedded
// feature file (features/NAME.feature), of spec/openapi.yaml and of spec/requirements.yaml,
// sorted by path, and Digest, one digest over them all (see ManifestDigest).
type Manifest struct {
	Files  []FileDigest `json:"files"`
	Digest string       `json:"digest"`
}

// ManifestDigest is the suite digest of files: the SHA-256 over each file's path, a NUL, its
// hex digest and a newline, in path order. It does not modify files.
func ManifestDigest(files []FileDigest) string {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b FileDigest) int {
		switch {
		case a.Path < b.Path:
			return -1
		case a.Path > b.Path:
			return 1
		}
		return 0
	})
	h := sha256.New()
	for _, f := range sorted {
		fmt.Fprintf(h, "%s\x00%s\n", f.Path, f.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// NewManifest returns the manifest of files (path to content), with its digest.
func NewManifest(files map[string][]byte) Manifest {
	m := Manifest{}
	for p, data := range files {
		m.Files = append(m.Files, FileDigest{Path: p, SHA256: sha256Hex(data)})
	}
	slices.SortFunc(m.Files, func(a, b FileDigest) int {
		if a.Path < b.Path {
			return -1
		}
		return 1
	})
	m.Digest = ManifestDigest(m.Files)
	return m
}

var (
	currentOnce sync.Once
	current     Manifest
	currentErr  error
)

// CurrentSuite returns the manifest of the suite compiled into this binary: every feature file
// in features.FS, spec/openapi.yaml and spec/requirements.yaml. It is computed once and is
// safe for concurrent use; the caller owns the returned copy's slice.
func CurrentSuite() (Manifest, error) {
	currentOnce.Do(func() {
		files := map[string][]byte{
			"spec/openapi.yaml":      spec.OpenAPIYAML(),
			"spec/requirements.yaml": spec.RequirementsYAML(),
		}
		currentErr = fs.WalkDir(features.FS, ".", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(features.FS, p)
			if err != nil {
				return err
			}
			files[features.Root+"/"+p] = data
			return nil
		})
		if currentErr != nil {
			currentErr = fmt.Errorf("suite manifest: %w", currentErr)
			return
		}
		current = NewManifest(files)
	})
	return Manifest{Files: slices.Clone(current.Files), Digest: current.Digest}, currentErr
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
