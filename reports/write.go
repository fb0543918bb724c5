package reports

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Names of the files that WriteAll writes.
const (
	JSONFile     = "report.json"
	JUnitFile    = "junit.xml"
	CucumberFile = "cucumber.json"
	MessagesFile = "cucumber.ndjson"
	MarkdownFile = "summary.md"
	HTMLFile     = "report.html"
)

// writers lists every report file with its renderer, in the order WriteAll writes them.
var writers = []struct {
	name  string
	write func(io.Writer, *Report) error
}{
	{JSONFile, WriteJSON},
	{JUnitFile, WriteJUnit},
	{CucumberFile, WriteCucumber},
	{MessagesFile, WriteMessages},
	{MarkdownFile, WriteMarkdown},
	{HTMLFile, WriteHTML},
}

// WriteAll renders every report file from r and writes them into dir, creating dir if needed.
// It renders all six files in memory first, so a rendering error writes nothing; then each
// file is written to a temporary file in dir and renamed over its final name, so a reader
// never sees a half-written file. Files are created with mode 0644. It does not modify r, and
// it returns an error if r has not been finalised.
func WriteAll(dir string, r *Report) error {
	rendered := make([][]byte, len(writers))
	for i, wr := range writers {
		var b bytes.Buffer
		if err := wr.write(&b, r); err != nil {
			return fmt.Errorf("write reports: %w", err)
		}
		rendered[i] = b.Bytes()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write reports: %w", err)
	}
	for i, wr := range writers {
		if err := writeFileAtomic(filepath.Join(dir, wr.name), rendered[i]); err != nil {
			return fmt.Errorf("write reports: %w", err)
		}
	}
	return nil
}

// writeFileAtomic replaces path with data through a temporary file in the same directory.
func writeFileAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
