// Package objstore reads and writes objects in S3-compatible object
// storage (AWS S3, MinIO, Ceph, Cloudflare R2, Google Cloud Storage's
// interoperability API), named by s3://bucket/key URLs: the eval set, the
// production logs evalgate sample reads, the run's output folder and the
// history folder.
//
// # The client
//
// It is built on github.com/minio/minio-go/v7 rather than
// gocloud.dev/blob. minio-go is one small dependency tree, where
// gocloud.dev pulls in the AWS, Google Cloud and Azure SDKs; its
// *minio.Object and ranged GETs give the io.ReaderAt that Parquet's random
// access needs; it has the standard credential chain (environment, shared
// credentials file, web identity, instance metadata); and S3-compatible
// endpoints are first-class, not an afterthought.
//
// # Credentials and endpoint
//
// NewClient reads the standard environment and files only, through the
// getenv function it is given (so that tests pass their own):
//
//   - AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN;
//   - else the profile AWS_PROFILE (default "default") of the shared
//     credentials file AWS_SHARED_CREDENTIALS_FILE (default
//     ~/.aws/credentials);
//   - else web identity (IRSA on EKS): AWS_WEB_IDENTITY_TOKEN_FILE and
//     AWS_ROLE_ARN;
//   - else the instance metadata service, unless AWS_EC2_METADATA_DISABLED
//     is "true".
//
// The endpoint is AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS
// S3; an http:// endpoint is spoken to without TLS. The region is
// AWS_REGION, else AWS_DEFAULT_REGION (else the store's answer).
// Secrets never appear in an error: an error names the variable or the
// file the credentials came from, never their value.
//
// # Guarantees
//
// Reads stream. Open returns an io.ReaderAt over ranged GETs, each pinned
// to the ETag the object had when it was opened, so an object replaced
// while evalgate reads it fails with ErrChanged instead of mixing two
// versions; NewReader streams an object once from start to end. Nothing
// downloads a whole input object into memory or onto disk; Mirror copies
// a prefix of small outputs (shard and history folders) to disk, one
// object at a time, streaming each.
//
// Writes are atomic: an object appears whole or not at all. A PUT and the
// completion of a multipart upload are atomic in S3; an upload that fails
// or is interrupted (its source reader fails, its context is cancelled)
// is aborted, so nothing is left at the key. Publish uploads a folder's
// files with report.json and report.dsse.json last, so a reader that sees
// the report sees every file it names.
//
// # Errors
//
// Errors are *Error values whose Kind is one of the sentinel errors
// (ErrCredentials, ErrNoCredentials, ErrNoBucket, ErrNotFound, ErrDenied,
// ErrBadURL, ErrChanged) or nil for a failure of the network or the
// store; IsBadInput says which ones are the user's input to fix.
package objstore
