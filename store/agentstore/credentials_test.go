package agentstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store/agentstore"
	"github.com/loraedge/loraedge/store/agentstore/agentstoretest"
)

// stationCRC is Station's sys_crcCred written out independently: zlib CRC32
// chained over the trust, crt and key files, 4 zero bytes for an absent or
// empty file.
func stationCRC(files ...[]byte) uint32 {
	var crc uint32
	for _, f := range files {
		if len(f) == 0 {
			f = []byte{0, 0, 0, 0}
		}
		crc = crc32.Update(crc, crc32.IEEETable, f)
	}
	return crc
}

func TestCredentialsRoundTripWithStationCRC(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	token := "Authorization: Bearer abc.def\r\n"
	tests := []struct {
		name              string
		kind              agentstore.Kind
		set               agentstore.Set
		c                 agentstore.Credentials
		trust, crt, key   []byte // the files Station would hold
		wantAuth          agentstore.Auth
		wantConstCRC      uint32 // checked when not 0
		wantCRCEqualsCUPS bool
	}{
		{
			name: "mutual tls pem", kind: agentstore.KindTC, set: agentstore.SetReg,
			c:     agentstore.Credentials{URI: "wss://lns.example.com:6039", Trust: pki.caPEM, Cert: pki.certPEM, Key: pki.keyPEM},
			trust: pki.caPEM, crt: pki.certPEM, key: pki.keyPEM, wantAuth: agentstore.AuthBoth,
		},
		{
			name: "mutual tls der", kind: agentstore.KindCUPS, set: agentstore.SetBak,
			c:     agentstore.Credentials{URI: "https://cups.example.com:443", Trust: pki.caDER, Cert: pki.certDER, Key: pki.keyDER},
			trust: pki.caDER, crt: pki.certDER, key: pki.keyDER, wantAuth: agentstore.AuthBoth, wantCRCEqualsCUPS: true,
		},
		{
			name: "token", kind: agentstore.KindTC, set: agentstore.SetBoot,
			c:     agentstore.Credentials{URI: "wss://lns.example.com:443", Trust: pki.caPEM, Token: token},
			trust: pki.caPEM, key: []byte(token), wantAuth: agentstore.AuthToken,
		},
		{
			name: "server only", kind: agentstore.KindCUPS, set: agentstore.SetReg,
			c:     agentstore.Credentials{URI: "https://[::1]:8443", Trust: pki.caDER},
			trust: pki.caDER, wantAuth: agentstore.AuthServer, wantCRCEqualsCUPS: true,
		},
		{
			name: "no files", kind: agentstore.KindTC, set: agentstore.SetReg,
			c:        agentstore.Credentials{URI: "ws://127.0.0.1:6038"},
			wantAuth: agentstore.AuthNone, wantConstCRC: 0x7BD5C66F, // observed from Station with no files
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			db, _ := agentstoretest.Open(t, nil)
			ctx := context.Background()
			if err := db.PutCredentials(ctx, tt.kind, tt.set, tt.c); err != nil {
				t.Fatalf("PutCredentials: %v", err)
			}
			got, err := db.Credentials(ctx, tt.kind, tt.set)
			if err != nil {
				t.Fatalf("Credentials: %v", err)
			}
			if !got.Equal(tt.c) {
				t.Errorf("read back %v, want %v", got, tt.c)
			}
			want := stationCRC(tt.trust, tt.crt, tt.key)
			if crc := got.CRC(); crc != want {
				t.Errorf("CRC = %08x, want Station's %08x", crc, want)
			}
			if crc, viaCUPS := got.CRC(), cups.CredCRC(tt.trust, tt.crt, tt.key); crc != viaCUPS {
				t.Errorf("CRC = %08x, cups.CredCRC over the files = %08x", crc, viaCUPS)
			}
			if tt.wantConstCRC != 0 && got.CRC() != tt.wantConstCRC {
				t.Errorf("CRC = %08x, want %08x", got.CRC(), tt.wantConstCRC)
			}
			if tt.wantCRCEqualsCUPS {
				// DER parts are what a CUPS blob carries: the CRC of the
				// stored set equals the one of the blob Station would store.
				blob, err := cups.Credentials{Trust: tt.c.Trust, Cert: tt.c.Cert, Key: tt.c.Key}.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				if bc, err := cups.BlobCRC(blob); err != nil || bc != got.CRC() {
					t.Errorf("BlobCRC = %08x, %v; want %08x", bc, err, got.CRC())
				}
			}
			if a := got.Auth(); a != tt.wantAuth {
				t.Errorf("Auth = %s, want %s", a, tt.wantAuth)
			}
			for _, other := range agentstore.Sets() {
				if other == tt.set {
					continue
				}
				if _, err := db.Credentials(ctx, tt.kind, other); !errors.Is(err, agentstore.ErrNotFound) {
					t.Errorf("Credentials(%s) = %v, want ErrNotFound", other, err)
				}
			}
		})
	}
}

