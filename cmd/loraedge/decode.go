package main

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/loraedge/loraedge/lorawan"
)

// keyFlag is an AES-128 key given on the command line; set tells whether it was.
type keyFlag struct {
	key lorawan.AES128Key
	set bool
}

func (k *keyFlag) String() string { return "" } // never echo a key
func (k *keyFlag) Set(s string) error {
	key, err := lorawan.ParseAES128Key(s)
	if err != nil {
		return errors.New("want 32 hex digits")
	}
	k.key, k.set = key, true
	return nil
}

// euiFlag is an EUI-64 given on the command line.
type euiFlag struct {
	eui lorawan.EUI64
	set bool
}

func (e *euiFlag) String() string {
	if !e.set {
		return ""
	}
	return e.eui.String()
}
func (e *euiFlag) Set(s string) error {
	eui, err := lorawan.ParseEUI64(s)
	if err != nil {
		return errors.New("want 16 hex digits")
	}
	e.eui, e.set = eui, true
	return nil
}

// uintFlag is an unsigned number with a bit width, remembering whether it was
// given: decimal as people write counters and indexes (a leading zero is not
// octal), or hex after 0x; hex digits alone for identifiers such as DevNonce.
type uintFlag struct {
	v    uint64
	bits int
	hex  bool // hex digits as written (MSB first), as DevNonce is shown
	set  bool
}

func (u *uintFlag) String() string {
	if !u.set {
		return ""
	}
	return strconv.FormatUint(u.v, 10)
}
func (u *uintFlag) Set(s string) error {
	base := 10
	if l := strings.ToLower(s); u.hex || strings.HasPrefix(l, "0x") {
		base = 16
		s = strings.TrimPrefix(l, "0x")
	}
	v, err := strconv.ParseUint(s, base, u.bits)
	if err != nil {
		if u.hex {
			return fmt.Errorf("want at most %d hex digits", u.bits/4)
		}
		return fmt.Errorf("want a number of at most %d bits", u.bits)
	}
	u.v, u.set = v, true
	return nil
}

// decodeOpts are the flags of `loraedge decode`.
type decodeOpts struct {
	version                                   lorawan.MACVersion
	nwkSKey, appSKey                          keyFlag
	fNwkSIntKey, sNwkSIntKey, nwkSEncKey      keyFlag
	appKey, nwkKey, jsIntKey, jsEncKey        keyFlag
	fcnt, confFCnt, txDR, txCh, devNonce, jrt uintFlag
	joinEUI, devEUI                           euiFlag
}

