package pki

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Names of the Basics Station home files that WriteStationHome writes.
const (
	StationURIFile   = "tc.uri"
	StationTrustFile = "tc.trust"
	StationCertFile  = "tc.crt"
	StationKeyFile   = "tc.key"
)

// WriteStationHome writes the TC credential set of a Basics Station home into
// dir (created 0700 if missing): tc.uri holding tcURI, tc.trust the CA that
// signed the server certificate, tc.crt and tc.key (mode 0600) the gateway's
// key pair. Station connects to /router-info on tcURI, so it must be
// ws(s)://host:port without a path.
func WriteStationHome(dir, tcURI string, trustPEM []byte, kp *KeyPair) error {
	if err := CheckTCURI(tcURI); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("pki: create %s: %w", dir, err)
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{StationKeyFile, kp.KeyPEM, 0o600},
		{StationCertFile, kp.CertPEM, 0o644},
		{StationTrustFile, trustPEM, 0o644},
		{StationURIFile, []byte(tcURI + "\n"), 0o644},
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// CheckTCURI reports whether s is a URI Station accepts in tc.uri:
// ws:// or wss://, a host, an explicit port and no path, query or fragment.
func CheckTCURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("pki: tc uri %q: %w", s, err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return fmt.Errorf("pki: tc uri %q: scheme must be ws or wss", s)
	}
	if u.Hostname() == "" || u.Port() == "" {
		return fmt.Errorf("pki: tc uri %q: needs a host and an explicit port", s)
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("pki: tc uri %q: must be scheme://host:port only (Station adds /router-info)", s)
	}
	return nil
}
