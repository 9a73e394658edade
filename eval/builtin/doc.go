// Package builtin holds the small deterministic models that ship with
// evalgate, and an OpenAI-compatible HTTP endpoint that serves them.
//
// The models let the whole runner path — the go-openai client, HTTP,
// concurrency, retries, the cache — run with no network and no API key, as
// the quickstart does. They are real, simple baselines, not canned answers:
// each is an extractive reader that answers with the context sentence that
// best matches the question. Given the same request they always give the
// same answer; temperature, seed and similar sampling parameters are accepted
// and ignored.
//
// # Models
//
//   - extractive-v1 scores every context sentence by raw token overlap with
//     the question: the number of distinct lower-case word tokens of the
//     question that also occur in the sentence. There is no stemming and stop
//     words count. It answers with the whole best sentence; ties go to the
//     earliest sentence, so with no overlap at all it answers with the first.
//   - extractive-v2 retrieves better. It drops stop words, applies light
//     suffix stemming ("refunds", "refunded" → "refund"), weights each term
//     by its inverse document frequency over the context sentences (a term
//     found in every sentence tells little), and expands the question with a
//     small lexicon of customer-support paraphrases ("money back" → refund,
//     "parcel" → package, "sign in" → log in). The phrases of one paraphrase
//     group count once, through the best one a sentence contains; an
//     expansion weighs 0.6 of a word the customer used. A question that asks
//     for a quantity ("how long", "how much", "when", ...) also favours
//     sentences that hold a number. When no sentence matches anything it
//     answers "I don't know.". Its weakness: it answers with only the best
//     clause of the best sentence — the sentence is cut at ";" and at
//     ", and", ", but", ", while", ", so" and ", or", and the clause is
//     chosen by the question's words alone — which drops the answer when it
//     sits in a clause that shares fewer words with the question than
//     another ("You can return unused items for a full refund, and you have
//     30 days from delivery to start a return.").
//   - extractive is an alias of the newest version, extractive-v2. A model
//     looked up through the alias reports its resolved name, as hosted APIs
//     do, so results record which version actually answered.
//
// With no context sentences at all, every model answers "I don't know.".
//
// # Prompt convention
//
// Over HTTP a model reads the chat messages of the request. Only system,
// developer and user messages are read; assistant and tool messages are
// ignored.
//
//   - The question is taken from the last user message: the text after the
//     last line that starts with "Question:", up to a line that starts with
//     "Answer:" if there is one. If the message has no "Question:" line, its
//     last non-empty paragraph (blank-line separated) is the question.
//   - All other text of the system, developer and user messages is the
//     context, with three exceptions. A line that ends with ":" (such as
//     "Context:") is a heading, not context. When a message has a line
//     starting with "Context:", the text before that line in the message is
//     an instruction to the model and is not context; text after "Context:"
//     on the same line is context. Lines starting with "Question:" or
//     "Answer:" are not context.
//   - The context is split into sentences at ".", "!" or "?" followed by a
//     space or a line break, and at line breaks. Leading list markers ("- ",
//     "* ", "• ", "1. ", "1) ") are removed.
//
// So the quickstart prompt
//
//	Answer the customer's question using only the context below.
//
//	Context:
//	- <passage 1>
//	- <passage 2>
//
//	Question: <input>
//
// gives the model exactly the passages and the input, the same as calling
// [Model.Answer] directly.
//
// # HTTP endpoint
//
// [Handler] serves POST /v1/chat/completions, GET /v1/models and
// GET /v1/models/{id} (each also without the /v1 prefix) in the OpenAI wire
// format; [Serve] runs it on a loopback port and returns a base URL for
// go-openai's ClientConfig.BaseURL.
//
// Token usage is an estimate, since the models have no tokenizer: a text of
// w whitespace-separated words counts as round(4w/3) tokens. prompt_tokens
// is the sum of that estimate over the content of every message. max_tokens
// (or max_completion_tokens) truncates the answer to the longest prefix of
// whole words whose estimate fits, with finish_reason "length"; stop
// sequences truncate it before the first match, with finish_reason "stop".
// n > 1 returns n identical choices.
//
// Errors use the OpenAI error envelope {"error": {"message", "type",
// "param", "code"}}, always with type "invalid_request_error", and are never
// worth retrying:
//
//	404 model_not_found             unknown model (param "model")
//	400 invalid_json                malformed JSON body
//	400 missing_required_parameter  no model, or no messages
//	400 invalid_value               bad n, max_tokens, stop or content, no user message
//	400 unsupported_value           stream: true
//	405 method_not_allowed          wrong method (with an Allow header)
//	404 unknown_url                 any other path
//	413 request_too_large           body over 16 MiB
package builtin