func runDecode(_ context.Context, args []string, stdout, stderr io.Writer) int {
	o := decodeOpts{
		fcnt:     uintFlag{bits: 32},
		confFCnt: uintFlag{bits: 16},
		txDR:     uintFlag{bits: 8},
		txCh:     uintFlag{bits: 8},
		devNonce: uintFlag{bits: 16, hex: true},
		jrt:      uintFlag{bits: 8, hex: true},
	}
	fs := flag.NewFlagSet("decode", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	version := fs.String("version", "1.0", "LoRaWAN MAC version: 1.0 or 1.1")
	fs.Var(&o.nwkSKey, "nwkskey", "NwkSKey (1.0)")
	fs.Var(&o.appSKey, "appskey", "AppSKey")
	fs.Var(&o.fNwkSIntKey, "fnwksintkey", "FNwkSIntKey (1.1)")
	fs.Var(&o.sNwkSIntKey, "snwksintkey", "SNwkSIntKey (1.1)")
	fs.Var(&o.nwkSEncKey, "nwksenckey", "NwkSEncKey (1.1)")
	fs.Var(&o.appKey, "appkey", "AppKey (join messages)")
	fs.Var(&o.nwkKey, "nwkkey", "NwkKey (1.1 join messages)")
	fs.Var(&o.jsIntKey, "jsintkey", "JSIntKey (1.1), instead of deriving it from NwkKey and DevEUI")
	fs.Var(&o.jsEncKey, "jsenckey", "JSEncKey (1.1), instead of deriving it from NwkKey and DevEUI")
	fs.Var(&o.fcnt, "fcnt", "full 32-bit frame counter")
	fs.Var(&o.confFCnt, "conffcnt", "ConfFCnt of a 1.1 MIC")
	fs.Var(&o.txDR, "txdr", "TxDr of a 1.1 uplink MIC")
	fs.Var(&o.txCh, "txch", "TxCh of a 1.1 uplink MIC")
	fs.Var(&o.joinEUI, "joineui", "JoinEUI of a 1.1 join-accept")
	fs.Var(&o.devEUI, "deveui", "DevEUI (1.1 join-accept MIC key)")
	fs.Var(&o.devNonce, "devnonce", "DevNonce (hex, as displayed) of the join-request a join-accept answers")
	fs.Var(&o.jrt, "joinreqtype", "1.1 join-accept: ff for a join-request (default), 0/1/2 for a rejoin (hex)")
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "loraedge decode: "+format+"\n", a...)
		return exitUsage
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, "usage: loraedge decode [flags] HEX|BASE64")
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return exitOK
		}
		return usageErr("%v", err)
	}
	v, err := lorawan.ParseMACVersion(*version)
	if err != nil {
		return usageErr("--version: want 1.0 or 1.1")
	}
	o.version = v
	if fs.NArg() != 1 {
		return usageErr("want exactly one frame (hex or base64), got %d arguments", fs.NArg())
	}
	frame, err := parseFrameText(fs.Arg(0))
	if err != nil {
		return usageErr("%v", err)
	}
	out, err := decodeFrame(frame, &o)
	if err != nil {
		return usageErr("%v", err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		fmt.Fprintf(stderr, "loraedge decode: %v\n", err)
		return exitFailure
	}
	if out.MICOK != nil && !*out.MICOK {
		return exitFailure
	}
	return exitOK
}

// parseFrameText reads a frame as hex (preferred when the text is valid hex)
// or as standard / URL-safe base64, padded or not.
func parseFrameText(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty frame")
	}
	h := strings.TrimPrefix(strings.ToLower(s), "0x")
	if b, err := hex.DecodeString(h); err == nil {
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("frame %q is neither hex nor base64", abbreviate(s, 40))
}

func abbreviate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// decoded is the JSON that `loraedge decode` prints. Fields absent from a
// message type are omitted; mic_ok is absent when no key allows a check.
type decoded struct {
	MType         string `json:"mtype"`
	Major         string `json:"major"`
	PHYPayloadHex string `json:"phy_payload_hex"`

	// Data frames.
	DevAddr                *string    `json:"dev_addr,omitempty"`
	FCtrl                  *fctrlJSON `json:"fctrl,omitempty"`
	FCnt                   *uint32    `json:"fcnt,omitempty"`
	FOptsHex               *string    `json:"fopts_hex,omitempty"`
	FOptsDecryptedHex      *string    `json:"fopts_decrypted_hex,omitempty"`
	FOpts                  []macJSON  `json:"fopts,omitempty"`
	FPort                  *uint8     `json:"fport,omitempty"`
	FRMPayloadEncryptedHex *string    `json:"frm_payload_encrypted_hex,omitempty"`
	FRMPayloadHex          *string    `json:"frm_payload_hex,omitempty"`
	MACCommands            []macJSON  `json:"mac_commands,omitempty"`
	MACError               string     `json:"mac_commands_error,omitempty"`

	// Join-request and rejoin-request.
	RejoinType *uint8  `json:"rejoin_type,omitempty"`
	NetID      *string `json:"net_id,omitempty"`
	JoinEUI    *string `json:"join_eui,omitempty"`
	DevEUI     *string `json:"dev_eui,omitempty"`
	DevNonce   *string `json:"dev_nonce,omitempty"`
	RJCount    *uint16 `json:"rj_count,omitempty"`

	// Join-accept.
	JoinAcceptEncryptedHex *string          `json:"join_accept_encrypted_hex,omitempty"`
	JoinAccept             *joinAcceptJSON  `json:"join_accept,omitempty"`
	SessionKeys            *sessionKeysJSON `json:"session_keys,omitempty"`

	// Proprietary.
	ProprietaryHex *string `json:"proprietary_hex,omitempty"`

	MIC   string `json:"mic,omitempty"`
	MICOK *bool  `json:"mic_ok,omitempty"`
}

