package eval

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/evalgate/evalgate/records"
)

// Message is one chat message.
type Message struct {
	// Role is "system", "developer", "user" or "assistant".
	Role    string
	Content string
}

// Prompt renders eval-set rows into chat messages with text/template. The
// template's data is the records.Item: .ID, .Input, .System, .Context,
// .Expected, .Task, .Extra and the other fields. A reference to a field that
// does not exist is an error when the template is parsed or executed, never
// an empty string.
//
// A row whose Messages hold a conversation is sent as that conversation,
// turn by turn; the user template applies to its last user turn only,
// rendered with .Input set to that turn's content, so that the default
// template "{{.Input}}" leaves the conversation as it is. The system
// message (the system template, or the row's system column) goes first
// only when the conversation has no system or developer turn of its own.
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
	// Walk every branch for fields a row does not have ({{.Question}},
	// also inside an {{if}} no row may reach), then execute once against
	// an empty row, so that misspelled field names fail now rather than
	// on some rows.
	for _, t := range p.templates() {
		if f := unknownField(t.Root, true); f != "" {
			return nil, &FieldError{Template: t.Name(), Field: f}
		}
		if err := t.Execute(&bytes.Buffer{}, &records.Item{}); err != nil {
			if f := missingField(err); f != "" {
				return nil, &FieldError{Template: t.Name(), Field: f}
			}
			return nil, fmt.Errorf("parse %s: %w", t.Name(), err)
		}
	}
	return p, nil
}

// FieldError is a prompt template that reads a field an eval-set row
// (records.Item) does not have, such as {{.Question}}.
type FieldError struct {
	// Template is prompt.template or prompt.system.
	Template string
	// Field is the name read, without the dot.
	Field string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("parse %s: {{.%s}}: an eval-set row has no field %s; the fields are %s, and .Extra.<column> for any other string column", e.Template, e.Field, e.Field, strings.Join(itemFields(), " "))
}

// unknownField returns the first field read from the row that records.Item
// does not have, walking every branch of node; "" when there is none.
// itemDot says whether dot is the row there: inside {{range}} and {{with}}
// it is something else, and only $.Field is checked.
func unknownField(node parse.Node, itemDot bool) string {
	isField := func(name string) bool {
		_, ok := reflect.TypeFor[records.Item]().FieldByName(name)
		return ok
	}
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return ""
		}
		for _, c := range n.Nodes {
			if f := unknownField(c, itemDot); f != "" {
				return f
			}
		}
	case *parse.ActionNode:
		return unknownField(n.Pipe, itemDot)
	case *parse.TemplateNode:
		return unknownField(n.Pipe, itemDot)
	case *parse.PipeNode:
		if n == nil {
			return ""
		}
		for _, c := range n.Cmds {
			if f := unknownField(c, itemDot); f != "" {
				return f
			}
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			if f := unknownField(a, itemDot); f != "" {
				return f
			}
		}
	case *parse.ChainNode:
		return unknownField(n.Node, itemDot)
	case *parse.FieldNode:
		if itemDot && !isField(n.Ident[0]) {
			return n.Ident[0]
		}
	case *parse.VariableNode:
		if len(n.Ident) > 1 && n.Ident[0] == "$" && !isField(n.Ident[1]) {
			return n.Ident[1]
		}
	case *parse.IfNode:
		return firstOf(unknownField(n.Pipe, itemDot), unknownField(n.List, itemDot), unknownField(n.ElseList, itemDot))
	case *parse.WithNode:
		return firstOf(unknownField(n.Pipe, itemDot), unknownField(n.List, false), unknownField(n.ElseList, itemDot))
	case *parse.RangeNode:
		return firstOf(unknownField(n.Pipe, itemDot), unknownField(n.List, false), unknownField(n.ElseList, itemDot))
	}
	return ""
}

func firstOf(names ...string) string {
	for _, s := range names {
		if s != "" {
			return s
		}
	}
	return ""
}

