package integrity

import (
	"bytes"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Groundedness methods, as recorded in Grounding.Method.
const (
	// GroundLexical checks claims against the context by word overlap and
	// hard evidence (numbers, dates, names); local, fast, no model.
	GroundLexical = "lexical"
	// GroundJudge asks an LLM to verify each claim (see JudgeMessages).
	GroundJudge = "judge"
)

// DefaultMinCoverage is the default GroundOptions.MinCoverage: a claim needs
// at least a third of its distinct content words in one passage. Answers
// paraphrase, so overlap is a weak signal and the bar is low; the hard
// evidence (numbers, names, contradicted attributes) does the precise work.
const DefaultMinCoverage = 1.0 / 3

// GroundOptions configure a Grounder. The zero value gives the documented
// defaults.
type GroundOptions struct {
	// MinCoverage is the share of a claim's distinct content words, in
	// (0, 1], that one passage must contain for the claim to count as
	// supported; 0 means DefaultMinCoverage (1/3).
	MinCoverage float64
	// StopWords are the lower-case words that carry no checkable content:
	// function words, and the words answers use to talk about the context
	// itself ("the article says", "based on the provided data"). Nil means
	// DefaultStopWords(); an empty non-nil slice means none.
	StopWords []string
	// NoSynonyms turns off paraphrase tolerance: by default a claim word
	// is also covered by a passage word that shares a WordNet synset with
	// it (each word's most frequent sense per part of speech) or is its
	// derivationally related form ("decide", "decision"); see wordnet.go.
	NoSynonyms bool
	// Task is the kind of answer checked, which selects the calibrated
	// threshold: "summary" or "data2txt" (case does not matter), or ""
	// when unknown, for the calibration of both pooled. A task without a
	// calibration takes the pooled one. See CalibrationFor.
	Task string
	// Threshold is the hallucination score (Grounding.Score) at or above
	// which an answer is hallucinated, in (0, 1]; 0 means the calibrated
	// threshold of Task, chosen on the RAGTruth development split and
	// cross-validated (BENCHMARKS.md). A value above 1 flags nothing.
	Threshold float64
}

// Grounding is the groundedness check of one answer against its context.
type Grounding struct {
	// Method is GroundLexical or GroundJudge.
	Method string `json:"method"`
	// Claims are the answer's checkable claims, in order: its sentences
	// (and lines, and clauses separated by semicolons), cut into clauses
	// after commas and before clause-opening conjunctions (pieces of at
	// least two content words each; see grClauses), that contain at least
	// one content word. Fragments without content ("Sure!") and lead-ins
	// that end in a colon ("Here is a summary in 80 words:") are left out.
	Claims []Claim `json:"claims"`
	// SupportedFraction is the share of Claims that are supported, in
	// [0, 1]; 1 when there are no claims (an empty answer asserts nothing).
	SupportedFraction float64 `json:"supported_fraction"`
	// Hallucinated is the verdict: Score is at or above the Grounder's
	// threshold (GroundOptions.Threshold). An answer can have unsupported
	// claims and not be hallucinated, when they weigh too little in Score
	// (a claim that one passage covers at MinCoverage but not fully, among
	// well supported ones); Unsupported lists them either way. Judge:
	// at least one claim is unsupported.
	Hallucinated bool `json:"hallucinated"`
	// Abstained reports that the answer declines to answer: every claim is
	// an abstention ("the context does not say", "I don't know"). Such an
	// answer is grounded; sets count it separately.
	Abstained bool `json:"abstained"`
	// Score is a continuous hallucination score in [0, 1], higher meaning
	// more likely hallucinated, for ranking and AUROC. Lexical: the mean
	// share of the claims' content words that their best window lacks (three
	// consecutive sentences of a prose passage, or a whole JSON passage),
	// with each item of hard evidence (Claim.Missing, Claim.Contradicted)
	// halving what is left: 1 − (1 − mean(1 − Coverage)) · 2^−hard. Judge:
	// 1 − SupportedFraction.
	Score float64 `json:"hallucination_score"`
}

// Unsupported returns the claims that are not supported, in order.
func (g Grounding) Unsupported() []Claim {
	var out []Claim
	for _, c := range g.Claims {
		if !c.Supported {
			out = append(out, c)
		}
	}
	return out
}

// Claim is one checked claim of an answer, with its evidence.
type Claim struct {
	// Text is the claim as written in the answer; Start and End are its
	// byte offsets in the answer.
	Text  string `json:"text"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	// Supported reports whether the context supports the claim.
	Supported bool `json:"supported"`
	// Abstention marks a claim that says the context does not answer
	// ("the article does not mention …"); it counts as supported.
	Abstention bool `json:"abstention,omitempty"`
	// Coverage is the share of the claim's distinct content words found in
	// the best-matching passage, in [0, 1]. For the judge method it is 1
	// when the judge found the claim supported and 0 otherwise.
	Coverage float64 `json:"coverage"`
	// Passage is the 0-based index of the best-matching passage, or -1 when
	// no passage contains any of the claim's content words (and for the
	// judge method).
	Passage int `json:"passage"`
	// Snippet is the sentence (or, in a JSON passage, the key/value entry)
	// of that passage that shares most content words with the claim,
	// shortened to about 300 bytes.
	Snippet string `json:"snippet,omitempty"`
	// Missing lists hard evidence in the claim — numbers, dates, times,
	// amounts and capitalised names — that appears nowhere in the context,
	// as written in the claim.
	Missing []string `json:"missing,omitempty"`
	// Contradicted lists claim words that the context uses only as a JSON
	// attribute whose value is false, "no", "none" or null (for a compound
	// key such as "OutdoorSeating", its last word or joined form), when the
	// claim has no negation. A negated claim ("no outdoor seating") is
	// covered by such an attribute instead.
	Contradicted []string `json:"contradicted,omitempty"`
	// Uncovered lists, for an unsupported claim, its content words that the
	// best-matching passage lacks, as written in the claim.
	Uncovered []string `json:"uncovered,omitempty"`
	// Reason is the judge's explanation (judge method only).
	Reason string `json:"reason,omitempty"`
}

// Grounder checks answers against their context with the lexical method.
// Build one with NewGrounder (the zero Grounder has no stop words and
// supports every claim without hard evidence against it) and reuse it: it
// is safe for concurrent use by multiple goroutines, and keeps per-call
// scratch space in a pool so that Ground allocates little more than what
// it returns.
type Grounder struct {
	minCoverage float64
	threshold   float64
	// fixedThreshold is set when GroundOptions.Threshold was given: it then
	// holds for every task type (GroundTask).
	fixedThreshold bool
	lex            grSet // word classes (lex…) by hash of the lower-case word
	syn            *grSynonyms
	pool           sync.Pool
}

// NewGrounder returns a Grounder with opts; zero fields take their
// defaults. A MinCoverage outside (0, 1] is clamped into it.
func NewGrounder(opts GroundOptions) *Grounder {
	g := &Grounder{minCoverage: opts.MinCoverage}
	if g.minCoverage == 0 || math.IsNaN(g.minCoverage) {
		g.minCoverage = DefaultMinCoverage
	}
	g.minCoverage = max(math.SmallestNonzeroFloat64, min(1, g.minCoverage))
	g.threshold = opts.Threshold
	g.fixedThreshold = g.threshold > 0 && !math.IsNaN(g.threshold)
	if !g.fixedThreshold {
		c, ok := CalibrationFor(strings.ToLower(opts.Task))
		if !ok {
			c, _ = CalibrationFor("")
		}
		g.threshold = c.Threshold
	}
	words := opts.StopWords
	if words == nil {
		words = grStopWords
	}
	g.buildLexicon(words)
	if !opts.NoSynonyms {
		g.syn = synonyms()
	}
	g.pool.New = func() any { return new(grScratch) }
	return g
}

var defaultGrounder = sync.OnceValue(func() *Grounder { return NewGrounder(GroundOptions{}) })

// Ground checks output against context with a Grounder with default options.
func Ground(output string, context []string) Grounding {
	return defaultGrounder().Ground(output, context)
}

// SplitClaims returns the checkable claims of output, as Grounder.Claims
// with default options does.
func SplitClaims(output string) []string {
	return defaultGrounder().Claims(output)
}

// DefaultStopWords returns a copy of the default stop words: English
// function words, and the words answers use to refer to their sources and
// to report ("article", "context", "provided", "mentions", "overall").
func DefaultStopWords() []string {
	return append([]string(nil), grStopWords...)
}

// Claims returns the texts of output's checkable claims, split as Ground
// splits them: what a judge is asked to verify.
func (g *Grounder) Claims(output string) []string {
	z := g.scratch()
	defer g.pool.Put(z)
	z.toks, z.units = z.toks[:0], z.units[:0]
	z.tokenize(g, output, false, false)
	var out []string
	z.clauseUnits = z.clauseUnits[:0]
	for _, u := range z.units {
		if text := grTrim(output, int(u.start), int(u.end)); z.hasContent(u) && !strings.HasSuffix(text, ":") {
			z.clauseUnits = grClauses(z.clauseUnits, z.toks, output, u)
		}
	}
	for _, u := range z.clauseUnits {
		out = append(out, grTrim(output, int(u.start), int(u.end)))
	}
	return out
}

// grMinClause is the fewest content words a clause needs to stand as a
// claim of its own; a shorter piece joins its neighbour. A single word
// ("Australia" of a list, "however") cannot be checked apart from what it
// modifies, and two are the least that state a relation.
const grMinClause = 2

// grClauses appends to dst the clauses of the sentence u of output (tokens
// toks): it is cut after a comma and before a conjunction that always
// opens a clause ("but", "while", "whereas", "although", "though"; see
// lexConj), so that a claim that joins a supported statement to an
// unsupported one is checked piece by piece instead of being carried by
// its supported half. "and", "which", "who" and "that" open a clause to
// cut when a comma precedes them (", and the court ruled", ", which
// …"); without one, "and" mostly joins nouns ("Shelton and Bryan") and a
// relative clause defines its noun, which a cut would leave unchecked.
// A comma between two capitalised words does not cut. A piece with fewer
// than grMinClause content words joins the piece before it (the first
// piece, the one after it).
func grClauses(dst []grUnit, toks []grTok, output string, u grUnit) []grUnit {
	first := len(dst)
	piece := grUnit{lo: u.lo, start: u.start, sent: u.sent}
	content := 0
	flush := func(hi, end int32) {
		piece.hi, piece.end = hi, end
		if content < grMinClause && len(dst) > first {
			prev := &dst[len(dst)-1]
			prev.hi, prev.end = piece.hi, piece.end
		} else if len(dst) > first && grUnitContent(toks, dst[len(dst)-1]) < grMinClause {
			prev := &dst[len(dst)-1]
			prev.hi, prev.end = piece.hi, piece.end
		} else {
			dst = append(dst, piece)
		}
	}
	for i := u.lo; i < u.hi; i++ {
		t := toks[i]
		if i > piece.lo {
			gap := output[toks[i-1].end:t.start]
			// A comma between capitalised words is part of a name
			// ("Goleta, California", "Paris, France"), not a cut.
			comma := strings.IndexByte(gap, ',') >= 0 && (t.flags&tfCap == 0 || toks[i-1].flags&tfCap == 0)
			if t.flags&tfConj != 0 || comma {
				at := t.start
				if c := strings.IndexByte(gap, ','); c >= 0 && t.flags&tfConj == 0 {
					at = toks[i-1].end + int32(c) + 1
				}
				flush(i, at)
				piece = grUnit{lo: i, start: at, sent: u.sent}
				content = 0
			}
		}
		if t.flags&tfContent != 0 && t.flags&tfJoined == 0 {
			content++
		}
	}
	flush(u.hi, u.end)
	return dst
}

// grUnitContent counts the content words of u.
func grUnitContent(toks []grTok, u grUnit) int {
	n := 0
	for _, t := range toks[u.lo:u.hi] {
		if t.flags&tfContent != 0 && t.flags&tfJoined == 0 {
			n++
		}
	}
	return n
}

// Ground checks output against the passages of context with the lexical
// method. Each passage is tokenised once per call.
//
// Each claim is looked up in each passage. A content word (not a stop word;
// lower-cased, stemmed, numbers normalised so that "1,000" = "1000", "5.0" =
// "5", "8:00" = "8:0" and "9 pm" = "21:0", month names = month numbers,
// spelled numbers two…twenty = digits, hyphenated and camel-case compounds
// matched joined or split, US state codes and street abbreviations
// expanded) is covered by a passage that contains it, or a WordNet synonym
// or derived form of it (see GroundOptions.NoSynonyms). A claim is supported
// when the best passage covers at least MinCoverage of its distinct content
// words, it has no Missing hard evidence (a number, date, time or
// capitalised name found nowhere in the context — a name also counts as
// found when a context word shares its stem, "Canadian"/"Canada", or, for
// an acronym, when capitalised context words spell it), and nothing
// Contradicted (see Claim.Contradicted). A passage that starts with '{' or
// '[' is read as JSON, so that structured records (keys, values, escapes)
// match prose. Claims that abstain are supported.
//
// The answer's Score weighs each claim by the words its best window lacks
// (three consecutive sentences of a prose passage, a whole JSON passage)
// and halves what is left per item of hard evidence; the answer is
// hallucinated when Score reaches the threshold (GroundOptions.Threshold,
// by default the task's calibrated one).
//
// The first word of a sentence is a name only when the next word is
// capitalised too or it is all capitals, so that sentence case does not
// count as a name.
//
// Terminal escape sequences in output (ANSI colours, OSC hyperlinks) are
// dropped before the claims are split: their parameters are not claims or
// numbers. Claim offsets then refer to the output without them.
func (g *Grounder) Ground(output string, context []string) Grounding {
	z := g.scratch()
	defer g.pool.Put(z)
	return z.ground(g, stripEscapes(output), context)
}

// inserts bounds the entries a word table gets from toks: two per token
// (its word, and an alternative form or the whole context's copy) and,
// with synonyms, one per synset of each content token.
func (g *Grounder) inserts(toks []grTok) int {
	n := 2 * len(toks)
	if g.syn != nil {
		for _, t := range toks {
			if t.flags&tfContent != 0 {
				n += len(g.syn.of(t.h))
			}
		}
	}
	return n
}

// GroundTask is Ground with the verdict at the calibrated threshold of the
// task type taskType ("summary", "data2txt", or "" for the pooled one; a
// type without a calibration takes the pooled one), so that answers of
// each kind are judged at the threshold whose precision and recall the
// report states (groundedness.task_types). A Grounder given an explicit
// GroundOptions.Threshold uses it for every type.
func (g *Grounder) GroundTask(output string, context []string, taskType string) Grounding {
	gr := g.Ground(output, context)
	if g.fixedThreshold || g.threshold <= 0 || len(gr.Claims) == 0 {
		return gr
	}
	c, ok := CalibrationFor(strings.ToLower(taskType))
	if !ok {
		c, _ = CalibrationFor("")
	}
	if c.Threshold > 0 {
		gr.Hallucinated = gr.Score >= c.Threshold
	}
	return gr
}

// stripEscapes removes ESC-introduced terminal sequences from s: CSI
// (ESC [ … final byte), OSC (ESC ] … BEL or ESC \) and two-byte escapes.
// Text without ESC is returned as is, without copying.
func stripEscapes(s string) string {
	if strings.IndexByte(s, 0x1b) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != 0x1b {
			b.WriteByte(s[i])
			i++
			continue
		}
		i++
		if i >= len(s) {
			break
		}
		switch s[i] {
		case '[': // CSI: parameters and intermediates, then a final byte @ to ~
			i++
			for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
				i++
			}
			i++
		case ']': // OSC: up to BEL or ST (ESC \)
			i++
			for i < len(s) && s[i] != 0x07 && !(s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\') {
				i++
			}
			if i < len(s) && s[i] == 0x1b {
				i++
			}
			i++
		default: // a two-byte escape
			i++
		}
	}
	return b.String()
}

func (g *Grounder) scratch() *grScratch {
	if z, ok := g.pool.Get().(*grScratch); ok {
		return z
	}
	return new(grScratch)
}

// Token flags.
const (
	tfContent = 1 << iota // not a stop word: counts toward coverage
	tfNumber              // number, date part, time or month: hard evidence
	tfCap                 // starts with an upper-case letter
	tfAllCaps             // two or more letters, all upper case
	tfNeg                 // a negation word
	tfFalse               // JSON: in a key whose value is false, "no" or "none"
	tfNull                // JSON: in a key whose value is null
	tfJoined              // context only: a compound's joined form
	tfCue                 // a word some abstentions use without a negation
	tfOmit                // context only: not a word of the passage on its own
	tfConj                // a conjunction or relative pronoun that opens a clause
)

// Context membership bits.
const (
	inPos   = 1 << iota // used positively
	inFalse             // key with a false value
	inNull              // key with a null value
)

type grTok struct {
	h, alt     uint64 // normalised form; alt: the joined compound a part belongs to
	start, end int32  // bytes in the source
	flags      uint16
}

// grUnit is a sentence of prose or an entry of JSON: tokens [lo, hi), bytes
// [start, end).
type grUnit struct {
	lo, hi     int32
	start, end int32
	sent       int32 // the token index where the unit's sentence starts (a clause's is its sentence's)
}

type grPassage struct{ unitLo, unitHi int32 }

type grScratch struct {
	toks        []grTok
	units       []grUnit
	out         []grTok
	outU        []grUnit
	pass        []grPassage
	ctx         grSet
	claim       grSet
	buf         []byte
	parts       [][2]int32 // byte ranges of the current word's parts
	wmask       []uint64   // snippets: per distinct claim word, the claims using it
	claimUnits  []grUnit   // the units that became claims
	clauseUnits []grUnit   // the claims' units: sentences cut into clauses
	content     []int32    // token indexes of the current claim's distinct content words
	last        []int32    // snippets: per distinct claim word, the last unit it was counted in
	local       []float64  // per claim: its best window's coverage (localCoverage)
	cw          []int32    // localCoverage: the claims' word indexes, claim after claim
	cwEnd       []int32    // localCoverage: per claim, the end of its words in cw
	rows        []uint64   // localCoverage: per passage unit, the bitset of claim words it holds
	seen        []int32    // localCoverage: per word, the last claim that listed it
}

func (z *grScratch) ground(g *Grounder, output string, context []string) Grounding {
	// Tokenise every passage once.
	z.toks, z.units, z.pass = z.toks[:0], z.units[:0], z.pass[:0]
	for _, p := range context {
		u0 := len(z.units)
		z.tokenize(g, p, grLooksJSON(p), true)
		z.pass = append(z.pass, grPassage{int32(u0), int32(len(z.units))})
	}
	// Each content token inserts its word, per passage and for the whole
	// context, and its synsets per passage: size the table for all of them.
	z.ctx.reset(g.inserts(z.toks))
	for pi, p := range z.pass {
		for _, u := range z.units[p.unitLo:p.unitHi] {
			for _, t := range z.toks[u.lo:u.hi] {
				if t.flags&tfContent == 0 || t.flags&tfOmit != 0 {
					continue
				}
				var bits uint32 = inPos
				if t.flags&tfFalse != 0 {
					bits = inFalse
				} else if t.flags&tfNull != 0 {
					bits = inNull
				}
				z.ctx.insert(grKey(t.h, pi), bits)
				z.ctx.insert(t.h, bits)
				for _, id := range g.syn.of(t.h) {
					z.ctx.insert(grKey(grSynKey(id), pi), bits)
				}
			}
		}
	}

	ctxToks, ctxUnits := z.toks, z.units
	z.toks, z.units = z.out[:0], z.outU[:0]
	z.tokenize(g, output, false, false)
	z.out, z.outU = z.toks, z.units
	z.toks, z.units = ctxToks, ctxUnits

	gr := Grounding{Method: GroundLexical, SupportedFraction: 1, Claims: []Claim{}}
	supported, abstentions, hard := 0, 0, 0
	uncovered := 0.0 // sum of 1 − Coverage
	z.claimUnits = z.claimUnits[:0]
	z.clauseUnits = z.clauseUnits[:0]
	for _, u := range z.outU {
		if !z.outHasContent(u) || strings.HasSuffix(grTrim(output, int(u.start), int(u.end)), ":") {
			continue // no content, or a lead-in ("Here is a summary in 80 words:")
		}
		z.clauseUnits = grClauses(z.clauseUnits, z.out, output, u)
	}
	for _, u := range z.clauseUnits {
		z.claimUnits = append(z.claimUnits, u)
		c := z.claim1(g, output, context, u)
		if c.Supported {
			supported++
		}
		if c.Abstention {
			abstentions++
		}
		uncovered += 1 - c.Coverage
		hard += len(c.Missing) + len(c.Contradicted)
		gr.Claims = append(gr.Claims, c)
	}
	if len(gr.Claims) > 0 {
		z.localCoverage(g, gr.Claims, z.claimUnits, context)
		uncovered = 0
		for ci := range gr.Claims {
			uncovered += 1 - z.local[ci]
		}
	}
	for lo := 0; lo < len(gr.Claims); lo += 64 {
		z.snippets(gr.Claims[lo:min(lo+64, len(gr.Claims))], z.claimUnits[lo:], context)
	}
	if n := len(gr.Claims); n > 0 {
		gr.SupportedFraction = float64(supported) / float64(n)
		gr.Abstained = abstentions == n
		mean := uncovered / float64(n)
		gr.Score = max(0, min(1, 1-(1-mean)*math.Pow(0.5, float64(hard))))
		if g.threshold > 0 {
			gr.Hallucinated = gr.Score >= g.threshold
		} else {
			gr.Hallucinated = supported < n // the zero Grounder: any claim unsupported
		}
	}
	return gr
}

func (z *grScratch) hasContent(u grUnit) bool {
	for _, t := range z.toks[u.lo:u.hi] {
		if t.flags&tfContent != 0 {
			return true
		}
	}
	return false
}

func (z *grScratch) outHasContent(u grUnit) bool {
	for _, t := range z.out[u.lo:u.hi] {
		if t.flags&tfContent != 0 {
			return true
		}
	}
	return false
}

// claim1 checks one claim of the output.
func (z *grScratch) claim1(g *Grounder, output string, context []string, u grUnit) Claim {
	text := grTrim(output, int(u.start), int(u.end))
	start := int(u.start) + strings.Index(output[u.start:u.end], text)
	c := Claim{Text: text, Start: start, End: start + len(text), Passage: -1}
	toks := z.out[u.lo:u.hi]
	negated, cue := false, false
	for _, t := range toks {
		negated = negated || t.flags&tfNeg != 0
		cue = cue || t.flags&(tfNeg|tfCue) != 0
	}
	var abstains bool
	if cue {
		abstains, z.buf = isAbstentionText(z.buf, text)
	}
	if abstains {
		c.Supported, c.Abstention, c.Coverage = true, true, 1
		return c
	}
	// Distinct content words; the claim table maps each to its index.
	z.claim.reset(len(toks))
	z.content = z.content[:0]
	for i, t := range toks {
		if t.flags&tfContent == 0 {
			continue
		}
		if _, ok := z.claim.get(t.h); ok {
			continue
		}
		z.claim.insert(t.h, uint32(len(z.content)))
		z.content = append(z.content, u.lo+int32(i))
	}
	n := len(z.content)

	// Best passage by covered content words.
	best, bestCov := -1, 0
	for pi := range z.pass {
		cov := 0
		for _, ti := range z.content {
			if z.covered(g, z.out[ti], pi, negated) {
				cov++
			}
		}
		if cov > bestCov {
			best, bestCov = pi, cov
		}
	}
	c.Passage = best
	c.Coverage = float64(bestCov) / float64(n)

	// Hard evidence, against the whole context.
	for _, ti := range z.content {
		t := z.out[ti]
		bits, _ := z.ctx.get(t.h)
		if t.alt != 0 {
			b, _ := z.ctx.get(t.alt)
			bits |= b
		}
		switch {
		case bits == 0 && z.isHard(u, int(ti)) && (t.flags&tfNumber != 0 || !z.nameInContext(z.tokText(output, t), t.flags&tfAllCaps != 0, context)):
			c.Missing = append(c.Missing, z.tokText(output, t))
		case bits&inPos == 0 && bits&(inFalse|inNull) != 0 && !negated:
			c.Contradicted = append(c.Contradicted, z.tokText(output, t))
		}
	}
	hard := len(c.Missing) + len(c.Contradicted)
	c.Supported = c.Coverage >= g.minCoverage && hard == 0
	if !c.Supported && best >= 0 {
		for _, ti := range z.content {
			if !z.covered(g, z.out[ti], best, negated) {
				c.Uncovered = append(c.Uncovered, z.tokText(output, z.out[ti]))
			}
		}
	} else if !c.Supported {
		for _, ti := range z.content {
			c.Uncovered = append(c.Uncovered, z.tokText(output, z.out[ti]))
		}
	}
	return c
}

// grWindow is how many consecutive sentences of a prose passage a claim's
// local coverage (see localCoverage) may draw on. A sentence of a summary
// usually condenses one or two sentences of its source; a claim whose
// words are found only scattered across the whole article recombines
// facts, which is how summaries misstate who did what. Three sentences
// leave room for a fact stated over a sentence boundary.
const grWindow = 3

// localCoverage sets z.local[i] to claim i's local coverage: the largest
// share of its distinct content words that grWindow consecutive units of
// one prose passage hold. A JSON passage's units are entries, which a claim
// legitimately combines, so for it the whole passage counts as the window
// (the claim's Coverage in that passage).
func (z *grScratch) localCoverage(g *Grounder, claims []Claim, units []grUnit, context []string) {
	// Number the distinct content words of all claims; a word's alternative
	// form (a compound's joined form, an abbreviation's expansion) shares
	// its number.
	z.claim.reset(g.inserts(z.out))
	z.cw, z.cwEnd, z.seen = z.cw[:0], z.cwEnd[:0], z.seen[:0]
	for ci := range claims {
		u := units[ci]
		for _, t := range z.out[u.lo:u.hi] {
			if t.flags&tfContent == 0 {
				continue
			}
			w, ok := z.claim.get(t.h)
			if !ok {
				w = uint32(len(z.seen))
				z.claim.insert(t.h, w)
				z.seen = append(z.seen, -1)
				if t.alt != 0 {
					if _, ok := z.claim.get(t.alt); !ok {
						z.claim.insert(t.alt, w)
					}
				}
				for _, id := range g.syn.of(t.h) {
					if _, ok := z.claim.get(grSynKey(id)); !ok {
						z.claim.insert(grSynKey(id), w)
					}
				}
			}
			if z.seen[w] != int32(ci) {
				z.seen[w] = int32(ci)
				z.cw = append(z.cw, int32(w))
			}
		}
		z.cwEnd = append(z.cwEnd, int32(len(z.cw)))
	}
	z.local = z.local[:0]
	for ci := range claims {
		if claims[ci].Abstention {
			z.local = append(z.local, 1)
		} else {
			z.local = append(z.local, 0)
		}
	}
	nw := (len(z.seen) + 63) / 64
	for pi, p := range z.pass {
		if grLooksJSON(context[pi]) {
			for ci := range claims {
				if claims[ci].Passage == pi {
					z.local[ci] = max(z.local[ci], claims[ci].Coverage)
				}
			}
			continue
		}
		nu := int(p.unitHi - p.unitLo)
		if cap(z.rows) < nu*nw {
			z.rows = make([]uint64, nu*nw)
		}
		z.rows = z.rows[:nu*nw]
		clear(z.rows)
		for ui := p.unitLo; ui < p.unitHi; ui++ {
			row := z.rows[int(ui-p.unitLo)*nw:][:nw]
			for _, t := range z.toks[z.units[ui].lo:z.units[ui].hi] {
				if t.flags&(tfContent|tfOmit|tfFalse|tfNull) != tfContent {
					continue
				}
				if w, ok := z.claim.get(t.h); ok {
					row[w/64] |= 1 << (w % 64)
				}
				for _, id := range g.syn.of(t.h) {
					if w, ok := z.claim.get(grSynKey(id)); ok {
						row[w/64] |= 1 << (w % 64)
					}
				}
			}
		}
		lo := int32(0)
		for ci := range claims {
			words := z.cw[lo:z.cwEnd[ci]]
			lo = z.cwEnd[ci]
			if len(words) == 0 || z.local[ci] == 1 {
				continue
			}
			best := 0
			for start := 0; start < max(1, nu-grWindow+1); start++ {
				n := 0
				for _, w := range words {
					bit := uint64(1) << (w % 64)
					for k := start; k < min(nu, start+grWindow); k++ {
						if z.rows[k*nw+int(w/64)]&bit != 0 {
							n++
							break
						}
					}
				}
				best = max(best, n)
			}
			z.local[ci] = max(z.local[ci], float64(best)/float64(len(words)))
		}
	}
}

// covered reports whether passage pi supports claim token t.
func (z *grScratch) covered(g *Grounder, t grTok, pi int, negated bool) bool {
	bits, _ := z.ctx.get(grKey(t.h, pi))
	if t.alt != 0 {
		b, _ := z.ctx.get(grKey(t.alt, pi))
		bits |= b
	}
	if bits&inPos == 0 {
		for _, id := range g.syn.of(t.h) {
			b, _ := z.ctx.get(grKey(grSynKey(id), pi))
			bits |= b
		}
	}
	return bits&inPos != 0 || negated && bits&(inFalse|inNull) != 0
}

// isHard reports whether output token i of unit u is hard evidence: a
// number, or a capitalised name. The first word of a sentence counts as a
// name only when the next word is capitalised too, or it is all capitals.
func (z *grScratch) isHard(u grUnit, i int) bool {
	t := z.out[i]
	if t.flags&tfNumber != 0 || t.flags&tfAllCaps != 0 {
		return true
	}
	if t.flags&tfCap == 0 {
		return false
	}
	if i != int(u.sent) {
		return true // not the first word of the sentence
	}
	return i+1 < int(u.hi) && z.out[i+1].flags&tfCap != 0 && z.out[i+1].start-t.end <= 1
}

func (z *grScratch) tokText(s string, t grTok) string { return s[t.start:t.end] }

// nameInContext looks harder for a name that is not in the context as a
// word: as the start of a context word (its derived forms: "Canadian" and
// "Canada" share "Canad"; a short name must be a whole prefix: "Rep" of
// "Representative", but "Iraq" is not "Iran"), or, for an acronym, as the
// initials of consecutive capitalised context words ("CHIP": "Children's
// Health Insurance Program"). Comparisons fold ASCII case.
func (z *grScratch) nameInContext(name string, acronym bool, context []string) bool {
	need := len(name)
	if need > 5 {
		need = max(5, need-3)
	}
	if need < 3 {
		need = 0 // too short to compare by prefix
	}
	for pi, p := range z.pass {
		if p.unitLo == p.unitHi {
			continue
		}
		text := context[pi]
		toks := z.toks[z.units[p.unitLo].lo:z.units[p.unitHi-1].hi]
		for i, t := range toks {
			if t.flags&tfJoined != 0 {
				continue
			}
			w := text[t.start:t.end]
			if need > 0 && len(w) >= need && strings.EqualFold(w[:need], name[:need]) {
				return true
			}
			if acronym && len(name) <= 6 && t.flags&tfCap != 0 && w[0]|0x20 == name[0]|0x20 && grInitials(text, toks[i+1:], name[1:]) {
				return true
			}
		}
	}
	return false
}

// grInitials reports whether the capitalised words at the start of toks
// spell rest by their initials, skipping lower-case function words.
func grInitials(text string, toks []grTok, rest string) bool {
	k := 0
	for _, t := range toks {
		if k == len(rest) {
			break
		}
		if t.flags&tfJoined != 0 {
			continue
		}
		c := text[t.start]
		if t.flags&tfContent == 0 && !(c >= 'A' && c <= 'Z') {
			continue
		}
		if c|0x20 != rest[k]|0x20 {
			return false
		}
		k++
	}
	return k == len(rest)
}

// snippets sets each claim's Snippet: the unit of its best passage that
// shares most distinct content words with it. One pass over each passage
// serves up to 64 claims.
func (z *grScratch) snippets(claims []Claim, units []grUnit, context []string) {
	// Distinct content words of these (at most 64) claims, each with the
	// set of claims that use it.
	z.claim.reset(len(z.out))
	z.wmask, z.last = z.wmask[:0], z.last[:0]
	var mask uint64 // a Bloom filter of the words: one bit per top-6 hash bits
	for ci := range claims {
		if claims[ci].Passage < 0 {
			continue
		}
		u := units[ci]
		for _, t := range z.out[u.lo:u.hi] {
			if t.flags&tfContent == 0 {
				continue
			}
			w, ok := z.claim.get(t.h)
			if !ok {
				w = uint32(len(z.wmask))
				z.claim.insert(t.h, w)
				z.wmask = append(z.wmask, 0)
				z.last = append(z.last, -1)
				mask |= 1 << (t.h >> 58)
			}
			z.wmask[w] |= 1 << ci
		}
	}
	var best [64]int32
	var bestN, count [64]int32
	for pi, p := range z.pass {
		var here uint64 // claims whose best passage is pi
		for ci := range claims {
			if claims[ci].Passage == pi {
				here |= 1 << ci
			}
		}
		if here == 0 {
			continue
		}
		for ci := range claims {
			best[ci], bestN[ci] = -1, 0
		}
		for ui := p.unitLo; ui < p.unitHi; ui++ {
			u := z.units[ui]
			var touched uint64
			for _, t := range z.toks[u.lo:u.hi] {
				if t.flags&tfContent == 0 || mask&(1<<(t.h>>58)) == 0 {
					continue
				}
				w, ok := z.claim.get(t.h)
				if !ok || z.last[w] == ui {
					continue
				}
				z.last[w] = ui
				for m := z.wmask[w] & here; m != 0; m &= m - 1 {
					ci := bits.TrailingZeros64(m)
					count[ci]++
				}
				touched |= z.wmask[w] & here
			}
			for m := touched; m != 0; m &= m - 1 {
				ci := bits.TrailingZeros64(m)
				if count[ci] > bestN[ci] {
					best[ci], bestN[ci] = ui, count[ci]
				}
				count[ci] = 0
			}
		}
		for m := here; m != 0; m &= m - 1 {
			ci := bits.TrailingZeros64(m)
			if best[ci] >= 0 {
				u := z.units[best[ci]]
				claims[ci].Snippet = grShorten(grTrim(context[pi], int(u.start), int(u.end)), 300)
			}
		}
	}
}

// grShorten cuts s to about n bytes on a rune boundary, marking the cut.
func grShorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// grTrim returns s[start:end] without surrounding white space, list markers
// and JSON punctuation.
func grTrim(s string, start, end int) string {
	t := strings.TrimFunc(s[start:end], grTrimRune)
	if grListNumber(t, 0, len(t)) {
		t = strings.TrimLeftFunc(t[strings.IndexAny(t, ".)")+1:], grTrimRune)
	}
	return t
}

func grTrimRune(r rune) bool {
	switch r {
	case ',', ';', '{', '}', '[', ']', '-', '*', '•', '#':
		return true
	}
	return unicode.IsSpace(r)
}

// isAbstentionText reports whether a claim says that the answer is not
// known or not in the sources. It uses buf as scratch space and returns it.
func isAbstentionText(buf []byte, text string) (bool, []byte) {
	b := append(buf[:0], ' ')
	space := true
	for _, r := range text {
		switch {
		case r == '\u2019' || r == '\'':
			b = append(b, '\'')
			space = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b = utf8.AppendRune(b, unicode.ToLower(r))
			space = false
		default:
			if !space {
				b = append(b, ' ')
				space = true
			}
		}
	}
	if !space {
		b = append(b, ' ')
	}
	if grContainsAny(b, grAbstainStrong) {
		return true, b
	}
	return grContainsAny(b, grSourceWords) && grContainsAny(b, grAbstainAbout), b
}

func grContainsAny(b []byte, phrases [][]byte) bool {
	for _, p := range phrases {
		if bytes.Contains(b, p) {
			return true
		}
	}
	return false
}

func grPhrases(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, p := range s {
		out[i] = []byte(p)
	}
	return out
}

// Abstention phrases, lower case with single spaces, padded to whole words.
var (
	grAbstainStrong = grPhrases(
		" i don't know ", " i do not know ", " i dont know ", " i'm not sure ", " i am not sure ",
		" cannot answer ", " can't answer ", " unable to answer ", " not able to answer ",
		" cannot be determined ", " can't be determined ", " cannot determine ", " can't determine ",
		" unable to determine ", " not possible to determine ", " impossible to determine ",
		" no information ", " not enough information ", " insufficient information ",
		" no relevant information ", " no mention ",
	)
	grSourceWords = grPhrases(
		" context ", " passage", " article ", " text ", " document", " information ", " source",
		" provided ", " given ", " data ", " record", " excerpt", " snippet",
	)
	grAbstainAbout = grPhrases(
		" does not say ", " doesn't say ", " do not say ", " don't say ",
		" does not mention ", " doesn't mention ", " do not mention ", " don't mention ", " not mentioned ",
		" does not specify ", " doesn't specify ", " not specified ",
		" does not state ", " doesn't state ", " not stated ",
		" does not provide ", " doesn't provide ", " do not provide ", " don't provide ", " not provided ",
		" does not contain ", " doesn't contain ", " not contained ",
		" does not include ", " doesn't include ", " not included ",
		" does not indicate ", " doesn't indicate ", " not indicated ",
		" does not give ", " doesn't give ", " not given ",
		" does not address ", " doesn't address ", " not addressed ",
		" not available ", " is silent ", " are silent ",
	)
)

// grKey mixes a passage index into a word hash; the bare hash stands for
// the whole context.
func grKey(h uint64, passage int) uint64 {
	return h ^ uint64(passage+1)*0x9E3779B97F4A7C15
}

func grLooksJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

// ---- tokeniser ----

// tokenize appends s's tokens and units to z.toks and z.units. JSON
// passages are read as JSON; context marks whether s is a passage (which
// also records compounds' joined forms).
func (z *grScratch) tokenize(g *Grounder, s string, json, context bool) {
	z.openUnit(0)
	if json {
		z.json(g, s)
	} else {
		z.prose(g, s, 0, len(s), false, 0, context)
	}
	z.closeUnit(len(s))
}

func (z *grScratch) openUnit(at int) {
	n := int32(len(z.toks))
	z.units = append(z.units, grUnit{lo: n, hi: n, start: int32(at), end: int32(at), sent: n})
}

func (z *grScratch) closeUnit(at int) {
	u := &z.units[len(z.units)-1]
	u.hi = int32(len(z.toks))
	u.end = int32(at)
}

// breakUnit ends the current unit at byte at and opens the next one.
func (z *grScratch) breakUnit(at int) {
	u := &z.units[len(z.units)-1]
	if u.lo == int32(len(z.toks)) {
		// Nothing in it yet: just move its start.
		u.start, u.end = int32(at), int32(at)
		return
	}
	z.closeUnit(at)
	z.openUnit(at)
}

func (z *grScratch) emit(t grTok) {
	z.toks = append(z.toks, t)
}

// json tokenises a JSON document: strings as prose (keys marked by the
// polarity of their value), numbers as numbers, and an entry boundary at
// every , { } [ ].
func (z *grScratch) json(g *Grounder, s string) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			end := grStringEnd(s, i+1)
			j := grSkipSpace(s, end+1)
			var pol uint16
			if j < len(s) && s[j] == ':' {
				pol = grValuePolarity(s, j+1)
			}
			z.prose(g, s, i+1, end, true, pol, true)
			i = end + 1
		case c == ',' || c == '{' || c == '}' || c == '[' || c == ']':
			z.breakUnit(i + 1)
			i++
		case c >= '0' && c <= '9':
			i = z.number(s, i, len(s), 0)
		case c < utf8.RuneSelf && !grIsAlnum(c):
			i++
		default:
			// Bare words: true, false, null, or text that is not JSON.
			j := i
			for j < len(s) && (s[j] >= utf8.RuneSelf || grIsAlnum(s[j])) {
				j++
			}
			switch s[i:j] {
			case "true", "false", "null", "True", "False", "None":
			default:
				z.prose(g, s, i, j, false, 0, true)
			}
			if j == i {
				j++
			}
			i = j
		}
	}
}

// grStringEnd returns the index of the quote closing a JSON string whose
// content starts at i, or len(s).
func grStringEnd(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case '\\':
			i += 2
			continue
		case '"':
			return i
		}
		i++
	}
	return len(s)
}

func grSkipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// grValuePolarity classifies the JSON value starting at or after i: false,
// "no", "none", "false" → tfFalse; null, "", "null" → tfNull; else 0.
// Python-style quoting inside the string (u'no') is ignored.
func grValuePolarity(s string, i int) uint16 {
	i = grSkipSpace(s, i)
	rest := s[i:]
	switch {
	case strings.HasPrefix(rest, "false"):
		return tfFalse
	case strings.HasPrefix(rest, "null"):
		return tfNull
	case strings.HasPrefix(rest, `"`):
		end := grStringEnd(s, i+1)
		v := strings.Trim(s[i+1:min(end, len(s))], " '")
		v = strings.TrimPrefix(v, "u'")
		switch {
		case strings.EqualFold(v, "no") || strings.EqualFold(v, "none") || strings.EqualFold(v, "false"):
			return tfFalse
		case v == "" || strings.EqualFold(v, "null"):
			return tfNull
		}
	}
	return 0
}