func TestCredentialsRefused(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	db, _ := agentstoretest.Open(t, nil)
	tests := []struct {
		name string
		kind agentstore.Kind
		set  agentstore.Set
		c    agentstore.Credentials
		want string
	}{
		{"unknown kind", "lns", agentstore.SetReg, agentstore.Credentials{}, "kind"},
		{"unknown set", agentstore.KindTC, "temp", agentstore.Credentials{}, "set"},
		{"cert without key", agentstore.KindTC, agentstore.SetReg, agentstore.Credentials{Trust: pki.caPEM, Cert: pki.certPEM}, "without its key"},
		{"key without cert", agentstore.KindTC, agentstore.SetReg, agentstore.Credentials{Trust: pki.caPEM, Key: pki.keyPEM}, "without a client certificate"},
		{"token and cert", agentstore.KindCUPS, agentstore.SetReg, agentstore.Credentials{Trust: pki.caPEM, Cert: pki.certPEM, Key: pki.keyPEM, Token: "A: b\n"}, "token excludes"},
		{"token with nul", agentstore.KindCUPS, agentstore.SetReg, agentstore.Credentials{Trust: pki.caPEM, Token: "A: b\x00\n"}, "NUL"},
		{"tc uri with http", agentstore.KindTC, agentstore.SetReg, agentstore.Credentials{URI: "https://h:1"}, "want ws://"},
		{"cups uri with ws", agentstore.KindCUPS, agentstore.SetReg, agentstore.Credentials{URI: "wss://h:1"}, "want http://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.PutCredentials(context.Background(), tt.kind, tt.set, tt.c)
			if !errors.Is(err, agentstore.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("PutCredentials = %v, want ErrInvalid mentioning %q", err, tt.want)
			}
			if err != nil && bytes.Contains([]byte(err.Error()), pki.keyPEM[40:80]) {
				t.Errorf("error %q carries key material", err)
			}
		})
	}
}

func TestCheckURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind agentstore.Kind
		uri  string
		ok   bool
	}{
		{agentstore.KindTC, "ws://127.0.0.1:6038", true},
		{agentstore.KindTC, "wss://lns.example.com:443", true},
		{agentstore.KindTC, "WSS://LNS:443", true},
		{agentstore.KindTC, "wss://[2001:db8::1]:6039", true},
		{agentstore.KindCUPS, "http://127.0.0.1:6040", true},
		{agentstore.KindCUPS, "https://cups.example.com:443", true},
		{agentstore.KindTC, "wss://lns.example.com", false},      // port mandatory
		{agentstore.KindTC, "wss://lns.example.com:443/", false}, // no path
		{agentstore.KindTC, "wss://lns.example.com:443/router-info", false},
		{agentstore.KindTC, "wss://:443", false},
		{agentstore.KindTC, "wss://h:0", false},
		{agentstore.KindTC, "wss://h:65536", false},
		{agentstore.KindTC, "wss://h:port", false},
		{agentstore.KindTC, "wss://[::1:443", false},
		{agentstore.KindTC, "wssx://h:443", false},
		{agentstore.KindTC, "lns.example.com:443", false},
		{agentstore.KindCUPS, "ws://h:1", false},
		{agentstore.KindTC, "wss://" + strings.Repeat("a", 120) + ":443", false}, // longer than Station keeps
		{"x", "ws://h:1", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+" "+tt.uri, func(t *testing.T) {
			t.Parallel()
			err := tt.kind.CheckURI(tt.uri)
			if (err == nil) != tt.ok {
				t.Errorf("CheckURI(%q) = %v, want ok=%v", tt.uri, err, tt.ok)
			}
			if err != nil && !errors.Is(err, agentstore.ErrInvalid) {
				t.Errorf("CheckURI(%q) = %v, want ErrInvalid", tt.uri, err)
			}
		})
	}
}