// Check renders item as Render does, and also fails where a template
// reads a key of .Extra that the item does not have: a column the eval
// set lacks, which Render would render as an empty string. The error
// names the item and the columns it has.
func (p *Prompt) Check(item *records.Item) error {
	item, _ = view(item)
	for _, t := range p.templates() {
		strict, err := t.Clone()
		if err != nil {
			return err
		}
		strict.Option("missingkey=error")
		if err := strict.Execute(&bytes.Buffer{}, item); err != nil {
			if strings.Contains(err.Error(), "map has no entry for key") {
				cols := make([]string, 0, len(item.Extra))
				for c := range item.Extra {
					cols = append(cols, c)
				}
				slices.Sort(cols)
				return fmt.Errorf("render %s for item %q: %w (the eval set's other string columns are: %s)", t.Name(), item.ID, err, orNone(strings.Join(cols, ", ")))
			}
			return renderErr(t, item, err)
		}
	}
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func (p *Prompt) templates() []*template.Template {
	if p.system == nil {
		return []*template.Template{p.user}
	}
	return []*template.Template{p.system, p.user}
}

var missingFieldRE = regexp.MustCompile(`can't evaluate field (\w+) in type`)
var fieldTypeRE = regexp.MustCompile(`can't evaluate field (\w+) in type (\S+)`)

// renderErr wraps an error of executing t on item, naming the item; a
// field read from something other than the row (dot inside {{range}} or
// {{with}}) is explained rather than left as a Go type name.
func renderErr(t *template.Template, item *records.Item, err error) error {
	if m := fieldTypeRE.FindStringSubmatch(err.Error()); m != nil && !strings.HasSuffix(m[2], "records.Item") {
		return fmt.Errorf("render %s for item %q: {{.%s}} reads a field of a %s, which has none: inside {{range}} or {{with}} the dot is the element, not the row (write $.%s for the row's field); the row's fields are %s", t.Name(), item.ID, m[1], strings.TrimPrefix(m[2], "*"), m[1], strings.Join(itemFields(), " "))
	}
	return fmt.Errorf("render %s for item %q: %w", t.Name(), item.ID, err)
}

// missingField is the field name of a template error about a field that
// does not exist, or "".
func missingField(err error) string {
	if m := missingFieldRE.FindStringSubmatch(err.Error()); m != nil {
		return m[1]
	}
	return ""
}

// itemFields lists the fields a template may read, as ".ID .Input …".
func itemFields() []string {
	t := reflect.TypeFor[records.Item]()
	out := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		out = append(out, "."+f.Name)
	}
	return out
}

func parseTemplate(name, text string) (*template.Template, error) {
	t, err := template.New(name).Option("missingkey=zero").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	return t, nil
}

// Render returns the messages for item: an optional system message, then
// the user message; or, for an item with Messages, the conversation with
// the template applied to its last user turn (see Prompt).
func (p *Prompt) Render(item *records.Item) ([]Message, error) {
	item, last := view(item)
	if last >= 0 {
		return p.renderConversation(item, last)
	}
	msgs, err := p.systemMessage(nil, item)
	if err != nil {
		return nil, err
	}
	user, err := execute(p.user, item)
	if err != nil {
		return nil, err
	}
	return append(msgs, Message{Role: "user", Content: user}), nil
}

// systemMessage appends to msgs the system message of item: prompt.system
// rendered, else the item's own system column; nothing when both are
// empty.
func (p *Prompt) systemMessage(msgs []Message, item *records.Item) ([]Message, error) {
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
	return msgs, nil
}

func execute(t *template.Template, item *records.Item) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, item); err != nil {
		return "", renderErr(t, item, err)
	}
	return b.String(), nil
}

// view is the item a template sees: item itself, or for an item with a
// conversation a copy whose Input is the content of the last user turn,
// whose index it also returns (-1 for an item without a conversation, or
// none of whose turns is a user's).
func view(item *records.Item) (*records.Item, int) {
	last := -1
	for i, m := range item.Messages {
		if m.Role == "user" {
			last = i
		}
	}
	if last < 0 {
		return item, -1
	}
	v := *item
	v.Input = item.Messages[last].Content
	return &v, last
}

// renderConversation is Render for an item with a conversation whose last
// user turn is at index last; item is its view.
func (p *Prompt) renderConversation(item *records.Item, last int) ([]Message, error) {
	msgs := make([]Message, 0, len(item.Messages)+1)
	own := slices.ContainsFunc(item.Messages, func(m records.Message) bool { return m.Role == "system" || m.Role == "developer" })
	if !own {
		var err error
		if msgs, err = p.systemMessage(msgs, item); err != nil {
			return nil, err
		}
	}
	user, err := execute(p.user, item)
	if err != nil {
		return nil, err
	}
	for i, m := range item.Messages {
		if i == last {
			m.Content = user
		}
		msgs = append(msgs, Message{Role: m.Role, Content: m.Content})
	}
	return msgs, nil
}