func grIsAlnum(c byte) bool { return grClass[c] != 0 }

// ASCII character classes.
const (
	clLower = 1 + iota
	clUpper
	clDigit
)

var grClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = clLower
		t[c-'a'+'A'] = clUpper
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = clDigit
	}
	return t
}()

func grIsDigit(c byte) bool { return c >= '0' && c <= '9' }

// prose tokenises s[lo:hi]. escapes reads JSON string escapes as spaces
// (\n as a line break); pol is OR-ed into every token's flags.
func (z *grScratch) prose(g *Grounder, s string, lo, hi int, escapes bool, pol uint16, context bool) {
	lineStart := true
	for i := lo; i < hi; {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case grIsDigit(c):
				if lineStart && grListNumber(s, i, hi) {
					for i < hi && s[i] != ' ' && s[i] != '\t' {
						i++
					}
					continue
				}
				lineStart = false
				i = z.number(s, i, hi, pol)
			case grIsAlnum(c):
				lineStart = false
				i = z.word(g, s, i, hi, pol, context)
			case c == '\n':
				z.breakUnit(i + 1)
				lineStart = true
				i++
			case c == ';':
				z.breakUnit(i + 1)
				i++
			case c == '&':
				i += grEntity(s, i, hi) // "&nbsp;", "&#39;"
			case c == '.' || c == '!' || c == '?':
				if j := grSentenceEnd(s, i, hi, escapes); j > 0 {
					z.breakUnit(j)
					i = j
				} else {
					i++
				}
			case escapes && c == '\\' && i+1 < hi:
				switch s[i+1] {
				case 'n', 'r':
					z.breakUnit(i + 2)
					lineStart = true
					i += 2
				case 'u':
					i = min(hi, i+6)
				default:
					i += 2
				}
			default:
				i++
			}
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:hi])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			lineStart = false
			i = z.word(g, s, i, hi, pol, context)
		case r == '。' || r == '！' || r == '？' || r == '…' && grSentenceEnd(s, i+size-1, hi, escapes) > 0:
			z.breakUnit(i + size)
			i += size
		default:
			i += size
		}
	}
}

