// Package supportqa builds support-qa, the example eval set that ships with
// evalgate: customer-support questions answered from retrieved help-center
// passages (RAG question answering).
//
// The set is generated, deterministically from a seed, from a small
// knowledge base of 40 facts about an online store's shipping, returns,
// billing, accounts and apps. Ten stores each give every fact their own
// value (one store's return window is 30 days, another's 60) and order each
// passage's sentences their own way, so that the set holds 400 distinct
// items rather than 40 repeated ones.
//
// Each item is one customer asking one fact of one store. Its context holds
// 3 to 5 passages of that store's help center: the passage with the answer,
// one or two more on the same task (which share its vocabulary), and others.
// Who asks decides how they ask, as in real support traffic:
//
//   - customer_tier (free, plus, business) shapes the channel: business
//     customers mostly write email, free customers mostly chat and social
//     media. Business customers' messages come from administrators who know
//     the product's words, so they are more often direct.
//   - channel (email, chat, social) shapes the phrasing: emails mostly reuse
//     the help center's words ("direct"), chat and social messages more
//     often paraphrase or are colloquial, and social messages use
//     abbreviations ("pw", "acct", "u").
//   - region (amer, emea, apac) shapes the channel and the vocabulary:
//     customers in Asia-Pacific, for whom US support hours fall at night,
//     write more through social media; the help center is written in US
//     English, and many customers in EMEA and APAC write "parcel", "post"
//     and "delivery" where it says "package", "ship" and "shipping".
//
// No score or output is planted anywhere. Accuracy differs across groups
// only because models handle the phrasings differently; the phrasing
// column records which phrasing an item got, so that this can be checked.
package supportqa

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"

	"github.com/evalgate/evalgate/metrics"
	"github.com/evalgate/evalgate/records"
)

const (
	// Name is the eval set's name, stored as the evalgate.name metadata.
	Name = "support-qa"
	// Version is the eval set's version, stored as evalgate.version. Bump
	// it whenever the generator's output changes.
	Version = "1.1.0"
	// DefaultSeed is the seed of the committed support-qa.parquet.
	DefaultSeed uint64 = 1
	// Generator names the program that writes the set, stored as
	// evalgate.generator.
	Generator = "github.com/evalgate/evalgate/datasets/examples/gen"
)

// GroupColumns returns the names of the columns that describe who asked:
// region, channel and customer_tier, each usable as a fairness group.
func GroupColumns() []string { return []string{"region", "channel", "customer_tier"} }

// ExtraColumns returns every string column the set has besides the standard
// ones, in file order: the group columns, then phrasing ("direct",
// "paraphrase" or "colloquial"), a label of how the question was built.
func ExtraColumns() []string { return append(GroupColumns(), "phrasing") }

// numStores is the number of stores whose help centers the set draws on.
const numStores = 10

// Items returns the items of the set generated from seed: one per store and
// fact, 400 in all, in a seeded random order with ids "sqa-001" onwards.
// The same seed always gives the same items.
func Items(seed uint64) []records.Item {
	rng := rand.New(rand.NewPCG(seed, 0x5eed5a11))
	kb := facts()
	var items []records.Item
	for range numStores {
		// Each store's help center has its own value of every fact and
		// orders the sentences of each passage its own way.
		hc := make([]string, len(kb))
		vals := make([]value, len(kb))
		for i, f := range kb {
			vals[i] = f.values[rng.IntN(len(f.values))]
			sentences := slices.Clone(f.passage)
			rng.Shuffle(len(sentences), func(a, b int) { sentences[a], sentences[b] = sentences[b], sentences[a] })
			hc[i] = strings.ReplaceAll(strings.Join(sentences, " "), "{V}", vals[i].text)
		}
		for i := range kb {
			items = append(items, makeItem(rng, kb, hc, vals[i], i))
		}
	}
	rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
	for i := range items {
		items[i].Row = int64(i)
		items[i].ID = fmt.Sprintf("sqa-%03d", i+1)
	}
	addContactDetails(items, seed)
	return items
}

