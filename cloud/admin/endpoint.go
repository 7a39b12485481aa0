package admin

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// EndpointFile is the file, in the cloud's data directory, that tells the
// CLI where the running cloud's admin API is and which token it takes. It
// is mode 0600: it holds the token.
const EndpointFile = "admin.json"

// Endpoint is where an admin API listens and how to authenticate to it.
type Endpoint struct {
	// URL is the API's base URL (http://127.0.0.1:PORT or https://…),
	// without /api/v1.
	URL string `json:"url"`
	// Token is the bearer token.
	Token Secret `json:"token"`
	// CAFile, for an https URL, names a PEM file of the CA that signed the
	// server's certificate (e.g. the cloud's gateway CA); empty means the
	// system roots.
	CAFile string `json:"caFile,omitempty"`
}

// NewToken returns a fresh random API token: 32 bytes from crypto/rand,
// base64url without padding (43 characters).
func NewToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("admin: token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// WriteEndpoint writes e to dataDir/admin.json, mode 0600, atomically (a
// synced temporary file renamed over it), for the CLI to find while the
// cloud holds the store.
func WriteEndpoint(dataDir string, e Endpoint) error {
	if e.URL == "" || e.Token == "" {
		return errors.New("admin: endpoint: url and token are required")
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return fmt.Errorf("admin: endpoint: %w", err)
	}
	b = append(b, '\n')
	path := filepath.Join(dataDir, EndpointFile)
	tmp, err := os.CreateTemp(dataDir, EndpointFile+".tmp*")
	if err != nil {
		return fmt.Errorf("admin: endpoint: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename, nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("admin: endpoint: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("admin: endpoint: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("admin: endpoint: sync %s: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("admin: endpoint: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("admin: endpoint: %w", err)
	}
	return nil
}

// ErrInsecureEndpointFile reports an endpoint file that group or others may
// read or write: its token is then not the cloud's secret any more.
var ErrInsecureEndpointFile = errors.New("admin: endpoint file permissions too open")

// ReadEndpoint reads dataDir/admin.json. A missing file wraps
// fs.ErrNotExist (the cloud is not running, or runs without an admin API);
// a file group or others may access is refused with ErrInsecureEndpointFile.
func ReadEndpoint(dataDir string) (Endpoint, error) {
	path := filepath.Join(dataDir, EndpointFile)
	f, err := os.Open(path)
	if err != nil {
		return Endpoint{}, fmt.Errorf("admin: endpoint: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Endpoint{}, fmt.Errorf("admin: endpoint: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return Endpoint{}, fmt.Errorf("%w: %s has mode %v, want 0600", ErrInsecureEndpointFile, path, fi.Mode().Perm())
	}
	var e Endpoint
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return Endpoint{}, fmt.Errorf("admin: endpoint: %s: malformed", path)
	}
	if e.URL == "" || e.Token == "" {
		return Endpoint{}, fmt.Errorf("admin: endpoint: %s: url or token missing", path)
	}
	return e, nil
}

// RemoveEndpoint removes dataDir/admin.json, as the cloud does when it
// stops; a missing file is not an error.
func RemoveEndpoint(dataDir string) error {
	err := os.Remove(filepath.Join(dataDir, EndpointFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("admin: endpoint: %w", err)
	}
	return nil
}
