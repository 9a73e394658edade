package signing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrAmbiguous marks a payload that two JSON readers could read two ways:
// an object with the same key twice, or two keys that differ only in case
// (Go's encoding/json matches keys case-insensitively and keeps the last,
// jq and Python keep the last exact match), so that one signed payload
// could say ALLOW to one verifier and BLOCK to another.
var ErrAmbiguous = errors.New("ambiguous JSON")

// CheckUnambiguous returns an error wrapping ErrAmbiguous when any object
// in the JSON document data repeats a key, exactly or up to case, and an
// error for anything that is not one JSON value.
func CheckUnambiguous(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := checkValue(dec, "$"); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON value", ErrAmbiguous)
	}
	return nil
}

// checkValue reads one value from dec, at path, checking its objects.
func checkValue(dec *json.Decoder, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch tok {
	case json.Delim('{'):
		seen := map[string]string{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key, _ := kt.(string)
			folded := strings.ToLower(key)
			if prev, ok := seen[folded]; ok {
				return fmt.Errorf("%w: %s has the keys %q and %q", ErrAmbiguous, path, prev, key)
			}
			seen[folded] = key
			if err := checkValue(dec, path+"."+key); err != nil {
				return err
			}
		}
		_, err = dec.Token() // '}'
		return err
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := checkValue(dec, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		_, err = dec.Token() // ']'
		return err
	}
	return nil
}
