// Command wordnetgen builds integrity's synonym table, wordnet.txt.gz, from
// the WordNet 3.0 database files (Debian package wordnet-base, under
// /usr/share/wordnet; WordNet 3.0 licence, Princeton University, see
// integrity/LICENSE-WordNet):
//
//	go run ./internal/wordnetgen -dict /usr/share/wordnet -out wordnet.txt.gz
//
// (run by go generate in integrity). Each line of the table is a word, a
// tab and the comma-separated numbers of the synsets it stands for: for
// each part of speech, the first -senses senses of the word (WordNet lists
// a word's senses most frequent first), keeping only synsets with at least
// two one-word lemmas, since a synset of one word matches nothing new. An
// irregular form of the exception lists (verb.exc: "went go") gets the
// synsets of its base form, so that it matches the base form's synonyms
// and the base form itself. Words are lower-case letters only (no
// multi-word lemmas, which the lexical method does not match as units).
// Lines are sorted by word and synsets numbered densely in order of first
// use, so the output is the same on every run.
package main

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

func main() {
	dict := flag.String("dict", "/usr/share/wordnet", "WordNet 3.0 dict directory (data.noun, index.noun, noun.exc, …)")
	out := flag.String("out", "wordnet.txt.gz", "output file")
	senses := flag.Int("senses", 1, "senses per word and part of speech to keep")
	flag.Parse()
	if err := run(*dict, *out, *senses); err != nil {
		fmt.Fprintln(os.Stderr, "wordnetgen:", err)
		os.Exit(1)
	}
}

type key struct {
	pos    string
	offset string
}

