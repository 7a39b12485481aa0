package cupsserver

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/loraedge/loraedge/cups"
)

// Names of the Basics Station home files that WriteCUPSHome writes.
const (
	CUPSURIFile   = "cups.uri"
	CUPSTrustFile = "cups.trust"
	CUPSCertFile  = "cups.crt"
	CUPSKeyFile   = "cups.key"
)

// WriteCUPSHome writes the CUPS credential set of a Basics Station home into
// dir (created 0700 if missing): cups.uri holding uri, and cups.trust,
// cups.crt and cups.key (mode 0600) in DER, the bytes Station itself writes
// from a CUPS answer, so that the CRC it reports matches cred.CRC() from
// its first request. With no tc.* files, Station asks CUPS for them.
func WriteCUPSHome(dir, uri string, cred cups.Credentials) error {
	if err := CheckCUPSURI(uri); err != nil {
		return err
	}
	if len(cred.Trust) == 0 || len(cred.Cert) == 0 || len(cred.Key) == 0 {
		return fmt.Errorf("cupsserver: cups home: credentials need a trust, a certificate and a key")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cupsserver: create %s: %w", dir, err)
	}
	files := []struct {
		name string
		data []byte
		mode os.FileMode
	}{
		{CUPSKeyFile, cred.Key, 0o600},
		{CUPSCertFile, cred.Cert, 0o644},
		{CUPSTrustFile, cred.Trust, 0o644},
		{CUPSURIFile, []byte(uri), 0o644},
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic writes data beside path and renames it into place, so a
// reader sees the old file or the new one, never a part.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("cupsserver: write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // nothing left after a successful rename
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("cupsserver: write %s: %w", path, err)
	}
	return nil
}
