package cups

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// MaxRequestSize bounds the body ReadRequest accepts. Station's request is a
// few hundred bytes; the bound leaves room for many keys.
const MaxRequestSize = 16 << 10

// ReadRequest reads and decodes the body of a POST /update-info. A body over
// MaxRequestSize, a Content-Type other than JSON, or a body that is not a
// request give errors wrapping ErrMalformed. Routing (method, path) and
// authentication are the server's.
func ReadRequest(r *http.Request) (*UpdateInfoRequest, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return nil, fmt.Errorf("%w: update-info request: content type %q, want application/json", ErrMalformed, ct)
		}
	}
	if r.Body == nil {
		return nil, fmt.Errorf("%w: update-info request: no body", ErrMalformed)
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestSize+1))
	if err != nil {
		return nil, fmt.Errorf("cups: read update-info request: %w", err)
	}
	if len(body) > MaxRequestSize {
		return nil, fmt.Errorf("%w: update-info request: body over %d bytes", ErrMalformed, MaxRequestSize)
	}
	var req UpdateInfoRequest
	if err := req.UnmarshalJSON(body); err != nil {
		return nil, err
	}
	return &req, nil
}

// WriteResponse answers 200 with resp in Station's layout (nil meaning
// nothing changed), headers and body in one write so that the URI segments
// reach Station in its first read. When resp cannot be encoded nothing is
// written and the error is returned, for the caller to answer 500.
func WriteResponse(w http.ResponseWriter, resp *UpdateInfoResponse) error {
	body, err := resp.MarshalBinary()
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("cups: write update-info response: %w", err)
	}
	return nil
}
