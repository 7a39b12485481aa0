package pki

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/loraedge/loraedge/lorawan"
)

// ErrNoEUI is wrapped by EUIFromCertificate when no name in the certificate
// spells a gateway EUI.
var ErrNoEUI = errors.New("pki: certificate names no gateway EUI")

// EUIFromCertificate reads the gateway EUI a client certificate names. The
// subject CN, the DNS SANs and the URI SANs are looked at; each may spell the
// EUI as 16 hex digits (optionally grouped with '-' or ':', optionally after
// "eui-") or in id6 form ("b827:ebff:fe61:51a5", "::1"), and a URI SAN may
// carry it after a scheme and prefixes ("urn:dev:eui64:0011223344556677").
// Names that spell no EUI are ignored; names that spell different EUIs make
// the certificate ambiguous.
func EUIFromCertificate(cert *x509.Certificate) (lorawan.EUI64, error) {
	if cert == nil {
		return lorawan.EUI64{}, fmt.Errorf("%w: no certificate", ErrNoEUI)
	}
	var (
		found bool
		eui   lorawan.EUI64
		first string
	)
	consider := func(name string, e lorawan.EUI64) error {
		if !found {
			found, eui, first = true, e, name
			return nil
		}
		if e != eui {
			return fmt.Errorf("pki: certificate names two gateways: %q and %q", first, name)
		}
		return nil
	}
	names := append([]string{cert.Subject.CommonName}, cert.DNSNames...)
	for _, n := range names {
		if e, ok := ParseGatewayName(n); ok {
			if err := consider(n, e); err != nil {
				return lorawan.EUI64{}, err
			}
		}
	}
	for _, u := range cert.URIs {
		if e, ok := euiFromURI(u); ok {
			if err := consider(u.String(), e); err != nil {
				return lorawan.EUI64{}, err
			}
		}
	}
	if !found {
		return lorawan.EUI64{}, fmt.Errorf("%w (CN %q)", ErrNoEUI, cert.Subject.CommonName)
	}
	return eui, nil
}

// euiPrefix is the prefix of The Things Stack's gateway IDs
// ("eui-b827ebfffe6151a5"), a usual name in gateway certificates.
const euiPrefix = "eui-"

// ParseGatewayName reads a gateway EUI from one certificate name: 16 hex
// digits, optionally grouped with '-' or ':', the same after "eui-" (any
// case), or id6 text.
func ParseGatewayName(s string) (lorawan.EUI64, bool) {
	s = strings.TrimSpace(s)
	if len(s) > len(euiPrefix) && strings.EqualFold(s[:len(euiPrefix)], euiPrefix) {
		s = s[len(euiPrefix):]
		if e, err := lorawan.ParseEUI64(s); err == nil && hexGrouping(s) {
			return e, true
		}
		return lorawan.EUI64{}, false
	}
	if s == "" || len(s) > 23 { // "00-11-22-33-44-55-66-77" is the longest spelling
		return lorawan.EUI64{}, false
	}
	if e, err := lorawan.ParseEUI64(s); err == nil && hexGrouping(s) {
		return e, true
	}
	if e, err := parseID6(s); err == nil {
		return e, true
	}
	return lorawan.EUI64{}, false
}

// hexGrouping accepts the hex spellings of an EUI: plain, or bytes grouped
// by one separator kind ("00-11-…" or "00:11:…").
func hexGrouping(s string) bool {
	switch len(s) {
	case 16:
		return !strings.ContainsAny(s, "-: ")
	case 23:
		sep := s[2]
		if sep != '-' && sep != ':' {
			return false
		}
		for i := 2; i < len(s); i += 3 {
			if s[i] != sep {
				return false
			}
		}
		return true
	}
	return false
}

// euiFromURI finds an EUI in a URI SAN: its host, its last path segment, or
// its opaque part with leading "prefix:" labels removed one at a time (the
// longest remainder that parses wins, so id6 colons are kept together).
func euiFromURI(u *url.URL) (lorawan.EUI64, bool) {
	if u.Opaque != "" {
		rest := u.Opaque
		for {
			if e, ok := ParseGatewayName(rest); ok {
				return e, true
			}
			i := strings.IndexByte(rest, ':')
			if i < 0 {
				return lorawan.EUI64{}, false
			}
			rest = rest[i+1:]
		}
	}
	if e, ok := ParseGatewayName(u.Hostname()); ok {
		return e, true
	}
	if p := strings.Trim(u.Path, "/"); p != "" {
		if i := strings.LastIndexByte(p, '/'); i >= 0 {
			p = p[i+1:]
		}
		return ParseGatewayName(p)
	}
	return lorawan.EUI64{}, false
}
