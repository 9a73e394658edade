package metrics

import (
	"bytes"
	"math"
	"strings"
	"sync"
)

// Scorer scores outputs with every method, exactly as ScoreAll does, for
// callers that score many: it normalizes into buffers it reuses,
// remembers the normalized form of up to maxPrepared references (an
// item's reference is normalized once however many samples and models
// are scored against it), and hands out one score map per distinct
// result instead of one per call. Once warm it allocates nothing per
// call. A Scorer is not safe for concurrent use; give each goroutine its
// own. The zero Scorer is ready to use.
type Scorer struct {
	out     normalizer
	scratch preparedRef
	used    []bool
	refs    map[string]*preparedRef
	maps    map[scoreKey]map[string]float64
	// Direct-mapped caches in front of refs and maps, which spare hashing
	// the key on most calls.
	refSlots [64]refSlot
	mapSlots [64]mapSlot
}

type refSlot struct {
	ref string
	p   *preparedRef
}

type mapSlot struct {
	key scoreKey
	m   map[string]float64
}

// Limits on what a Scorer remembers; past them it forgets its references
// and stops sharing maps, so that its memory stays bounded.
const (
	maxPrepared  = 4096
	maxScoreMaps = 1024
)

// preparedRef is one reference, trimmed and normalized.
type preparedRef struct {
	key     string // the reference
	trimmed string
	norm    normalizer
}

func (p *preparedRef) set(ref string) {
	p.key = ref
	p.trimmed = strings.TrimSpace(ref)
	p.norm.normalize(ref)
}

// scoreKey identifies a result's four scores.
type scoreKey struct {
	exact, normalized, contains bool
	f1                          uint64 // math.Float64bits
}

// Score returns ScoreAll(output, refs): the scores keyed by method name,
// or nil when refs is empty. The map is shared with the other results
// the Scorer gave the same scores and must not be modified.
func (s *Scorer) Score(output string, refs []string) map[string]float64 {
	if len(refs) == 0 {
		return nil
	}
	k := s.score(output, refs, true)
	slot := &s.mapSlots[k.slot()]
	if slot.m != nil && slot.key == k {
		return slot.m
	}
	m := s.maps[k]
	if m == nil {
		m = k.scoreMap()
		if s.maps == nil {
			s.maps = make(map[scoreKey]map[string]float64)
		}
		if len(s.maps) >= maxScoreMaps {
			return m
		}
		s.maps[k] = m
	}
	*slot = mapSlot{k, m}
	return m
}

// slot picks k's entry of Scorer.mapSlots.
func (k scoreKey) slot() int {
	h := k.f1 ^ k.f1>>29 ^ k.f1>>47
	if k.exact {
		h ^= 1
	}
	if k.normalized {
		h ^= 2
	}
	if k.contains {
		h ^= 4
	}
	return int(h % 64)
}

func (k scoreKey) scoreMap() map[string]float64 {
	return map[string]float64{
		"exact":      b2f(k.exact),
		"normalized": b2f(k.normalized),
		"contains":   b2f(k.contains),
		"f1":         math.Float64frombits(k.f1),
	}
}

// score computes the four scores of output against refs (not empty).
// With remember, references are normalized once and kept.
func (s *Scorer) score(output string, refs []string, remember bool) scoreKey {
	trimmed := strings.TrimSpace(output)
	s.out.normalize(output)
	out := s.out.padded()
	var k scoreKey
	best := 0.0
	for _, r := range refs {
		p := s.prepare(r, remember)
		k.exact = k.exact || trimmed == p.trimmed
		ref := p.norm.padded()
		k.normalized = k.normalized || bytes.Equal(out, ref)
		k.contains = k.contains || (len(ref) > 1 && bytes.Contains(out, ref))
		if f := s.tokenF1(&p.norm); f > best {
			best = f
		}
	}
	k.f1 = math.Float64bits(best)
	return k
}

// prepare returns ref trimmed and normalized, from memory when it has
// been seen before.
func (s *Scorer) prepare(ref string, remember bool) *preparedRef {
	if !remember {
		s.scratch.set(ref)
		return &s.scratch
	}
	slot := &s.refSlots[refSlotOf(ref)]
	if slot.p != nil && slot.ref == ref {
		return slot.p
	}
	p := s.refs[ref]
	if p == nil {
		if s.refs == nil || len(s.refs) >= maxPrepared {
			s.refs = make(map[string]*preparedRef)
			s.refSlots = [64]refSlot{}
		}
		// The key is copied: ref may be a slice of a larger string (a
		// page of a Parquet file) that the map must not keep alive.
		ref = strings.Clone(ref)
		p = &preparedRef{}
		p.set(ref)
		s.refs[ref] = p
	}
	*slot = refSlot{p.key, p}
	return p
}

// refSlotOf picks ref's entry of Scorer.refSlots from its length and
// first and last bytes.
func refSlotOf(ref string) int {
	h := uint(len(ref))
	if len(ref) > 0 {
		h = h*31 + uint(ref[0])*7 + uint(ref[len(ref)-1])
	}
	return int(h % 64)
}

// maxPairs bounds the token comparisons tokenF1 makes pair by pair;
// larger inputs count tokens in a map.
const maxPairs = 4096

// tokenF1 is tokenF1(pred, gold) for the output in s.out and gold.
func (s *Scorer) tokenF1(gold *normalizer) float64 {
	np, ng := s.out.tokens(), gold.tokens()
	if np == 0 || ng == 0 {
		if np == ng {
			return 1
		}
		return 0
	}
	common := 0
	obuf, otoks := s.out.buf, s.out.toks[:2*np]
	gbuf, gtoks := gold.buf, gold.toks[:2*ng]
	switch {
	case ng <= 64 && np*ng <= maxPairs:
		// Each predicted token takes the first unused equal gold token
		// (a bit of used): the size of the multisets' intersection, as
		// counting gives it.
		var used uint64
		for i := 0; i < len(otoks); i += 2 {
			p := obuf[otoks[i]:otoks[i+1]]
			for j := 0; j < len(gtoks); j += 2 {
				bit := uint64(1) << (j / 2)
				if used&bit == 0 && int(gtoks[j+1]-gtoks[j]) == len(p) && string(gbuf[gtoks[j]:gtoks[j+1]]) == string(p) {
					used |= bit
					common++
					break
				}
			}
		}
	case np*ng <= maxPairs:
		if cap(s.used) < ng {
			s.used = make([]bool, ng)
		}
		used := s.used[:ng]
		clear(used)
		for i := 0; i < len(otoks); i += 2 {
			p := obuf[otoks[i]:otoks[i+1]]
			for j := range used {
				g := gbuf[gtoks[2*j]:gtoks[2*j+1]]
				if !used[j] && string(g) == string(p) {
					used[j] = true
					common++
					break
				}
			}
		}
	default:
		counts := make(map[string]int, ng)
		for j := range ng {
			counts[string(gold.token(j))]++
		}
		for i := range np {
			p := s.out.token(i)
			if counts[string(p)] > 0 {
				counts[string(p)]--
				common++
			}
		}
	}
	if common == 0 {
		return 0
	}
	precision := float64(common) / float64(np)
	recall := float64(common) / float64(ng)
	return 2 * precision * recall / (precision + recall)
}

// scorers lends Scorers to ScoreAll and the single-method functions.
var scorers = sync.Pool{New: func() any { return new(Scorer) }}
