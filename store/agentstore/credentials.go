package agentstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/loraedge/loraedge/cups"
)

// Kind is the server a credential set is for, named as Station names its
// files: "tc" (the LNS, tc.*) or "cups" (the configuration server, cups.*).
type Kind string

// Kinds of credential sets.
const (
	KindTC   Kind = "tc"
	KindCUPS Kind = "cups"
)

// Valid reports whether k is KindTC or KindCUPS.
func (k Kind) Valid() bool { return k == KindTC || k == KindCUPS }

// maxURILen is the longest URI Station keeps (MAX_URI_LEN less its NUL).
const maxURILen = 127

// CheckURI checks a URI the way Station checks tc.uri and cups.uri
// (uri_checkHostPortUri in src/net.c): ws:// or wss:// for KindTC, http://
// or https:// for KindCUPS, a host, an explicit port and no path. Station
// appends the path itself (/router-info, /update-info).
func (k Kind) CheckURI(uri string) error {
	var schemes [2]string
	switch k {
	case KindTC:
		schemes = [2]string{"ws", "wss"}
	case KindCUPS:
		schemes = [2]string{"http", "https"}
	default:
		return fmt.Errorf("%w: kind %q", ErrInvalid, k)
	}
	if len(uri) > maxURILen {
		return fmt.Errorf("%w: %s uri is %d bytes, Station keeps at most %d", ErrInvalid, k, len(uri), maxURILen)
	}
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok || !strings.EqualFold(scheme, schemes[0]) && !strings.EqualFold(scheme, schemes[1]) {
		return fmt.Errorf("%w: %s uri %q: want %s://host:port or %s://host:port", ErrInvalid, k, uri, schemes[0], schemes[1])
	}
	var host, port string
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return fmt.Errorf("%w: %s uri %q: unterminated [ipv6] host", ErrInvalid, k, uri)
		}
		host, rest = rest[1:end], rest[end+1:]
		if rest != "" && rest[0] != ':' {
			return fmt.Errorf("%w: %s uri %q: want ':' and a port after the host", ErrInvalid, k, uri)
		}
		port = strings.TrimPrefix(rest, ":")
	} else {
		host, port, _ = strings.Cut(rest, ":")
	}
	switch {
	case host == "" || strings.ContainsAny(host, "/?#@ "):
		return fmt.Errorf("%w: %s uri %q: want %s://host:port with a host name", ErrInvalid, k, uri, schemes[0])
	case strings.ContainsAny(port, "/?#"):
		return fmt.Errorf("%w: %s uri %q: no path allowed (Station adds it)", ErrInvalid, k, uri)
	case port == "":
		return fmt.Errorf("%w: %s uri %q: the port is mandatory", ErrInvalid, k, uri)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("%w: %s uri %q: port %q is not 1..65535", ErrInvalid, k, uri, port)
	}
	return nil
}

// Set is one of the credential sets of a kind, tried in Station's order
// reg → bak → boot after repeated failures.
type Set string

// Credential sets, named after Station's file suffixes.
const (
	SetReg  Set = "reg"  // tc.*, cups.*: the current set
	SetBak  Set = "bak"  // tc-bak.*: the set before the last update
	SetBoot Set = "boot" // tc-boot.*: the factory set, never replaced by CUPS
)

// Sets returns the sets in the order Station falls back through them.
func Sets() []Set { return []Set{SetReg, SetBak, SetBoot} }

// Valid reports whether s is SetReg, SetBak or SetBoot.
func (s Set) Valid() bool { return s == SetReg || s == SetBak || s == SetBoot }

// FileSuffix returns the suffix Station adds to the kind in the names of
// the set's files: "", "-bak" or "-boot" (tc-bak.uri, cups-boot.trust).
func (s Set) FileSuffix() string {
	if s == SetReg {
		return ""
	}
	return "-" + string(s)
}