// grEntity returns the length of the HTML character reference at s[i]
// ("&amp;", "&#8217;"), or 1 when there is none.
func grEntity(s string, i, hi int) int {
	j := i + 1
	for j < hi && j-i <= 10 && (grIsAlnum(s[j]) || j == i+1 && s[j] == '#') {
		j++
	}
	if j < hi && s[j] == ';' && j > i+1 {
		return j + 1 - i
	}
	return 1
}

// grListNumber reports whether s[i:] starts a numbered-list marker ("1. ",
// "12) ") at the start of a line.
func grListNumber(s string, i, hi int) bool {
	j := i
	for j < hi && grIsDigit(s[j]) && j-i < 3 {
		j++
	}
	return j < hi-1 && (s[j] == '.' || s[j] == ')') && (s[j+1] == ' ' || s[j+1] == '\t')
}

// grSentenceEnd reports whether the '.', '!' or '?' at s[i] ends a
// sentence: it is followed by white space (after any closing quotes or
// brackets) or the end, and a '.' does not end an initial, a dotted
// abbreviation ("a.m.", "e.g.") or a common abbreviation ("Dr."). It
// returns the index after the sentence's closing punctuation, or -1.
func grSentenceEnd(s string, i, hi int, escapes bool) int {
	j := i + 1
	for j < hi && (s[j] == '"' || s[j] == '\'' || s[j] == ')' || s[j] == ']' || s[j] == '.') {
		j++
	}
	if strings.HasPrefix(s[j:hi], "\u2019") || strings.HasPrefix(s[j:hi], "\u201d") {
		j += 3
	}
	if j < hi {
		c := s[j]
		if !(c == ' ' || c == '\n' || c == '\t' || c == '\r' || escapes && c == '\\') {
			return -1
		}
	}
	if s[i] != '.' {
		return j
	}
	// The word before the period.
	k := i
	for k > 0 && grIsAlnum(s[k-1]) {
		k--
	}
	w := s[k:i]
	if len(w) == 1 && (w[0] >= 'A' && w[0] <= 'Z' || k > 0 && s[k-1] == '.') {
		return -1 // an initial or dotted abbreviation: "J. Smith", "U.S. Army", "9 a.m. on"
	}
	if len(w) > 6 {
		return j
	}
	var lower [6]byte
	for n := range len(w) {
		lower[n] = w[n] | 0x20
	}
	switch string(lower[:len(w)]) {
	case "mr", "mrs", "ms", "dr", "st", "jr", "sr", "vs", "etc", "inc", "ltd", "co", "corp",
		"mt", "gen", "sen", "rep", "gov", "lt", "col", "sgt", "prof", "approx", "dept", "ave", "e", "i", "g":
		// "etc." ends sentences too, but only when a capital follows; err
		// towards longer claims.
		if w == "etc" && j+1 < hi && s[j+1] >= 'A' && s[j+1] <= 'Z' {
			return j
		}
		return -1
	}
	return j
}