type fctrlJSON struct {
	ADR       bool  `json:"adr"`
	ADRACKReq *bool `json:"adr_ack_req,omitempty"`
	ACK       bool  `json:"ack"`
	FPending  *bool `json:"f_pending,omitempty"`
	ClassB    *bool `json:"class_b,omitempty"`
	FOptsLen  uint8 `json:"fopts_len"`
}

type macJSON struct {
	CID     string `json:"cid"`
	Payload any    `json:"payload,omitempty"`
}

type joinAcceptJSON struct {
	JoinNonce  string      `json:"join_nonce"`
	NetID      string      `json:"net_id"`
	DevAddr    string      `json:"dev_addr"`
	DLSettings dlJSON      `json:"dl_settings"`
	RxDelay    uint8       `json:"rx_delay"`
	CFList     *cfListJSON `json:"cflist,omitempty"`
}

type dlJSON struct {
	OptNeg      bool  `json:"opt_neg"`
	RX1DROffset uint8 `json:"rx1_dr_offset"`
	RX2DataRate uint8 `json:"rx2_data_rate"`
}

type cfListJSON struct {
	Type        uint8    `json:"type"`
	Frequencies []uint32 `json:"frequencies,omitempty"`
	ChMasks     []string `json:"ch_masks,omitempty"`
}

// sessionKeysJSON names the keys as the LoRaWAN specification does.
type sessionKeysJSON struct {
	NwkSKey     string `json:"NwkSKey,omitempty"`
	FNwkSIntKey string `json:"FNwkSIntKey,omitempty"`
	SNwkSIntKey string `json:"SNwkSIntKey,omitempty"`
	NwkSEncKey  string `json:"NwkSEncKey,omitempty"`
	AppSKey     string `json:"AppSKey,omitempty"`
}

func ptr[T any](v T) *T { return &v }

func hexPtr(b []byte) *string { return ptr(hex.EncodeToString(b)) }

// decodeFrame parses frame and runs every check and decryption the keys in o allow.
func decodeFrame(frame []byte, o *decodeOpts) (*decoded, error) {
	var p lorawan.PHYPayload
	if err := p.UnmarshalBinary(frame); err != nil {
		return nil, err
	}
	out := &decoded{
		MType:         p.MHDR.MType.String(),
		Major:         p.MHDR.Major.String(),
		PHYPayloadHex: hex.EncodeToString(frame),
	}
	if p.MHDR.MType != lorawan.JoinAccept {
		out.MIC = hex.EncodeToString(p.MIC[:])
	}
	switch p.MHDR.MType {
	case lorawan.UnconfirmedDataUp, lorawan.ConfirmedDataUp, lorawan.UnconfirmedDataDown, lorawan.ConfirmedDataDown:
		return out, decodeData(out, frame, &p, o)
	case lorawan.JoinRequest:
		jr := p.JoinRequest
		out.JoinEUI, out.DevEUI = ptr(jr.JoinEUI.String()), ptr(jr.DevEUI.String())
		out.DevNonce = ptr(fmt.Sprintf("%04x", jr.DevNonce))
		if jk := o.rootKeys(jr.DevEUI, true); jk.root {
			mic, err := jk.rk.JoinRequestMIC(frame[:len(frame)-4])
			if err != nil {
				return nil, err
			}
			out.MICOK = ptr(mic == p.MIC)
		}
	case lorawan.RejoinRequest:
		return out, decodeRejoin(out, frame, &p, o)
	case lorawan.JoinAccept:
		return out, decodeJoinAccept(out, frame, &p, o)
	case lorawan.Proprietary:
		out.ProprietaryHex = hexPtr(p.Proprietary)
	}
	return out, nil
}

// joinKeys are the device's root keys as far as the flags give them, and
// which roles they can play.
type joinKeys struct {
	rk                   *lorawan.RootKeys
	root                 bool // the network root key: AppKey 1.0, NwkKey 1.1
	jsInt, jsEnc, appKey bool // 1.1 join-server keys and AppKey known
}

