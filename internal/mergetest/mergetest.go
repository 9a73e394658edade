// Package mergetest checks that a tally's Merge is exact: that the tallies
// of parts, merged in any order or grouping, read the same as one pass over
// the whole. The merge tests of metrics and integrity share it.
package mergetest

import (
	"fmt"
	"hash/fnv"
	"math"
	"reflect"
)

// EqualNaN is reflect.DeepEqual, except that NaN equals NaN (undefined
// gaps and means are NaN) and it reads unexported fields too.
func EqualNaN(a, b any) bool {
	return equalValues(reflect.ValueOf(a), reflect.ValueOf(b))
}

func equalValues(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y)
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalValues(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !equalValues(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return false
		}
		fallthrough
	case reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalValues(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if !equalValues(a.MapIndex(k), b.MapIndex(k)) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return a.Uint() == b.Uint()
	default:
		panic("equalNaN: cannot compare " + a.Kind().String())
	}
}

// splits are the named ways to cut n units (with ids) into k parts; each
// part lists unit indexes in order.
func splits(ids []string, k int) []struct {
	name  string
	parts [][]int
} {
	n := len(ids)
	cut := func(part func(i int) int) [][]int {
		parts := make([][]int, k)
		for i := range n {
			p := part(i)
			parts[p] = append(parts[p], i)
		}
		return parts
	}
	return []struct {
		name  string
		parts [][]int
	}{
		// By a hash of the id, as shards are made: the rows of the parts
		// interleave, and every sample of an item is in one part.
		{"hash of id", cut(func(i int) int {
			h := fnv.New32a()
			h.Write([]byte(ids[i]))
			return int(h.Sum32() % uint32(k))
		})},
		// Round robin: every part sees every group and task, and an
		// item's samples are spread over the parts.
		{"round robin", cut(func(i int) int { return i % k })},
		// Skewed by a hash of the id: one part holds most of the rows, so
		// its sums are of the whole's magnitude, where a rounded partial
		// sum shows.
		{"skewed hash of id", cut(func(i int) int {
			h := fnv.New32a()
			h.Write([]byte(ids[i]))
			if v := h.Sum32(); k > 1 && v%8 == 0 {
				return 1 + int(v/8)%(k-1)
			}
			return 0
		})},
		// Adversarial: contiguous blocks in reverse, the first part empty,
		// so a fold in part order meets the last rows first.
		{"reversed blocks", cut(func(i int) int {
			if k == 1 {
				return 0
			}
			return k - 1 - i*(k-1)/n
		})},
	}
}

// Mismatches tallies units in one pass and in k = 1..5 parts under
// every split, merges the parts in three orders and groupings, and
// returns a line for every merge whose outputs (read) differ from the
// one pass's, or that failed.
func Mismatches[T any](ids []string, build func(units []int) T, merge func(a, b T) error, read func(T) any) []string {
	want := read(build(All(len(ids))))
	var bad []string
	for k := 1; k <= 5; k++ {
		for _, sp := range splits(ids, k) {
			parts := func() []T {
				ts := make([]T, k)
				for i, p := range sp.parts {
					ts[i] = build(p)
				}
				return ts
			}
			groupings := []struct {
				name string
				fold func(ts []T) (T, error)
			}{
				{"into an empty tally, in part order", func(ts []T) (T, error) {
					acc := build(nil)
					for _, p := range ts {
						if err := merge(acc, p); err != nil {
							return acc, err
						}
					}
					return acc, nil
				}},
				{"into the last part, in reverse order", func(ts []T) (T, error) {
					acc := ts[len(ts)-1]
					for i := len(ts) - 2; i >= 0; i-- {
						if err := merge(acc, ts[i]); err != nil {
							return acc, err
						}
					}
					return acc, nil
				}},
				{"as a tree", func(ts []T) (T, error) {
					for len(ts) > 1 {
						var next []T
						for i := 0; i < len(ts); i += 2 {
							if i+1 < len(ts) {
								if err := merge(ts[i+1], ts[i]); err != nil {
									return ts[i+1], err
								}
								next = append(next, ts[i+1])
							} else {
								next = append(next, ts[i])
							}
						}
						ts = next
					}
					return ts[0], nil
				}},
			}
			for _, g := range groupings {
				got, err := g.fold(parts())
				where := fmt.Sprintf("k=%d, %s, %s", k, sp.name, g.name)
				if err != nil {
					bad = append(bad, where+": "+err.Error())
				} else if r := read(got); !EqualNaN(r, want) {
					bad = append(bad, fmt.Sprintf("%s:\ngot  %+v\nwant %+v", where, clip(r), clip(want)))
				}
			}
		}
	}
	return bad
}

func clip(v any) string {
	s := fmt.Sprintf("%+v", v)
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

// All is the unit indexes 0..n-1: one pass over every unit.
func All(n int) []int {
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	return all
}
