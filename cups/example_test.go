package cups_test

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/loraedge/loraedge/cups"
)

func ExampleUpdateInfoResponse_MarshalBinary() {
	var nothing cups.UpdateInfoResponse
	b, _ := nothing.MarshalBinary()
	fmt.Printf("% x\n", b)

	tc := cups.UpdateInfoResponse{TCURI: "wss://lns:8887"}
	b, _ = tc.MarshalBinary()
	fmt.Printf("% x\n", b)
	// Output:
	// 00 00 00 00 00 00 00 00 00 00 00 00 00 00
	// 00 0e 77 73 73 3a 2f 2f 6c 6e 73 3a 38 38 38 37 00 00 00 00 00 00 00 00 00 00 00 00
}

func ExampleUpdateInfoRequest() {
	body := []byte(`{"router":"b827:ebff:fe61:51a5","cupsUri":"https://cups:443","tcUri":null,` +
		`"cupsCredCrc":2077607535,"tcCredCrc":2077607535,"station":"2.0.6","model":"corecell","package":"1.0.0","keys":[]}`)
	var req cups.UpdateInfoRequest
	if err := json.Unmarshal(body, &req); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(req.Router.EUI, *req.CUPSURI, req.TCURI == nil, req.TCCredCRC == cups.CredCRC(nil, nil, nil))
	// Output:
	// b827ebfffe6151a5 https://cups:443 true true
}

func ExampleCredCRC() {
	// Station with no credential files reports this CRC.
	fmt.Printf("%08X\n", cups.CredCRC(nil, nil, nil))
	// Output:
	// 7BD5C66F
}

func ExampleVerify() {
	keyFile, _ := os.ReadFile("testdata/sig-0.key") // a Station sig-0.key
	key, err := cups.ParsePublicKey(keyFile)
	if err != nil {
		fmt.Println(err)
		return
	}
	answer, _ := os.ReadFile("testdata/resp-signed-update.bin")
	var resp cups.UpdateInfoResponse
	if err := resp.UnmarshalBinary(answer); err != nil {
		fmt.Println(err)
		return
	}
	by, err := cups.Verify([]cups.PublicKey{key}, resp.Update, resp.Sig)
	fmt.Printf("%d-byte update verified by key %08x: %v\n", len(resp.Update), by.CRC(), err)
	// Output:
	// 111-byte update verified by key 0863b31b: <nil>
}
