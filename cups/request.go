package cups

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/loraedge/loraedge/lorawan"
)

// UpdateInfoRequest is the JSON body Station POSTs to /update-info
// (src/cups.c cups_update_info), with its field names and order.
type UpdateInfoRequest struct {
	Router      RouterID `json:"router"`      // router: gateway EUI, id6 text
	CUPSURI     *string  `json:"cupsUri"`     // cupsUri: current CUPS URI, nil when Station has none (null)
	TCURI       *string  `json:"tcUri"`       // tcUri: current LNS URI, nil when Station has none (null)
	CUPSCredCRC uint32   `json:"cupsCredCrc"` // cupsCredCrc: CredCRC of cups.{trust,crt,key}
	TCCredCRC   uint32   `json:"tcCredCrc"`   // tcCredCrc: CredCRC of tc.{trust,crt,key}
	Station     string   `json:"station"`     // station: version and build date
	Model       string   `json:"model"`       // model: platform
	Package     string   `json:"package"`     // package: content of version.txt
	Keys        []uint32 `json:"keys"`        // keys: PublicKey.CRC of each sig-N.key held
}

// updateInfoRequestJSON is UpdateInfoRequest without its JSON methods.
type updateInfoRequestJSON UpdateInfoRequest

// MarshalJSON writes the request as Station does: fields in Station's order,
// the router as id6 text, absent URIs as null and keys always as an array.
func (r UpdateInfoRequest) MarshalJSON() ([]byte, error) {
	p := updateInfoRequestJSON(r)
	if p.Keys == nil {
		p.Keys = []uint32{}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("cups: encode update-info request: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads a request, tolerating unknown fields. The router is
// required; an empty keys array is returned as nil. Called directly (as
// ReadRequest does) every error wraps ErrMalformed; through json.Unmarshal a
// syntax error comes first as a *json.SyntaxError.
func (r *UpdateInfoRequest) UnmarshalJSON(data []byte) error {
	var p updateInfoRequestJSON
	if err := json.Unmarshal(data, &p); err != nil {
		if errors.Is(err, ErrMalformed) {
			return err
		}
		return fmt.Errorf("%w: update-info request: %w", ErrMalformed, err)
	}
	if p.Router.Text == "" {
		return fmt.Errorf("%w: update-info request: router missing", ErrMalformed)
	}
	if len(p.Keys) == 0 {
		p.Keys = nil
	}
	*r = UpdateInfoRequest(p)
	return nil
}

// RouterID is the gateway identity of a request. Station sends its EUI as id6
// text ("::1", "b827:ebff:fe61:51a5"); EUI text with '-' or ':', plain hex and
// JSON integers are accepted too. Text keeps the form it arrived in, for logs.
type RouterID struct {
	EUI  lorawan.EUI64
	Text string // as received; empty for a RouterID built in code
}

// String returns the EUI in the id6 form Station writes.
func (r RouterID) String() string { return formatID6(binary.BigEndian.Uint64(r.EUI[:])) }

// MarshalJSON writes the EUI as an id6 string, as Station does.
func (r RouterID) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }

// UnmarshalJSON reads an id6 or EUI string or an integer (negative integers
// are taken as their 64-bit two's complement, as Station's Python tools write
// them).
func (r *RouterID) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return fmt.Errorf("%w: router: empty", ErrMalformed)
	}
	var v uint64
	var text string
	switch c := data[0]; {
	case c == '"':
		if err := json.Unmarshal(data, &text); err != nil {
			return fmt.Errorf("%w: router: %w", ErrMalformed, err)
		}
		var err error
		if v, err = parseID6(text); err != nil {
			return err
		}
	case c == '-' || (c >= '0' && c <= '9'):
		text = string(data)
		u, err := strconv.ParseUint(text, 10, 64)
		if err != nil {
			s, serr := strconv.ParseInt(text, 10, 64)
			if serr != nil || s >= 0 {
				return fmt.Errorf("%w: router %s: not a 64-bit integer", ErrMalformed, text)
			}
			u = uint64(s)
		}
		v = u
	case c == 'n':
		return fmt.Errorf("%w: router is null", ErrMalformed)
	default:
		return fmt.Errorf("%w: router: want a string or an integer, got %.20s", ErrMalformed, data)
	}
	binary.BigEndian.PutUint64(r.EUI[:], v)
	r.Text = text
	return nil
}

