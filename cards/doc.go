// Package cards writes model cards: card.json, card.md and card.html,
// and their signature card.dsse.json.
//
// A card is built (Build) from signed documents only: one or more signed
// reports of one candidate model (report.dsse.json), optionally signed
// drift reports, and the config's card block (configs.Card) for what no
// measurement says: intended use, out-of-scope use, limitations, owners.
// Build verifies every document and refuses one that does not verify
// (ErrUnverified) or reports of different models (ErrMismatch). Every
// number on the card is copied from a verified report; the card's
// Sources list the documents by the SHA-256 of their envelopes.
//
// The sections follow Mitchell et al., "Model Cards for Model Reporting"
// (FAT* 2019), and the Hugging Face model-card layout: model details,
// intended use, evaluation data, metrics with intervals, fairness by
// group, groundedness, boundaries, personal data, regression, human
// review, drift, gate verdicts, limitations and warnings, the approval
// trail and the sources. Each section names the audit controls it gives
// evidence for (reports.SectionControls).
//
// The Markdown and the HTML are two writers over one layout of plain text;
// both escape every string, so text from a config, a dataset or a model
// cannot become markup, a link or a mention.
//
// Sign signs a card as an in-toto Statement of type PredicateType whose
// predicate is the card and whose subjects are the rendered files and
// the source envelopes; Verify checks the signature. Changing a number in
// card.md or card.json afterwards breaks the file's subject digest.
package cards