// Credentials is one credential set: the server URI and the contents of
// Station's .trust, .crt and .key files exactly as they came (PEM or DER),
// or a token in place of the certificate and key. Format and LogValue print
// the URI and CRC only, never the key or the token.
type Credentials struct {
	// URI is the server: ws(s)://host:port for tc, http(s)://host:port for
	// cups. Empty when the set only carries credentials (Station then asks
	// CUPS for the URI).
	URI string
	// Trust holds the CA certificate(s) the server's certificate must chain
	// to; empty for plain ws:// or http://.
	Trust []byte
	// Cert and Key are the client certificate and its private key, for
	// mutual TLS.
	Cert, Key []byte
	// Token holds HTTP header lines ("Authorization: Bearer …\r\n") sent
	// instead of a client certificate; Station keeps them in the .key file.
	Token string
}

// Auth says how a credential set authenticates, as Station's sys_cred
// decides from which files are present.
type Auth int

// Authentication modes, as Station's SYS_AUTH_*.
const (
	AuthNone   Auth = iota // no trust: no TLS verification material
	AuthServer             // trust only: the server is authenticated
	AuthToken              // trust and a token: server authenticated, client by header
	AuthBoth               // trust, certificate and key: mutual TLS
)

// String returns "none", "server", "token" or "mutual-tls".
func (a Auth) String() string {
	switch a {
	case AuthNone:
		return "none"
	case AuthServer:
		return "server"
	case AuthToken:
		return "token"
	case AuthBoth:
		return "mutual-tls"
	}
	return fmt.Sprintf("Auth(%d)", int(a))
}

// Auth returns the set's authentication mode.
func (c Credentials) Auth() Auth {
	switch {
	case len(c.Trust) == 0:
		return AuthNone
	case c.Token != "":
		return AuthToken
	case len(c.Cert) > 0 && len(c.Key) > 0:
		return AuthBoth
	}
	return AuthServer
}

// CRC returns the CRC Station reports to CUPS (tcCredCrc, cupsCredCrc) for
// the files holding these credentials: cups.CredCRC over trust, cert and key
// (the token standing in for the key).
func (c Credentials) CRC() uint32 {
	return cups.Credentials{Trust: c.Trust, Cert: c.Cert, Key: c.Key, Token: c.Token}.CRC()
}

// FromCUPS returns the set a CUPS answer describes: the URI and the DER
// credential blob's parts (see cups.Credentials).
func FromCUPS(uri string, c cups.Credentials) Credentials {
	return Credentials{URI: uri, Trust: bytes.Clone(c.Trust), Cert: bytes.Clone(c.Cert), Key: bytes.Clone(c.Key), Token: c.Token}
}

// Validate checks the combination of parts for kind k: a URI of the kind's
// scheme (or none), a certificate and a key together or not at all, and a
// token only without them.
func (c Credentials) Validate(k Kind) error {
	if !k.Valid() {
		return fmt.Errorf("%w: kind %q", ErrInvalid, k)
	}
	if c.URI != "" {
		if err := k.CheckURI(c.URI); err != nil {
			return err
		}
	}
	switch {
	case c.Token != "" && (len(c.Cert) > 0 || len(c.Key) > 0):
		return fmt.Errorf("%w: %s credentials: a token excludes a client certificate and key", ErrInvalid, k)
	case len(c.Cert) > 0 && len(c.Key) == 0:
		return fmt.Errorf("%w: %s credentials: client certificate without its key", ErrInvalid, k)
	case len(c.Cert) == 0 && len(c.Key) > 0:
		return fmt.Errorf("%w: %s credentials: key without a client certificate", ErrInvalid, k)
	case strings.IndexByte(c.Token, 0) >= 0:
		return fmt.Errorf("%w: %s credentials: token holds a NUL byte", ErrInvalid, k)
	}
	return nil
}

// Format prints the URI, the authentication mode and the CRC for every
// verb; the key and token never reach fmt output.
func (c Credentials) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "agentstore.Credentials(uri=%q auth=%s crc=%08x)", c.URI, c.Auth(), c.CRC())
}

// LogValue logs the URI, the authentication mode and the CRC only.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("uri", c.URI),
		slog.String("auth", c.Auth().String()),
		slog.String("crc", fmt.Sprintf("%08x", c.CRC())),
	)
}

