package objstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Scheme is the URL scheme of an object: "s3://bucket/key".
const Scheme = "s3://"

// IsURL reports whether s names an object or prefix in object storage,
// that is whether it starts with "s3://". A local path never does.
func IsURL(s string) bool { return strings.HasPrefix(s, Scheme) }

// URL is a parsed s3://bucket/key. Key has no leading slash.
type URL struct {
	Bucket string
	Key    string
}

// String is the URL as s3://bucket/key.
func (u URL) String() string { return Scheme + u.Bucket + "/" + u.Key }

// Join returns the URL of name under u taken as a prefix (a folder):
// s3://b/out joined with "report.json" is s3://b/out/report.json.
func (u URL) Join(name string) URL {
	k := strings.TrimSuffix(u.Key, "/")
	if k == "" {
		return URL{Bucket: u.Bucket, Key: name}
	}
	return URL{Bucket: u.Bucket, Key: k + "/" + name}
}

// prefix is u.Key as a folder prefix: "" or ending in "/".
func (u URL) prefix() string {
	k := strings.TrimSuffix(u.Key, "/")
	if k == "" {
		return ""
	}
	return k + "/"
}

// Parse parses s3://bucket/key strictly: the bucket must be a valid S3
// bucket name and the key must not be empty (an object needs a name).
// Errors are *Error values of kind ErrBadURL naming s.
func Parse(s string) (URL, error) {
	u, err := parse(s)
	if err == nil && u.Key == "" {
		err = errors.New("the key is empty (want s3://bucket/key)")
	}
	if err != nil {
		return URL{}, &Error{Op: "parse", URL: s, Kind: ErrBadURL, Err: err}
	}
	return u, nil
}

// ParsePrefix parses s3://bucket or s3://bucket/prefix, a folder of
// objects: as Parse, but the key (the prefix) may be empty.
func ParsePrefix(s string) (URL, error) {
	u, err := parse(s)
	if err != nil {
		return URL{}, &Error{Op: "parse", URL: s, Kind: ErrBadURL, Err: err}
	}
	return u, nil
}

func parse(s string) (URL, error) {
	if !IsURL(s) {
		return URL{}, fmt.Errorf("not an %s URL", Scheme)
	}
	rest := strings.TrimPrefix(s, Scheme)
	bucket, key, _ := strings.Cut(rest, "/")
	if err := s3utils.CheckValidBucketNameStrict(bucket); err != nil {
		return URL{}, fmt.Errorf("bad bucket name %q: %v", bucket, err)
	}
	if strings.ContainsAny(key, "?#") || strings.Contains(key, "//") {
		return URL{}, fmt.Errorf("bad key %q: no ?, # or empty path segments", key)
	}
	for _, seg := range strings.Split(strings.TrimSuffix(key, "/"), "/") {
		if seg == "." || seg == ".." {
			return URL{}, fmt.Errorf("bad key %q: no . or .. segments", key)
		}
	}
	return URL{Bucket: bucket, Key: key}, nil
}
