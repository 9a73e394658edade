package cards

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"

	"github.com/evalgate/evalgate/render"
)

//go:embed card.html.tmpl
var cardHTML string

var htmlTemplate = template.Must(template.New("card").Parse(cardHTML))

// WriteHTML writes c as a self-contained HTML page: card.html. It loads
// nothing (its Content-Security-Policy forbids it), and html/template
// escapes every string; control characters are shown as escapes.
func WriteHTML(w io.Writer, c *Card) error {
	v := visibleView(newView(c))
	var b bytes.Buffer
	if err := htmlTemplate.Execute(&b, v); err != nil {
		return fmt.Errorf("render card html: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// visibleView is v with every string passed through render.Visible.
func visibleView(v view) view {
	vis := render.Visible
	visTable := func(t table) table {
		out := table{Header: make([]string, len(t.Header))}
		for i, h := range t.Header {
			out.Header[i] = vis(h)
		}
		for _, r := range t.Rows {
			row := make([]string, len(r))
			for i, c := range r {
				row[i] = vis(c)
			}
			out.Rows = append(out.Rows, row)
		}
		return out
	}
	v.Title, v.Intro = vis(v.Title), vis(v.Intro)
	secs := make([]section, len(v.Sections))
	for i, s := range v.Sections {
		s.Title = vis(s.Title)
		blocks := make([]block, len(s.Blocks))
		for j, bl := range s.Blocks {
			bl.Heading, bl.Text = vis(bl.Heading), vis(bl.Text)
			if bl.List != nil {
				l := make([]string, len(bl.List))
				for k, x := range bl.List {
					l[k] = vis(x)
				}
				bl.List = l
			}
			if bl.Table != nil {
				t := visTable(*bl.Table)
				bl.Table = &t
			}
			blocks[j] = bl
		}
		s.Blocks = blocks
		secs[i] = s
	}
	v.Sections = secs
	v.Controls = visTable(v.Controls)
	return v
}