func TestCredentialsNeverPrintSecrets(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	secretToken := "Authorization: Bearer s3cr3t-t0ken-value\r\n"
	sets := []agentstore.Credentials{
		{URI: "wss://h:1", Trust: pki.caPEM, Cert: pki.certPEM, Key: pki.keyPEM},
		{URI: "wss://h:1", Trust: pki.caDER, Cert: pki.certDER, Key: pki.keyDER},
		{URI: "wss://h:1", Trust: pki.caPEM, Token: secretToken},
	}
	for i, c := range sets {
		var logBuf bytes.Buffer
		slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("creds", "c", c)
		slog.New(slog.NewTextHandler(&logBuf, nil)).Info("creds", "c", c)
		out := fmt.Sprintf("%v %+v %#v %s %q", c, c, c, c, c) + logBuf.String()
		for _, secret := range [][]byte{pki.keyPEM[32:64], []byte(fmt.Sprintf("%x", pki.keyDER[8:24])), pki.keyDER[8:24], []byte("s3cr3t-t0ken")} {
			if bytes.Contains([]byte(out), secret) {
				t.Errorf("set %d: output carries secret material:\n%s", i, out)
			}
		}
		if !strings.Contains(out, "wss://h:1") || !strings.Contains(out, fmt.Sprintf("%08x", c.CRC())) {
			t.Errorf("set %d: output lacks URI or CRC:\n%s", i, out)
		}
	}
}

func TestStagingPromoteAndDiscard(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	ctx := context.Background()
	reg := agentstore.Credentials{URI: "wss://old.example.com:443", Trust: pki.caPEM, Cert: pki.certPEM, Key: pki.keyPEM}
	boot := agentstore.Credentials{URI: "wss://boot.example.com:443", Trust: pki.caPEM}
	staged := agentstore.Credentials{URI: "wss://new.example.com:443", Trust: pki.caDER, Cert: pki.certDER, Key: pki.keyDER}

	t.Run("promote", func(t *testing.T) {
		t.Parallel()
		db, _ := agentstoretest.Open(t, nil)
		mustPut(t, db, agentstore.KindTC, agentstore.SetReg, reg)
		mustPut(t, db, agentstore.KindTC, agentstore.SetBoot, boot)
		if err := db.StageCredentials(ctx, agentstore.KindTC, staged); err != nil {
			t.Fatal(err)
		}
		if got, err := db.StagedCredentials(ctx, agentstore.KindTC); err != nil || !got.Equal(staged) {
			t.Fatalf("StagedCredentials = %v, %v; want %v", got, err, staged)
		}
		// Staging leaves the sets in use alone.
		wantSet(t, db, agentstore.KindTC, agentstore.SetReg, reg)
		if err := db.PromoteStaged(ctx, agentstore.KindTC); err != nil {
			t.Fatal(err)
		}
		wantSet(t, db, agentstore.KindTC, agentstore.SetReg, staged)
		wantSet(t, db, agentstore.KindTC, agentstore.SetBak, reg)
		wantSet(t, db, agentstore.KindTC, agentstore.SetBoot, boot)
		if _, err := db.StagedCredentials(ctx, agentstore.KindTC); !errors.Is(err, agentstore.ErrNotFound) {
			t.Errorf("StagedCredentials after promote = %v, want ErrNotFound", err)
		}
		if err := db.PromoteStaged(ctx, agentstore.KindTC); !errors.Is(err, agentstore.ErrNotFound) {
			t.Errorf("second PromoteStaged = %v, want ErrNotFound", err)
		}
		// The other kind is untouched.
		if _, err := db.Credentials(ctx, agentstore.KindCUPS, agentstore.SetReg); !errors.Is(err, agentstore.ErrNotFound) {
			t.Errorf("cups reg = %v, want ErrNotFound", err)
		}
	})
	t.Run("promote without reg keeps bak", func(t *testing.T) {
		t.Parallel()
		db, _ := agentstoretest.Open(t, nil)
		mustPut(t, db, agentstore.KindCUPS, agentstore.SetBak, boot2cups(boot))
		cupsStaged := agentstore.Credentials{URI: "https://cups.example.com:443", Trust: pki.caDER}
		if err := db.StageCredentials(ctx, agentstore.KindCUPS, cupsStaged); err != nil {
			t.Fatal(err)
		}
		if err := db.PromoteStaged(ctx, agentstore.KindCUPS); err != nil {
			t.Fatal(err)
		}
		wantSet(t, db, agentstore.KindCUPS, agentstore.SetReg, cupsStaged)
		wantSet(t, db, agentstore.KindCUPS, agentstore.SetBak, boot2cups(boot))
	})
	t.Run("discard", func(t *testing.T) {
		t.Parallel()
		db, _ := agentstoretest.Open(t, nil)
		mustPut(t, db, agentstore.KindTC, agentstore.SetReg, reg)
		if err := db.StageCredentials(ctx, agentstore.KindTC, staged); err != nil {
			t.Fatal(err)
		}
		if err := db.DiscardStaged(ctx, agentstore.KindTC); err != nil {
			t.Fatal(err)
		}
		if _, err := db.StagedCredentials(ctx, agentstore.KindTC); !errors.Is(err, agentstore.ErrNotFound) {
			t.Errorf("StagedCredentials after discard = %v, want ErrNotFound", err)
		}
		wantSet(t, db, agentstore.KindTC, agentstore.SetReg, reg)
		if _, err := db.Credentials(ctx, agentstore.KindTC, agentstore.SetBak); !errors.Is(err, agentstore.ErrNotFound) {
			t.Errorf("bak after discard = %v, want ErrNotFound", err)
		}
		if err := db.DiscardStaged(ctx, agentstore.KindTC); err != nil {
			t.Errorf("DiscardStaged with nothing staged = %v, want nil", err)
		}
	})
	t.Run("stage refuses invalid", func(t *testing.T) {
		t.Parallel()
		db, _ := agentstoretest.Open(t, nil)
		err := db.StageCredentials(ctx, agentstore.KindTC, agentstore.Credentials{URI: "http://h:1"})
		if !errors.Is(err, agentstore.ErrInvalid) {
			t.Errorf("StageCredentials = %v, want ErrInvalid", err)
		}
	})
}

