package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/minio/minio-go/v7"
)

// Error kinds: an *Error's Kind is one of these, or nil for a failure of
// the network or the store.
var (
	// ErrBadURL: the URL is not a valid s3://bucket/key.
	ErrBadURL = errors.New("bad object URL")
	// ErrNoCredentials: no credentials were found where NewClient looked.
	ErrNoCredentials = errors.New("no object-storage credentials found")
	// ErrCredentials: the store rejected the credentials (HTTP 403,
	// InvalidAccessKeyId or SignatureDoesNotMatch).
	ErrCredentials = errors.New("the credentials were rejected")
	// ErrDenied: the credentials are valid but not allowed to do this.
	ErrDenied = errors.New("access denied")
	// ErrNoBucket: the bucket does not exist.
	ErrNoBucket = errors.New("no such bucket")
	// ErrNotFound: the object does not exist.
	ErrNotFound = errors.New("no such object")
	// ErrChanged: the object was replaced while evalgate was reading it
	// (its ETag changed).
	ErrChanged = errors.New("changed while evalgate was reading it")
)

// Error is a failed operation on an object or prefix. Its message names
// the operation, the URL and, for rejected credentials, where they came
// from; never a secret.
type Error struct {
	Op   string // "open", "read", "put", "list", …
	URL  string // the s3:// URL
	Kind error  // one of the Err… kinds, or nil
	// Source says where the credentials came from ("AWS_ACCESS_KEY_ID",
	// "profile default in /root/.aws/credentials", …); set for
	// ErrCredentials and ErrDenied.
	Source string
	// Status is the HTTP status, when the store answered.
	Status int
	// Code is the store's error code (NoSuchKey, SignatureDoesNotMatch, …).
	Code string
	Err  error // the underlying error, when it says more
}

func (e *Error) Error() string {
	switch e.Kind {
	case ErrCredentials:
		return fmt.Sprintf("%s %s: the object store rejected the credentials from %s (HTTP %d, %s): check the access key id and the secret",
			e.Op, e.URL, e.Source, e.Status, e.Code)
	case ErrDenied:
		return fmt.Sprintf("%s %s: access denied to the credentials from %s (HTTP %d, %s)", e.Op, e.URL, e.Source, e.Status, e.Code)
	case ErrNoBucket:
		u, _ := ParsePrefix(e.URL)
		return fmt.Sprintf("%s %s: bucket %q does not exist (HTTP %d, %s)", e.Op, e.URL, u.Bucket, e.Status, e.Code)
	case ErrNotFound:
		return fmt.Sprintf("%s %s: no such object (HTTP %d, %s)", e.Op, e.URL, e.Status, e.Code)
	}
	msg := e.Op
	if e.URL != "" {
		msg += " " + e.URL
	}
	if e.Kind != nil {
		msg += ": " + e.Kind.Error()
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the kind and the underlying error.
func (e *Error) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// IsBadInput reports whether err is an object-storage error the user
// fixes in the input: a bad URL, missing or rejected credentials, access
// denied, a missing bucket or object. A change mid-read, a network
// failure or a store's 5xx is not.
func IsBadInput(err error) bool {
	for _, k := range []error{ErrBadURL, ErrNoCredentials, ErrCredentials, ErrDenied, ErrNoBucket, ErrNotFound} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// classify turns a minio-go error into an *Error.
func (c *Client) classify(op string, u URL, err error) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	e := &Error{Op: op, URL: u.String(), Source: c.source}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		e.Err = err
		return e
	}
	resp := minio.ToErrorResponse(err)
	e.Status, e.Code = resp.StatusCode, resp.Code
	switch resp.Code {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "InvalidClientTokenId", "TokenRefreshRequired":
		e.Kind = ErrCredentials
		return e
	case "AccessDenied", "AllAccessDisabled":
		e.Kind = ErrDenied
		return e
	case "NoSuchBucket":
		e.Kind = ErrNoBucket
		return e
	case "NoSuchKey", "NoSuchObject":
		e.Kind = ErrNotFound
		return e
	case "PreconditionFailed":
		e.Kind = ErrChanged
		return e
	}
	if resp.StatusCode == http.StatusPreconditionFailed {
		e.Kind = ErrChanged
		return e
	}
	e.Err = err
	return e
}
