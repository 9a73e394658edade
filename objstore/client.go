package objstore

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Client talks to one object store with one set of credentials. It is
// safe for concurrent use.
type Client struct {
	mc     *minio.Client
	core   minio.Core // the same client, for plain ranged GETs
	source string     // where the credentials came from, for errors
}

// Endpoint is the store NewClient talks to, from AWS_ENDPOINT_URL_S3 or
// AWS_ENDPOINT_URL (default AWS S3): host[:port] and whether TLS is used.
type Endpoint struct {
	Host   string
	Secure bool
}

// endpoint reads the endpoint variables.
func endpoint(getenv func(string) string) (Endpoint, error) {
	for _, ev := range []struct{ name, v string }{
		{"AWS_ENDPOINT_URL_S3", getenv("AWS_ENDPOINT_URL_S3")},
		{"AWS_ENDPOINT_URL", getenv("AWS_ENDPOINT_URL")},
	} {
		name, v := ev.name, ev.v
		if v == "" {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" {
			return Endpoint{}, fmt.Errorf("read %s: want http(s)://host[:port], got %q", name, v)
		}
		switch u.Scheme {
		case "https":
			return Endpoint{Host: u.Host, Secure: true}, nil
		case "http":
			return Endpoint{Host: u.Host, Secure: false}, nil
		}
		return Endpoint{}, fmt.Errorf("read %s: the scheme must be http or https, got %q", name, v)
	}
	return Endpoint{Host: "s3.amazonaws.com", Secure: true}, nil
}

// NewClient returns a client configured from the standard environment
// and files only (see the package doc), read through getenv. It resolves
// the credentials before it returns: with none found it returns an
// *Error of kind ErrNoCredentials that lists where it looked.
func NewClient(ctx context.Context, getenv func(string) string) (*Client, error) {
	ep, err := endpoint(getenv)
	if err != nil {
		return nil, &Error{Op: "configure object storage", URL: "", Kind: ErrBadURL, Err: err}
	}
	creds, source, err := resolveCredentials(ctx, getenv)
	if err != nil {
		return nil, err
	}
	region := getenv("AWS_REGION")
	if region == "" {
		region = getenv("AWS_DEFAULT_REGION")
	}
	mc, err := minio.New(ep.Host, &minio.Options{
		Creds:  creds,
		Secure: ep.Secure,
		Region: region,
	})
	if err != nil {
		return nil, &Error{Op: "configure object storage", URL: ep.Host, Err: err}
	}
	return &Client{mc: mc, core: minio.Core{Client: mc}, source: source}, nil
}

// resolveCredentials walks the chain: environment, shared credentials
// file, web identity, instance metadata. It returns the first that gives
// an access key, and a description of where it came from.
func resolveCredentials(ctx context.Context, getenv func(string) string) (*credentials.Credentials, string, error) {
	var looked []string

	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	switch {
	case id != "" && secret != "":
		return credentials.NewStaticV4(id, secret, getenv("AWS_SESSION_TOKEN")), "AWS_ACCESS_KEY_ID", nil
	case id != "" || secret != "":
		return nil, "", &Error{Op: "find credentials", Kind: ErrNoCredentials,
			Err: fmt.Errorf("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together (one of them is empty)")}
	}
	looked = append(looked, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (unset)")

	file := getenv("AWS_SHARED_CREDENTIALS_FILE")
	if file == "" {
		if home := getenv("HOME"); home != "" {
			file = filepath.Join(home, ".aws", "credentials")
		}
	}
	profile := getenv("AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	if file != "" {
		fp := &credentials.FileAWSCredentials{Filename: file, Profile: profile}
		if v, err := fp.Retrieve(); err == nil && v.AccessKeyID != "" {
			return credentials.New(fp), fmt.Sprintf("profile %s in %s (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE)", profile, file), nil
		}
		looked = append(looked, fmt.Sprintf("profile %s in %s (none there)", profile, file))
	}

	tokenFile, role := getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), getenv("AWS_ROLE_ARN")
	metadataOff := strings.EqualFold(getenv("AWS_EC2_METADATA_DISABLED"), "true")
	if tokenFile == "" || role == "" {
		looked = append(looked, "web identity AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (unset)")
		if metadataOff {
			looked = append(looked, "instance metadata (AWS_EC2_METADATA_DISABLED=true)")
			return nil, "", noCredentials(looked)
		}
	}
	iam := &credentials.IAM{Region: getenv("AWS_REGION")}
	iam.EKSIdentity.TokenFile = tokenFile
	iam.EKSIdentity.RoleARN = role
	iam.EKSIdentity.RoleSessionName = getenv("AWS_ROLE_SESSION_NAME")
	source := "instance metadata"
	if tokenFile != "" && role != "" {
		source = "web identity AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE"
	}
	creds := credentials.New(iam)
	v, err := creds.GetWithContext(&credentials.CredContext{Context: ctx})
	if err != nil || v.AccessKeyID == "" {
		looked = append(looked, source+" (no answer)")
		return nil, "", noCredentials(looked)
	}
	return creds, source, nil
}

func noCredentials(looked []string) error {
	return &Error{Op: "find credentials", Kind: ErrNoCredentials,
		Err: fmt.Errorf("looked in: %s", strings.Join(looked, "; "))}
}