func run(dict, out string, senses int) error {
	words := map[string]map[key]bool{}
	// Derivationally related forms ("+") and pertainyms ("\\") link two
	// words across parts of speech — "decide" and "decision", "British"
	// and "Britain" — as a synset links synonyms: each linked pair gets a
	// number of its own, which both words carry.
	lemmas := map[key][]string{} // every synset's lemmas, in order
	type link struct {
		from    key
		fromW   int
		to      key
		toW     int
		pointer string
	}
	var links []link
	for _, pos := range []string{"noun", "verb", "adj", "adv"} {
		if err := eachLine(filepath.Join(dict, "data."+pos), func(f []string) {
			if len(f) < 4 {
				return
			}
			n, err := strconv.ParseInt(f[3], 16, 32)
			if err != nil || 5+2*int(n) > len(f) {
				return
			}
			k := key{pos, f[0]}
			for i := 0; i < int(n); i++ {
				lemmas[k] = append(lemmas[k], f[4+2*i])
			}
			i := 4 + 2*int(n)
			np, err := strconv.Atoi(f[i])
			if err != nil || i+1+4*np > len(f) {
				return
			}
			for j := 0; j < np; j++ {
				ptr := f[i+1+4*j : i+5+4*j]
				if ptr[0] != "+" && ptr[0] != "\\" || ptr[3] == "0000" {
					continue
				}
				src, err1 := strconv.ParseInt(ptr[3][:2], 16, 32)
				dst, err2 := strconv.ParseInt(ptr[3][2:], 16, 32)
				if err1 != nil || err2 != nil {
					continue
				}
				links = append(links, link{k, int(src), key{posName(ptr[2]), ptr[1]}, int(dst), ptr[0]})
			}
		}); err != nil {
			return err
		}
	}
	for _, l := range links {
		a, b := lemmas[l.from], lemmas[l.to]
		if l.fromW < 1 || l.fromW > len(a) || l.toW < 1 || l.toW > len(b) {
			continue
		}
		wa, ok1 := lemma(a[l.fromW-1])
		wb, ok2 := lemma(b[l.toW-1])
		if !ok1 || !ok2 || wa == wb {
			continue
		}
		pair := key{"link", min(wa, wb) + " " + max(wa, wb)}
		add(words, wa, pair)
		add(words, wb, pair)
	}
	for _, pos := range []string{"noun", "verb", "adj", "adv"} {
		// Synsets with at least two one-word lemmas.
		useful := map[key]bool{}
		if err := eachLine(filepath.Join(dict, "data."+pos), func(f []string) {
			if len(f) < 4 || strings.HasPrefix(f[0], " ") {
				return
			}
			n, err := strconv.ParseInt(f[3], 16, 32)
			if err != nil || 4+2*int(n) > len(f) {
				return
			}
			single := 0
			for i := 0; i < int(n); i++ {
				if _, ok := lemma(f[4+2*i]); ok {
					single++
				}
			}
			if single >= 2 {
				useful[key{pos, f[0]}] = true
			}
		}); err != nil {
			return err
		}
		// Each word's first senses.
		if err := eachLine(filepath.Join(dict, "index."+pos), func(f []string) {
			if len(f) < 6 {
				return
			}
			w, ok := lemma(f[0])
			if !ok {
				return
			}
			nSyn, err1 := strconv.Atoi(f[2])
			nPtr, err2 := strconv.Atoi(f[3])
			if err1 != nil || err2 != nil || len(f) < 6+nPtr+nSyn {
				return
			}
			offsets := f[6+nPtr : 6+nPtr+nSyn]
			for _, o := range offsets[:min(senses, len(offsets))] {
				if k := (key{pos, o}); useful[k] {
					add(words, w, k)
				}
			}
		}); err != nil {
			return err
		}
		// Irregular forms take their base form's synsets.
		if err := eachLine(filepath.Join(dict, pos+".exc"), func(f []string) {
			if len(f) < 2 {
				return
			}
			form, ok1 := lemma(f[0])
			base, ok2 := lemma(f[1])
			if !ok1 || !ok2 {
				return
			}
			for k := range words[base] {
				if k.pos == pos {
					add(words, form, k)
				}
			}
		}); err != nil {
			return err
		}
	}

	sorted := make([]string, 0, len(words))
	for w := range words {
		sorted = append(sorted, w)
	}
	sort.Strings(sorted)
	ids := map[key]int{}
	f, err := os.Create(out)
	if err != nil {
		return fmt.Errorf("create %s: %w", out, err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestCompression)
	bw := bufio.NewWriter(zw)
	for _, w := range sorted {
		ks := make([]key, 0, len(words[w]))
		for k := range words[w] {
			ks = append(ks, k)
		}
		// Number in a fixed order: by part of speech, then offset.
		sort.Slice(ks, func(a, b int) bool {
			if ks[a].pos != ks[b].pos {
				return ks[a].pos < ks[b].pos
			}
			return ks[a].offset < ks[b].offset
		})
		nums := make([]int, len(ks))
		for i, k := range ks {
			id, ok := ids[k]
			if !ok {
				id = len(ids)
				ids[k] = id
			}
			nums[i] = id
		}
		sort.Ints(nums)
		bw.WriteString(w)
		for i, n := range nums {
			if i == 0 {
				bw.WriteByte('\t')
			} else {
				bw.WriteByte(',')
			}
			bw.WriteString(strconv.Itoa(n))
		}
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	fmt.Fprintf(os.Stderr, "wordnetgen: %d words, %d synsets\n", len(sorted), len(ids))
	return nil
}

// posName is the data file of a pointer's part-of-speech letter.
func posName(c string) string {
	switch c {
	case "n":
		return "noun"
	case "v":
		return "verb"
	case "a", "s":
		return "adj"
	case "r":
		return "adv"
	}
	return c
}

func add(words map[string]map[key]bool, w string, k key) {
	if words[w] == nil {
		words[w] = map[key]bool{}
	}
	words[w][k] = true
}

// lemma returns a WordNet lemma in lower case, without an adjective marker
// ("(a)", "(p)", "(ip)"), and whether it is one word of letters a–z.
func lemma(s string) (string, bool) {
	if i := strings.IndexByte(s, '('); i > 0 {
		s = s[:i]
	}
	s = strings.ToLower(s)
	if len(s) < 2 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return "", false
		}
	}
	return s, true
}

// eachLine calls fn with the space-separated fields of each line of file,
// skipping the licence header (lines that start with two spaces).
func eachLine(file string, fn func([]string)) error {
	f, err := os.Open(file)
	if err != nil {
		return fmt.Errorf("read wordnet: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "  ") {
			continue
		}
		fn(strings.Fields(line))
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read %s: %w", file, err)
	}
	return nil
}