func boot2cups(c agentstore.Credentials) agentstore.Credentials {
	c.URI = "https://boot.example.com:443"
	return c
}

func TestImportKeepsCUPSUpdateUntilFilesChange(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	ctx := context.Background()
	db, _ := agentstoretest.Open(t, nil)
	files := agentstore.Credentials{URI: "wss://lns.example.com:443", Trust: pki.caPEM, Cert: pki.certPEM, Key: pki.keyPEM}

	steps := []struct {
		name        string
		imp         agentstore.Credentials
		cupsUpdate  *agentstore.Credentials // promoted before the import
		wantWritten bool
		wantReg     agentstore.Credentials
	}{
		{name: "first start", imp: files, wantWritten: true, wantReg: files},
		{name: "restart, same files", imp: files, wantWritten: false, wantReg: files},
		{
			name: "restart after a cups update", imp: files,
			cupsUpdate:  &agentstore.Credentials{URI: "wss://moved.example.com:443", Trust: pki.caDER, Cert: pki.certDER, Key: pki.keyDER},
			wantWritten: false,
			wantReg:     agentstore.Credentials{URI: "wss://moved.example.com:443", Trust: pki.caDER, Cert: pki.certDER, Key: pki.keyDER},
		},
		{
			name:        "operator edited the files",
			imp:         agentstore.Credentials{URI: "wss://edited.example.com:443", Trust: pki.caPEM, Cert: pki.certPEM, Key: pki.keyPEM},
			wantWritten: true,
			wantReg:     agentstore.Credentials{URI: "wss://edited.example.com:443", Trust: pki.caPEM, Cert: pki.certPEM, Key: pki.keyPEM},
		},
	}
	for _, st := range steps {
		if st.cupsUpdate != nil {
			if err := db.StageCredentials(ctx, agentstore.KindTC, *st.cupsUpdate); err != nil {
				t.Fatal(err)
			}
			if err := db.PromoteStaged(ctx, agentstore.KindTC); err != nil {
				t.Fatal(err)
			}
		}
		written, err := db.ImportCredentials(ctx, agentstore.KindTC, agentstore.SetReg, st.imp)
		if err != nil {
			t.Fatalf("%s: ImportCredentials: %v", st.name, err)
		}
		if written != st.wantWritten {
			t.Errorf("%s: written = %v, want %v", st.name, written, st.wantWritten)
		}
		got, err := db.Credentials(ctx, agentstore.KindTC, agentstore.SetReg)
		if err != nil || !got.Equal(st.wantReg) {
			t.Errorf("%s: reg = %v, %v; want %v", st.name, got, err, st.wantReg)
		}
	}
	// A deleted set is imported again even from unchanged files.
	if err := db.DeleteCredentials(ctx, agentstore.KindTC, agentstore.SetReg); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Credentials(ctx, agentstore.KindTC, agentstore.SetReg); !errors.Is(err, agentstore.ErrNotFound) {
		t.Errorf("after DeleteCredentials: %v, want ErrNotFound", err)
	}
	last := steps[len(steps)-1].imp
	if written, err := db.ImportCredentials(ctx, agentstore.KindTC, agentstore.SetReg, last); err != nil || !written {
		t.Errorf("import after delete: written %v, %v; want true", written, err)
	}
	if _, err := db.ImportCredentials(ctx, agentstore.KindTC, agentstore.SetReg, agentstore.Credentials{URI: "http://x:1"}); !errors.Is(err, agentstore.ErrInvalid) {
		t.Errorf("ImportCredentials(bad uri) = %v, want ErrInvalid", err)
	}
}

