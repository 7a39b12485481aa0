package pki

import (
	"errors"
	"strings"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// parseID6 reads id6 text ("b827:ebff:fe61:51a5", "::1"): two or three
// colons, as Station tells id6 apart from other spellings. Shorter hex
// words ("cafe") are not taken for EUIs in certificate names.
func parseID6(s string) (lorawan.EUI64, error) {
	if n := strings.Count(s, ":"); n != 2 && n != 3 {
		return lorawan.EUI64{}, errors.New("pki: not id6 text")
	}
	return station.ParseEUI(s)
}