// Equal reports whether c and o hold the same URI and bytes.
func (c Credentials) Equal(o Credentials) bool {
	return c.URI == o.URI && bytes.Equal(c.Trust, o.Trust) && bytes.Equal(c.Cert, o.Cert) &&
		bytes.Equal(c.Key, o.Key) && c.Token == o.Token
}

// fingerprint identifies a set's content for ImportCredentials.
func (c Credentials) fingerprint() []byte {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(c.URI), c.Trust, c.Cert, c.Key, []byte(c.Token)} {
		h.Write(binary.BigEndian.AppendUint64(nil, uint64(len(part))))
		h.Write(part)
	}
	return h.Sum(nil)
}

// credsRecord is a stored set: its parts and the CRC computed when it was
// stored, which Check compares.
type credsRecord struct {
	URI   string `json:"uri,omitempty"`
	Trust []byte `json:"trust,omitempty"`
	Cert  []byte `json:"cert,omitempty"`
	Key   []byte `json:"key,omitempty"`
	Token string `json:"token,omitempty"`
	CRC   uint32 `json:"crc"`
}

// stagedSet names the staged set of a kind in the creds bucket.
const stagedSet = "staged"

func credsKey(k Kind, set string) []byte { return []byte(string(k) + "/" + set) }

func encodeCreds(c Credentials) ([]byte, error) {
	b, err := json.Marshal(credsRecord{URI: c.URI, Trust: c.Trust, Cert: c.Cert, Key: c.Key, Token: c.Token, CRC: c.CRC()})
	if err != nil {
		return nil, fmt.Errorf("agentstore: encode credentials: %w", err)
	}
	return b, nil
}

// decodeCreds decodes a stored set and checks its CRC. Errors name the
// record, never its content.
func decodeCreds(key, v []byte) (Credentials, error) {
	var r credsRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return Credentials{}, fmt.Errorf("agentstore: credentials %s: undecodable record", key)
	}
	c := Credentials{URI: r.URI, Trust: r.Trust, Cert: r.Cert, Key: r.Key, Token: r.Token}
	if got := c.CRC(); got != r.CRC {
		return Credentials{}, fmt.Errorf("agentstore: credentials %s: crc %08x, stored %08x", key, got, r.CRC)
	}
	return c, nil
}

func checkSlot(k Kind, s Set) error {
	if !k.Valid() {
		return fmt.Errorf("%w: kind %q", ErrInvalid, k)
	}
	if !s.Valid() {
		return fmt.Errorf("%w: set %q", ErrInvalid, s)
	}
	return nil
}

// getCreds reads a set in tx; ErrNotFound when absent.
func getCreds(tx *bolt.Tx, k Kind, set string) (Credentials, error) {
	key := credsKey(k, set)
	v := tx.Bucket([]byte(bucketCreds)).Get(key)
	if v == nil {
		return Credentials{}, fmt.Errorf("%w: %s credentials", ErrNotFound, key)
	}
	return decodeCreds(key, v)
}

func putCreds(tx *bolt.Tx, k Kind, set string, c Credentials) error {
	v, err := encodeCreds(c)
	if err != nil {
		return err
	}
	return tx.Bucket([]byte(bucketCreds)).Put(credsKey(k, set), v)
}

// Credentials returns the stored set, or ErrNotFound.
func (db *DB) Credentials(ctx context.Context, kind Kind, set Set) (Credentials, error) {
	if err := checkSlot(kind, set); err != nil {
		return Credentials{}, err
	}
	var c Credentials
	err := db.view(ctx, func(tx *bolt.Tx) error {
		var err error
		c, err = getCreds(tx, kind, string(set))
		return err
	})
	return c, err
}

// PutCredentials stores c as the given set, replacing what was there.
func (db *DB) PutCredentials(ctx context.Context, kind Kind, set Set, c Credentials) error {
	if err := checkSlot(kind, set); err != nil {
		return err
	}
	if err := c.Validate(kind); err != nil {
		return err
	}
	return db.update(ctx, func(tx *bolt.Tx) error { return putCreds(tx, kind, string(set), c) })
}

