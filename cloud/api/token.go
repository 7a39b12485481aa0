package api

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultTokenFile is the token file's name in the cloud's data directory.
const DefaultTokenFile = "api-token"

// ErrInsecureTokenFile reports a token file that group or others may read
// or write; it must be mode 0600 (or stricter).
var ErrInsecureTokenFile = errors.New("api: token file permissions too open")

// LoadOrCreateToken reads the API token from path (one line, surrounding
// space ignored), or, when the file does not exist, creates it (mode 0600)
// with a fresh random token of 64 hex digits: the default run's first
// start. Two processes racing to create it end with the same token. The
// error never contains the token.
func LoadOrCreateToken(path string) (string, error) {
	tok, err := loadToken(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return tok, err
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("api: token: %w", err)
	}
	// The token is written to a temporary file and linked into place, so
	// that a reader never sees a half-written file and a second creator's
	// link fails.
	f, err := os.CreateTemp(filepath.Dir(path), ".api-token-*")
	if err != nil {
		return "", fmt.Errorf("api: token file: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	tok = hex.EncodeToString(b[:])
	_, werr := f.WriteString(tok + "\n")
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return "", fmt.Errorf("api: write token file %s: %w", path, err)
	}
	if err := os.Link(tmp, path); errors.Is(err, fs.ErrExist) {
		return loadToken(path) // another process won the race
	} else if err != nil {
		return "", fmt.Errorf("api: token file: %w", err)
	}
	return tok, nil
}

// loadToken reads an existing token file.
func loadToken(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("api: token file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("%w: %s is %v", ErrInsecureTokenFile, path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("api: token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < MinTokenLen || strings.ContainsAny(tok, " \t\r\n") {
		return "", fmt.Errorf("api: token file %s: want one token of at least %d characters", path, MinTokenLen)
	}
	return tok, nil
}
