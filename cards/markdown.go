package cards

import (
	"bytes"
	"io"
	"strings"

	"github.com/evalgate/evalgate/render"
)

// WriteMarkdown writes c as GitHub-flavoured Markdown: card.md. Every
// string is escaped (render.Markdown), so text from a config, a dataset
// or a model shows as written and links, mentions or HTML nowhere.
func WriteMarkdown(w io.Writer, c *Card) error {
	v := newView(c)
	var b bytes.Buffer
	b.WriteString("# " + render.Markdown(v.Title) + "\n\n" + render.Markdown(v.Intro) + "\n")
	for _, s := range v.Sections {
		b.WriteString("\n## " + render.Markdown(s.Title) + "\n")
		if len(s.Controls) > 0 {
			b.WriteString("\nControls: " + render.Markdown(controlIDs(s.Controls)) + "\n")
		}
		for _, bl := range s.Blocks {
			b.WriteString("\n")
			mdBlock(&b, bl)
		}
	}
	b.WriteString("\n## Controls\n\nThe audit controls this card gives evidence for, and the sections that do.\n\n")
	mdTable(&b, v.Controls)
	_, err := w.Write(b.Bytes())
	return err
}

func mdBlock(b *bytes.Buffer, bl block) {
	switch {
	case bl.Heading != "":
		b.WriteString("### " + render.Markdown(bl.Heading) + "\n")
	case bl.List != nil:
		for _, x := range bl.List {
			b.WriteString("- " + render.Markdown(x) + "\n")
		}
	case bl.Table != nil:
		mdTable(b, *bl.Table)
	default:
		b.WriteString(render.Markdown(bl.Text) + "\n")
	}
}

func mdTable(b *bytes.Buffer, t table) {
	row := func(cells []string) {
		esc := make([]string, len(cells))
		for i, c := range cells {
			esc[i] = render.Markdown(c)
		}
		b.WriteString("| " + strings.Join(esc, " | ") + " |\n")
	}
	row(t.Header)
	sep := make([]string, len(t.Header))
	for i := range sep {
		sep[i] = "---"
	}
	b.WriteString("| " + strings.Join(sep, " | ") + " |\n")
	for _, r := range t.Rows {
		row(r)
	}
}
