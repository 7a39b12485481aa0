package station

import "testing"

func TestErrorMsgGolden(t *testing.T) {
	checkGolden(t, "error", &ErrorMsg{Error: "unknown gateway"})
}
