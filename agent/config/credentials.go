package config

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store/agentstore"
)

// CredentialSet is one credential set read from its files.
type CredentialSet struct {
	Kind        agentstore.Kind
	Set         agentstore.Set
	Credentials agentstore.Credentials
}

// Name returns the set's name as Station names its files: "tc",
// "cups-bak", "tc-boot".
func (s CredentialSet) Name() string { return string(s.Kind) + s.Set.FileSuffix() }

// CredentialSets reads every configured credential set from its files, in
// the order tc reg, bak, boot, then cups reg, bak, boot, and checks each:
// the URI's scheme, certificates that parse, a key that parses and belongs
// to the certificate, a token of header lines, and only the combinations
// Station uses (trust alone, trust with certificate and key, trust with a
// token). Errors name files, never their content.
func (c *Config) CredentialSets() ([]CredentialSet, error) {
	var out []CredentialSet
	var errs []error
	for _, kind := range []agentstore.Kind{agentstore.KindTC, agentstore.KindCUPS} {
		ep := c.TC
		if kind == agentstore.KindCUPS {
			ep = c.CUPS
		}
		for _, set := range agentstore.Sets() {
			files := ep.Set(set)
			if files.empty() {
				continue
			}
			cs := CredentialSet{Kind: kind, Set: set}
			cr, err := readCredentials(cs.Name(), kind, files)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			cs.Credentials = cr
			out = append(out, cs)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

// Import reads the credential sets and imports each into db
// (agentstore.DB.ImportCredentials: a set whose files did not change since
// the last import is left as the store holds it, CUPS updates included). It
// returns the sets it wrote.
func (c *Config) Import(ctx context.Context, db *agentstore.DB) ([]CredentialSet, error) {
	sets, err := c.CredentialSets()
	if err != nil {
		return nil, fmt.Errorf("config: import: %w", err)
	}
	var written []CredentialSet
	for _, s := range sets {
		w, err := db.ImportCredentials(ctx, s.Kind, s.Set, s.Credentials)
		if err != nil {
			return written, fmt.Errorf("config: import %s: %w", s.Name(), err)
		}
		if w {
			written = append(written, s)
		}
	}
	return written, nil
}

// readCredentials reads and checks one set's files.
func readCredentials(name string, kind agentstore.Kind, f CredFiles) (agentstore.Credentials, error) {
	cr := agentstore.Credentials{URI: f.URI}
	if f.URI != "" {
		if err := kind.CheckURI(f.URI); err != nil {
			return cr, fmt.Errorf("%s.uri: %w", name, err)
		}
	}
	var err error
	read := func(ext, path string) []byte {
		if path == "" || err != nil {
			return nil
		}
		b, rerr := readFile(path)
		switch {
		case rerr != nil:
			err = fmt.Errorf("%s.%s: %w", name, ext, rerr)
		case len(b) == 0:
			err = fmt.Errorf("%s.%s: %s is empty", name, ext, path)
		}
		return b
	}
	cr.Trust = read("trust", f.Trust)
	cr.Cert = read("crt", f.Cert)
	cr.Key = read("key", f.Key)
	token := read("token", f.TokenFile)
	if err != nil {
		return cr, err
	}
	switch {
	case f.TokenFile != "" && (f.Cert != "" || f.Key != ""):
		return cr, fmt.Errorf("%s: a token (%s) excludes a client certificate and key", name, f.TokenFile)
	case f.Cert != "" && f.Key == "":
		return cr, fmt.Errorf("%s: client certificate %s without its key", name, f.Cert)
	case f.Key != "" && f.Cert == "":
		return cr, fmt.Errorf("%s: key %s without a client certificate", name, f.Key)
	case f.Trust == "" && (f.Cert != "" || f.TokenFile != ""):
		return cr, fmt.Errorf("%s: client credentials without a trust file: Station would use none of them", name)
	}
	if cr.Trust != nil {
		if _, err := parseCerts(cr.Trust); err != nil {
			return cr, fmt.Errorf("%s.trust: %s: %w", name, f.Trust, err)
		}
	}
	if cr.Cert != nil {
		certs, err := parseCerts(cr.Cert)
		if err != nil {
			return cr, fmt.Errorf("%s.crt: %s: %w", name, f.Cert, err)
		}
		key, err := parseKey(cr.Key)
		if err != nil {
			return cr, fmt.Errorf("%s.key: %s: %w", name, f.Key, err)
		}
		pub, ok := certs[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(key.Public()) {
			return cr, fmt.Errorf("%s: the key %s does not belong to the certificate %s", name, f.Key, f.Cert)
		}
	}
	if token != nil {
		if looksLikeKey(token) {
			return cr, fmt.Errorf("%s.key: %s holds a private key, not a token, and there is no client certificate", name, f.TokenFile)
		}
		if err := checkToken(string(token)); err != nil {
			return cr, fmt.Errorf("%s.key: %s: %w", name, f.TokenFile, err)
		}
		cr.Token = string(token)
	}
	if err := cr.Validate(kind); err != nil {
		return cr, fmt.Errorf("%s: %w", name, err)
	}
	return cr, nil
}

// parseCerts reads one or more certificates, PEM or DER, as mbedTLS does.
func parseCerts(b []byte) ([]*x509.Certificate, error) {
	if b[0] == 0x30 {
		certs, err := x509.ParseCertificates(b)
		if err != nil {
			return nil, fmt.Errorf("DER: %w", err)
		}
		return certs, nil
	}
	var certs []*x509.Certificate
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block %q, want CERTIFICATE", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM: %w", err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no certificate (neither PEM nor DER)")
	}
	return certs, nil
}

// parseKey reads a private key (PEM or DER; SEC1, PKCS#1 or PKCS#8).
func parseKey(b []byte) (crypto.Signer, error) {
	der, err := cups.ToDER(b)
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, errors.New("not an EC, RSA or PKCS#8 private key")
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%T keys cannot sign", k)
	}
	return s, nil
}

// looksLikeKey reports DER or PEM content, which Station would never read
// as a token.
func looksLikeKey(b []byte) bool {
	return b[0] == 0x30 || bytes.Contains(b, []byte("-----BEGIN"))
}

// checkToken checks token text as Station's validateAuthToken reads it:
// lines "Name: value" ended by "\n" or "\r\n", names of letters, digits,
// '-' and '_'. The text never appears in an error.
func checkToken(t string) error {
	if strings.IndexByte(t, 0) >= 0 {
		return errors.New("token holds a NUL byte")
	}
	s := t
	for strings.HasSuffix(s, "\n") {
		s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
	}
	if s == "" {
		return errors.New("token has no header line")
	}
	for i, line := range strings.Split(s, "\n") {
		name, _, ok := strings.Cut(strings.TrimSuffix(line, "\r"), ": ")
		if !ok || name == "" || strings.IndexFunc(name, notTokenNameRune) >= 0 {
			return fmt.Errorf("token line %d is not \"Name: value\"", i+1)
		}
	}
	return nil
}

func notTokenNameRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}
