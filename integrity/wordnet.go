package integrity

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"strconv"
	"sync"
)

//go:generate go run ./internal/wordnetgen -dict /usr/share/wordnet -out wordnet.txt.gz

// wordnetTable is the synonym table built from WordNet 3.0 (Princeton
// University, WordNet 3.0 licence: LICENSE-WordNet) by
// internal/wordnetgen: per word, the synsets of its most frequent sense in
// each part of speech.
//
//go:embed wordnet.txt.gz
var wordnetTable []byte

// grSynonyms maps a word's hash, in the normalised (lower-case, stemmed)
// form the lexical method compares, to its synsets.
type grSynonyms struct {
	words grSet    // word hash → offset<<8 | count into ids
	ids   []uint32 // synset numbers
}

// synonyms is the synonym table, read from wordnetTable on first use
// (about 40,000 words; a few milliseconds and about 2 MB, once per process).
var synonyms = sync.OnceValue(func() *grSynonyms {
	s := &grSynonyms{}
	zr, err := gzip.NewReader(bytes.NewReader(wordnetTable))
	if err != nil {
		panic("integrity: read embedded wordnet.txt.gz: " + err.Error()) // built by go generate; a test reads it
	}
	byWord := map[uint64][]uint32{}
	var order []uint64
	sc := bufio.NewScanner(zr)
	var buf []byte
	for sc.Scan() {
		line := sc.Bytes()
		tab := bytes.IndexByte(line, '\t')
		if tab <= 0 {
			continue
		}
		buf = append(buf[:0], line[:tab]...)
		h := grHash(buf[:grStemLen(buf)])
		if _, ok := byWord[h]; !ok {
			order = append(order, h)
		}
		for _, f := range bytes.Split(line[tab+1:], []byte{','}) {
			if n, err := strconv.ParseUint(string(f), 10, 32); err == nil {
				byWord[h] = appendNew(byWord[h], uint32(n))
			}
		}
	}
	if err := sc.Err(); err != nil {
		panic("integrity: read embedded wordnet.txt.gz: " + err.Error())
	}
	s.words.reset(len(order))
	for _, h := range order {
		ids := byWord[h]
		n := min(len(ids), 255)
		s.words.insert(h, uint32(len(s.ids))<<8|uint32(n))
		s.ids = append(s.ids, ids[:n]...)
	}
	return s
})

func appendNew(s []uint32, v uint32) []uint32 {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// of returns the synsets of the word with hash h, or nil.
func (s *grSynonyms) of(h uint64) []uint32 {
	if s == nil {
		return nil
	}
	v, ok := s.words.get(h)
	if !ok {
		return nil
	}
	return s.ids[v>>8 : v>>8+v&0xff]
}

// grSynKey is the key that stands for synset id in the context tables, in
// a hash space apart from words'.
func grSynKey(id uint32) uint64 {
	return (uint64(id)+1)*0xD6E8FEB86659FD93 | 1<<63
}