// number reads the number at s[i] and emits it normalised: thousands
// separators dropped, leading zeros and a decimal's trailing zeros
// removed ("1,000" → "1000", "5.0" → "5", "08:00" → "8:0"), a following
// am/pm turned into 24-hour time ("9 pm" → "21:0"), ordinal and plural
// suffixes dropped ("21st", "1990s"). It returns the index after it.
func (z *grScratch) number(s string, i, hi int, pol uint16) int {
	start := i
	b := z.buf[:0]
	sep := byte(0)
	groups := 1
	for {
		for i < hi && grIsDigit(s[i]) {
			b = append(b, s[i])
			i++
		}
		if sep == 0 && i+3 < hi && s[i] == ',' && grIsDigit(s[i+1]) && grIsDigit(s[i+2]) && grIsDigit(s[i+3]) && (i+4 == hi || !grIsDigit(s[i+4])) {
			i++ // thousands separator
			continue
		}
		if i+1 < hi && (s[i] == '.' || s[i] == ':') && grIsDigit(s[i+1]) && (sep == 0 || sep == s[i]) {
			sep = s[i]
			b = append(b, sep)
			groups++
			i++
			continue
		}
		break
	}
	if sep == '.' && groups == 2 {
		b = grDecimal(b)
	} else {
		b = grTrimGroups(b, sep)
	}
	end := i
	// Suffixes glued on: ordinals and plurals ("21st", "1990s"), am/pm.
	j := i
	for j < hi && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
		j++
	}
	meridiem := byte(0)
	switch strings.ToLower(s[i:j]) {
	case "st", "nd", "rd", "th", "s":
		end, i = j, j
	case "am", "pm":
		meridiem = s[i] | 0x20
		end, i = j, j
	case "":
		// "9 pm", "9 a.m."
		k := i
		if k < hi && s[k] == ' ' {
			k++
		}
		if m, n := grMeridiem(s, k, hi); m != 0 {
			meridiem, end, i = m, k+n, k+n
		}
	}
	if meridiem != 0 && sep != '.' {
		b = grClock(b, meridiem)
	}
	z.buf = b
	z.emit(grTok{h: grHash(b), start: int32(start), end: int32(end), flags: tfContent | tfNumber | pol})
	return i
}

