package cloud

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/lorawan"
)

// This file holds the cloud's CUPS server: its configuration section and
// how the cloud process builds and runs it (cloud/cupsserver).

// CUPSConfig is the CUPS server (Basics Station's Configuration and Update
// Server): gateways POST /update-info over TLS, with the server certificate
// of the gateway endpoint and client certificates of the gateway CA, and get
// their tc.uri, credentials and signed updates.
type CUPSConfig struct {
	// Listen is the CUPS server's TCP address; "off" runs none.
	Listen string `toml:"listen"`
	// PublicPort is the port gateways reach the CUPS server on (their
	// cups.uri is https://gateways.public_host:port); 0 takes Listen's.
	PublicPort int `toml:"public_port"`
	// AllowUnsignedUpdates lets an update go unsigned to gateways that hold
	// no signing key. Gateways that hold keys never get an unsigned update.
	AllowUnsignedUpdates bool `toml:"allow_unsigned_updates"`
	// WriteTimeout bounds the sending of one answer, an update included.
	WriteTimeout Duration `toml:"write_timeout"`
}

// cupsPart is the cloud's CUPS server, zero when it is off.
type cupsPart struct {
	srv  *cupsserver.Server
	ln   net.Listener // until Run serves on it
	addr net.Addr
	uri  string
}

func defaultCUPSConfig() CUPSConfig {
	return CUPSConfig{Listen: "off", WriteTimeout: Duration(10 * time.Minute)}
}

func (c Config) validateCUPS() error {
	var errs []error
	if c.CUPS.Listen != "off" {
		if _, _, err := net.SplitHostPort(c.CUPS.Listen); err != nil {
			errs = append(errs, fmt.Errorf("cups.listen %q: %w", c.CUPS.Listen, err))
		} else if _, err := c.cupsURIWithPort(1); err != nil {
			errs = append(errs, err)
		}
	}
	if c.CUPS.PublicPort < 0 || c.CUPS.PublicPort > 65535 {
		errs = append(errs, fmt.Errorf("cups.public_port %d out of range", c.CUPS.PublicPort))
	}
	if c.CUPS.WriteTimeout <= 0 {
		errs = append(errs, errors.New("cups.write_timeout must be positive"))
	}
	return errors.Join(errs...)
}

// CUPSURI returns https://public_host:port, what a gateway's cups.uri
// holds. It is an error when the CUPS server is off, or when its port is
// left to the system and cups.public_port is not set.
func (c Config) CUPSURI() (string, error) {
	if c.CUPS.Listen == "off" {
		return "", errors.New("the CUPS server is off: set cups.listen")
	}
	port := c.CUPS.PublicPort
	if port == 0 {
		_, p, err := net.SplitHostPort(c.CUPS.Listen)
		if err != nil {
			return "", fmt.Errorf("cups.listen %q: %w", c.CUPS.Listen, err)
		}
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return "", fmt.Errorf("cups.listen %q has no fixed port: set one, or cups.public_port", c.CUPS.Listen)
		}
	}
	return c.cupsURIWithPort(port)
}

func (c Config) cupsURIWithPort(port int) (string, error) {
	// The host rules are those of tc.uri (gateways.public_host).
	if _, err := c.tcURIWithPort(port); err != nil {
		return "", err
	}
	uri := "https://" + net.JoinHostPort(c.Gateways.PublicHost, strconv.Itoa(port))
	if err := cupsserver.CheckCUPSURI(uri); err != nil {
		return "", fmt.Errorf("cups: %w", err)
	}
	return uri, nil
}

// buildCUPS listens for the CUPS server, unless it is off. It serves with
// the gateway endpoint's server certificate, and tells gateways whose CUPS
// state names no tc.uri the cloud's own.
func (c *Cloud) buildCUPS(cfg Config, log *slog.Logger, serverCert tls.Certificate) error {
	if cfg.CUPS.Listen == "off" {
		return nil
	}
	srv, err := cupsserver.New(c.db, cupsserver.Options{
		ServerCert:       serverCert,
		ClientCAs:        c.ca.Pool(),
		TCURI:            c.tcURI,
		TCTrust:          c.ca.Certificate().Raw,
		AllowUnsigned:    cfg.CUPS.AllowUnsignedUpdates,
		HandshakeTimeout: time.Duration(cfg.Gateways.HandshakeTimeout),
		WriteTimeout:     time.Duration(cfg.CUPS.WriteTimeout),
		Logger:           log,
	})
	if err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	if c.cups.ln, err = net.Listen("tcp", cfg.CUPS.Listen); err != nil {
		return fmt.Errorf("cloud: listen for cups: %w", err)
	}
	c.cups.addr = c.cups.ln.Addr()
	port := cfg.CUPS.PublicPort
	if port == 0 {
		port = c.cups.addr.(*net.TCPAddr).Port
	}
	if c.cups.uri, err = cfg.cupsURIWithPort(port); err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	c.cups.srv = srv
	return nil
}

// runCUPS serves CUPS in the background, counted in wg, until ctx ends or
// the returned stop is called.
func (c *Cloud) runCUPS(ctx context.Context, wg *sync.WaitGroup) (stop func()) {
	if c.cups.srv == nil || c.cups.ln == nil {
		return func() {}
	}
	ctx, stop = context.WithCancel(ctx)
	srv, ln := c.cups.srv, c.cups.ln
	c.cups.ln = nil // Serve closes it
	c.log.Info("cups server started", "addr", ln.Addr().String(), "cups_uri", c.cups.uri)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(ctx, ln); err != nil {
			c.log.Error("cups server stopped", "err", err)
		}
	}()
	return stop
}

// onGatewayConnect is the gateway endpoint's OnConnect hook: a credential
// rotation waits for the new certificate's first traffic connection.
func (c *Cloud) onGatewayConnect(eui lorawan.EUI64, fingerprint string) {
	if c.cups.srv != nil {
		c.cups.srv.GatewayConnected(eui, fingerprint)
	}
}

// closeCUPS closes the CUPS listener when Run did not take it over.
func (c *Cloud) closeCUPS() error {
	if c.cups.ln == nil {
		return nil
	}
	err := c.cups.ln.Close()
	c.cups.ln = nil
	return err
}

// CUPSAddr returns the CUPS server's address, nil when it is off.
func (c *Cloud) CUPSAddr() net.Addr { return c.cups.addr }

// CUPSURI returns the URI gateways put in cups.uri, "" when CUPS is off.
func (c *Cloud) CUPSURI() string { return c.cups.uri }
