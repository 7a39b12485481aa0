// Package config reads the gateway agent's configuration: one documented
// TOML file (see agent/agent.example.toml), a Basics Station home directory,
// or both, the TOML file's keys overriding what the home says.
//
// # Station home
//
// LoadStationHome reads what Station reads from its home (src/sys.c,
// src-linux/sys_linux.c, src/sx130xconf.c in lorabasics/basicstation):
// station.conf (JSON with /* */ and // comments) with its SX1301_conf or
// SX1302_conf board settings and its station_conf (routerid with euiprefix,
// log settings, device, pps, and any other key as a parameter), the
// credential sets tc.*, cups.*, tc-bak.*, tc-boot.*, cups-bak.*, cups-boot.*
// (uri, trust, crt, key; PEM or DER; a key file without a certificate is a
// token), version.txt and the CUPS signature keys sig-0.key, sig-1.key, ….
// Paths in the home (the radio device, a routerid file, the log file) are
// resolved against it as Station resolves them.
//
// Station's startup rules apply: at least one tc or cups URI must be given;
// with no CUPS URI the agent runs in NO-CUPS mode (Config.NoCUPS).
//
// # Credentials
//
// Credentials are read from their files at start (Config.CredentialSets)
// and imported into the agent's store (Import); from then on the agent
// connects with what the store holds, which CUPS may update.
package config
