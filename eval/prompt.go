package eval

import (
	"bytes"
	"fmt"
	"text/template"

	"github.com/evalgate/evalgate/records"
)

// Message is one chat message.
type Message struct {
	// Role is "system", "user" or "assistant".
	Role    string
	Content string
}

// Prompt renders eval-set rows into chat messages with text/template. The
// template's data is the records.Item: .ID, .Input, .System, .Context,
// .Expected, .Task, .Extra and the other fields. A reference to a field that
// does not exist is an error when the template is parsed or executed, never
// an empty string.
type Prompt struct {
	system *template.Template // nil: use the row's system column
	user   *template.Template
}

// NewPrompt parses the system and user templates. An empty system template
// means each row's own system column (if any) is the system message.
func NewPrompt(system, user string) (*Prompt, error) {
	p := &Prompt{}
	var err error
	if system != "" {
		if p.system, err = parseTemplate("prompt.system", system); err != nil {
			return nil, err
		}
	}
	if p.user, err = parseTemplate("prompt.template", user); err != nil {
		return nil, err
	}
	// Execute once against an empty row so that misspelled field names
	// ({{.Inptu}}) fail now rather than on every row.
	if _, err := p.Render(&records.Item{}); err != nil {
		return nil, err
	}
	return p, nil
}

func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	return t, nil
}

// Render returns the messages for item: an optional system message, then
// the user message.
func (p *Prompt) Render(item *records.Item) ([]Message, error) {
	var msgs []Message
	system := item.System
	if p.system != nil {
		s, err := execute(p.system, item)
		if err != nil {
			return nil, err
		}
		system = s
	}
	if system != "" {
		msgs = append(msgs, Message{Role: "system", Content: system})
	}
	user, err := execute(p.user, item)
	if err != nil {
		return nil, err
	}
	return append(msgs, Message{Role: "user", Content: user}), nil
}

func execute(t *template.Template, item *records.Item) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, item); err != nil {
		return "", fmt.Errorf("render %s for item %q: %w", t.Name(), item.ID, err)
	}
	return b.String(), nil
}