// DeleteCredentials removes a set; removing an absent set is not an error.
func (db *DB) DeleteCredentials(ctx context.Context, kind Kind, set Set) error {
	if err := checkSlot(kind, set); err != nil {
		return err
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		if err := tx.Bucket([]byte(bucketCreds)).Delete(credsKey(kind, string(set))); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketImports)).Delete(credsKey(kind, string(set)))
	})
}

// ImportCredentials stores c, read from files at start, as the given set,
// unless the same content was imported into that set before: then the
// stored set, which CUPS may have replaced since, is kept. It reports
// whether the set was written. A set whose files change is imported again,
// so an operator's edit wins over an earlier CUPS update.
func (db *DB) ImportCredentials(ctx context.Context, kind Kind, set Set, c Credentials) (bool, error) {
	if err := checkSlot(kind, set); err != nil {
		return false, err
	}
	if err := c.Validate(kind); err != nil {
		return false, err
	}
	fp := c.fingerprint()
	var written bool
	err := db.update(ctx, func(tx *bolt.Tx) error {
		written = false
		key := credsKey(kind, string(set))
		imports := tx.Bucket([]byte(bucketImports))
		if bytes.Equal(imports.Get(key), fp) && tx.Bucket([]byte(bucketCreds)).Get(key) != nil {
			return nil
		}
		if err := putCreds(tx, kind, string(set), c); err != nil {
			return err
		}
		written = true
		return imports.Put(key, fp)
	})
	return written && err == nil, err
}

// StageCredentials stores c as the kind's staged set, to be tried before it
// replaces the reg set (PromoteStaged) or is dropped (DiscardStaged). c must
// be the whole new set: a CUPS answer that changes only the URI or only the
// credentials is merged with the reg set by the caller. A set staged
// earlier is replaced.
func (db *DB) StageCredentials(ctx context.Context, kind Kind, c Credentials) error {
	if err := c.Validate(kind); err != nil {
		return err
	}
	return db.update(ctx, func(tx *bolt.Tx) error { return putCreds(tx, kind, stagedSet, c) })
}

// StagedCredentials returns the kind's staged set, or ErrNotFound.
func (db *DB) StagedCredentials(ctx context.Context, kind Kind) (Credentials, error) {
	if !kind.Valid() {
		return Credentials{}, fmt.Errorf("%w: kind %q", ErrInvalid, kind)
	}
	var c Credentials
	err := db.view(ctx, func(tx *bolt.Tx) error {
		var err error
		c, err = getCreds(tx, kind, stagedSet)
		return err
	})
	return c, err
}

// PromoteStaged makes the staged set the reg set after a successful
// connection with it, in one transaction: the reg set (when there is one)
// becomes bak, the staged set becomes reg, the staged slot is emptied. The
// boot set is never touched. It fails with ErrNotFound when nothing is
// staged.
func (db *DB) PromoteStaged(ctx context.Context, kind Kind) error {
	if !kind.Valid() {
		return fmt.Errorf("%w: kind %q", ErrInvalid, kind)
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketCreds))
		staged := b.Get(credsKey(kind, stagedSet))
		if staged == nil {
			return fmt.Errorf("%w: %s staged credentials", ErrNotFound, kind)
		}
		staged = bytes.Clone(staged)
		if reg := b.Get(credsKey(kind, string(SetReg))); reg != nil {
			if err := b.Put(credsKey(kind, string(SetBak)), bytes.Clone(reg)); err != nil {
				return err
			}
		}
		if err := b.Put(credsKey(kind, string(SetReg)), staged); err != nil {
			return err
		}
		return b.Delete(credsKey(kind, stagedSet))
	})
}

// DiscardStaged drops the kind's staged set (a set that did not connect).
// Discarding when nothing is staged is not an error.
func (db *DB) DiscardStaged(ctx context.Context, kind Kind) error {
	if !kind.Valid() {
		return fmt.Errorf("%w: kind %q", ErrInvalid, kind)
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketCreds)).Delete(credsKey(kind, stagedSet))
	})
}