// grTrimGroups removes leading zeros from each sep-separated group of
// digits in b, keeping at least one digit per group.
func grTrimGroups(b []byte, sep byte) []byte {
	out := b[:0]
	at := true // at the start of a group
	for k := 0; k < len(b); k++ {
		c := b[k]
		switch {
		case sep != 0 && c == sep:
			out = append(out, c)
			at = true
		case at && c == '0' && k+1 < len(b) && b[k+1] != sep:
			// leading zero followed by more of the group: drop
		default:
			out = append(out, c)
			at = false
		}
	}
	return out
}

// grMeridiem matches "am", "pm", "a.m." or "p.m." (any case) at s[k], not
// followed by a letter; it returns 'a' or 'p' and the length matched.
func grMeridiem(s string, k, hi int) (byte, int) {
	if k+2 > hi {
		return 0, 0
	}
	c := s[k] | 0x20
	if c != 'a' && c != 'p' {
		return 0, 0
	}
	n := 0
	switch {
	case s[k+1]|0x20 == 'm':
		n = 2
	case k+4 <= hi && s[k+1] == '.' && s[k+2]|0x20 == 'm' && s[k+3] == '.':
		n = 3 // leave the final period: it may end the sentence
	default:
		return 0, 0
	}
	if k+n < hi && (grIsAlnum(s[k+n]) || s[k+n] >= utf8.RuneSelf) {
		return 0, 0
	}
	return c, n
}