// addContactDetails signs some messages the way customers do, with their
// email address or phone number, so that the set carries the personal data
// real support traffic does. It draws from its own random source, so the
// questions themselves do not depend on it.
func addContactDetails(items []records.Item, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0xc0ffee))
	first := []string{"sam", "alex", "priya", "jonas", "mei", "carlos", "fatima", "liam"}
	last := []string{"lee", "novak", "sharma", "berg", "chen", "ortiz", "haddad", "walsh"}
	for i := range items {
		it := &items[i]
		name := first[rng.IntN(len(first))] + "." + last[rng.IntN(len(last))]
		switch u := rng.Float64(); {
		case it.Extra["channel"] == "email" && u < 0.30:
			it.Input += fmt.Sprintf("\n\n%s@mail.example.org", name)
		case it.Extra["channel"] == "chat" && u < 0.10:
			it.Input += fmt.Sprintf(" (call me back on +1 212-555-01%02d)", rng.IntN(100))
		}
	}
}

// makeItem builds the item that asks fact i of a store whose help-center
// passages are hc; val is the store's value of the fact.
func makeItem(rng *rand.Rand, kb []fact, hc []string, val value, i int) records.Item {
	f := kb[i]
	refs := append([]string{val.text}, val.any...)

	// Distractor passages: one or two on the same task, the rest on
	// others. A passage that happens to contain an acceptable answer is
	// left out, so that only the answer sentence can score.
	n := 3 + rng.IntN(3)
	var same, other []int
	for _, j := range rng.Perm(len(kb)) {
		if j == i || mentionsAny(hc[j], refs) {
			continue
		}
		if kb[j].task == f.task {
			same = append(same, j)
		} else {
			other = append(other, j)
		}
	}
	nSame := min(1+rng.IntN(2), len(same))
	nOther := min(n-1-nSame, len(other))
	chosen := append(same[:nSame:nSame], other[:nOther]...)
	chosen = append(chosen, i)
	rng.Shuffle(len(chosen), func(a, b int) { chosen[a], chosen[b] = chosen[b], chosen[a] })
	context := make([]string, len(chosen))
	for k, j := range chosen {
		context[k] = hc[j]
	}

	region := pick(rng, []string{"amer", "emea", "apac"}, []float64{0.45, 0.30, 0.25})
	tier := pick(rng, []string{"free", "plus", "business"}, []float64{0.45, 0.35, 0.20})
	channel := pick(rng, []string{"email", "chat", "social"}, channelMix(tier, region))
	phrasing := pick(rng, []string{"direct", "paraphrase", "colloquial"}, phrasingMix(channel, tier))
	var questions []string
	switch phrasing {
	case "direct":
		questions = f.direct
	case "paraphrase":
		questions = f.paraphrase
	default:
		questions = f.colloquial
	}
	q := questions[rng.IntN(len(questions))]
	if rng.Float64() < britishShare(region) {
		q = replaceWords(q, britishWords())
	}
	if channel == "social" && rng.Float64() < textSpeakShare {
		q = replaceWords(strings.ToLower(q), textSpeak())
	}

	return records.Item{
		Input:       q,
		Context:     context,
		Expected:    val.text,
		ExpectedAny: slices.Clone(val.any),
		Task:        f.task,
		Extra: map[string]string{
			"region":        region,
			"channel":       channel,
			"customer_tier": tier,
			"phrasing":      phrasing,
		},
	}
}

// channelMix returns the probabilities of email, chat and social for a
// customer of a tier in a region. Business customers write email; free
// customers use chat and social media. Customers in Asia-Pacific, for whom
// the US support hours fall at night, turn to social messaging more.
func channelMix(tier, region string) []float64 {
	var mix []float64
	switch tier {
	case "business":
		mix = []float64{0.78, 0.20, 0.02}
	case "plus":
		mix = []float64{0.42, 0.40, 0.18}
	default:
		mix = []float64{0.18, 0.42, 0.40}
	}
	var factor []float64
	switch region {
	case "apac":
		factor = []float64{0.6, 1.0, 2.0}
	case "amer":
		factor = []float64{1.1, 1.0, 0.8}
	default:
		factor = []float64{1.0, 1.0, 1.0}
	}
	total := 0.0
	for i := range mix {
		mix[i] *= factor[i]
		total += mix[i]
	}
	for i := range mix {
		mix[i] /= total
	}
	return mix
}

