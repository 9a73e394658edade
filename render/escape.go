package render

// Escaping for documents written outside this package (evalgate card):
// the same rules the report's renderers apply.

// Markdown makes text from a config or a dataset inert in GitHub
// Markdown: HTML, table syntax, emphasis, links, mentions and bare URLs
// are escaped, and control characters written as visible escapes.
func Markdown(s string) string { return md(s) }

// MarkdownCode makes text safe inside a single-backtick code span in a
// Markdown table.
func MarkdownCode(s string) string { return mdCode(s) }

// Visible writes control characters (bidirectional overrides included)
// as visible escapes and tabs and newlines as spaces, for text that HTML
// escaping alone would leave acting on the reader.
func Visible(s string) string { return visible(s) }