// rootKeys builds the join keys; devEUI (when known) lets the 1.1
// join-server keys be derived from NwkKey unless given as flags.
func (o *decodeOpts) rootKeys(devEUI lorawan.EUI64, haveDevEUI bool) joinKeys {
	if o.version == lorawan.MACVersion1_0 {
		return joinKeys{rk: lorawan.NewRootKeys10(o.appKey.key), root: o.appKey.set, appKey: o.appKey.set}
	}
	jk := joinKeys{root: o.nwkKey.set, appKey: o.appKey.set}
	jsInt, jsEnc := o.jsIntKey.key, o.jsEncKey.key
	if o.nwkKey.set && haveDevEUI {
		dInt, dEnc := lorawan.DeriveJSKeys(o.nwkKey.key, devEUI)
		if !o.jsIntKey.set {
			jsInt = dInt
		}
		if !o.jsEncKey.set {
			jsEnc = dEnc
		}
		jk.jsInt, jk.jsEnc = true, true
	}
	jk.jsInt = jk.jsInt || o.jsIntKey.set
	jk.jsEnc = jk.jsEnc || o.jsEncKey.set
	jk.rk = lorawan.NewRootKeys11WithJSKeys(o.appKey.key, o.nwkKey.key, jsInt, jsEnc)
	return jk
}

// sessionKeys reports which session-key roles the flags provide.
type sessionKeys struct {
	sess           *lorawan.Session
	micUp, micDown bool // uplink / downlink MIC checkable
	netEnc, appEnc bool // FPort 0 + FOpts / application payload decryptable
}

func (o *decodeOpts) session() sessionKeys {
	if o.version == lorawan.MACVersion1_0 {
		return sessionKeys{
			sess:  lorawan.NewSession10(o.nwkSKey.key, o.appSKey.key),
			micUp: o.nwkSKey.set, micDown: o.nwkSKey.set,
			netEnc: o.nwkSKey.set, appEnc: o.appSKey.set,
		}
	}
	return sessionKeys{
		sess:  lorawan.NewSession11(o.fNwkSIntKey.key, o.sNwkSIntKey.key, o.nwkSEncKey.key, o.appSKey.key),
		micUp: o.fNwkSIntKey.set && o.sNwkSIntKey.set, micDown: o.sNwkSIntKey.set,
		netEnc: o.nwkSEncKey.set, appEnc: o.appSKey.set,
	}
}

