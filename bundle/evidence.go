package bundle

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// IndexEvidence returns the SHA-256 of every regular file under dir, by slash-separated
// relative path, except the bundle itself, key files (*.pem, *.pub) and hidden files. Only
// digests are taken: no file body enters the bundle.
func IndexEvidence(dir string) ([]FileDigest, error) {
	var out []FileDigest
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if p != dir && strings.HasPrefix(name, ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || name == FileName || strings.HasSuffix(name, ".pem") || strings.HasSuffix(name, ".pub") {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		out = append(out, FileDigest{Path: filepath.ToSlash(rel), SHA256: sha256Hex(data)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index evidence: %w", err)
	}
	slices.SortFunc(out, func(a, b FileDigest) int { return strings.Compare(a.Path, b.Path) })
	return out, nil
}