// phrasingMix returns the probabilities of direct, paraphrase and
// colloquial phrasing for a message on a channel from a customer of a tier.
// Emails mostly reuse the help center's words, social messages mostly do
// not. Business customers' messages come from administrators who know the
// product's vocabulary: direct phrasing is twice as likely as otherwise.
func phrasingMix(channel, tier string) []float64 {
	var mix []float64
	switch channel {
	case "email":
		mix = []float64{0.85, 0.12, 0.03}
	case "chat":
		mix = []float64{0.60, 0.27, 0.13}
	default:
		mix = []float64{0.30, 0.45, 0.25}
	}
	if tier == "business" {
		mix[0] *= 2
		total := mix[0] + mix[1] + mix[2]
		for i := range mix {
			mix[i] /= total
		}
	}
	return mix
}

// britishShare is the share of customers in a region who write British or
// Commonwealth rather than US English: most in the UK, Ireland, India,
// Australia and New Zealand, few in the Americas.
func britishShare(region string) float64 {
	switch region {
	case "emea":
		return 0.55
	case "apac":
		return 0.6
	default:
		return 0.03
	}
}

// britishWords maps US words of the questions to their British equivalents.
func britishWords() map[string]string {
	return map[string]string{
		"package":   "parcel",
		"packages":  "parcels",
		"shipping":  "delivery",
		"ship":      "post",
		"mail":      "post",
		"mailing":   "postage",
		"apartment": "flat",
		"truck":     "van",
		"porch":     "doorstep",
		"college":   "uni",
		"cellphone": "mobile",
		"phone":     "mobile",
		"vacation":  "holiday",
		"color":     "colour",
		"gotten":    "got",
		"states":    "US",
		"canceled":  "cancelled",
	}
}

// textSpeakShare is the share of social messages written in text speak.
const textSpeakShare = 0.6

// textSpeak maps words to the abbreviations people use in social messages.
func textSpeak() map[string]string {
	return map[string]string{
		"you":          "u",
		"your":         "ur",
		"account":      "acct",
		"password":     "pw",
		"please":       "pls",
		"people":       "ppl",
		"through":      "thru",
		"because":      "bc",
		"information":  "info",
		"subscription": "sub",
		"minutes":      "mins",
		"before":       "b4",
		"tomorrow":     "tmrw",
		"what's":       "whats",
		"don't":        "dont",
	}
}

// replaceWords replaces each whole word of s found in dict (compared in
// lower case), keeping an initial capital.
func replaceWords(s string, dict map[string]string) string {
	var b strings.Builder
	word := func(w string) {
		r, ok := dict[strings.ToLower(w)]
		if !ok {
			b.WriteString(w)
			return
		}
		if first := []rune(w)[0]; unicode.IsUpper(first) {
			rr := []rune(r)
			rr[0] = unicode.ToUpper(rr[0])
			r = string(rr)
		}
		b.WriteString(r)
	}
	start := -1
	for i, r := range s {
		inWord := unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\''
		switch {
		case inWord && start < 0:
			start = i
		case !inWord && start >= 0:
			word(s[start:i])
			start = -1
			b.WriteRune(r)
		case !inWord:
			b.WriteRune(r)
		}
	}
	if start >= 0 {
		word(s[start:])
	}
	return b.String()
}

// pick returns one of choices drawn with the given probabilities.
func pick(rng *rand.Rand, choices []string, probs []float64) string {
	x := rng.Float64()
	for i, p := range probs {
		if x < p {
			return choices[i]
		}
		x -= p
	}
	return choices[len(choices)-1]
}

// mentionsAny reports whether one of refs appears in text the way the
// "contains" scoring method finds it, so that distractor passages never
// carry an item's answer.
func mentionsAny(text string, refs []string) bool { return metrics.Contains(text, refs) }