// grClock turns "9" or "9:30" (already normalised) with am/pm into 24-hour
// "21:0" / "21:30"; other shapes are left alone.
func grClock(b []byte, meridiem byte) []byte {
	s := string(b) // short; only on times
	hs, ms, _ := strings.Cut(s, ":")
	if strings.Contains(ms, ":") {
		return b
	}
	h, err := strconv.Atoi(hs)
	if err != nil || h < 1 || h > 12 {
		return b
	}
	m := 0
	if ms != "" {
		if m, err = strconv.Atoi(ms); err != nil || m > 59 {
			return b
		}
	}
	if h == 12 {
		h = 0
	}
	if meridiem == 'p' {
		h += 12
	}
	b = strconv.AppendInt(b[:0], int64(h), 10)
	b = append(b, ':')
	return strconv.AppendInt(b, int64(m), 10)
}

// grDecimal normalises "0004.500" to "4.5" and "5.0" to "5".
func grDecimal(b []byte) []byte {
	dot := strings.IndexByte(string(b), '.')
	if dot < 0 {
		return b
	}
	for len(b) > dot+1 && b[len(b)-1] == '0' {
		b = b[:len(b)-1]
	}
	if len(b) == dot+1 {
		b = b[:dot]
	}
	k := 0
	for k < dot-1 && b[k] == '0' {
		k++
	}
	return append(b[:0], b[k:]...)
}

