package configs

import "strings"

// Card is the part of a model card that no measurement gives: what the
// model is for, what it is not for, what is known to be wrong with it and
// who answers for it. evalgate card copies it onto the card verbatim
// (escaped); runs ignore it. Every key is optional.
type Card struct {
	// IntendedUse says what the model is for and who its users are, in a
	// paragraph.
	IntendedUse string `yaml:"intended_use"`
	// OutOfScope lists uses the model is not meant for, one per entry.
	OutOfScope []string `yaml:"out_of_scope"`
	// Limitations lists known limitations, one per entry; the card adds the
	// statistical warnings of the signed reports after them.
	Limitations []string `yaml:"limitations"`
	// Owners names the people or teams responsible for the model.
	Owners []string `yaml:"owners"`
	// Contact is where questions about the model go (an address or a URL).
	Contact string `yaml:"contact"`
}

// validate refuses empty list entries: an entry left blank is an edit
// half done, not a statement.
func (c *Card) validate(bad func(path, format string, args ...any)) {
	for _, l := range []struct {
		key  string
		list []string
	}{{"card.out_of_scope", c.OutOfScope}, {"card.limitations", c.Limitations}, {"card.owners", c.Owners}} {
		for i, s := range l.list {
			if strings.TrimSpace(s) == "" {
				bad(l.key, "%s[%d] is empty", l.key, i)
			}
		}
	}
}
