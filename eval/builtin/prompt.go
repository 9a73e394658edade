package builtin

import (
	"errors"
	"strings"
)

// message is one chat message with its content flattened to text.
type message struct {
	role    string
	content string
}

// errNoUserMessage is returned by parsePrompt when no message has role user.
var errNoUserMessage = errors.New("messages must include a user message")

// parsePrompt splits chat messages into the question and the context
// passages, following the prompt convention in the package doc.
func parsePrompt(msgs []message) (question string, passages []string, err error) {
	last := -1
	for i, m := range msgs {
		if m.role == "user" {
			last = i
		}
	}
	if last < 0 {
		return "", nil, errNoUserMessage
	}
	for i, m := range msgs {
		switch m.role {
		case "system", "developer", "user":
		default:
			continue
		}
		lines := strings.Split(strings.ReplaceAll(m.content, "\r\n", "\n"), "\n")
		if i == last {
			question, lines = cutQuestion(lines)
		}
		passages = append(passages, contextLines(lines)...)
	}
	return question, passages, nil
}

// hasLabel reports whether line, trimmed, starts with label (compared case
// insensitively), and returns the text after it.
func hasLabel(line, label string) (string, bool) {
	t := strings.TrimSpace(line)
	if len(t) < len(label) || !strings.EqualFold(t[:len(label)], label) {
		return "", false
	}
	return strings.TrimSpace(t[len(label):]), true
}

// cutQuestion finds the question in the lines of the last user message and
// returns it with the remaining lines.
func cutQuestion(lines []string) (string, []string) {
	qi := -1
	for i, l := range lines {
		if _, ok := hasLabel(l, "question:"); ok {
			qi = i
		}
	}
	if qi >= 0 {
		first, _ := hasLabel(lines[qi], "question:")
		q := []string{first}
		end := qi + 1
		for ; end < len(lines); end++ {
			if _, ok := hasLabel(lines[end], "answer:"); ok {
				break
			}
			q = append(q, lines[end])
		}
		rest := append(lines[:qi:qi], lines[end:]...)
		return strings.TrimSpace(strings.Join(q, "\n")), rest
	}
	// No marker: the last non-empty paragraph is the question.
	end := len(lines)
	for end > 0 && strings.TrimSpace(lines[end-1]) == "" {
		end--
	}
	start := end
	for start > 0 && strings.TrimSpace(lines[start-1]) != "" {
		start--
	}
	return strings.TrimSpace(strings.Join(lines[start:end], "\n")), lines[:start]
}

// contextLines returns the lines of one message that are context: after a
// "Context:" line if there is one, without headings and without
// "Question:" or "Answer:" lines.
func contextLines(lines []string) []string {
	for i, l := range lines {
		if rest, ok := hasLabel(l, "context:"); ok {
			lines = append([]string{rest}, lines[i+1:]...)
			break
		}
	}
	var out []string
	for _, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasSuffix(t, ":") {
			continue
		}
		if _, ok := hasLabel(t, "question:"); ok {
			continue
		}
		if _, ok := hasLabel(t, "answer:"); ok {
			continue
		}
		out = append(out, t)
	}
	return out
}