func decodeData(out *decoded, frame []byte, p *lorawan.PHYPayload, o *decodeOpts) error {
	uplink := p.MHDR.MType.Uplink()
	h := p.FHDR
	fc := h.FCtrl
	fj := &fctrlJSON{ADR: fc.ADR, ACK: fc.ACK, FOptsLen: fc.FOptsLen}
	if uplink {
		fj.ADRACKReq, fj.ClassB = ptr(fc.ADRACKReq), ptr(fc.ClassB)
	} else {
		fj.FPending = ptr(fc.FPending)
	}
	fcnt := uint32(h.FCnt)
	if o.fcnt.set {
		if uint16(o.fcnt.v) != h.FCnt {
			return fmt.Errorf("--fcnt %d does not end in the frame's 16-bit FCnt %d", o.fcnt.v, h.FCnt)
		}
		fcnt = uint32(o.fcnt.v)
	}
	out.DevAddr, out.FCtrl, out.FCnt = ptr(h.DevAddr.String()), fj, ptr(fcnt)
	out.FOptsHex = hexPtr(h.FOpts)
	if p.FPortPresent {
		out.FPort = ptr(p.FPort)
		out.FRMPayloadEncryptedHex = hexPtr(p.FRMPayload)
	}
	sk := o.session()
	msg := frame[:len(frame)-4]
	var micOK *bool
	switch {
	case uplink && sk.micUp:
		mic, err := sk.sess.UplinkMIC(msg, h.DevAddr, fcnt, uint16(o.confFCnt.v), uint8(o.txDR.v), uint8(o.txCh.v))
		if err != nil {
			return err
		}
		micOK = ptr(mic == p.MIC)
	case !uplink && sk.micDown:
		mic, err := sk.sess.DownlinkMIC(msg, h.DevAddr, fcnt, uint16(o.confFCnt.v))
		if err != nil {
			return err
		}
		micOK = ptr(mic == p.MIC)
	}
	out.MICOK = micOK

	// FOpts: clear text in 1.0, encrypted with NwkSEncKey in 1.1.
	fopts := h.FOpts
	if len(fopts) > 0 && o.version == lorawan.MACVersion1_1 {
		if !sk.netEnc {
			fopts = nil // cannot be read without NwkSEncKey
		} else {
			plain := make([]byte, len(fopts))
			aFCnt := !uplink && p.FPortPresent && p.FPort > 0
			if err := sk.sess.XORFOpts(plain, fopts, uplink, h.DevAddr, fcnt, aFCnt); err != nil {
				return err
			}
			out.FOptsDecryptedHex = hexPtr(plain)
			fopts = plain
		}
	}
	if len(fopts) > 0 {
		out.FOpts, out.MACError = macCommandsJSON(fopts, uplink)
	}

	if !p.FPortPresent || len(p.FRMPayload) == 0 {
		return nil
	}
	if (p.FPort == 0 && !sk.netEnc) || (p.FPort != 0 && !sk.appEnc) {
		return nil
	}
	plain := make([]byte, len(p.FRMPayload))
	if err := sk.sess.XORFRMPayload(plain, p.FRMPayload, uplink, h.DevAddr, fcnt, p.FPort); err != nil {
		return err
	}
	out.FRMPayloadHex = hexPtr(plain)
	if p.FPort == 0 {
		cmds, errText := macCommandsJSON(plain, uplink)
		out.MACCommands = cmds
		if errText != "" {
			out.MACError = errText
		}
	}
	return nil
}

// macCommandsJSON decodes MAC commands for printing; commands before an
// unknown or malformed one are kept and the problem is returned as text.
func macCommandsJSON(b []byte, uplink bool) ([]macJSON, string) {
	cmds, err := lorawan.ParseMACCommands(b, uplink)
	out := make([]macJSON, 0, len(cmds))
	for _, c := range cmds {
		out = append(out, macJSON{CID: c.CID.Name(uplink), Payload: c.Payload})
	}
	if err != nil {
		return out, err.Error()
	}
	return out, ""
}

func decodeRejoin(out *decoded, frame []byte, p *lorawan.PHYPayload, o *decodeOpts) error {
	r := p.Rejoin
	out.RejoinType, out.DevEUI, out.RJCount = ptr(r.Type), ptr(r.DevEUI.String()), ptr(r.RJCount)
	msg := frame[:len(frame)-4]
	if r.Type == 1 {
		out.JoinEUI = ptr(r.JoinEUI.String())
		if jk := o.rootKeys(r.DevEUI, true); jk.jsInt {
			mic, err := jk.rk.RejoinRequestMIC(msg)
			if err != nil {
				return err
			}
			out.MICOK = ptr(mic == p.MIC)
		}
		return nil
	}
	out.NetID = ptr(r.NetID.String())
	if o.sNwkSIntKey.set {
		s := lorawan.NewSession11(o.fNwkSIntKey.key, o.sNwkSIntKey.key, o.nwkSEncKey.key, o.appSKey.key)
		mic, err := s.RejoinRequestMIC(msg)
		if err != nil {
			return err
		}
		out.MICOK = ptr(mic == p.MIC)
	}
	return nil
}

