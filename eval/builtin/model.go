package builtin

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// IDontKnow is the answer a model gives when it has nothing to answer from.
const IDontKnow = "I don't know."

// ErrUnknownModel is wrapped by the error [Lookup] returns for a name that
// is not a builtin model.
var ErrUnknownModel = errors.New("unknown builtin model")

// Model is one builtin model. The zero Model answers [IDontKnow] to
// everything; get a real one from [Lookup].
type Model struct {
	name   string
	answer func(question string, passages []string) string
}

// Name returns the model's resolved name, for example "extractive-v2" for a
// model looked up as "extractive".
func (m Model) Name() string { return m.name }

// Answer answers question from passages. Each passage may hold several
// sentences and lines. The answer is text taken from the passages, or
// [IDontKnow]. Answer is deterministic and safe for concurrent use.
func (m Model) Answer(question string, passages []string) string {
	if m.answer == nil {
		return IDontKnow
	}
	return m.answer(question, passages)
}

// aliases maps each alias to the model name it stands for.
func aliases() map[string]string {
	return map[string]string{"extractive": "extractive-v2"}
}

func models() map[string]func(string, []string) string {
	return map[string]func(string, []string) string{
		"extractive-v1": answerV1,
		"extractive-v2": answerV2,
	}
}

// Names returns the names [Lookup] accepts, aliases included, sorted.
func Names() []string {
	var names []string
	for n := range models() {
		names = append(names, n)
	}
	for n := range aliases() {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the model with the given name or alias. An unknown name is
// an error wrapping [ErrUnknownModel] that lists the valid names.
func Lookup(name string) (Model, error) {
	resolved := name
	if a, ok := aliases()[name]; ok {
		resolved = a
	}
	f, ok := models()[resolved]
	if !ok {
		return Model{}, fmt.Errorf("%w %q (valid names: %s)", ErrUnknownModel, name, strings.Join(Names(), ", "))
	}
	return Model{name: resolved, answer: f}, nil
}
