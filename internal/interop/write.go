package interop

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
)

//go:embed matrix.html.tmpl
var matrixHTML string

var page = template.Must(template.New("matrix").Funcs(template.FuncMap{
	"short": shortSide,
}).Parse(matrixHTML))

// WriteAll writes matrix.json, matrix.md and matrix.html into dir.
func WriteAll(dir string, m *Matrix) error {
	if err := ensureDir(dir); err != nil {
		return err
	}
	js, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("interop: %w", err)
	}
	var html bytes.Buffer
	if err := page.Execute(&html, view(m)); err != nil {
		return fmt.Errorf("interop: render matrix.html: %w", err)
	}
	for name, body := range map[string][]byte{
		"matrix.json": append(js, '\n'),
		"matrix.md":   []byte(Markdown(m)),
		"matrix.html": html.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			return fmt.Errorf("interop: %w", err)
		}
	}
	return nil
}

// shortSide abbreviates a side for a matrix cell: S for the sender, R for the receiver.
func shortSide(side string) string {
	if side == "RECEIVER" {
		return "R"
	}
	return "S"
}

// Markdown renders the matrix as a Markdown table: a row per sender, a column per receiver,
// each cell its verdict and failed requirements with the side at fault (S sender, R receiver).
func Markdown(m *Matrix) string {
	var b strings.Builder
	pass, fail, other := counts(m)
	fmt.Fprintf(&b, "# Interoperability matrix\n\n%d systems, %d ordered pairs: %d PASS, %d FAIL, %d other. "+
		"Rows send, columns receive; S = the sender is at fault, R = the receiver.\n\n", len(m.Systems), len(m.Cells), pass, fail, other)
	b.WriteString("| sender \\ receiver |")
	for _, s := range m.Systems {
		fmt.Fprintf(&b, " %s |", mdEscape(s))
	}
	b.WriteString("\n|---|")
	for range m.Systems {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for i, s := range m.Systems {
		fmt.Fprintf(&b, "| **%s** |", mdEscape(s))
		for j := range m.Systems {
			c := m.Cells[i*len(m.Systems)+j]
			b.WriteString(" ")
			b.WriteString(cellText(c))
			b.WriteString(" |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// cellText is a cell in words: "PASS", or "FAIL XFER-004 S, SENS-005 S".
func cellText(c Cell) string {
	if len(c.Failed) == 0 {
		return string(c.Verdict)
	}
	parts := make([]string, 0, len(c.Failed))
	for _, f := range c.Failed {
		parts = append(parts, f.Requirement+" "+shortSide(f.Side))
	}
	return string(c.Verdict) + " " + strings.Join(parts, ", ")
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func counts(m *Matrix) (pass, fail, other int) {
	for _, c := range m.Cells {
		switch c.Verdict {
		case "PASS":
			pass++
		case "FAIL":
			fail++
		default:
			other++
		}
	}
	return pass, fail, other
}

// pageView is what matrix.html shows.
type pageView struct {
	M                 *Matrix
	Rows              []rowView
	Pass, Fail, Other int
}

type rowView struct {
	Sender string
	Cells  []Cell
}

func view(m *Matrix) pageView {
	v := pageView{M: m}
	v.Pass, v.Fail, v.Other = counts(m)
	for i, s := range m.Systems {
		v.Rows = append(v.Rows, rowView{Sender: s, Cells: m.Cells[i*len(m.Systems) : (i+1)*len(m.Systems)]})
	}
	return v
}