func decodeJoinAccept(out *decoded, frame []byte, p *lorawan.PHYPayload, o *decodeOpts) error {
	out.JoinAcceptEncryptedHex = hexPtr(p.JoinAccept)
	jk := o.rootKeys(o.devEUI.eui, o.devEUI.set)
	rk := jk.rk
	jrt := lorawan.JoinReqTypeJoin
	if o.jrt.set {
		jrt = lorawan.JoinReqType(o.jrt.v)
	}
	// A join-accept answering a join-request is encrypted with the root
	// key; one answering a rejoin-request (1.1) with JSEncKey.
	if (jrt == lorawan.JoinReqTypeJoin && !jk.root) || (jrt != lorawan.JoinReqTypeJoin && !jk.jsEnc) {
		return nil
	}
	plain := make([]byte, len(frame))
	plain[0] = frame[0]
	if err := rk.DecryptJoinAccept(plain[1:], p.JoinAccept, jrt); err != nil {
		return err
	}
	msg, mic := plain[:len(plain)-4], plain[len(plain)-4:]
	out.MIC = hex.EncodeToString(mic)

	// The MIC comes first: with a wrong key the plaintext is noise, which is
	// a MIC mismatch (exit 1), not malformed input, whatever its RFU bits.
	// A 1.1 MIC (OptNeg) covers JoinEUI and DevNonce and uses JSIntKey
	// (given, or derived from NwkKey and DevEUI): all must be known.
	const dlSettingsAt, optNegBit = 11, 0x80
	optNeg := msg[dlSettingsAt]&optNegBit != 0 && o.version == lorawan.MACVersion1_1
	switch {
	case jrt != lorawan.JoinReqTypeJoin && !optNeg:
		// A rejoin-request is answered with OptNeg set (LoRaWAN 1.1 only):
		// without it no MIC can be valid.
		out.MICOK = ptr(false)
	case (!optNeg && jk.root) || (optNeg && o.joinEUI.set && o.devNonce.set && jk.jsInt):
		want, err := rk.JoinAcceptMIC(msg, jrt, o.joinEUI.eui, uint16(o.devNonce.v))
		if err != nil {
			return err
		}
		out.MICOK = ptr(string(want[:]) == string(mic))
	}
	micBad := out.MICOK != nil && !*out.MICOK

	var ja lorawan.JoinAcceptPayload
	if err := ja.UnmarshalBinary(msg[1:]); err != nil {
		if micBad {
			return nil // noise: nothing more to show
		}
		if out.MICOK == nil {
			return fmt.Errorf("decrypted join-accept (no MIC check: wrong key?): %w", err)
		}
		return fmt.Errorf("decrypted join-accept: %w", err)
	}
	jj := &joinAcceptJSON{
		JoinNonce: fmt.Sprintf("%06x", ja.JoinNonce),
		NetID:     ja.NetID.String(),
		DevAddr:   ja.DevAddr.String(),
		DLSettings: dlJSON{
			OptNeg: ja.DLSettings.OptNeg, RX1DROffset: ja.DLSettings.RX1DROffset, RX2DataRate: ja.DLSettings.RX2DataRate,
		},
		RxDelay: ja.RxDelay,
	}
	if cf := ja.CFList; cf != nil {
		cj := &cfListJSON{Type: uint8(cf.Type)}
		if cf.Type == lorawan.CFListFrequencies {
			cj.Frequencies = cf.Frequencies[:]
		} else {
			for _, m := range cf.ChMasks {
				cj.ChMasks = append(cj.ChMasks, fmt.Sprintf("%04x", m))
			}
		}
		jj.CFList = cj
	}
	out.JoinAccept = jj

	// Keys derived from a join-accept that failed its MIC would be noise.
	if !o.devNonce.set || micBad {
		return nil
	}
	dn := uint16(o.devNonce.v)
	switch {
	case !jk.root:
		// Session keys come from the root keys only.
	case !optNeg:
		nwk, app, err := rk.SessionKeys10(ja.JoinNonce, ja.NetID, dn)
		if err != nil {
			return err
		}
		// A 1.1 device on a 1.0 network (OptNeg unset) derives both from NwkKey.
		out.SessionKeys = &sessionKeysJSON{NwkSKey: nwk.String(), AppSKey: app.String()}
	case o.joinEUI.set:
		k, err := rk.SessionKeys11(ja.JoinNonce, o.joinEUI.eui, dn)
		if err != nil {
			return err
		}
		sk := &sessionKeysJSON{
			FNwkSIntKey: k.FNwkSIntKey.String(), SNwkSIntKey: k.SNwkSIntKey.String(), NwkSEncKey: k.NwkSEncKey.String(),
		}
		if jk.appKey {
			sk.AppSKey = k.AppSKey.String()
		}
		out.SessionKeys = sk
	}
	return nil
}