// word reads the word at s[i] (letters and digits, joined by internal
// hyphens and apostrophes) and emits its parts. It returns the index after
// it.
func (z *grScratch) word(g *Grounder, s string, i, hi int, pol uint16, context bool) int {
	lo := i
	apostrophe := false
	plain, prevLower := true, false // plain: ASCII letters and digits, no lower→upper change
	upper, letters := 0, 0
	for i < hi {
		c := s[i]
		if cl := grClass[c]; cl != 0 {
			if cl == clUpper {
				plain = plain && !prevLower
				upper++
			}
			if cl != clDigit {
				letters++
			}
			prevLower = cl == clLower
			i++
			continue
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:hi])
			if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
				plain = false
				i += size
				continue
			}
		}
		// Internal hyphen or apostrophe, followed by a letter or digit.
		if (r == '-' || r == '\'' || r == '\u2019' || r == '\u2010' || r == '\u2011') && i+size < hi {
			n := rune(s[i+size])
			if n >= utf8.RuneSelf {
				n, _ = utf8.DecodeRuneInString(s[i+size : hi])
			}
			if grIsLetterOrDigit(n) {
				apostrophe = apostrophe || r == '\'' || r == '\u2019'
				plain = false
				i += size
				continue
			}
		}
		break
	}
	end := i
	wordHi := end
	if plain && letters > 0 {
		// The common case: one plain ASCII word.
		z.partPlain(g, s, lo, end, upper, letters, pol, context)
		return end
	}
	// Contractions and possessives.
	if a := grLastApostrophe(s[lo:end]); apostrophe && a >= 0 {
		suffix := strings.ToLower(s[lo+a : end])
		suffix = strings.TrimLeft(suffix, "'\u2019")
		switch suffix {
		case "t":
			if a > 0 && s[lo+a-1]|0x20 == 'n' {
				z.emit(grTok{h: grHashString("not"), start: int32(lo), end: int32(end), flags: tfNeg | pol})
				return end
			}
		case "s", "re", "ve", "ll", "d", "m":
			wordHi = lo + a
		}
	}
	// Parts: split at hyphens and lower→upper case changes.
	first := len(z.toks)
	z.parts = z.parts[:0]
	p := lo
	var prev rune
	for k := lo; k <= wordHi; {
		var r rune
		size := 1
		if k < wordHi {
			r, size = utf8.DecodeRuneInString(s[k:wordHi])
		}
		split := k == wordHi || r == '-' || r == '\u2010' || r == '\u2011' ||
			unicode.IsUpper(r) && unicode.IsLower(prev)
		if split && k > p {
			z.part(g, s, p, k, pol, context)
			z.parts = append(z.parts, [2]int32{int32(p), int32(k)})
		}
		if k == wordHi {
			break
		}
		if r == '-' || r == '\u2010' || r == '\u2011' {
			p = k + size
		} else if split {
			p = k
		}
		prev = r
		k += size
	}
	if len(z.parts) < 2 {
		return end
	}
	h := z.joinedHash(s, lo, wordHi)
	if !context {
		for k := first; k < len(z.toks); k++ {
			z.toks[k].alt = h
		}
		return end
	}
	if pol != 0 {
		// A key such as "OutdoorSeating": false denies the thing as a
		// whole: its head (last part) and joined forms, not the modifiers
		// ("outdoor" alone), which are left out of the context.
		last := len(z.toks) - 1
		for k := first; k < len(z.toks); k++ {
			if z.toks[k].start < z.parts[len(z.parts)-1][0] && k < last {
				z.toks[k].flags |= tfOmit
			}
		}
	}
	z.toks = append(z.toks, grTok{h: h, start: int32(lo), end: int32(wordHi), flags: tfContent | tfJoined | pol})
	if len(z.parts) > 2 {
		// Adjacent pairs too: "RestaurantsTakeOut" has "takeout".
		for k := 0; k+1 < len(z.parts); k++ {
			ph := z.joinedHash(s, int(z.parts[k][0]), int(z.parts[k+1][1]))
			z.toks = append(z.toks, grTok{h: ph, start: z.parts[k][0], end: z.parts[k+1][1], flags: tfContent | tfJoined | pol})
		}
	}
	return end
}