// formatID6 writes v as Station's uj encoder does (src/uj.c encId6): four
// 16-bit hex groups, with "::" for the zero runs Station abbreviates.
func formatID6(v uint64) string {
	g0, g1, g2, g3 := v>>48&0xFFFF, v>>32&0xFFFF, v>>16&0xFFFF, v&0xFFFF
	switch {
	case g0 == 0 && g1 == 0 && g2 == 0:
		return fmt.Sprintf("::%x", g3)
	case g0 == 0 && g1 == 0:
		return fmt.Sprintf("::%x:%x", g2, g3)
	case g2 == 0 && g3 == 0 && g1 == 0:
		return fmt.Sprintf("%x::", g0)
	case g2 == 0 && g3 == 0:
		return fmt.Sprintf("%x:%x::", g0, g1)
	case g1 == 0 && g2 == 0:
		return fmt.Sprintf("%x::%x", g0, g3)
	}
	return fmt.Sprintf("%x:%x:%x:%x", g0, g1, g2, g3)
}

// parseID6 reads a 64-bit identifier from id6 text (up to four groups of 1-4
// hex digits with at most one "::"), from EUI text (eight pairs of hex digits
// separated by '-' or ':') or from 1-16 plain hex digits (leading zeros
// implied, as Station's rt_readEui does).
func parseID6(s string) (uint64, error) {
	colons, dashes := strings.Count(s, ":"), strings.Count(s, "-")
	var v uint64
	var err error
	switch {
	case s == "":
		err = errors.New("empty")
	case colons > 0 && dashes > 0:
		err = errors.New("mixes ':' and '-'")
	case strings.Contains(s, "::") || colons == 3:
		v, err = parseID6Groups(s)
	case colons == 7 || dashes == 7:
		v, err = parseEUIPairs(s)
	case colons == 0 && dashes == 0:
		if len(s) > 16 {
			err = fmt.Errorf("%d hex digits, at most 16", len(s))
		} else if v, err = strconv.ParseUint(s, 16, 64); err != nil {
			err = errors.New("not hex")
		}
	default:
		err = errors.New("neither id6 nor EUI text")
	}
	if err != nil {
		return 0, fmt.Errorf("%w: router %q: %w", ErrMalformed, s, err)
	}
	return v, nil
}

// parseID6Groups reads id6 groups, "::" standing for one or more zero groups.
func parseID6Groups(s string) (uint64, error) {
	head, tail, compressed := strings.Cut(s, "::")
	if compressed && strings.Contains(tail, "::") {
		return 0, errors.New(`"::" twice`)
	}
	hg, err := hexGroups(head)
	if err != nil {
		return 0, err
	}
	tg, err := hexGroups(tail)
	if err != nil {
		return 0, err
	}
	switch {
	case !compressed && len(hg) != 4:
		return 0, fmt.Errorf("%d groups, want 4", len(hg))
	case compressed && len(hg)+len(tg) > 3:
		return 0, errors.New(`"::" with 4 groups`)
	}
	var v uint64
	for i, g := range hg {
		v |= g << (48 - 16*i)
	}
	for i, g := range tg {
		v |= g << (16 * (len(tg) - 1 - i))
	}
	return v, nil
}

// hexGroups splits colon-separated groups of 1-4 hex digits; "" has none.
func hexGroups(s string) ([]uint64, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ":")
	gs := make([]uint64, len(parts))
	for i, p := range parts {
		if len(p) < 1 || len(p) > 4 {
			return nil, fmt.Errorf("group %q: want 1-4 hex digits", p)
		}
		g, err := strconv.ParseUint(p, 16, 16)
		if err != nil {
			return nil, fmt.Errorf("group %q: not hex", p)
		}
		gs[i] = g
	}
	return gs, nil
}

// parseEUIPairs reads "b8-27-eb-ff-fe-61-51-a5" or the same with ':'.
func parseEUIPairs(s string) (uint64, error) {
	sep := "-"
	if strings.Contains(s, ":") {
		sep = ":"
	}
	var v uint64
	for _, p := range strings.Split(s, sep) {
		if len(p) != 2 {
			return 0, fmt.Errorf("group %q: want 2 hex digits", p)
		}
		b, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return 0, fmt.Errorf("group %q: not hex", p)
		}
		v = v<<8 | b
	}
	return v, nil
}
