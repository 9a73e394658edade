package evidence

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/evalgate/evalgate/reports"
	"github.com/evalgate/evalgate/signing"
)

// ManifestPredicateType identifies the predicate of a bundle's signed
// manifest.
const ManifestPredicateType = "https://github.com/evalgate/evalgate/evidence-manifest/v1"

// archiveTime is every archive entry's modification time, so that the
// same bundle gives the same bytes.
var archiveTime = time.Unix(0, 0).UTC()

// maxEntry bounds one entry VerifyArchive reads, in bytes.
const maxEntry = 256 << 20

// ManifestFile is one file of a bundle.
type ManifestFile struct {
	// Name is the file's path in the archive.
	Name string `json:"name"`
	// SHA256 is the hex digest of its bytes; Size their count.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// Manifest is the predicate of a bundle's manifest.json.
type Manifest struct {
	// Generator names evalgate and its version.
	Generator signing.VSAVerifier `json:"generator"`
	// Created is when the bundle was written (RFC 3339, UTC): the one
	// field that differs between two bundles of the same inputs.
	Created string `json:"created"`
	// Since and Until are the period [Since, Until), RFC 3339.
	Since string `json:"since"`
	Until string `json:"until"`
	// Keys are the keys the documents were verified with.
	Keys []Key `json:"keys"`
	// Counts summarise the verification.
	Counts Counts `json:"counts"`
	// Files are every other file of the archive, sorted by name.
	Files []ManifestFile `json:"files"`
}

// WriteArchive writes c's bundle to w as a gzipped tar: every file of
// BundleFiles in name order, then manifest.json signed with s and dated
// created. Entries are regular files with mode 0644 and a fixed
// modification time, with no owner.
func WriteArchive(w io.Writer, c *Collection, s *signing.Signer, created time.Time) error {
	files, err := c.BundleFiles()
	if err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(files))
	m := Manifest{
		Generator: signing.VSAVerifier{ID: signing.VerifierID, Version: map[string]string{"evalgate": reports.Version}},
		Created:   created.UTC().Format(time.RFC3339), Since: c.since(), Until: c.until(), Keys: c.Keys(), Counts: c.Counts(),
	}
	subjects := make([]signing.Subject, 0, len(names))
	for _, n := range names {
		sum := sha256.Sum256(files[n])
		h := hex.EncodeToString(sum[:])
		m.Files = append(m.Files, ManifestFile{Name: n, SHA256: h, Size: int64(len(files[n]))})
		subjects = append(subjects, signing.DigestSubject(n, h))
	}
	manifest, err := signing.SignStatement(s, subjects, ManifestPredicateType, m)
	if err != nil {
		return fmt.Errorf("sign manifest: %w", err)
	}
	zw, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	for _, n := range append(names, ManifestJSON) {
		b := manifest
		if n != ManifestJSON {
			b = files[n]
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: 0o644, Size: int64(len(b)), ModTime: archiveTime, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("write archive entry %s: %w", n, err)
		}
		if _, err := tw.Write(b); err != nil {
			return fmt.Errorf("write archive entry %s: %w", n, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("write archive: %w", err)
	}
	return nil
}

// Errors of VerifyArchive, for errors.Is.
var (
	// ErrArchive marks an archive that is not a bundle: not a gzipped
	// tar, an entry that is not a regular file, a duplicate or oversized
	// entry, no manifest.
	ErrArchive = errors.New("not an evidence bundle")
	// ErrManifest marks a bundle whose files do not match its signed
	// manifest: a file missing, added or changed.
	ErrManifest = errors.New("bundle does not match its manifest")
)

// ReadArchive reads the files of a bundle written by WriteArchive, by
// name, without verifying anything: every entry must be a regular file of
// at most 256 MiB, named once.
func ReadArchive(r io.Reader) (map[string][]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("read bundle: %w: %w", ErrArchive, err)
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read bundle: %w: %w", ErrArchive, err)
		}
		switch {
		case hdr.Typeflag != tar.TypeReg:
			return nil, fmt.Errorf("read bundle: %w: entry %q is not a regular file", ErrArchive, hdr.Name)
		case hdr.Size > maxEntry:
			return nil, fmt.Errorf("read bundle: %w: entry %q holds %d bytes, over the limit of %d", ErrArchive, hdr.Name, hdr.Size, maxEntry)
		case files[hdr.Name] != nil:
			return nil, fmt.Errorf("read bundle: %w: entry %q twice", ErrArchive, hdr.Name)
		}
		var b bytes.Buffer
		if _, err := io.Copy(&b, io.LimitReader(tr, maxEntry)); err != nil {
			return nil, fmt.Errorf("read bundle: %w: entry %q: %w", ErrArchive, hdr.Name, err)
		}
		files[hdr.Name] = b.Bytes()
	}
}

// VerifyArchive reads a bundle written by WriteArchive, verifies its
// manifest's signature with v and checks every file against it: the same
// names, and each file's SHA-256 and size. It returns the manifest and the
// files by name (manifest.json included). Signature errors wrap
// signing.ErrSignature; a file that does not match, ErrManifest.
func VerifyArchive(r io.Reader, v *signing.Verifier) (*Manifest, map[string][]byte, error) {
	files, err := ReadArchive(r)
	if err != nil {
		return nil, nil, err
	}
	raw, ok := files[ManifestJSON]
	if !ok {
		return nil, nil, fmt.Errorf("read bundle: %w: no %s", ErrArchive, ManifestJSON)
	}
	st, err := signing.VerifyStatement(v, raw)
	if err != nil {
		return nil, nil, fmt.Errorf("verify %s: %w", ManifestJSON, err)
	}
	if st.PredicateType != ManifestPredicateType {
		return nil, nil, fmt.Errorf("verify %s: %w: predicateType %q, want %q", ManifestJSON, signing.ErrEnvelope, st.PredicateType, ManifestPredicateType)
	}
	var m Manifest
	if err := json.Unmarshal(st.Predicate, &m); err != nil {
		return nil, nil, fmt.Errorf("verify %s: %w: predicate: %w", ManifestJSON, signing.ErrEnvelope, err)
	}
	if len(st.Subject) != len(m.Files) {
		return nil, nil, fmt.Errorf("verify bundle: %w: %d subjects and %d files listed", ErrManifest, len(st.Subject), len(m.Files))
	}
	listed := map[string]bool{ManifestJSON: true}
	for _, f := range m.Files {
		listed[f.Name] = true
		b, ok := files[f.Name]
		if !ok {
			return nil, nil, fmt.Errorf("verify bundle: %w: %s is listed and missing", ErrManifest, f.Name)
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != f.SHA256 || int64(len(b)) != f.Size {
			return nil, nil, fmt.Errorf("verify bundle: %w: %s has sha256 %s (%d bytes), the manifest says %s (%d bytes)", ErrManifest, f.Name, got, len(b), f.SHA256, f.Size)
		}
		if _, byName, err := signing.CheckSubject(st.Subject, f.Name, f.SHA256); err != nil || !byName {
			return nil, nil, fmt.Errorf("verify bundle: %w: %s is not a subject of the signed statement under its name", ErrManifest, f.Name)
		}
	}
	for n := range files {
		if !listed[n] {
			return nil, nil, fmt.Errorf("verify bundle: %w: %s is not in the manifest", ErrManifest, n)
		}
	}
	return &m, files, nil
}