// joinedHash is the hash of s[lo:hi] as one word: lower case, without
// hyphens and apostrophes, stemmed.
func (z *grScratch) joinedHash(s string, lo, hi int) uint64 {
	b := z.buf[:0]
	for _, r := range s[lo:hi] {
		if r == '-' || r == '\'' || r == '\u2019' || r == '\u2010' || r == '\u2011' {
			continue
		}
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	n, _ := grStem(b)
	b = b[:n]
	z.buf = b
	return grHash(b)
}

func grIsLetterOrDigit(r rune) bool {
	if r < utf8.RuneSelf {
		return grIsAlnum(byte(r))
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

func grLastApostrophe(w string) int {
	a := strings.LastIndexByte(w, '\'')
	if b := strings.LastIndex(w, "\u2019"); b > a {
		a = b
	}
	return a
}

// part emits one part of a word: s[lo:hi], letters and digits (and
// apostrophes, which are dropped).
func (z *grScratch) part(g *Grounder, s string, lo, hi int, pol uint16, context bool) {
	b := z.buf[:0]
	letters, upper := 0, 0
	firstUpper := false
	digits := true
	h := uint64(grOffset) // FNV-1a of b, as it grows
	for k := lo; k < hi; {
		c := s[k]
		if c < utf8.RuneSelf {
			switch {
			case c >= 'a' && c <= 'z':
				letters++
				digits = false
			case c >= 'A' && c <= 'Z':
				letters++
				upper++
				digits = false
				firstUpper = firstUpper || k == lo
				c += 'a' - 'A'
			case c >= '0' && c <= '9':
			case c == '\'':
				k++
				continue
			default:
				digits = false
			}
			b = append(b, c)
			h = (h ^ uint64(c)) * grPrime
			k++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[k:hi])
		k += size
		if r == '\u2019' {
			continue
		}
		if unicode.IsLetter(r) {
			letters++
			digits = false
			if unicode.IsUpper(r) {
				upper++
				firstUpper = firstUpper || k-size == lo
			}
		} else if !unicode.IsDigit(r) {
			digits = false
		}
		n := len(b)
		b = utf8.AppendRune(b, unicode.ToLower(r))
		for _, c := range b[n:] {
			h = (h ^ uint64(c)) * grPrime
		}
	}
	z.buf = b
	if len(b) == 0 {
		return
	}
	if digits {
		z.number(s, lo, hi, pol)
		return
	}
	z.finishPart(g, lo, hi, h, firstUpper, upper, letters, pol, context)
}

// partPlain is part for a word of ASCII letters and digits, not all digits,
// with upper of its letters upper case.
func (z *grScratch) partPlain(g *Grounder, s string, lo, hi, upper, letters int, pol uint16, context bool) {
	n := hi - lo
	if cap(z.buf) < n {
		z.buf = make([]byte, 0, 2*n)
	}
	b := z.buf[:n]
	h := uint64(grOffset)
	for k := range b {
		c := s[lo+k] | 0x20 // lower case; digits have the bit already
		b[k] = c
		h = (h ^ uint64(c)) * grPrime
	}
	z.buf = b
	z.finishPart(g, lo, hi, h, grClass[s[lo]] == clUpper, upper, letters, pol, context)
}

// finishPart classifies and emits the part s[lo:hi], whose lower-case form
// is in z.buf with FNV-1a hash h.
func (z *grScratch) finishPart(g *Grounder, lo, hi int, h uint64, firstUpper bool, upper, letters int, pol uint16, context bool) {
	b := z.buf
	if h == 0 {
		h = 1
	}
	var flags uint16 = pol
	if firstUpper {
		flags |= tfCap
	}
	if upper >= 2 && upper == letters {
		flags |= tfAllCaps
	}
	t := grTok{start: int32(lo), end: int32(hi)}
	class, _ := g.lex.get(h)
	if m := class >> lexMonthShift & 0xff; m != 0 && firstUpper {
		t.h = grNumberHash(int(m))
		t.flags = flags | tfContent | tfNumber
		z.emit(t)
		return
	}
	stop := class&lexStop != 0
	if firstUpper && len(b) <= 4 && (!stop || flags&tfAllCaps != 0) {
		if words, ok := grAbbreviations[string(b)]; ok {
			// Context: the expansions are also words of the passage.
			// Claim: the expansion is an alternative spelling.
			t.h, t.flags = h, flags|tfContent
			if !context {
				t.alt = grHashString(words[0])
			}
			z.emit(t)
			if context {
				for _, w := range words {
					z.toks = append(z.toks, grTok{h: grHashString(w), start: int32(lo), end: int32(hi), flags: tfContent | tfJoined | pol})
				}
			}
			return
		}
	}
	if v := class >> lexNumberShift & 0xff; v != 0 {
		t.h = grNumberHash(int(v))
		t.flags = flags | tfContent
		z.emit(t)
		return
	}
	if class&lexNeg != 0 {
		flags |= tfNeg
	}
	if class&lexCue != 0 {
		flags |= tfCue
	}
	if class&lexConj != 0 && !context {
		flags |= tfConj
	}
	if stop || len(b) <= 1 {
		// A word without content: passages need nothing of it, claims its
		// negation and cue flags and its place.
		if !context {
			t.h, t.flags = h, flags&^(tfCap|tfAllCaps)
			z.emit(t)
		}
		return
	}
	flags |= tfContent
	if n, changed := grStem(b); changed {
		h = grHash(b[:n])
	}
	t.h = h
	t.flags = flags
	z.emit(t)
}

// Word classes in Grounder.lex, by hash of the lower-case word.
const (
	lexStop        = 1 << iota // a stop word
	lexNeg                     // a negation
	lexCue                     // an abstention cue without negation
	lexConj                    // opens a clause (see grClauses)
	lexMonthShift  = 8         // bits 8–15: month number, for month names
	lexNumberShift = 16        // bits 16–23: value, for spelled numbers
)

// grNumberHash is the hash of the decimal digits of v.
func grNumberHash(v int) uint64 {
	var d [4]byte
	return grHash(strconv.AppendInt(d[:0], int64(v), 10))
}

// buildLexicon fills g.lex from the stop words and the fixed word classes.
func (g *Grounder) buildLexicon(stop []string) {
	months := strings.Fields("january february march april may june july august september october november december")
	numbers := strings.Fields("two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty")
	tens := strings.Fields("thirty forty fifty sixty seventy eighty ninety hundred")
	neg := strings.Fields("not no never without none nor neither cannot lack lacks lacking nothing nobody")
	cue := strings.Fields("unable insufficient impossible silent unsure")
	// Conjunctions that open a clause wherever they stand (grClauses).
	conj := strings.Fields("but while whereas although though")
	g.lex.reset(len(stop) + len(months) + len(numbers) + len(tens) + len(neg) + len(cue) + len(conj))
	var buf []byte
	add := func(w string, class uint32) {
		buf = grLower(buf[:0], w)
		g.lex.insert(grHash(buf), class)
	}
	for _, w := range stop {
		add(w, lexStop)
	}
	for i, w := range months {
		add(w, uint32(i+1)<<lexMonthShift)
	}
	for i, w := range numbers {
		add(w, uint32(i+2)<<lexNumberShift)
	}
	for i, w := range tens {
		add(w, uint32(30+10*i)<<lexNumberShift)
	}
	for _, w := range neg {
		add(w, lexNeg)
	}
	for _, w := range cue {
		add(w, lexCue)
	}
	for _, w := range conj {
		add(w, lexConj)
	}
}

// grAbbreviations expands capitalised address abbreviations — US state
// codes and street types — to their words (already normalised: lower case,
// stemmed), so that "Goleta, CA" supports "Goleta, California" and "Bath
// St" supports "Bath Street".
var grAbbreviations = func() map[string][]string {
	m := map[string][]string{}
	for _, e := range strings.Split(`al alabama|ak alaska|az arizona|ar arkansas|ca california|co colorado|ct connecticut|de delaware|`+
		`fl florida|ga georgia|hi hawaii|id idaho|il illinois|in indiana|ia iowa|ks kansas|ky kentucky|la louisiana|`+
		`me maine|md maryland|ma massachusetts|mi michigan|mn minnesota|ms mississippi|mo missouri|mt montana|`+
		`ne nebraska|nv nevada|nh new hampshire|nj new jersey|nm new mexico|ny new york|nc north carolina|`+
		`nd north dakota|oh ohio|ok oklahoma|or oregon|pa pennsylvania|ri rhode island|sc south carolina|`+
		`sd south dakota|tn tennessee|tx texas|ut utah|vt vermont|va virginia|wa washington|wv west virginia|`+
		`wi wisconsin|wy wyoming|dc district columbia washington|`+
		`st street saint|ave avenue|av avenue|blvd boulevard|rd road|dr drive doctor|ln lane|hwy highway|`+
		`pkwy parkway|pl place|sq square|ct court|cir circle|ter terrace|mt mount mountain|ft fort`, "|") {
		f := strings.Fields(e)
		var b []byte
		for _, w := range f[1:] {
			b = append(b[:0], w...)
			m[f[0]] = append(m[f[0]], string(b[:grStemLen(b)]))
		}
	}
	return m
}()

// grStem strips common English inflections from the lower-case word b and
// returns the new length, and whether b changed: a light suffix stripper in the spirit of Porter's
// first step, applied the same way to claims and passages, so it needs to
// be consistent rather than linguistically right.
func grStem(b []byte) (n int, changed bool) {
	n = len(b)
	if n <= 3 || b[n-1] >= utf8.RuneSelf {
		return n, false
	}
	last := b[n-1]
	if last == 's' {
		switch p := b[n-2]; {
		case p == 'e' && b[n-3] == 'i' && n > 4:
			n -= 2 // cities → citi
		case p == 'e' && b[n-3] == 's' && n >= 4 && b[n-4] == 's':
			n -= 2 // classes → class
		case p == 's' || p == 'u' || p == 'i':
			// class, bus, this
		default:
			n--
		}
	}
	stripped := false
	switch {
	case n >= 6 && b[n-3] == 'i' && b[n-2] == 'n' && b[n-1] == 'g':
		n -= 3
		stripped = true
	case n >= 5 && b[n-2] == 'e' && b[n-1] == 'd':
		n -= 2
		stripped = true
	case n >= 6 && b[n-2] == 'e' && b[n-1] == 'r':
		n -= 2 // reviewer → review
	}
	if n >= 6 && b[n-2] == 'l' && b[n-1] == 'y' {
		n -= 2
	}
	if stripped && b[n-1] == b[n-2] && b[n-1] != 'l' && b[n-1] != 's' && b[n-1] != 'z' && !grVowel(b[n-1]) {
		n-- // stopped → stop
	}
	if n > 3 && b[n-1] == 'y' {
		b[n-1] = 'i' // happy, happi(ly)
	}
	if n > 3 && b[n-1] == 'e' {
		n-- // serve, serv(ed)
	}
	return n, n != len(b) || b[n-1] != last
}

func grVowel(c byte) bool {
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'
}

// grLower appends the lower-case form of s to b.
func grLower(b []byte, s string) []byte {
	for _, r := range s {
		b = utf8.AppendRune(b, unicode.ToLower(r))
	}
	return b
}

// FNV-1a parameters.
const (
	grOffset = 14695981039346656037
	grPrime  = 1099511628211
)

func grStemLen(b []byte) int {
	n, _ := grStem(b)
	return n
}

// grHash is 64-bit FNV-1a; it never returns 0, which marks "no hash".
func grHash(b []byte) uint64 {
	h := uint64(grOffset)
	for _, c := range b {
		h ^= uint64(c)
		h *= grPrime
	}
	if h == 0 {
		h = 1
	}
	return h
}

func grHashString(s string) uint64 {
	h := uint64(grOffset)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= grPrime
	}
	if h == 0 {
		h = 1
	}
	return h
}

// grSet is an open-addressing hash table from non-zero uint64 keys to
// uint32 values (OR-ed on repeated insert), cleared in O(1) by bumping a
// generation.
type grSet struct {
	slots []grSlot
	gen   uint32
	shift uint
}

// grSlot is one entry of a grSet: in use when gen is the set's generation.
type grSlot struct {
	key      uint64
	val, gen uint32
}

// reset empties the table and makes room for n inserts.
func (s *grSet) reset(n int) {
	need := 16
	for need < 2*n {
		need *= 2
	}
	if len(s.slots) < need {
		s.slots = make([]grSlot, need)
		s.gen = 0
	}
	s.gen++
	if s.gen == 0 {
		clear(s.slots)
		s.gen = 1
	}
	s.shift = uint(64 - bits.TrailingZeros(uint(len(s.slots))))
}

func (s *grSet) slot(k uint64) uint64 { return (k * 0x9E3779B97F4A7C15) >> s.shift }

func (s *grSet) insert(k uint64, v uint32) {
	mask := uint64(len(s.slots) - 1)
	for i := s.slot(k); ; i = (i + 1) & mask {
		e := &s.slots[i]
		if e.gen != s.gen {
			*e = grSlot{key: k, val: v, gen: s.gen}
			return
		}
		if e.key == k {
			e.val |= v
			return
		}
	}
}

func (s *grSet) get(k uint64) (uint32, bool) {
	if len(s.slots) == 0 {
		return 0, false
	}
	mask := uint64(len(s.slots) - 1)
	for i := s.slot(k); ; i = (i + 1) & mask {
		e := &s.slots[i]
		if e.gen != s.gen {
			return 0, false
		}
		if e.key == k {
			return e.val, true
		}
	}
}

// grStopWords are the default stop words: English function words, then
// words that refer to the sources or to reporting them.
var grStopWords = strings.Fields(`
a about above after again against all almost along already also although always am among an and another any anyone anything are
around as at be became because been before being below between both but by can could did do does doing done down during each
either else etc even ever every few for from further had has have having he her here hers herself him himself his how however
i if in into is it its itself just least less let like made make many may me might more most much must my myself
neither no nor not of off often on once one only or other others otherwise our ours ourselves out over own per perhaps quite
rather really same several shall she should since so some such than that the their theirs them themselves then there
therefore these they this those though through thus to too toward towards under until up upon us very via was we well were
what whatever when where whether which while who whom whose why will with within without would yet you your yours yourself
yourselves
s t d ll m re ve don doesn didn isn wasn aren weren hasn haven hadn won wouldn shouldn couldn can't cannot
yes sure okay ok here's there's it's
article articles passage passages context contexts text texts document documents source sources excerpt information data
provided given based according overall summary summarize summarized summarizes overview content details detail mentioned
mention mentions says said state states stated note notes noted report reports reported describe describes described
discuss discusses discussed explain explains explained highlight highlights highlighted suggest suggests suggested
indicate indicates indicated include includes included including additionally furthermore moreover finally
`)
