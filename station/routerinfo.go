package station

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/loraedge/loraedge/lorawan"
)

// RouterInfoRequest is the one text frame Station sends on the discovery
// socket (GET /router-info, src/tc.c): its router EUI. Station writes it as
// id6 text ({"router":"b827:ebff:fe61:51a5"}); other forwarders send a
// plain or dashed hex string or a JSON integer, all of which are read.
type RouterInfoRequest struct {
	Router lorawan.EUI64
}

// MarshalJSON writes {"router":"<id6>"} as Station does.
func (r RouterInfoRequest) MarshalJSON() ([]byte, error) {
	o := newObject("")
	o.add("router", id6Text(r.Router))
	return o.bytes()
}

// UnmarshalJSON reads "router" as a string in any form ParseEUI reads, or as
// an integer. A missing router is an error.
func (r *RouterInfoRequest) UnmarshalJSON(b []byte) error {
	var w struct {
		Router json.RawMessage `json:"router"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("station: router-info request: %w", err)
	}
	if !present(w.Router) || isNull(w.Router) {
		return errors.New("station: router-info request: no router")
	}
	e, err := parseEUIJSON(w.Router)
	if err != nil {
		return fmt.Errorf("station: router-info request: %w", err)
	}
	r.Router = e
	return nil
}

// RouterInfoResponse is the discovery answer: the router EUI (written as
// id6), an identifier of the traffic endpoint ("muxs"), the traffic URI
// ("uri") and/or an error text. Station treats an error, or a missing uri,
// as a rejection.
type RouterInfoResponse struct {
	Router lorawan.EUI64
	Muxs   string
	URI    string
	Error  string
}

// MarshalJSON writes router, then muxs, uri and error when they are set.
func (r RouterInfoResponse) MarshalJSON() ([]byte, error) {
	o := newObject("")
	o.add("router", id6Text(r.Router))
	if r.Muxs != "" {
		o.add("muxs", r.Muxs)
	}
	if r.URI != "" {
		o.add("uri", r.URI)
	}
	if r.Error != "" {
		o.add("error", r.Error)
	}
	return o.bytes()
}

// UnmarshalJSON reads the answer; router may be any form ParseEUI reads or
// an integer, and may be absent.
func (r *RouterInfoResponse) UnmarshalJSON(b []byte) error {
	var w struct {
		Router *id6Text `json:"router"`
		Muxs   string   `json:"muxs"`
		URI    string   `json:"uri"`
		Error  string   `json:"error"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("station: router-info response: %w", err)
	}
	*r = RouterInfoResponse{Muxs: w.Muxs, URI: w.URI, Error: w.Error}
	if w.Router != nil {
		r.Router = lorawan.EUI64(*w.Router)
	}
	return nil
}

// MaxURILen is the longest traffic URI Station stores (MAX_URI_LEN less its
// terminating zero).
const MaxURILen = 127

// CheckTrafficURI reports why Station would refuse uri as the "uri" of a
// router-info answer: it must use ws or wss, name an explicit port and a
// path, and be at most MaxURILen bytes long.
func CheckTrafficURI(uri string) error {
	if len(uri) > MaxURILen {
		return fmt.Errorf("station: traffic uri of %d bytes, more than %d", len(uri), MaxURILen)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return fmt.Errorf("station: traffic uri: %w", err)
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return fmt.Errorf("station: traffic uri %q: scheme must be ws or wss", uri)
	}
	if u.Hostname() == "" || u.Port() == "" {
		return fmt.Errorf("station: traffic uri %q: needs a host and an explicit port", uri)
	}
	if u.Path == "" {
		return fmt.Errorf("station: traffic uri %q: needs a path", uri)
	}
	return nil
}