func TestOpenLockedAndModes(t *testing.T) {
	t.Parallel()
	db, path := agentstoretest.Open(t, &agentstore.Options{LockTimeout: 50 * time.Millisecond})
	for _, p := range []struct {
		path string
		want os.FileMode
	}{{path, 0o600}, {filepath.Dir(path), 0o700}} {
		fi, err := os.Stat(p.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != p.want {
			t.Errorf("%s mode %v, want %v", p.path, got, p.want)
		}
	}
	_, err := agentstore.Open(path, &agentstore.Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, agentstore.ErrLocked) || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second Open = %v, want ErrLocked saying the file is in use", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.PutCredentials(context.Background(), agentstore.KindTC, agentstore.SetReg, agentstore.Credentials{}); !errors.Is(err, agentstore.ErrClosed) {
		t.Errorf("PutCredentials after Close = %v, want ErrClosed", err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	if st := db.SpoolStats(); st != (agentstore.SpoolStats{}) {
		t.Errorf("SpoolStats after Close = %+v, want zero", st)
	}

	// A file left readable by others is set back to 0600.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	db2, err := agentstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer agentstoretest.Close(t, db2)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("after reopen: mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	db, _ := agentstoretest.Open(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.SpoolPut(ctx, []byte("x"), time.Time{}); !errors.Is(err, context.Canceled) {
		t.Errorf("SpoolPut = %v, want context.Canceled", err)
	}
	if _, err := db.Credentials(ctx, agentstore.KindTC, agentstore.SetReg); !errors.Is(err, context.Canceled) {
		t.Errorf("Credentials = %v, want context.Canceled", err)
	}
}

func mustPut(t *testing.T, db *agentstore.DB, k agentstore.Kind, s agentstore.Set, c agentstore.Credentials) {
	t.Helper()
	if err := db.PutCredentials(context.Background(), k, s, c); err != nil {
		t.Fatalf("PutCredentials(%s, %s): %v", k, s, err)
	}
}

func wantSet(t *testing.T, db *agentstore.DB, k agentstore.Kind, s agentstore.Set, want agentstore.Credentials) {
	t.Helper()
	got, err := db.Credentials(context.Background(), k, s)
	if err != nil {
		t.Errorf("Credentials(%s, %s): %v", k, s, err)
		return
	}
	if !got.Equal(want) {
		t.Errorf("Credentials(%s, %s) = %v, want %v", k, s, got, want)
	}
}

// TestFromCUPSMatchesStationBlobCRC checks that a set built from a CUPS
// credential blob has the CRC Station reports after storing that blob.
func TestFromCUPSMatchesStationBlobCRC(t *testing.T) {
	t.Parallel()
	pki := newTestPKI(t)
	tests := []struct {
		name string
		c    cups.Credentials
		auth agentstore.Auth
	}{
		{"mutual tls", cups.Credentials{Trust: pki.caDER, Cert: pki.certDER, Key: pki.keyDER}, agentstore.AuthBoth},
		{"token", cups.Credentials{Trust: pki.caDER, Token: "Authorization: Bearer x\r\n"}, agentstore.AuthToken},
		{"trust only", cups.Credentials{Trust: pki.caDER}, agentstore.AuthServer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			blob, err := tt.c.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var parsed cups.Credentials
			if err := parsed.UnmarshalBinary(blob); err != nil {
				t.Fatal(err)
			}
			c := agentstore.FromCUPS("wss://lns.example.com:443", parsed)
			want, err := cups.BlobCRC(blob)
			if err != nil {
				t.Fatal(err)
			}
			if c.CRC() != want || c.Auth() != tt.auth || c.URI != "wss://lns.example.com:443" {
				t.Errorf("FromCUPS = %v (auth %s), want crc %08x auth %s", c, c.Auth(), want, tt.auth)
			}
			if err := c.Validate(agentstore.KindTC); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}
